import { describe, expect, it } from 'vitest';
import type { IocType } from '../../../src/ioc/index.js';
import { warningFor } from '../../../src/ioc/warninglist.js';

describe('warningFor: IP ranges', () => {
  it.each<[IocType, string, RegExp]>([
    ['ipv4', '10.1.2.3', /RFC 1918/],
    ['ipv4', '172.16.0.1', /RFC 1918/],
    ['ipv4', '172.31.255.255', /RFC 1918/],
    ['ipv4', '192.168.1.1', /RFC 1918/],
    ['ipv4', '127.0.0.1', /loopback/],
    ['ipv4', '169.254.169.254', /link-local/],
    ['ipv4', '100.64.0.1', /RFC 6598/],
    ['ipv4', '100.127.255.255', /RFC 6598/],
    ['ipv4', '0.0.0.0', /this network/],
    ['ipv4', '224.0.0.251', /multicast/],
    ['ipv4', '255.255.255.255', /broadcast/],
    ['ipv4', '192.0.2.44', /RFC 5737/],
    ['ipv4', '198.51.100.7', /RFC 5737/],
    ['ipv4', '203.0.113.200', /RFC 5737/],
    ['ipv4', '10.0.0.0/8', /RFC 1918/],
    ['ipv4', '192.168.10.0/24', /RFC 1918/],
    ['ipv4', '0.0.0.0/0', /too broad/],
    ['ipv6', '::1', /loopback/],
    ['ipv6', '2001:db8::1', /RFC 3849/],
    ['ipv6', '2001:db8::/32', /RFC 3849/],
    ['ipv6', 'fd12:3456::1', /unique local/],
    ['ipv6', 'fe80::1', /link-local/],
    ['ipv6', 'ff02::1', /multicast/],
    ['ipv6', '::ffff:192.168.1.1', /RFC 1918/],
  ])('%s %s is reserved', (type, value, why) => {
    expect(warningFor(type, value)).toMatch(why);
  });

  it.each<[IocType, string]>([
    ['ipv4', '45.77.12.9'],
    ['ipv4', '172.32.0.1'], // just past 172.16/12
    ['ipv4', '100.128.0.1'], // just past 100.64/10
    ['ipv4', '11.0.0.1'],
    ['ipv4', '192.169.0.1'],
    ['ipv4', '11.0.0.0/16'],
    ['ipv6', '2a03:2880:f10c:83:face:b00c:0:25de'],
    ['ipv6', '2001:db9::1'], // next to the documentation prefix
  ])('%s %s is not', (type, value) => {
    expect(warningFor(type, value)).toBeUndefined();
  });

  it('a network is benign only when wholly inside a range', () => {
    expect(warningFor('ipv4', '10.0.0.0/8')).toBeDefined();
    expect(warningFor('ipv4', '8.8.0.0/16')).toBeUndefined(); // holds 8.8.8.8, and much more
    expect(warningFor('ipv4', '8.0.0.0/7')).toMatch(/too broad/);
    expect(warningFor('ipv4', '172.16.0.0/11')).toBeUndefined(); // wider than 172.16/12
  });

  it('public DNS resolvers, exact addresses only', () => {
    expect(warningFor('ipv4', '8.8.8.8')).toMatch(/Google Public DNS/);
    expect(warningFor('ipv4', '1.1.1.1')).toMatch(/Cloudflare/);
    expect(warningFor('ipv4', '9.9.9.9')).toMatch(/Quad9/);
    expect(warningFor('ipv6', '2606:4700:4700::1111')).toMatch(/Cloudflare/);
    expect(warningFor('ipv4', '8.8.8.9')).toBeUndefined();
    expect(warningFor('ipv4', '1.1.1.2')).toBeUndefined();
    expect(warningFor('ipv4', '8.8.8.0/24')).toBeUndefined();
  });

  it('regression MISP/misp-warninglists #275: a value containing "77" is not listed', () => {
    for (const value of ['77.77.77.77', '177.7.7.7', '45.77.12.9', '7.7.7.77']) expect(warningFor('ipv4', value)).toBeUndefined();
    expect(warningFor('domain', '77.com')).toBeUndefined();
    expect(warningFor('md5', '77777777777777777777777777777777')).toBeUndefined();
  });
});

