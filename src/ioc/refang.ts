// Defanging: reports write `hxxp://evil[.]com` so that nobody clicks it; we turn such forms back
// so that a value pasted from a report matches the stored one (spec rule 7).
//
// This file is the one grammar of defang forms: search (refang) and article extraction
// (refangWithMap, which also maps the refanged text back to what was written) run the same
// scanner, so a form cannot be undone in one and left in the other.
//
// A scan goes left to right: a regex test() finds where a form may start, and a matcher
// written by hand reads the form there, looking at a bounded number of characters: linear in
// the text, and no match array a form (a megabyte of `[.]` is a third of a million forms: with
// exec() the garbage collector was the main cost). A scan's output can hold a new form
// (`[[[.]]]` → `[.]`, `[\.]` → `[.]`), so the scan is repeated until nothing changes, at most
// MAX_REFANG_PASSES times: idempotent on anything a report writes, and still linear on
// `[[[[.]]]]` nested a million deep (which keeps its outer brackets).
import type { IocType } from './types.js';

/**
 * The grammar, as this regular expression (case-insensitive) would find the forms of one scan,
 * leftmost first and in this order at one position (test/unit/ioc/refang.test.ts holds the
 * scanner to it, and lists each form with what it becomes):
 * 1. a defanged scheme (`hxxp`, `hXXps`, `h**p`, `fxp`) → `http`, `https`, `ftp`, only at a
 *    word start and before `:`, `[:` or `[[:`, so the word "hxxp" in prose stays;
 * 2. a dot or at sign in brackets (`[.]`, `(.)`, `{.}`, `[dot]`, `(at)`, `[@]`, and doubled as
 *    `[[.]]`, `((.))`, `{{.}}`) → `.` or `@`, with up to two blanks inside and out
 *    (`evil [.] com`); the bare words " dot " and " at " are never touched ("meet at noon",
 *    "a dot com"). A doubled bracket is the same one twice, closed twice: `{[.]}` is `{.}`,
 *    which keeps `refang(defang(v)) === v` for an e-mail whose local part holds `{` or `}`;
 * 3. colon and slashes in square brackets, single or doubled (`[:]`, `[://]`, `[/]`, `[//]`,
 *    `[[:]]`);
 * 4. an escaped dot (`evil\.com`);
 * 5. zero-width characters inserted to stop auto-linking → nothing.
 * Blank runs are bounded ({0,2}) so a long run of spaces cannot make the scan quadratic.
 */
const BLANKS = '[ \\t]{0,2}';
const SIGN = `${BLANKS}(\\.|dot|@|at)${BLANKS}`;
const SEPARATOR = '(:\\/\\/|:|\\/\\/?)';
export const DEFANG_FORMS = new RegExp(
  [
    '\\b(h(?:xx|\\*\\*)p|fxp)(s?)(?=\\[{0,2}:)',
    `${BLANKS}(?:\\[\\[${SIGN}\\]\\]|\\(\\(${SIGN}\\)\\)|\\{\\{${SIGN}\\}\\}|[[({]${SIGN}[\\])}])${BLANKS}`,
    `\\[\\[${SEPARATOR}\\]\\]|\\[${SEPARATOR}\\]`,
    '\\\\(\\.)',
    '[\\u200B-\\u200D\\u2060\\uFEFF]',
  ].join('|'),
  'gi',
);

/** Scans of a text at most: each undoes two levels of nesting, so only brackets nested deeper than 16 keep some. */
export const MAX_REFANG_PASSES = 8;

export interface RefangedText {
  /** The text with every defang form undone. */
  text: string;
  /** Maps an offset in `text` to the offset in the original. */
  toOriginal(offset: number): number;
  /** True when [start, end) of `text` holds a character that a defang form produced. */
  isDefanged(start: number, end: number): boolean;
}

/** One replaced run of forms: `text[outStart, outStart + outLength)` came from `input[inStart, inEnd)`. */
interface Replacement {
  outStart: number;
  outLength: number;
  inStart: number;
  inEnd: number;
}

/** One scan: its output and the runs it replaced, in order. */
interface Pass {
  text: string;
  replacements: Replacement[];
}

// Character codes. `code | 0x20` is the lower case of an ASCII letter (and of nothing else that
// could equal a lower-case letter).
const TAB = 9;
const SPACE = 32;
const STAR = 42;
const DOT = 46;
const SLASH = 47;
const COLON = 58;
const AT = 64;
const OPEN_SQUARE = 91;
const BACKSLASH = 92;
const CLOSE_SQUARE = 93;

