// The IOC core: types, refanging, detection, normalization and stable ids. Pure: no I/O.
// Other exports of the files below are shared within src/ioc only.
export * from './types.js';
export { defang, refang, refangWithMap, type RefangedText } from './refang.js';
export { detectIocType, parseIoc } from './detect.js';
export { MAX_INPUT_LENGTH, MAX_URL_LENGTH, normalizeIoc } from './normalize.js';
export { SOCD_NAMESPACE, articleId, indicatorId, recordId } from './ids.js';
