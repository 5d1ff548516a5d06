// Defanged forms. Sentences marked AA25-141A are copied from CISA advisory AA25-141A (public
// domain; see test/fixtures/README.md).
import { describe, expect, it } from 'vitest';
import { extractIocs, type ExtractedIoc } from '../../../src/extract/index.js';
import { refangWithMap } from '../../../src/ioc/refang.js';

function values(text: string): string[] {
  return extractIocs(text, { html: false }).iocs.map((ioc) => `${ioc.type} ${ioc.value}`);
}

function only(text: string): ExtractedIoc {
  const iocs = extractIocs(text, { html: false }).iocs;
  expect(iocs).toHaveLength(1);
  return iocs[0] as ExtractedIoc;
}

describe('defanged forms', () => {
  it.each([
    ['Beacons went to evil[.]com over TLS.', 'domain evil.com'],
    ['Beacons went to evil(.)com over TLS.', 'domain evil.com'],
    ['Beacons went to evil{.}com over TLS.', 'domain evil.com'],
    ['Beacons went to evil[dot]com over TLS.', 'domain evil.com'],
    ['Beacons went to evil(dot)com over TLS.', 'domain evil.com'],
    ['Beacons went to evil [.] com over TLS.', 'domain evil.com'],
    ['Beacons went to evil[[.]]com over TLS.', 'domain evil.com'],
    ['Beacons went to evil\\.com over TLS.', 'domain evil.com'],
    ['Beacons went to evil\u200B.com over TLS.', 'domain evil.com'],
    ['The loader fetched hxxp://evil[.]com/a.bin first.', 'url http://evil.com/a.bin'],
    ['The loader fetched hXXps://evil[.]com/a.bin first.', 'url https://evil.com/a.bin'],
    ['The loader fetched hxxps[:]//evil[.]com[/]a.bin first.', 'url https://evil.com/a.bin'],
    ['The loader fetched h**p://evil[.]com/a.bin first.', 'url http://evil.com/a.bin'],
    ['The loader fetched fxp://files[.]evil[.]com/a.bin first.', 'url ftp://files.evil.com/a.bin'],
    ['Phishing came from admin[@]evil[.]com today.', 'email admin@evil.com'],
    ['Phishing came from admin(at)evil[.]com today.', 'email admin@evil.com'],
    ['The C2 was 45[.]77[.]12[.]9 on port 443.', 'ipv4 45.77.12.9'],
  ])('%s', (text, expected) => {
    expect(values(text)).toEqual([expected]);
    expect(only(text).reasons).toContain('defanged');
  });

  it('AA25-141A: a defanged e-mail keeps its dots and subdomains', () => {
    const ioc = only('- sarah@cosmicgold469[.]co[.]za');
    expect(ioc).toMatchObject({ type: 'email', value: 'sarah@cosmicgold469.co.za' });
    expect(ioc.reasons).toContain('defanged');
  });

  it('issue 10: extraction undoes hxxp[[:]]// as search does', () => {
    const ioc = only('The dropper called hxxp[[:]]//xq.com before the payload ran.');
    // http://xq.com, in its canonical form (the root path written out).
    expect(ioc).toMatchObject({ type: 'url', value: 'http://xq.com/', context: 'The dropper called hxxp[[:]]//xq.com before the payload ran.' });
    expect(ioc.reasons).toContain('defanged');
  });

  it('plain values are not marked defanged', () => {
    expect(only('The C2 was 45.77.12.9 on port 443.').reasons).not.toContain('defanged');
  });

  it('the word "hxxp" or "dot" in prose is left alone', () => {
    expect(values('Authors write hxxp instead of http, and dot instead of a period.')).toEqual([]);
  });
});

describe('refangWithMap', () => {
  it('maps refanged offsets back to what was written', () => {
    const written = 'see hxxps://evil[.]com/x now';
    const refanged = refangWithMap(written);
    expect(refanged.text).toBe('see https://evil.com/x now');
    const start = refanged.text.indexOf('evil');
    expect(written.slice(refanged.toOriginal(start), refanged.toOriginal(start) + 4)).toBe('evil');
    const now = refanged.text.indexOf('now');
    expect(written.slice(refanged.toOriginal(now))).toBe('now');
    expect(refanged.isDefanged(refanged.text.indexOf('evil'), refanged.text.indexOf('/x'))).toBe(true);
    expect(refanged.isDefanged(0, 3)).toBe(false);
  });

  it('text without defang forms comes back unchanged', () => {
    const refanged = refangWithMap('plain evil.com');
    expect(refanged.text).toBe('plain evil.com');
    expect(refanged.toOriginal(6)).toBe(6);
    expect(refanged.isDefanged(0, 14)).toBe(false);
  });
});
