import { describe, expect, it } from 'vitest';
import { defang, refang } from '../../../src/ioc/index.js';

describe('refang', () => {
  it.each([
    ['hxxp://evil.com', 'http://evil.com'],
    ['hxxps://evil.com', 'https://evil.com'],
    ['hXXp://evil.com', 'http://evil.com'],
    ['HXXPS://evil.com', 'https://evil.com'],
    ['h**p://evil.com', 'http://evil.com'],
    ['h**ps://evil.com', 'https://evil.com'],
    ['fxp://files.evil.com', 'ftp://files.evil.com'],
    ['hxxp[:]//evil.com', 'http://evil.com'],
    ['hxxps[://]evil.com', 'https://evil.com'],
    ['http[:]//evil.com', 'http://evil.com'],
    ['http:[/][/]evil.com', 'http://evil.com'],
    ['http:[//]evil.com', 'http://evil.com'],
    ['evil[.]com', 'evil.com'],
    ['evil(.)com', 'evil.com'],
    ['evil{.}com', 'evil.com'],
    ['evil[dot]com', 'evil.com'],
    ['evil(dot)com', 'evil.com'],
    ['evil{dot}com', 'evil.com'],
    ['evil[DOT]com', 'evil.com'],
    ['evil [dot] com', 'evil.com'],
    ['evil [.] com', 'evil.com'],
    ['evil[ . ]com', 'evil.com'],
    ['evil\\.com', 'evil.com'],
    ['user[@]evil.com', 'user@evil.com'],
    ['user(@)evil.com', 'user@evil.com'],
    ['user[at]evil.com', 'user@evil.com'],
    ['user(at)evil.com', 'user@evil.com'],
    ['user [AT] evil [DOT] com', 'user@evil.com'],
    ['evil[[.]]com', 'evil.com'],
    ['evil\u200B.com', 'evil.com'],
    ['hxxps://evil[.]com:443/Path?q=1#frag', 'https://evil.com:443/Path?q=1#frag'],
    ['Seen at hxxp://1[.]2[.]3[.]4/a and evil[.]com.', 'Seen at http://1.2.3.4/a and evil.com.'],
  ])('%s → %s', (input, expected) => {
    expect(refang(input)).toBe(expected);
  });

  it.each([
    'evil.com',
    'the word dot and at stay: a dot com',
    'hxxp without a colon stays',
    'a (note) and [citation] stay',
    'array[0] and f(x)',
    'fxp is a word',
    '',
  ])('leaves ordinary text alone: %s', (text) => {
    expect(refang(text)).toBe(text);
  });

  it('returns the very same string when there is nothing to undo', () => {
    const text = 'https://evil.com/path?q=1';
    expect(Object.is(refang(text), text)).toBe(true);
  });

  it('stays fast on a long run of blanks', () => {
    const text = `${' '.repeat(200_000)}x`;
    const started = performance.now();
    refang(text);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('defang', () => {
  it.each([
    ['http://evil.com/a', 'hxxp://evil[.]com/a'],
    ['https://evil.com/a.php', 'hxxps://evil[.]com/a[.]php'],
    ['ftp://files.evil.com/x', 'fxp://files[.]evil[.]com/x'],
    ['wss://evil.com/', 'wss://evil[.]com/'],
    ['evil.com', 'evil[.]com'],
    ['1.2.3.4', '1[.]2[.]3[.]4'],
    ['::ffff:1.2.3.4', '::ffff:1[.]2[.]3[.]4'],
    ['john.doe@evil.com', 'john[.]doe[@]evil[.]com'],
    ['http://evil.com/http://x', 'hxxp://evil[.]com/http://x'],
  ])('%s → %s', (value, expected) => {
    expect(defang(value)).toBe(expected);
    expect(refang(defang(value))).toBe(value);
  });

  it('leaves hashes, CVE and ATT&CK ids alone when the type is given', () => {
    expect(defang('T1059.001', 'mitre_attack')).toBe('T1059.001');
    expect(defang('CVE-2024-3400', 'cve')).toBe('CVE-2024-3400');
    expect(defang('d41d8cd98f00b204e9800998ecf8427e', 'md5')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(defang('evil.com', 'domain')).toBe('evil[.]com');
  });
});