const isBlank = (c: number): boolean => c === SPACE || c === TAB;
const isOpener = (c: number): boolean => c === OPEN_SQUARE || c === 40 /* ( */ || c === 123; /* { */
const isCloser = (c: number): boolean => c === CLOSE_SQUARE || c === 41 /* ) */ || c === 125; /* } */
const isWord = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isZeroWidth = (c: number): boolean => (c >= 0x200b && c <= 0x200d) || c === 0x2060 || c === 0xfeff;
/** Whether `c` is the letter whose lower-case code is `lower`, in either case. */
const is = (c: number, lower: number): boolean => (c | 0x20) === lower;
const A = 97;
const D = 100;
const F = 102;
const H = 104;
const O = 111;
const P = 112;
const S = 115;
const T = 116;
const X = 120;

/** What formAt found: where the form ends and what it stands for. */
let formEnd = 0;
let formText = '';

/** At most two blanks from `at`: the position after them. */
function skipBlanks(text: string, at: number): number {
  if (isBlank(text.charCodeAt(at))) at++;
  if (isBlank(text.charCodeAt(at))) at++;
  return at;
}

/** 1. `hxxp`, `h**p`, `fxp` (then `s`), at a word start and before `:`, `[:` or `[[:`. */
function schemeAt(text: string, at: number): boolean {
  if (at > 0 && isWord(text.charCodeAt(at - 1))) return false;
  const c = text.charCodeAt(at);
  let end: number;
  let scheme: string;
  if (is(c, H)) {
    const a = text.charCodeAt(at + 1);
    const b = text.charCodeAt(at + 2);
    if (!((is(a, X) && is(b, X)) || (a === STAR && b === STAR)) || !is(text.charCodeAt(at + 3), P)) return false;
    end = at + 4;
    scheme = 'http';
  } else {
    if (!is(text.charCodeAt(at + 1), X) || !is(text.charCodeAt(at + 2), P)) return false;
    end = at + 3;
    scheme = 'ftp';
  }
  // The `s` is taken when there is one (without it the look-ahead would see the `s`), and
  // written in lower case like the rest of the scheme.
  let secure = false;
  if (is(text.charCodeAt(end), S)) {
    end++;
    secure = true;
  }
  let next = end;
  if (text.charCodeAt(next) === OPEN_SQUARE) next++;
  if (text.charCodeAt(next) === OPEN_SQUARE) next++;
  if (text.charCodeAt(next) !== COLON) return false;
  formEnd = end;
  formText = secure ? `${scheme}s` : scheme;
  return true;
}

/** The closing bracket of an opening one. */
const closerOf = (c: number): number => (c === OPEN_SQUARE ? CLOSE_SQUARE : c + 1); /* ( ) and { } are adjacent codes */

/** 2. `[.]`, `(dot)`, ` [ @ ] `, `[[.]]`: up to two blanks, an opener (or the same one twice), blanks, the sign, blanks, the closer(s), blanks. */
function bracketedSignAt(text: string, at: number): boolean {
  let i = skipBlanks(text, at);
  const opener = text.charCodeAt(i);
  if (!isOpener(opener)) return false;
  i++;
  const doubled = text.charCodeAt(i) === opener;
  if (doubled) i++;
  i = skipBlanks(text, i);
  const c = text.charCodeAt(i);
  if (c === DOT) {
    formText = '.';
    i += 1;
  } else if (is(c, D) && is(text.charCodeAt(i + 1), O) && is(text.charCodeAt(i + 2), T)) {
    formText = '.';
    i += 3;
  } else if (c === AT) {
    formText = '@';
    i += 1;
  } else if (is(c, A) && is(text.charCodeAt(i + 1), T)) {
    formText = '@';
    i += 2;
  } else {
    return false;
  }
  i = skipBlanks(text, i);
  if (doubled) {
    const closer = closerOf(opener);
    if (text.charCodeAt(i) !== closer || text.charCodeAt(i + 1) !== closer) return false;
    i += 2;
  } else {
    if (!isCloser(text.charCodeAt(i))) return false;
    i++;
  }
  formEnd = skipBlanks(text, i);
  return true;
}

