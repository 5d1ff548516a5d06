import { describe, expect, it } from 'vitest';
import { detectIocType, parseIoc, type IocType } from '../../../src/ioc/index.js';

describe('detectIocType', () => {
  it.each<[string, IocType | null]>([
    ['CVE-2024-3400', 'cve'],
    ['cve-2021-44228', 'cve'],
    ['T1059', 'mitre_attack'],
    ['T1059.001', 'mitre_attack'],
    ['d41d8cd98f00b204e9800998ecf8427e', 'md5'],
    ['da39a3ee5e6b4b0d3255bfef95601890afd80709', 'sha1'],
    ['e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'sha256'],
    ['a'.repeat(128), 'sha512'],
    ['a'.repeat(31), null],
    ['deadbeef', null],
    ['john@evil.com', 'email'],
    ['john[@]evil[.]com', 'email'],
    ['http://1.2.3.4/', 'url'],
    ['http://john@evil.com/', 'url'],
    ['hxxp://evil[.]com', 'url'],
    ['1.2.3.4', 'ipv4'],
    ['1.2.3.4/24', 'ipv4'],
    ['1.2.3.4/33', null],
    ['1.2.3.4/bin.sh', 'url'],
    ['1.2.3.4:8080', null],
    ['::1', 'ipv6'],
    ['2001:db8::/32', 'ipv6'],
    ['::ffff:1.2.3.4', 'ipv6'],
    ['[2001:db8::1]', 'ipv6'],
    ['evil.com', 'domain'],
    ['evil.com/x', 'url'],
    ['evil.com/', null],
    ['medium.com/@user', 'url'],
    ['evil.com:8080', null],
    ['invoice.zip', 'domain'],
    ['virus.exe', null],
    ['W64/BURNTCIGAR.CA!tr', null],
    ['1a.de', 'domain'],
    ['t1059.com', 'domain'],
    ['cve-2024-3400.com', 'domain'],
    ['localhost', null],
    ['just some words', null],
    ['', null],
  ])('%s → %s', (input, expected) => {
    expect(detectIocType(input)).toBe(expected);
  });
});

describe('parseIoc', () => {
  it('uses the given type instead of detecting', () => {
    const result = parseIoc('evil.com', 'url');
    expect(result.ok && result.ioc.value).toBe('http://evil.com/');
  });

  it('gives the reason of the first type the value looked like', () => {
    expect(parseIoc('256.1.1.1')).toEqual({ ok: false, reason: 'not a valid IPv4 address: octet 256 out of range' });
    expect(parseIoc('virus.exe')).toEqual({ ok: false, reason: 'domain has no public suffix: virus.exe' });
  });

  it('does not leak notes from a type that was tried and refused', () => {
    // `1A.de` is tried as IPv4 first; only the domain's own notes remain.
    const result = parseIoc('1A.de');
    expect(result.ok && result.ioc.notes).toEqual(['lowercased']);
  });

  it('refuses a value too long to be an IOC', () => {
    expect(parseIoc(`http://evil.com/${'a'.repeat(9000)}`)).toEqual({ ok: false, reason: 'value longer than 8192 characters' });
  });

  it('stays fast on long junk lines near the length limit', () => {
    const junk = [`${'a.'.repeat(4000)} x`, `${'1.'.repeat(4000)}/`, `${'a:'.repeat(4000)}%`, `${'[.]'.repeat(2700)}`];
    const started = performance.now();
    for (const text of junk) parseIoc(text);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('shortens a long value inside a reason', () => {
    const result = parseIoc(`${'x'.repeat(500)} y`);
    expect(!result.ok && result.reason.length).toBeLessThan(120);
  });
});
