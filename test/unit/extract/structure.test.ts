// The document model: HTML and plain text to blocks. Fragments marked AA25-141A are copied
// from that CISA advisory (public domain; see test/fixtures/README.md).
import { describe, expect, it } from 'vitest';
import { blocksToText, extractIocs, htmlToBlocks, looksLikeHtml, textToBlocks } from '../../../src/extract/index.js';

describe('htmlToBlocks', () => {
  it('keeps headings, list items and table cells, decodes entities, hides scripts and attributes', () => {
    const html =
      '<h2>IOCs &amp; notes</h2><script>var x = "evil.com";</script><style>a{}</style>' +
      '<p>Seen <a href="https://hidden.example/">on&nbsp;the&nbsp;wire</a>:</p>' +
      '<ul><li>one</li><li>two<ul><li>nested</li></ul></li></ul>' +
      '<table><tr><th>Value</th><td>45[.]77[.]12[.]9 &nbsp;</td></tr></table>';
    expect(htmlToBlocks(html)).toEqual([
      { kind: 'heading', text: 'IOCs & notes', level: 2 },
      { kind: 'paragraph', text: 'Seen on the wire:' },
      { kind: 'list_item', text: 'one' },
      { kind: 'list_item', text: 'two' },
      { kind: 'list_item', text: 'nested' },
      { kind: 'table_cell', text: 'Value', table: { header: true, labels: ['Value', '45[.]77[.]12[.]9'] } },
      { kind: 'table_cell', text: '45[.]77[.]12[.]9', table: { row: 'Value', labels: ['Value', '45[.]77[.]12[.]9'] } },
    ]);
  });

  it('paragraphs inside a table cell are lines of the one cell', () => {
    expect(htmlToBlocks('<table><tr><td><p>hxxps://pan[.]example/d/</p><p>6401646e/redis</p></td></tr></table>')).toEqual([
      { kind: 'table_cell', text: 'hxxps://pan[.]example/d/\n6401646e/redis', table: {} },
    ]);
  });

  it("a table cell knows its table's caption, its column's header, its row's first cell and its row's labels", () => {
    const html =
      '<table><caption>Table 3. Malicious IPs</caption><thead><tr><th>IP</th><th>Port</th></tr></thead>' +
      '<tbody><tr><td>1[.]2[.]3[.]4</td><td><p>443</p></td></tr></tbody></table><table><tr><td>outside</td></tr></table>';
    expect(htmlToBlocks(html).filter((block) => block.kind === 'table_cell')).toEqual([
      { kind: 'table_cell', text: 'IP', table: { caption: 'Table 3. Malicious IPs', header: true, labels: ['IP', 'Port'] } },
      { kind: 'table_cell', text: 'Port', table: { caption: 'Table 3. Malicious IPs', header: true, labels: ['IP', 'Port'] } },
      { kind: 'table_cell', text: '1[.]2[.]3[.]4', table: { caption: 'Table 3. Malicious IPs', column: 'IP', labels: ['1[.]2[.]3[.]4', '443'] } },
      { kind: 'table_cell', text: '443', table: { caption: 'Table 3. Malicious IPs', column: 'Port', row: '1[.]2[.]3[.]4', labels: ['1[.]2[.]3[.]4', '443'] } },
      { kind: 'table_cell', text: 'outside', table: {} },
    ]);
  });

  it('AA25-141A: a paragraph all in bold is a heading; <br> breaks lines', () => {
    expect(htmlToBlocks('<p><strong>Legitimate utilities</strong></p><p><strong>Note</strong>: Specific IoCs may no longer be actor controlled.</p>')).toEqual([
      { kind: 'heading', text: 'Legitimate utilities' },
      { kind: 'paragraph', text: 'Note: Specific IoCs may no longer be actor controlled.' },
    ]);
    expect(htmlToBlocks('<p>[1] a https://a.example/x<br>[2] b https://b.example/y</p>')).toEqual([
      { kind: 'paragraph', text: '[1] a https://a.example/x\n[2] b https://b.example/y' },
    ]);
  });

  it('closes implied elements (<li> after <li>, <td> after <td>) like a browser', () => {
    expect(htmlToBlocks('<ul><li>a<li>b</ul><table><tr><td>x<td>y</table>').map((block) => `${block.kind}:${block.text}`)).toEqual([
      'list_item:a',
      'list_item:b',
      'table_cell:x',
      'table_cell:y',
    ]);
  });

  it('survives deep nesting and stray end tags', () => {
    const html = `${'<div>'.repeat(20_000)}<p>deep</p>${'</span>'.repeat(20_000)}`;
    expect(htmlToBlocks(html)).toEqual([{ kind: 'paragraph', text: 'deep' }]);
  });

  it('blocksToText renders cells with " |" and items with "- "', () => {
    expect(blocksToText(htmlToBlocks('<h3>T</h3><ul><li>a</li></ul><table><tr><td>b</td></tr></table>'))).toBe('T\n\n- a\n\nb |');
  });
});

