// Defanging: reports write `hxxp://evil[.]com` so that nobody clicks it; we turn such forms back
// so that a value pasted from a report matches the stored one (spec rule 7).
import type { IocType } from './types.js';

/**
 * Every defang form we undo, in one global pattern so that text is scanned once:
 * 1. a defanged scheme (`hxxp`, `hXXps`, `h**p`, `fxp`), only when a colon follows, so the word
 *    "hxxp" in prose stays;
 * 2. a dot or at sign in brackets (`[.]`, `(dot)`, `{.}`, `[at]`, `(@)`), with up to two blanks
 *    on each side (`evil [dot] com`); the bare word " dot " is never touched;
 * 3. colon and slashes in square brackets (`[:]`, `[://]`, `[/]`, `[//]`);
 * 4. an escaped dot (`evil\.com`);
 * 5. zero-width characters that reports insert to stop auto-linking.
 * Blank runs are bounded ({0,2}) so a long run of spaces cannot make the scan quadratic.
 */
const DEFANG_FORMS =
  /\b(h(?:xx|\*\*)p|fxp)(s?)(?=[[({]?:)|[ \t]{0,2}[[({][ \t]{0,2}(\.|dot|@|at)[ \t]{0,2}[\])}][ \t]{0,2}|\[(:\/\/|:|\/\/?)\]|\\(\.)|[\u200B-\u200D\u2060\uFEFF]/gi;

function undoOneForm(
  _match: string,
  scheme: string | undefined,
  secure: string | undefined,
  dotOrAt: string | undefined,
  colonOrSlashes: string | undefined,
  escapedDot: string | undefined,
): string {
  if (scheme !== undefined) return (scheme[0] === 'f' || scheme[0] === 'F' ? 'ftp' : 'http') + (secure ? 's' : '');
  if (dotOrAt !== undefined) return dotOrAt === '.' || dotOrAt.length === 3 ? '.' : '@';
  if (colonOrSlashes !== undefined) return colonOrSlashes;
  if (escapedDot !== undefined) return '.';
  return ''; // a zero-width character
}

/**
 * Turns defanged forms back into the real characters. Repeats until nothing changes, so
 * nested forms (`[[.]]`) are undone too and `refang(refang(x)) === refang(x)`. Text without any
 * defang form comes back as the same string after one scan.
 */
export function refang(text: string): string {
  let current = text;
  for (;;) {
    const next = current.replace(DEFANG_FORMS, undoOneForm);
    if (next === current) return current;
    current = next;
  }
}

/** Types whose values are clickable or routable, and so are defanged for display. */
const DEFANGED_TYPES: ReadonlySet<IocType> = new Set(['ipv4', 'ipv6', 'domain', 'url', 'email']);

const DEFANGABLE_SCHEME = /^(?:http|ftp)(?=s?:\/\/)/i;

/**
 * The standard defang: `http`/`ftp` at the scheme become `hxxp`/`fxp` (`://` kept), every `.`
 * becomes `[.]` and every `@` becomes `[@]`. With a type, hashes, CVE and ATT&CK ids are
 * returned unchanged, as they are not clickable. For every normalized value v:
 * `refang(defang(v)) === v`.
 */
export function defang(value: string, type?: IocType): string {
  if (type !== undefined && !DEFANGED_TYPES.has(type)) return value;
  return value
    .replace(DEFANGABLE_SCHEME, (scheme) => (scheme[0] === 'h' || scheme[0] === 'H' ? 'hxxp' : 'fxp'))
    .replaceAll('.', '[.]')
    .replaceAll('@', '[@]');
}