describe('warningFor: domains, URLs and e-mails', () => {
  it.each([
    ['example.com', /RFC 2606/],
    ['www.example.org', /RFC 2606/],
    ['foo.example', /RFC 2606/],
    ['host.test', /RFC 2606/],
    ['x.invalid', /RFC 2606/],
    ['app.localhost', /RFC 6761/],
    ['printer.local', /RFC 6762/],
    ['microsoft.com', /Microsoft/],
    ['login.microsoft.com', /Microsoft/],
    ['google.com', /Google/],
    ['mail.google.com', /Google/],
    ['github.com', /GitHub/],
    ['cisa.gov', /CISA/],
    ['attack.mitre.org', /MITRE/],
    ['www.virustotal.com', /VirusTotal/],
    ['urlhaus.abuse.ch', /abuse\.ch/],
    ['gmail.com', /webmail/],
  ])('%s is listed', (domain, why) => {
    expect(warningFor('domain', domain)).toMatch(why);
  });

  it.each([
    'evil-google.com', // not google.com: matching is by label, never by substring
    'google.com.evil.net',
    'googlecom.net',
    'notmicrosoft.com',
    'microsoft.com-login.ru',
    'admin-mcas.ms', // maltrail #19281: a truncated subdomain is not Microsoft's
    'example.co',
    'examples.com',
    'evil.com',
  ])('%s is not listed', (domain) => {
    expect(warningFor('domain', domain)).toBeUndefined();
  });

  it('shared services: the service domain is listed, its tenants are not', () => {
    expect(warningFor('domain', 'ngrok.io')).toMatch(/ngrok/);
    expect(warningFor('domain', 'abc123.ngrok.io')).toBeUndefined();
    expect(warningFor('domain', 'webhook.site')).toMatch(/Webhook/);
    expect(warningFor('url', 'https://webhook.site/8f1c9a4e-0000-4000-8000-000000000000')).toBeUndefined();
    expect(warningFor('domain', 'attacker.github.io')).toBeUndefined();
  });

  it('URLs are judged by their host; a path on a user-content platform is not benign', () => {
    expect(warningFor('url', 'https://learn.microsoft.com/en-us/security/')).toMatch(/Microsoft/);
    expect(warningFor('url', 'http://192.168.1.10:8080/x')).toMatch(/RFC 1918/);
    expect(warningFor('url', 'http://[::1]/')).toMatch(/loopback/);
    expect(warningFor('url', 'https://www.example.com/a')).toMatch(/RFC 2606/);
    expect(warningFor('url', 'https://github.com/')).toMatch(/GitHub/);
    expect(warningFor('url', 'https://github.com/evil/loader/releases/download/v1/a.exe')).toBeUndefined();
    expect(warningFor('url', 'https://evil-google.com/')).toBeUndefined();
  });

  it('e-mails are judged by their host, except at webmail providers', () => {
    expect(warningFor('email', 'report@cisa.gov')).toMatch(/CISA/);
    expect(warningFor('email', 'someone@example.com')).toMatch(/RFC 2606/);
    expect(warningFor('email', 'attacker@gmail.com')).toBeUndefined();
    expect(warningFor('email', 'md-shoeb@alfathdoor.com.sa')).toBeUndefined();
  });
});

describe('warningFor: hashes and ids', () => {
  it('the empty file and EICAR', () => {
    expect(warningFor('md5', 'd41d8cd98f00b204e9800998ecf8427e')).toMatch(/empty file/);
    expect(warningFor('sha1', 'da39a3ee5e6b4b0d3255bfef95601890afd80709')).toMatch(/empty file/);
    expect(warningFor('sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')).toMatch(/empty file/);
    expect(
      warningFor(
        'sha512',
        'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e',
      ),
    ).toMatch(/empty file/);
    expect(warningFor('md5', '44d88612fea8a8f36de82e1278abb02f')).toMatch(/EICAR/);
    expect(warningFor('sha256', '0'.repeat(64))).toMatch(/placeholder/);
  });

  it('other hashes, CVE and ATT&CK ids are never listed', () => {
    expect(warningFor('md5', 'd41d8cd98f00b204e9800998ecf8427f')).toBeUndefined();
    expect(warningFor('cve', 'cve-2024-3400')).toBeUndefined();
    expect(warningFor('mitre_attack', 't1059')).toBeUndefined();
  });
});
