// socd extract: through a commander program built the way src/cli/index.ts builds its own.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { isHtmlInput, registerExtract } from '../../../src/cli/commands/extract.js';

const REPO = path.resolve(import.meta.dirname, '../../..');
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socd-extract-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

async function run(args: string[]): Promise<string> {
  const program = new Command('socd').exitOverride();
  registerExtract(program);
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  await program.parseAsync(['node', 'socd', 'extract', ...args]);
  return out;
}

function lines(out: string): Record<string, unknown>[] {
  return out
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('socd extract', () => {
  it('prints one JSON object a line with type, value, confidence, context and reasons', async () => {
    const file = path.join(dir, 'article.txt');
    fs.writeFileSync(file, 'Indicators of Compromise\n\n- 45[.]77[.]12[.]9\n- update-cdn[.]info\n\nThe loader used T1059.001.\n');
    const rows = lines(await run([file]));
    expect(rows.map((row) => Object.keys(row))).toEqual(Array(3).fill(['type', 'value', 'confidence', 'context', 'reasons']));
    expect(rows[0]).toMatchObject({ type: 'ipv4', value: '45.77.12.9', confidence: 'high', context: 'Indicators of Compromise: 45[.]77[.]12[.]9' });
    expect(rows[1]).toMatchObject({ type: 'domain', value: 'update-cdn.info' });
    expect(rows[2]).toMatchObject({ type: 'mitre_attack', value: 'T1059.001' });
  });

  it('reads HTML by extension, filters by confidence and drops the article URL', async () => {
    const file = path.join(dir, 'article.html');
    fs.writeFileSync(
      file,
      '<h2>IOCs</h2><table><tr><td>evil-cdn[.]net</td></tr></table><p>Read it at https://blog.vendor-research.com/post/1 or on 10.0.0.1.</p>',
    );
    expect(lines(await run([file])).map((row) => row.value)).toEqual(['evil-cdn.net']);
    // --all adds what is no IOC: the link the article cites (a reference) and a private address (held back).
    const all = lines(await run([file, '--all']));
    expect(all.map((row) => [row.value, row.reference ?? row.suppressed ?? false, row.reason])).toEqual([
      ['evil-cdn.net', false, undefined],
      ['https://blog.vendor-research.com/post/1', true, 'negative_keyword:read it'],
      ['10.0.0.1', true, 'warninglist:private address (RFC 1918)'],
    ]);
    expect(all[1]).toHaveProperty('reference', true);
    expect(all[2]).toHaveProperty('suppressed', true);
    const own = lines(await run([file, '--all', '--url', 'https://blog.vendor-research.com/post/1']));
    expect(own[1]).toMatchObject({ value: 'https://blog.vendor-research.com/post/1', reason: 'own_site' });
    const high = lines(await run([file, '--min-confidence', 'high']));
    expect(high.map((row) => row.value)).toEqual(['evil-cdn.net']);
  });

  it('refuses a bad confidence level and an unreadable file', async () => {
    await expect(run([path.join(dir, 'a.txt'), '--min-confidence', 'certain'])).rejects.toThrow(/must be one of/);
    await expect(run([path.join(dir, 'missing.txt')])).rejects.toThrow(/cannot read/);
  });

  it('detects HTML by extension, then by content (the rule of src/extract/is-html.ts)', () => {
    expect(isHtmlInput('a.html', 'plain', {})).toBe(true);
    expect(isHtmlInput('a.xhtml', 'plain', {})).toBe(true);
    expect(isHtmlInput('a.txt', '<h1>x</h1><p>y</p><p>z</p>', {})).toBe(false);
    expect(isHtmlInput('a.md', '<h1>x</h1><p>y</p><p>z</p>', {})).toBe(false);
    expect(isHtmlInput('-', '<h1>x</h1><p>y</p><p>z</p>', {})).toBe(true);
    expect(isHtmlInput('page', 'Read it <a href="https://x.example/">here</a>.', {})).toBe(true);
    expect(isHtmlInput('-', 'plain text', {})).toBe(false);
    expect(isHtmlInput('-', 'if a<b and c>d', {})).toBe(false);
    expect(isHtmlInput('a.html', '', { text: true })).toBe(false);
    expect(isHtmlInput('a.txt', 'plain', { html: true })).toBe(true);
  });

  it('finds http://xq.com where the article writes hxxp[[:]]//xq.com (issue 10)', async () => {
    const file = path.join(dir, 'double-bracket.txt');
    fs.writeFileSync(file, 'The dropper called hxxp[[:]]//xq.com before the payload ran.\n');
    expect(lines(await run([file])).map((row) => row.value)).toEqual(['http://xq.com/']);
  });

  it('reads standard input with -', () => {
    const code =
      "import { Command } from 'commander';\n" +
      "import { registerExtract } from './src/cli/commands/extract.ts';\n" +
      "const program = new Command('socd');\nregisterExtract(program);\n" +
      "await program.parseAsync(['extract', '-'], { from: 'user' });\n";
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', code], {
      cwd: REPO,
      input: 'The implant beacons to its C2 at hxxps://cdn-check[.]org/beacon every minute.',
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(lines(result.stdout)).toEqual([
      {
        type: 'url',
        value: 'https://cdn-check.org/beacon',
        confidence: 'high',
        context: 'The implant beacons to its C2 at hxxps://cdn-check[.]org/beacon every minute.',
        reasons: ['defanged', 'prose', 'near_keyword'],
      },
    ]);
  });
});
