// Per-type tables live in the published vectors (vectors.test.ts); these are the rules that a
// table of single values does not show well, and the regressions named in user-needs rows 4 and 9.
import { describe, expect, it } from 'vitest';
import { MAX_URL_LENGTH, normalizeIoc, parseIoc, type IocType } from '../../../src/ioc/index.js';

function valueOf(type: IocType, raw: string): string | undefined {
  const result = normalizeIoc(type, raw);
  return result.ok ? result.ioc.value : undefined;
}

function reasonOf(type: IocType, raw: string): string | undefined {
  const result = normalizeIoc(type, raw);
  return result.ok ? undefined : result.reason;
}

describe('regressions', () => {
  it('virus.exe is not a domain (file2stix #8)', () => {
    expect(reasonOf('domain', 'virus.exe')).toBe('domain has no public suffix: virus.exe');
  });

  it('an AV name is not a domain (ioc-finder #279)', () => {
    expect(parseIoc('W64/BURNTCIGAR.CA!tr').ok).toBe(false);
  });

  it('invoice.zip is a domain: .zip is a real TLD', () => {
    expect(valueOf('domain', 'invoice.zip')).toBe('invoice.zip');
  });

  it('MD5 upper and lower case are one value (opencti #14645)', () => {
    expect(valueOf('md5', 'D41D8CD98F00B204E9800998ECF8427E')).toBe(valueOf('md5', 'd41d8cd98f00b204e9800998ecf8427e'));
  });

  it('Example.com and example.com are one value (MISP #11117)', () => {
    expect(valueOf('domain', 'Example.com')).toBe('example.com');
  });

  it('a defanged URL with default port and fragment', () => {
    expect(valueOf('url', 'hxxps://evil[.]com:443/Path?q=1#frag')).toBe('https://evil.com/Path?q=1');
  });

  it('IPv6 in full form compresses to RFC 5952', () => {
    expect(valueOf('ipv6', '2001:0db8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
  });
});

describe('ipv4', () => {
  it.each(['0x7f.0.0.1', '0177.0.0.1.1', '127.1', '2130706433', '1.2.3.4.', '1.2.3.-4', '1.2.3.4/', '1.2.3.4/08/1'])(
    'refuses the non-dotted-quad form %s',
    (raw) => {
      expect(normalizeIoc('ipv4', raw).ok).toBe(false);
    },
  );

  it('reads zero padding as decimal', () => {
    expect(valueOf('ipv4', '192.168.001.010')).toBe('192.168.1.10');
  });

  it('clears host bits of a network and keeps /0', () => {
    expect(valueOf('ipv4', '1.2.3.4/0')).toBe('0.0.0.0/0');
    expect(valueOf('ipv4', '1.2.3.4/31')).toBe('1.2.3.4/31');
    expect(valueOf('ipv4', '1.2.3.5/31')).toBe('1.2.3.4/31');
    expect(valueOf('ipv4', '10.0.0.1/08')).toBe('10.0.0.0/8');
  });
});

describe('ipv6', () => {
  it('refuses an IPv4 address and a zone id', () => {
    expect(normalizeIoc('ipv6', '1.2.3.4').ok).toBe(false);
    expect(reasonOf('ipv6', 'fe80::1%25eth0')).toContain('zone ids');
  });

  it('reads ::a.b.c.d as the IPv4-compatible address, not as IPv4-mapped', () => {
    expect(valueOf('ipv6', '::1.2.3.4')).toBe('::102:304');
    expect(valueOf('ipv6', '::ffff:102:304')).toBe('::ffff:1.2.3.4');
  });

  it('refuses hex octets in an embedded IPv4 part', () => {
    expect(normalizeIoc('ipv6', '::ffff:0x7f.0.0.1').ok).toBe(false);
  });
});

describe('domain', () => {
  it('refuses what is not a hostname', () => {
    expect(reasonOf('domain', 'http://evil.com/')).toBe('not a valid domain: unexpected character ":"');
    expect(reasonOf('domain', 'evil.com..')).toBe('not a valid domain: empty label in evil.com.');
    expect(reasonOf('domain', `${'a.'.repeat(127)}com`)).toBe('not a valid domain: longer than 253 characters');
  });

  it('accepts a label of 63 characters and underscores', () => {
    expect(valueOf('domain', `${'a'.repeat(63)}.com`)).toBe(`${'a'.repeat(63)}.com`);
    expect(valueOf('domain', 'my_host.example.com')).toBe('my_host.example.com');
  });

  it('treats private suffixes as domains under their ICANN suffix', () => {
    expect(valueOf('domain', 'github.io')).toBe('github.io');
    expect(valueOf('domain', 'evil.github.io')).toBe('evil.github.io');
  });
});

describe('url', () => {
  it('keeps path and query case, lower-cases scheme and host', () => {
    expect(valueOf('url', 'HTTPS://EVIL.COM/Admin/Login.PHP?User=X')).toBe('https://evil.com/Admin/Login.PHP?User=X');
  });

  it('keeps a non-default port and drops the default one of each scheme', () => {
    expect(valueOf('url', 'https://evil.com:80/')).toBe('https://evil.com:80/');
    expect(valueOf('url', 'ftp://evil.com:21/x')).toBe('ftp://evil.com/x');
    expect(valueOf('url', 'ws://evil.com:80/x')).toBe('ws://evil.com/x');
  });

  it('notes every change it makes', () => {
    const result = normalizeIoc('url', ' HXXP://User:Pw@EVIL[.]com:80/a/../B?q=1#top ');
    expect(result).toEqual({
      ok: true,
      ioc: {
        type: 'url',
        value: 'http://evil.com/B?q=1',
        normalized: 'http://evil.com/B?q=1',
        notes: [
          'trimmed',
          'refanged',
          'lowercased',
          'url_userinfo_removed',
          'url_default_port_removed',
          'url_fragment_removed',
          'url_canonicalized',
        ],
      },
    });
  });

  it('keeps trailing punctuation that a path may end with', () => {
    expect(valueOf('url', 'http://evil.com/a,')).toBe('http://evil.com/a,');
    expect(valueOf('url', 'http://evil.com/wiki/X_(y)')).toBe('http://evil.com/wiki/X_(y)');
  });

  it('refuses a host that is neither an IP nor a real domain', () => {
    expect(reasonOf('url', 'http://virus.exe/')).toBe('not a valid URL host: domain has no public suffix: virus.exe');
    expect(reasonOf('url', 'http://intranet/')).toBe('not a valid URL host: domain has no public suffix: intranet');
  });

  it('refuses other schemes and URLs past the length limit', () => {
    expect(reasonOf('url', 'file:///etc/passwd')).toBe('unsupported URL scheme: file');
    expect(reasonOf('url', `http://evil.com/${'a'.repeat(MAX_URL_LENGTH)}`)).toBe(`URL longer than ${MAX_URL_LENGTH} characters`);
  });

  it('needs a real host for a URL without scheme', () => {
    expect(reasonOf('url', 'virus.exe/payload')).toBe('not a valid URL host: domain has no public suffix: virus.exe');
  });
});

describe('email', () => {
  it('lower-cases the whole address and punycodes the domain', () => {
    expect(valueOf('email', 'Admin@Bücher.DE')).toBe('admin@xn--bcher-kva.de');
  });

  it('refuses an IP literal domain and an over-long local part', () => {
    expect(normalizeIoc('email', 'root@1.2.3.4').ok).toBe(false);
    expect(reasonOf('email', `${'a'.repeat(65)}@evil.com`)).toBe('not a valid email address: local part longer than 64 characters');
  });
});

describe('ids', () => {
  it('shows CVE and ATT&CK ids upper case and keys them lower case', () => {
    expect(normalizeIoc('cve', 'cve-2024-3400')).toMatchObject({ ioc: { value: 'CVE-2024-3400', normalized: 'cve-2024-3400' } });
    expect(normalizeIoc('mitre_attack', 't1059.001')).toMatchObject({ ioc: { value: 'T1059.001', normalized: 't1059.001' } });
  });

  it('refuses a hash of the wrong length for its type', () => {
    expect(reasonOf('sha1', 'd41d8cd98f00b204e9800998ecf8427e')).toBe('not a valid sha1: expected 40 hex characters, got 32');
  });
});
