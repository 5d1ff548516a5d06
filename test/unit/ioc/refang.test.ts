// The one grammar of defang forms (src/ioc/refang.ts), through both of its entry points: search's
// refang() and extraction's refangWithMap(), which must give the same text and map it back.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defang, refang, refangWithMap } from '../../../src/ioc/index.js';
import { DEFANG_FORMS, MAX_REFANG_PASSES } from '../../../src/ioc/refang.js';

/** Each defanged form, written as reports write it, and what it stands for. */
const FORMS: [written: string, meant: string][] = [
  // 1. schemes, before `:`, `[:` or `[[:`
  ['hxxp://evil.com', 'http://evil.com'],
  ['hxxps://evil.com', 'https://evil.com'],
  ['hXXp://evil.com', 'http://evil.com'],
  ['HXXPS://evil.com', 'https://evil.com'],
  ['h**p://evil.com', 'http://evil.com'],
  ['h**ps://evil.com', 'https://evil.com'],
  ['fxp://files.evil.com', 'ftp://files.evil.com'],
  ['fxps://files.evil.com', 'ftps://files.evil.com'],
  // 3. colon and slashes in square brackets, single or doubled
  ['hxxp[:]//evil.com', 'http://evil.com'],
  ['hxxps[://]evil.com', 'https://evil.com'],
  ['hxxp[[:]]//x.com', 'http://x.com'],
  ['hxxp[[://]]x.com', 'http://x.com'],
  ['http[:]//evil.com', 'http://evil.com'],
  ['http:[/][/]evil.com', 'http://evil.com'],
  ['http:[//]evil.com', 'http://evil.com'],
  // 2. a dot or at sign in one or two brackets, with blanks inside and out
  ['evil[.]com', 'evil.com'],
  ['evil(.)com', 'evil.com'],
  ['evil{.}com', 'evil.com'],
  ['evil[[.]]com', 'evil.com'],
  ['evil((.))com', 'evil.com'],
  ['evil{{dot}}com', 'evil.com'],
  ['evil[dot]com', 'evil.com'],
  ['evil(dot)com', 'evil.com'],
  ['evil{dot}com', 'evil.com'],
  ['evil[DOT]com', 'evil.com'],
  ['evil [dot] com', 'evil.com'],
  ['evil [.] com', 'evil.com'],
  ['evil[ . ]com', 'evil.com'],
  ['user[@]evil.com', 'user@evil.com'],
  ['user(@)evil.com', 'user@evil.com'],
  ['user{@}evil.com', 'user@evil.com'],
  ['user[at]evil.com', 'user@evil.com'],
  ['user(at)evil.com', 'user@evil.com'],
  ['user [AT] evil [DOT] com', 'user@evil.com'],
  // 4. an escaped dot; 5. zero-width characters
  ['evil\\.com', 'evil.com'],
  ['evil\u200B.com', 'evil.com'],
  ['evil.\uFEFFcom', 'evil.com'],
  // forms whose undoing leaves a form: scanned again
  ['evil[[[.]]]com', 'evil.com'],
  ['evil[\\.]com', 'evil.com'],
  ['h\u200Bxxp://evil.com', 'http://evil.com'],
  // whole values
  ['hxxps://evil[.]com:443/Path?q=1#frag', 'https://evil.com:443/Path?q=1#frag'],
  ['hxxps[:]//evil[.]com[/]a.bin', 'https://evil.com/a.bin'],
  ['45[.]77[.]12[.]9', '45.77.12.9'],
];

/** Text that holds no form, however close it comes. */
const NOT_FORMS = [
  'evil.com',
  'the word dot and at stay: a dot com',
  'meet at noon, dot the i',
  'hxxp without a colon stays',
  'a (note) and [citation] stay',
  'array[0] and f(x)',
  'fxp is a word',
  'ahxxp://x',
  'smile (:) and {:}',
  'a.}b and {.x',
  '',
];

