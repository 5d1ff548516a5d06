import { pathologicalInputs } from './extract-inputs.js';
const { extractIocs } = (await import('../dist/extract/index.js' as string)) as typeof import('../src/extract/index.js');
const input = pathologicalInputs().find((i) => i.name === process.env.INPUT)!;
for (let i = 0; i < 15; i++) extractIocs(input.text, { html: input.html });
