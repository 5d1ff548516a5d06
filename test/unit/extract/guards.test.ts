// Look-alikes that are not IOCs (spec: user needs #9). Sentences marked AA25-141A /
// AA25-163A are copied from those CISA advisories (public domain; see test/fixtures/README.md).
import { describe, expect, it } from 'vitest';
import { extractIocs } from '../../../src/extract/index.js';

function values(text: string, articleUrl?: string): string[] {
  return extractIocs(text, { html: false, ...(articleUrl === undefined ? {} : { articleUrl }) }).iocs.map((ioc) => `${ioc.type} ${ioc.value}`);
}

describe("the article's own URL and site", () => {
  const url = 'https://www.bleepingcomputer.com/news/security/new-loader-targets-banks/';

  it('drops the article URL, its domain and other pages of the same site', () => {
    const text =
      'Originally published at https://www.bleepingcomputer.com/news/security/new-loader-targets-banks/ and mirrored at bleepingcomputer.com. ' +
      'See also https://www.bleepingcomputer.com/news/security/older-story/ for background. The loader calls update-cdn[.]info.';
    expect(values(text, url)).toEqual(['domain update-cdn.info']);
  });

  it('keeps everything when no article URL is given', () => {
    expect(values('Published at https://www.bleepingcomputer.com/news/x/ today.')).toEqual(['url https://www.bleepingcomputer.com/news/x/']);
  });

  it('a site on a shared platform is only its own subdomain', () => {
    const text = 'Read more at https://researcher.github.io/posts/2 and the loader came from https://attacker.github.io/x.js today.';
    expect(values(text, 'https://researcher.github.io/posts/1')).toEqual(['url https://attacker.github.io/x.js']);
  });
});

describe('anti-virus detection names (ioc-finder #279)', () => {
  it.each([
    'Fortinet detects it as W64/BURNTCIGAR.CA!tr and blocks it.',
    'Defender reports Trojan:Win32/Qakbot.PA!MTB on the host.',
    'Kaspersky names it HEUR:Trojan.Win32.Agent.gen in its logs.',
    'Another engine calls it Trojan.Win32.Generic.ab today.',
  ])('%s', (text) => {
    expect(values(text)).toEqual([]);
  });

  it('a real domain next to an AV name is kept', () => {
    expect(values('Detected as W64/BURNTCIGAR.CA!tr; it called back to burntcigar-c2[.]ca daily.')).toEqual(['domain burntcigar-c2.ca']);
  });
});

describe('file names that look like domains (file2stix #8)', () => {
  it('AA25-141A: archive and script names are not domains', () => {
    const text =
      'Malicious Archive Filenames Involving CVE-2023-38831\n\n- calc.war.zip\n\n- news_week_6.zip\n\n- Roadmap.zip\n\n- SEDE-PV-2023-10-09-1_EN.zip\n\n' +
      'The actors leveraged python scripts to retrieve plaintext passwords via Group Policy Preferences using Get-GPPPassword.py and a modified ldap-dump.py.';
    expect(values(text)).toEqual(['cve CVE-2023-38831']);
  });

  it('AA25-163A: executables are not domains', () => {
    expect(values('Search for any suspicious or anomalous executables with three alphabetic letter filenames (e.g., aaa.exe, bbb.exe, etc.).')).toEqual([]);
  });

  it('the same TLDs are domains when the author defangs them or gives a scheme', () => {
    expect(values('The lure pointed to invoice-review[.]zip and to https://github-update.mov/x today.')).toEqual([
      'domain invoice-review.zip',
      'url https://github-update.mov/x',
    ]);
  });

  it('.pl is a country: kept, unless the sentence speaks of a script', () => {
    expect(values('The phishing kit was hosted on poczta-logowanie.pl last week.')).toEqual(['domain poczta-logowanie.pl']);
    expect(values('The attackers ran the Perl script backup.pl on the server.')).toEqual([]);
  });
});

describe('version numbers that look like IPs', () => {
  it.each([
    'Upgrade SimpleHelp to version 5.5.7.1 or later.',
    'Affected builds: 16.0.x before 16.0.1.1, 15.1.x before 15.1.2.1.',
    'Versions 5.1.3.001 through 9.2.0.006 are vulnerable.',
    'Firmware 1.0.0.1 and later is fixed.',
  ])('%s', (text) => {
    expect(values(text).filter((value) => value.startsWith('ipv4'))).toEqual([]);
  });

  it('AA25-163A: a three-part version is no IP at all', () => {
    expect(values('SimpleHelp versions 5.5.7 and earlier contain several vulnerabilities, including CVE-2024-57727.')).toEqual(['cve CVE-2024-57727']);
  });

  it('a range of addresses is not a range of versions', () => {
    expect(values('The scans came from 45.77.12.0 through 45.77.12.255 all night.')).toEqual(['ipv4 45.77.12.0', 'ipv4 45.77.12.255']);
  });

  it('a defanged address after "version" is still an address', () => {
    expect(values('The panel (version 2) sat at 45[.]77[.]12[.]9 all along.')).toEqual(['ipv4 45.77.12.9']);
  });
});

describe('other look-alikes', () => {
  it('product names in capitals are not domains', () => {
    expect(values('Progress Telerik UI for ASP.NET AJAX and VB.NET were affected.')).toEqual([]);
  });

  it('no subdomain truncation (maltrail #19281): the whole host is reported', () => {
    expect(values('Phishing pages sat on admin-mcas.ms.secure-login[.]top all week.')).toEqual(['domain admin-mcas.ms.secure-login.top']);
  });

  it('hosts inside a URL or an e-mail are not reported again as domains', () => {
    expect(values('Stage two: hxxps://cdn.evil[.]com/a.js, sent by ops@mail.evil[.]com.')).toEqual([
      'url https://cdn.evil.com/a.js',
      'email ops@mail.evil.com',
    ]);
  });

  it('code and prose with dots but no public suffix are nothing', () => {
    expect(values('It calls System.Net.HttpListener, os.popen and NTDS.dit; e.g. and i.e. are fine; 1.4.12 too.')).toEqual([]);
  });

  it('IPv6: real addresses yes, C++ scopes and clock times no', () => {
    expect(values('The C2 answered on 2a03:2880:f10c:83:face:b00c:0:25de; std::vector and 12:30:45 are not addresses.')).toEqual([
      'ipv6 2a03:2880:f10c:83:face:b00c:0:25de',
    ]);
  });

  it('ip:port keeps the address, CIDR keeps the network', () => {
    expect(values('C2 at 45[.]77[.]12[.]9:8443 and the range 91[.]149[.]0[.]0/16 were seen.')).toEqual(['ipv4 45.77.12.9', 'ipv4 91.149.0.0/16']);
  });
});
