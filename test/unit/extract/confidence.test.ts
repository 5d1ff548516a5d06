// Confidence from evidence: tables and lists over prose, sections, warning lists; what has no
// evidence, or evidence against, is no IOC (a reference of the article, or held back). Fragments
// marked AA25-141A / AA25-163A are copied from those CISA advisories (public domain; see
// test/fixtures/README.md).
import { describe, expect, it } from 'vitest';
import { extractIocs, type ExtractedIoc, type Extraction, type HeldValue } from '../../../src/extract/index.js';

function find(extraction: Extraction, value: string): ExtractedIoc {
  const ioc = extraction.iocs.find((candidate) => candidate.value === value);
  if (ioc === undefined) throw new Error(`${value} not extracted: ${extraction.iocs.map((i) => i.value).join(', ')}`);
  return ioc;
}

/** A value that is not an IOC: where it went (`reference` or `suppressed`) and why. */
function held(extraction: Extraction, value: string): HeldValue & { as: 'reference' | 'suppressed' } {
  expect(extraction.iocs.map((ioc) => ioc.value)).not.toContain(value);
  const reference = extraction.references.find((candidate) => candidate.value === value);
  if (reference !== undefined) return { ...reference, as: 'reference' };
  const suppressed = extraction.suppressed.find((candidate) => candidate.value === value);
  if (suppressed !== undefined) return { ...suppressed, as: 'suppressed' };
  throw new Error(`${value} neither extracted nor held`);
}

const AA25_141A_TABLE = `<h3>Brute Forcing IP Addresses</h3>
<table><thead><tr><th><strong>June 2024</strong></th><th><strong>July 2024</strong></th></tr></thead>
<tbody><tr><td>192[.]162[.]174[.]94</td><td>207[.]244[.]71[.]84</td></tr>
<tr><td>103[.]97[.]203[.]29</td><td>&nbsp;</td></tr></tbody></table>`;