describe('the defang grammar, through search and extraction', () => {
  it.each(FORMS)('%s → %s', (written, meant) => {
    expect(refang(written)).toBe(meant);
    // In a sentence, as extraction reads it: the same text, and the value maps back to its span.
    const before = 'Seen at ';
    const sentence = `${before}${written} today.`;
    const mapped = refangWithMap(sentence);
    expect(mapped.text).toBe(refang(sentence));
    expect(mapped.text).toBe(`${before}${meant} today.`);
    const start = before.length;
    const end = start + meant.length;
    expect(mapped.toOriginal(start)).toBe(before.length);
    expect(mapped.toOriginal(end)).toBe(before.length + written.length);
    expect(mapped.isDefanged(start, end)).toBe(true);
    expect(mapped.isDefanged(0, start - 1)).toBe(false);
    expect(mapped.toOriginal(mapped.text.length - 1)).toBe(sentence.length - 1);
  });

  it('the issue 10 example: hxxp[[:]]//x.com is http://x.com in both', () => {
    expect(refang('hxxp[[:]]//x.com')).toBe('http://x.com');
    expect(refangWithMap('hxxp[[:]]//x.com').text).toBe('http://x.com');
  });

  it.each(NOT_FORMS)('leaves ordinary text alone: %s', (text) => {
    expect(refang(text)).toBe(text);
    const mapped = refangWithMap(text);
    expect(mapped.text).toBe(text);
    expect(mapped.isDefanged(0, text.length)).toBe(false);
    expect(mapped.toOriginal(3)).toBe(3);
  });

  it('returns the very same string when there is nothing to undo', () => {
    const text = 'https://evil.com/path?q=1';
    expect(Object.is(refang(text), text)).toBe(true);
  });

  it('finds each form where the documented pattern finds it, in both entry points (the scanner is written by hand)', () => {
    // The pattern's groups: scheme and `s`, the sign in [[ ]], (( )), {{ }} or one bracket,
    // the separator in [[ ]] or [ ], the escaped dot.
    const once = (text: string) =>
      text.replace(DEFANG_FORMS, (...match: (string | undefined)[]) => {
        const [, scheme, secure, ...rest] = match;
        const dotOrAt = rest.slice(0, 4).find((group) => group !== undefined);
        const separator = rest.slice(4, 6).find((group) => group !== undefined);
        if (scheme !== undefined) return (scheme[0]?.toLowerCase() === 'f' ? 'ftp' : 'http') + (secure ? 's' : '');
        if (dotOrAt !== undefined) return dotOrAt === '.' || dotOrAt.length === 3 ? '.' : '@';
        if (separator !== undefined) return separator;
        if (rest[6] !== undefined) return '.';
        return '';
      });
    const reference = (text: string) => {
      let current = text;
      for (let pass = 0; pass < MAX_REFANG_PASSES; pass++) current = once(current);
      return current;
    };
    const piece = fc.constantFrom(
      ...'hHfFxXpPsS*[[]]((){}..::/@  \tdotaAT\\\u200B\uFEFF1_e-'.split(''),
      'hxxp', 'h**p', '[.]', '[[.]]', '[:]', '[[:]]', '[://]', '(dot)', '[at]', '://', 'fxp', 'evil', '\\.',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 16 }), (pieces) => {
        const text = pieces.join('');
        const mapped = refangWithMap(text);
        expect(mapped.text).toBe(reference(text));
        expect(refang(text)).toBe(mapped.text);
        // What no form produced maps back to the same character as written.
        for (let i = 0; i < mapped.text.length; i++) {
          if (!mapped.isDefanged(i, i + 1)) expect(text[mapped.toOriginal(i)]).toBe(mapped.text[i]);
        }
      }),
      { numRuns: 20_000 },
    );
  });

  it('stays fast on a long run of blanks and on deep nesting', () => {
    const started = performance.now();
    refang(`${' '.repeat(200_000)}x`);
    refangWithMap(`${'['.repeat(200_000)}.${']'.repeat(200_000)}`);
    expect(performance.now() - started).toBeLessThan(1000);
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
