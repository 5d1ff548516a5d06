// Inputs that make naive extractors backtrack, recurse or rescan (bench/extract-inputs.ts): each
// must come back (no stack overflow, no runaway regex) with nothing invented. Their timings are bench figures
// (npm run bench prints them), not assertions here.
import { describe, expect, it } from 'vitest';
import { pathologicalInputs } from '../../../bench/extract-inputs.js';
import { extractIocs } from '../../../src/extract/index.js';

const INPUTS = pathologicalInputs();

describe('worst-case inputs', () => {
  it.each(INPUTS.filter((input) => !input.text.includes('evil')))('$name yields no IOC', ({ text, html }) => {
    expect(extractIocs(text, { html }).iocs).toEqual([]);
  });

  it('still finds the value at the bottom of deep markup', () => {
    const deep = INPUTS.find((input) => input.name === '100k nested <div>') as (typeof INPUTS)[number];
    expect(extractIocs(deep.text, { html: true }).iocs.map((ioc) => ioc.value)).toEqual(['evil.com']);
  });
});