/** 3. `[:]`, `[://]`, `[/]`, `[//]`, in square brackets, single or doubled. */
function bracketedSeparatorAt(text: string, at: number): boolean {
  let i = at + 1;
  const doubled = text.charCodeAt(i) === OPEN_SQUARE;
  if (doubled) i++;
  const c = text.charCodeAt(i);
  let end: number;
  if (c === COLON) {
    end = text.charCodeAt(i + 1) === SLASH && text.charCodeAt(i + 2) === SLASH && text.charCodeAt(i + 3) === CLOSE_SQUARE ? i + 3 : i + 1;
  } else if (c === SLASH) {
    end = text.charCodeAt(i + 1) === SLASH && text.charCodeAt(i + 2) === CLOSE_SQUARE ? i + 2 : i + 1;
  } else {
    return false;
  }
  if (text.charCodeAt(end) !== CLOSE_SQUARE || (doubled && text.charCodeAt(end + 1) !== CLOSE_SQUARE)) return false;
  formText = text.slice(i, end);
  formEnd = doubled ? end + 2 : end + 1;
  return true;
}

/** Whether a form starts at `at` (then formEnd and formText say where it ends and what it stands for). */
function formAt(text: string, at: number): boolean {
  const c = text.charCodeAt(at);
  if (is(c, H) || is(c, F)) return schemeAt(text, at);
  if (isBlank(c) || isOpener(c)) {
    if (bracketedSignAt(text, at)) return true;
    return c === OPEN_SQUARE && bracketedSeparatorAt(text, at);
  }
  if (c === BACKSLASH && text.charCodeAt(at + 1) === DOT) {
    formEnd = at + 2;
    formText = '.';
    return true;
  }
  if (isZeroWidth(c)) {
    formEnd = at + 1;
    formText = '';
    return true;
  }
  return false;
}

/**
 * Where a form may start, one character a match (so that `lastIndex - 1` is where): a scheme's
 * `h` or `f` at a word start, an opener, a backslash, a zero-width character, or a blank before
 * an opener. test() makes no match array, and the regex engine skips plain text fast.
 */