describe('tables and lists versus prose', () => {
  it('AA25-141A: defanged IPs in an HTML table under an IOC heading are high, with ioc_table', () => {
    const extraction = extractIocs(AA25_141A_TABLE, { html: true });
    for (const value of ['192.162.174.94', '207.244.71.84', '103.97.203.29']) {
      const ioc = find(extraction, value);
      expect(ioc.confidence).toBe('high');
      expect(ioc.reasons).toEqual(expect.arrayContaining(['defanged', 'ioc_table', 'ioc_section']));
    }
  });

  it('AA25-141A: the same table as text (cells end with " |") reads the same', () => {
    const text = 'Brute Forcing IP Addresses\n\nJune 2024 |\nJuly 2024 |\n\n192[.]162[.]174[.]94 |\n207[.]244[.]71[.]84   |\n\n103[.]97[.]203[.]29 |\n  |\n';
    const extraction = extractIocs(text, { html: false });
    expect(extraction.iocs.map((ioc) => ioc.value)).toEqual(['192.162.174.94', '207.244.71.84', '103.97.203.29']);
    for (const ioc of extraction.iocs) expect(ioc.reasons).toContain('ioc_table');
  });

  it('plain values in a table or list rank above the same values in prose', () => {
    const listed = extractIocs('Network indicators\n\n- 45.77.12.9\n- update-check.net\n', { html: false });
    const prose = extractIocs('We saw 45.77.12.9 and update-check.net in the logs last week.', { html: false });
    expect(find(listed, '45.77.12.9')).toMatchObject({ confidence: 'high' });
    expect(find(listed, 'update-check.net').reasons).toContain('ioc_list');
    // Named in passing, without a word that accuses them: an address is held back, a site is a reference.
    expect(held(prose, '45.77.12.9')).toMatchObject({ as: 'suppressed', reason: 'no_evidence' });
    expect(held(prose, 'update-check.net')).toMatchObject({ as: 'reference', reason: 'no_evidence' });
  });

  it('a table of plain values that nothing calls malicious is no list of IOCs', () => {
    const html = '<h2>Sites the tool checks</h2><table><tr><th>Site</th><th>Category</th></tr><tr><td>example-shop.com</td><td>Retail</td></tr></table>';
    expect(held(extractIocs(html, { html: true }), 'example-shop.com')).toMatchObject({ as: 'reference', reason: 'no_evidence' });
  });

  it('a caption or a column that says "malicious" makes a table of plain values IOCs', () => {
    const html = '<table><caption>Table 3. Malicious domains</caption><tr><th>Domain</th></tr><tr><td>update-check.net</td></tr></table>';
    expect(find(extractIocs(html, { html: true }), 'update-check.net').reasons).toEqual(expect.arrayContaining(['ioc_context', 'ioc_table']));
  });

  it('one value a line, without bullets, is a list', () => {
    const extraction = extractIocs('The payload servers:\n45.77.12.9\n91.215.85.17\n', { html: false });
    expect(find(extraction, '91.215.85.17').reasons).toContain('ioc_list');
  });

  it('a word such as C2 near a plain value raises it; a citation section lowers it', () => {
    const c2 = extractIocs('The implant beacons to its C2 at 45.77.12.9 every minute.', { html: false });
    expect(find(c2, '45.77.12.9')).toMatchObject({ confidence: 'medium' });
    expect(find(c2, '45.77.12.9').reasons).toContain('near_keyword');
    const cited = extractIocs('<h2>Works Cited</h2><p>[1] Vendor. Report. 2024. https://research.vendor-blog.com/apt/report</p>', { html: true });
    expect(held(cited, 'https://research.vendor-blog.com/apt/report')).toMatchObject({ as: 'reference', reason: 'section:reference' });
  });

  it('hashes count as indicators even in prose', () => {
    const extraction = extractIocs('The dropper (SHA-256 a3f5c1e2b4d6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7081) ran.', { html: false });
    expect(extraction.iocs[0]).toMatchObject({ type: 'sha256', confidence: 'medium' });
  });

  it('AA25-141A: a heading that calls its list legitimate makes no IOC of it', () => {
    const html = '<h2>Indicators of Compromise (IOCs)</h2><h3>Commonly Used Webmail Providers</h3><ul><li>portugalmail[.]pt</li><li>mail-online[.]dk</li></ul>';
    const extraction = extractIocs(html, { html: true });
    expect(extraction.iocs).toEqual([]);
    for (const value of ['portugalmail.pt', 'mail-online.dk']) expect(held(extraction, value).reason).toBe('benign_section');
  });

  it('AA25-141A: wildcard blocking advice in a Mitigations list is no IOC', () => {
    const html = '<h2>Mitigations</h2><p>Organizations should consider alerting on or blocking the following services:</p><ul><li>*.000[.]pe</li><li>*.1cooldns[.]com</li></ul>';
    const extraction = extractIocs(html, { html: true });
    expect(extraction.iocs).toEqual([]);
    expect(held(extraction, '000.pe').reason).toBe('section:mitigation');
    expect(held(extraction, '1cooldns.com').reason).toBe('section:mitigation');
  });

  it('AA25-163A: a contact address is a reference of the article', () => {
    const extraction = extractIocs('SimpleHelp users or vendors can contact support@simple-help.com for assistance with queries or concerns.', { html: false });
    expect(held(extraction, 'support@simple-help.com').as).toBe('reference');
  });
});

