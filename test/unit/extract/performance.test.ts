// Inputs that make naive extractors backtrack or recurse: each must come back (no stack
// overflow, no runaway regex) with nothing invented. Their timings are bench figures
// (npm run bench prints them), not assertions here.
import { describe, expect, it } from 'vitest';
import { extractIocs } from '../../../src/extract/index.js';

const INPUTS: { name: string; text: string; html: boolean }[] = [
  { name: '20 KB of dots', text: '.'.repeat(20_000), html: false },
  { name: '1 MB without spaces', text: 'a'.repeat(1_000_000), html: false },
  { name: '1 MB without spaces of host characters', text: 'ab.cd-ef_0123:45@x/y'.repeat(50_000), html: false },
  { name: '1 MB of [.]', text: '[.]'.repeat(333_334), html: false },
  { name: '400 KB of nested [[[[.]]]]', text: `${'['.repeat(200_000)}.${']'.repeat(200_000)}`, html: false },
  { name: '1 MB of a@', text: 'a@'.repeat(500_000), html: false },
  { name: '1 MB of colons', text: ':'.repeat(1_000_000), html: false },
  { name: '1 MB of a:', text: 'a:'.repeat(500_000), html: false },
  { name: '1 MB of http://', text: 'http://'.repeat(140_000), html: false },
  { name: '1 MB of hxxp[:]//', text: 'hxxp[:]//'.repeat(100_000), html: false },
  { name: '1 MB of 1.', text: '1.'.repeat(500_000), html: false },
  { name: '1 MB of " |" lines', text: ' |\n'.repeat(300_000), html: false },
  { name: '100k nested <div>', text: `${'<div>'.repeat(100_000)}evil[.]com${'</div>'.repeat(100_000)}`, html: true },
  { name: '100k unclosed <div> then stray </span>', text: `${'<div>'.repeat(100_000)}${'</span>'.repeat(100_000)}`, html: true },
  { name: '50k nested <ul><li>', text: '<ul><li>'.repeat(50_000), html: true },
];

describe('worst-case inputs', () => {
  it.each(INPUTS.filter((input) => !input.text.includes('evil')))('$name yields no IOC', ({ text, html }) => {
    expect(extractIocs(text, { html }).iocs).toEqual([]);
  });

  it('still finds the value at the bottom of deep markup', () => {
    const deep = INPUTS.find((input) => input.name === '100k nested <div>') as (typeof INPUTS)[number];
    expect(extractIocs(deep.text, { html: true }).iocs.map((ioc) => ioc.value)).toEqual(['evil.com']);
  });
});