const MAY_START = /\b[hf](?=[x*])|[[({\\\u200B-\u200D\u2060\uFEFF]|[ \t](?=[ \t]?[[({])/gi;

/** Builds one scan's output from the forms it finds, left to right. */
class ScanOutput {
  readonly replacements: Replacement[] = [];
  /** The text so far, as pieces: what was copied, and what each run of adjacent forms became. */
  private readonly parts: string[] = [];
  private current: Replacement | undefined;
  private run = '';
  private outLength = 0;
  /** Where the last form ended: the scan goes on from here. */
  copiedTo = 0;

  constructor(private readonly input: string) {}

  /** Takes the form formAt has just found at `at`. */
  take(at: number): void {
    if (this.current !== undefined && at === this.copiedTo) {
      // Adjacent forms (`hxxp[:]`, a run of `[.]`) make one replacement and one piece: a run
      // of a million forms costs one record, not a million.
      this.run += formText;
      this.current.outLength += formText.length;
      this.current.inEnd = formEnd;
    } else {
      if (this.current !== undefined) this.parts.push(this.run);
      const before = this.input.slice(this.copiedTo, at);
      this.parts.push(before);
      this.outLength += before.length;
      this.current = { outStart: this.outLength, outLength: formText.length, inStart: at, inEnd: formEnd };
      this.replacements.push(this.current);
      this.run = formText;
    }
    this.outLength += formText.length;
    this.copiedTo = formEnd;
  }

  finish(): Pass | undefined {
    if (this.current === undefined) return undefined;
    this.parts.push(this.run, this.input.slice(this.copiedTo));
    return { text: this.parts.join(''), replacements: this.replacements };
  }
}

/** The ASCII characters a form can start with (MAY_START's, as a table for the rescans). */
const STARTS_FORM = new Uint8Array(128);
for (const c of 'hHfF[({\\ \t') STARTS_FORM[c.charCodeAt(0)] = 1;

/**
 * How far before a replacement a new form may start: further than the longest form (`[[dot]]`
 * with two blanks at each of its four places, 15 characters) and the 3 after it a match looks at.
 */
const RESCAN_MARGIN = 24;

/**
 * One scan of `input`, or undefined when it holds no form (every form changes the text). A
 * later scan looks only near what the scan before replaced (`near`, in `input`'s offsets):
 * elsewhere the text is as the scan before saw it, and found nothing. So deep nesting costs
 * a few characters a pass, not the whole text.
 */
function refangOnce(input: string, near?: readonly Replacement[]): Pass | undefined {
  // Made at the first form: most blocks of an article have none, and cost no allocation.
  let output: ScanOutput | undefined;
  if (near === undefined) {
    MAY_START.lastIndex = 0;
    while (MAY_START.test(input)) {
      const at = MAY_START.lastIndex - 1;
      if (!formAt(input, at)) continue;
      (output ??= new ScanOutput(input)).take(at);
      MAY_START.lastIndex = formEnd;
    }
  } else {
    let scannedTo = 0;
    for (const r of near) {
      // A form starting after the replacement's first copied character was there before.
      const to = Math.min(input.length, r.outStart + r.outLength + 1);
      for (let at = Math.max(scannedTo, r.outStart - RESCAN_MARGIN); at < to; at++) {
        const c = input.charCodeAt(at);
        if (c < 128 ? STARTS_FORM[c] === 0 : !isZeroWidth(c)) continue;
        if (formAt(input, at)) {
          (output ??= new ScanOutput(input)).take(at);
          at = formEnd - 1;
        }
      }
      scannedTo = Math.max(to, output?.copiedTo ?? 0);
    }
  }
  return output?.finish();
}

const NO_PASSES: readonly Pass[] = [];

/** The scans that changed `text`, each over the output of the one before. */
function refangPasses(text: string): readonly Pass[] {
  const first = refangOnce(text);
  if (first === undefined) return NO_PASSES;
  const passes = [first];
  while (passes.length < MAX_REFANG_PASSES) {
    const previous = passes[passes.length - 1] as Pass;
    const pass = refangOnce(previous.text, previous.replacements);
    if (pass === undefined) break;
    passes.push(pass);
  }
  return passes;
}

/**
 * Turns defanged forms back into the real characters (search, import, normalization). Text
 * without any defang form comes back as the very same string.
 */
export function refang(text: string): string {
  const passes = refangPasses(text);
  return passes.length === 0 ? text : (passes[passes.length - 1] as Pass).text;
}

/** The last replacement starting at or before `offset` (binary search), or -1. */
function lastAtOrBefore(replacements: readonly Replacement[], offset: number): number {
  let low = 0;
  let high = replacements.length - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if ((replacements[mid] as Replacement).outStart <= offset) {
      found = mid;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return found;
}

/** An offset of a scan's output as an offset of its input. */
function toInput(replacements: readonly Replacement[], offset: number): number {
  const index = lastAtOrBefore(replacements, offset);
  if (index === -1) return offset;
  const r = replacements[index] as Replacement;
  if (offset < r.outStart + r.outLength) return r.inStart + Math.min(offset - r.outStart, r.inEnd - r.inStart - 1);
  return r.inEnd + (offset - r.outStart - r.outLength);
}

/** Whether a replacement of a scan overlaps [start, end) of its output. */
function overlaps(replacements: readonly Replacement[], start: number, end: number): boolean {
  // A replacement overlaps [start, end) when it starts before `end` and ends after `start`;
  // a form that became nothing (a zero-width character) counts when it sat inside.
  const index = lastAtOrBefore(replacements, Math.max(start, end - 1));
  for (let i = index; i >= 0; i--) {
    const r = replacements[i] as Replacement;
    if (r.outStart + Math.max(r.outLength, 1) <= start) return false;
    if (r.outStart < end) return true;
  }
  return false;
}

const UNCHANGED: RefangedText = { text: '', toOriginal: (offset) => offset, isDefanged: () => false };

/**
 * Refangs `original` exactly as refang() does and keeps the offset map, so that a value found
 * in the refanged text can be traced back to what the author wrote (for the context sentence)
 * and known to have been defanged (authors defang what they mean as indicators).
 */
export function refangWithMap(original: string): RefangedText {
  const passes = refangPasses(original);
  if (passes.length === 0) return { ...UNCHANGED, text: original };
  return {
    text: (passes[passes.length - 1] as Pass).text,
    toOriginal(offset) {
      for (let i = passes.length - 1; i >= 0; i--) offset = toInput((passes[i] as Pass).replacements, offset);
      return offset;
    },
    isDefanged(start, end) {
      for (let i = passes.length - 1; i >= 0; i--) {
        const replacements = (passes[i] as Pass).replacements;
        if (overlaps(replacements, start, end)) return true;
        // Nothing this scan produced is in the span: it is a copy of its input, shifted.
        const shifted = toInput(replacements, start);
        end += shifted - start;
        start = shifted;
      }
      return false;
    },
  };
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
