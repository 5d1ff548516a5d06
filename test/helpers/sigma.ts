// Sigma checks: the SigmaHQ JSON schemas (../shared/standards/sigma: detection rules, correlation
// rules), and what the schemas cannot say: ids unique across the documents, every field
// modifier one the specification defines, every identifier a condition names defined.
import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { parseAllDocuments } from 'yaml';
import { SHARED_DIR } from './shared.js';

const STANDARD = path.join(SHARED_DIR, 'standards', 'sigma');
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajvFormats.default(ajv);
const load = (name: string): ValidateFunction => ajv.compile(JSON.parse(fs.readFileSync(path.join(STANDARD, name), 'utf8')) as object);
const detectionRule = load('sigma-detection-rule-schema.json');
const correlationRule = load('sigma-correlation-rules-schema.json');

/** The value modifiers of the Sigma specification (v2, appendix "Modifiers"). */
const MODIFIERS = new Set([
  'contains', 'startswith', 'endswith', 'all', 'base64', 'base64offset', 'utf16le', 'utf16be', 'wide', 'utf16', 'windash',
  're', 'i', 'm', 's', 'cidr', 'lt', 'lte', 'gt', 'gte', 'fieldref', 'exists', 'expand', 'cased', 'neq',
]);
const CONDITION_WORDS = new Set(['and', 'or', 'not', 'of', 'them', 'all', '1', 'any']);

/** Each document of a multi-document Sigma file, parsed. */
export function sigmaDocuments(text: string): Record<string, unknown>[] {
  return parseAllDocuments(text).map((document) => document.toJSON() as Record<string, unknown>);
}

function detectionErrors(detection: Record<string, unknown>): string[] {
  const errors: string[] = [];
  const identifiers = Object.keys(detection).filter((key) => key !== 'condition');
  for (const identifier of identifiers) {
    const searches = detection[identifier];
    const maps = Array.isArray(searches) ? searches : [searches];
    for (const map of maps) {
      if (map === null || typeof map !== 'object') continue;
      for (const key of Object.keys(map as object)) {
        for (const modifier of key.split('|').slice(1)) if (!MODIFIERS.has(modifier)) errors.push(`unknown modifier ${modifier} in ${identifier}`);
      }
    }
  }
  const conditions = [detection.condition].flat().filter((c): c is string => typeof c === 'string');
  for (const condition of conditions) {
    for (const word of condition.split(/[\s()|]+/).filter((w) => w !== '' && !CONDITION_WORDS.has(w.toLowerCase()))) {
      const pattern = word.endsWith('*') ? new RegExp(`^${word.slice(0, -1)}`) : undefined;
      const known = pattern === undefined ? identifiers.includes(word) : identifiers.some((identifier) => pattern.test(identifier));
      if (!known) errors.push(`condition names ${word}, which the detection does not define`);
    }
  }
  return errors;
}

/** What is wrong with a Sigma file, document by document (empty when valid). */
export function checkSigma(text: string): string[] {
  const errors: string[] = [];
  const ids = new Set<string>();
  sigmaDocuments(text).forEach((document, i) => {
    const validate = 'correlation' in document ? correlationRule : detectionRule;
    if (!validate(document)) for (const error of validate.errors ?? []) errors.push(`document ${i + 1}: ${error.instancePath} ${error.message}`);
    const id = document.id;
    if (typeof id === 'string') {
      if (ids.has(id)) errors.push(`document ${i + 1}: duplicate id ${id}`);
      ids.add(id);
    }
    if ('detection' in document && document.detection !== null && typeof document.detection === 'object') {
      for (const error of detectionErrors(document.detection as Record<string, unknown>)) errors.push(`document ${i + 1}: ${error}`);
    }
  });
  return errors;
}