describe('textToBlocks', () => {
  it('AA25-141A: multi-line cells and cells closed by a lone "|"', () => {
    const text = 'Tactic/Technique Title |\nID |\n\nAccount Manipulation:\nAdditional Email Delegate\nPermissions |\n\nT1098.002\n\n |\nBrute Force\n\n |\n';
    expect(textToBlocks(text)).toEqual([
      { kind: 'table_cell', text: 'Tactic/Technique Title' },
      { kind: 'table_cell', text: 'ID' },
      { kind: 'table_cell', text: 'Account Manipulation:\nAdditional Email Delegate\nPermissions' },
      { kind: 'table_cell', text: 'T1098.002' },
      { kind: 'table_cell', text: 'Brute Force' },
    ]);
  });

  it('headings stand alone; list items start with a marker; paragraphs keep their lines', () => {
    const text = 'Indicators of Compromise (IOCs)\n\nThe following were seen:\n- evil[.]com\n* bad[.]org\n1. third\n\nfirst line\nsecond line\n\nevil.com\n';
    expect(textToBlocks(text)).toEqual([
      { kind: 'heading', text: 'Indicators of Compromise (IOCs)' },
      { kind: 'paragraph', text: 'The following were seen:' },
      { kind: 'list_item', text: 'evil[.]com' },
      { kind: 'list_item', text: 'bad[.]org' },
      { kind: 'list_item', text: 'third' },
      { kind: 'paragraph', text: 'first line\nsecond line' },
      { kind: 'paragraph', text: 'evil.com' },
    ]);
  });

  it('looksLikeHtml tells markup from text', () => {
    expect(looksLikeHtml('<!DOCTYPE html><html><body>x</body></html>')).toBe(true);
    expect(looksLikeHtml('<h2>T</h2><p>a</p><ul><li>b</li></ul>')).toBe(true);
    expect(looksLikeHtml('Plain text with a <tag> or two: a < b > c.')).toBe(false);
  });
});

describe('plain-text tables', () => {
  it('Markdown rows are cells, the rule row is skipped', () => {
    expect(textToBlocks('| Indicator | Type |\n|---|:---:|\n| evil[.]com | C2 |\n')).toEqual([
      { kind: 'table_cell', text: 'Indicator', table: { header: true } },
      { kind: 'table_cell', text: 'Type', table: { header: true } },
      { kind: 'table_cell', text: 'evil[.]com', table: { column: 'Indicator', labels: ['evil[.]com', 'C2'] } },
      { kind: 'table_cell', text: 'C2', table: { column: 'Type', row: 'evil[.]com', labels: ['evil[.]com', 'C2'] } },
    ]);
  });

  it('AsciiDoc and Markdown headings have ranks; AsciiDoc rows are cells; rules and fences separate', () => {
    const text = '= Report\n\n== Network IOCs\n\n[options="header"]\n|===\n|Domain |Note\n|`+evil[.]com+` |C2\n|===\n\n### Hashes\n```\nabc\n```\n';
    expect(textToBlocks(text)).toEqual([
      { kind: 'heading', text: 'Report', level: 1 },
      { kind: 'heading', text: 'Network IOCs', level: 2 },
      { kind: 'table_cell', text: 'Domain', table: { header: true } },
      { kind: 'table_cell', text: 'Note', table: { header: true } },
      { kind: 'table_cell', text: '`+evil[.]com+`', table: { column: 'Domain', labels: ['`+evil[.]com+`', 'C2'] } },
      { kind: 'table_cell', text: 'C2', table: { column: 'Note', row: '`+evil[.]com+`', labels: ['`+evil[.]com+`', 'C2'] } },
      { kind: 'heading', text: 'Hashes', level: 3 },
      { kind: 'paragraph', text: 'abc' },
    ]);
  });

  it('a value heading a tab- or dash-separated line counts as listed', () => {
    const extraction = extractIocs('Network indicators seen:\n45.77.12.9\tstage-2 server\nupdate-cdn.info - phishing kit\n', { html: false });
    for (const ioc of extraction.iocs) expect(ioc.reasons).toContain('ioc_list');
  });
});

describe('HTML embedded in a text (Markdown HTML blocks)', () => {
  it('a run of lines that opens with a block tag is read as HTML up to the blank line', () => {
    const text = '## Indicators\n\nThe following addresses:\n<table>\n<tr><td><strong>IP address</strong></td></tr>\n<tr><td>45.77.12.9</td></tr>\n</table>\n\nAfter the table.\n';
    expect(textToBlocks(text)).toEqual([
      { kind: 'heading', text: 'Indicators', level: 2 },
      { kind: 'paragraph', text: 'The following addresses:' },
      { kind: 'table_cell', text: 'IP address', table: {} },
      { kind: 'table_cell', text: '45.77.12.9', table: {} },
      { kind: 'paragraph', text: 'After the table.' },
    ]);
  });
});