describe('warning-listed values are never IOCs of an article', () => {
  const benign = [
    '10.0.0.5',
    '192.168.1.20',
    '8.8.8.8',
    '127.0.0.1',
    '203.0.113.9',
    'example.com',
    'microsoft.com',
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  ];

  it.each(benign)('%s, defanged, in an IOC table, near "C2"', (value) => {
    const defanged = value.replaceAll('.', '[.]');
    const html = `<h2>Indicators of Compromise</h2><table><tr><td>${defanged}</td><td>C2 server</td></tr></table>`;
    expect(held(extractIocs(html, { html: true }), value).reason).toMatch(/^warninglist:/);
  });

  it('a URL on a vendor site is a reference, a file on a user-content platform is an IOC', () => {
    const extraction = extractIocs('- hxxps://learn[.]microsoft[.]com/en-us/security\n- hxxps://raw[.]githubusercontent[.]com/evil/x/main/stage2.ps1\n', { html: false });
    expect(held(extraction, 'https://learn.microsoft.com/en-us/security')).toMatchObject({ as: 'reference', reason: 'warninglist:vendor domain (Microsoft)' });
    expect(find(extraction, 'https://raw.githubusercontent.com/evil/x/main/stage2.ps1').confidence).toBe('high');
  });

  it('a code-hosting project page, a file-sharing service, a mining pool and a news site are not indicators', () => {
    const text = 'The actors downloaded Mimikatz from https://github.com/gentilkiwi/mimikatz, staged data on mega.nz, mined at pool.supportxmr.com, as https://www.bleepingcomputer.com/news/security/x/ reported.';
    const extraction = extractIocs(text, { html: false });
    expect(extraction.iocs).toEqual([]);
    expect(held(extraction, 'https://github.com/gentilkiwi/mimikatz')).toMatchObject({ as: 'suppressed', reason: 'tool_project_page' });
    for (const value of ['mega.nz', 'pool.supportxmr.com', 'https://www.bleepingcomputer.com/news/security/x/']) {
      expect(held(extraction, value).as).toBe('reference');
    }
    // A file served from the same platform is the actor's payload.
    const payload = extractIocs('The actors downloaded the loader from https://github.com/evil-ops/kit/releases/download/v1/loader.exe.', { html: false });
    expect(payload.iocs.map((ioc) => ioc.value)).toEqual(['https://github.com/evil-ops/kit/releases/download/v1/loader.exe']);
  });
});

describe('keywords', () => {
  it('"contacted" is evidence for, "contact" against', () => {
    const c2 = find(extractIocs('The implant contacted 45.77.12.9 over HTTPS.', { html: false }), '45.77.12.9');
    expect(c2.reasons).toContain('near_keyword');
    expect(c2.reasons.some((reason) => reason.startsWith('negative_keyword'))).toBe(false);
    const help = held(extractIocs('For help, contact help@vendor-support.net today.', { html: false }), 'help@vendor-support.net');
    expect(help.reason).toBe('negative_keyword:contact');
  });

  it('domains that "imitate legitimate" services are accused, not acquitted, by the word', () => {
    const extraction = extractIocs('The actor registered domains that imitate legitimate software vendors, such as zoom-update.net.', { html: false });
    expect(find(extraction, 'zoom-update.net').reasons).toContain('near_keyword');
  });

  it('a sentence that leads into a list makes its plain values indicators', () => {
    const extraction = extractIocs('The malware connected to the following C2 servers:\n\n- 45.77.12.9\n- update-check.net\n', { html: false });
    expect(find(extraction, '45.77.12.9').reasons).toEqual(expect.arrayContaining(['ioc_context', 'ioc_list']));
    expect(find(extraction, 'update-check.net').confidence).toBe('high');
  });
});

describe('sections', () => {
  it('a Summary or Technical Details heading inside an IOC document keeps its values in the IOC part', () => {
    const text = '# Indicators of Compromise Pertaining to a Campaign\n\n## Technical Details\n\n<table>\n<tr><td>93.119.208.86</td></tr>\n</table>\n';
    expect(find(extractIocs(text, { html: false }), '93.119.208.86').reasons).toEqual(expect.arrayContaining(['ioc_section', 'ioc_table']));
  });

  it('values "associated with this activity" are accused', () => {
    const extraction = extractIocs('The following domains are associated with this activity: update-check.net and cdn-sync.org.', { html: false });
    expect(extraction.iocs.map((ioc) => ioc.value)).toEqual(['update-check.net', 'cdn-sync.org']);
  });
});
