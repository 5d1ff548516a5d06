// The one "is this HTML?" rule (src/extract/is-html.ts) that ingestion and socd extract follow.
import { describe, expect, it } from 'vitest';
import { extractIocs, isHtml } from '../../../src/extract/index.js';

const PAGE = '<!DOCTYPE html><html><body><p>C2: evil[.]com</p></body></html>';
const TEXT_WITH_ANGLES = 'If a<b and c>d then the loader calls hxxp[[:]]//xq.com; mail from <admin@evil-mail.net>.';

describe('isHtml', () => {
  it.each([
    // a declared type names HTML or text: it decides
    [PAGE, 'text/html; charset=utf-8', true],
    ['plain words', 'text/html', true],
    ['<p>x</p>', 'application/xhtml+xml', true],
    [PAGE, 'text/plain', false],
    ['<h2>T</h2><p>a</p>', 'text/markdown', false],
    [TEXT_WITH_ANGLES, 'TEXT/PLAIN;charset=utf-8', false],
    // no type, or one that says nothing of it: the bytes are sniffed
    [PAGE, undefined, true],
    [PAGE, null, true],
    [PAGE, '', true],
    [PAGE, 'application/octet-stream', true],
    ['\uFEFF  \n<html lang="en"><p>x', undefined, true],
    ['<!-- saved page --><div>x</div>', undefined, true],
    ['<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"></html>', undefined, true],
    ['<p>A short feed summary.', undefined, true],
    ['Read the report <a href="https://vendor.example/r">here</a>.', undefined, true],
    ['<h2>T</h2><p>a</p><ul><li>b</li></ul>', undefined, true],
    [TEXT_WITH_ANGLES, undefined, false],
    ['Plain text with a <tag> or two: a < b > c.', undefined, false],
    ['Usage: tool -p <port> <host>', undefined, false],
    ['One line break<br> in text', undefined, false],
    ['plain text', undefined, false],
    ['', undefined, false],
  ])('%j as %s → %s', (body, mediaType, expected) => {
    expect(isHtml(body, mediaType)).toBe(expected);
  });

  it('text with < characters keeps what sits between them', () => {
    const values = extractIocs(TEXT_WITH_ANGLES).iocs.map((ioc) => ioc.value);
    expect(values).toEqual(expect.arrayContaining(['http://xq.com/', 'admin@evil-mail.net']));
  });
});
