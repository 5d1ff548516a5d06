// Refanging a whole text while remembering where each character came from, so that a value
// found in the refanged text can be traced back to what the author wrote (for the context
// sentence) and known to have been defanged (authors defang what they mean as indicators).
//
// One left-to-right scan: a regex test() finds where a form may start, and a matcher written by
// hand reads the form there, looking at a bounded number of characters: linear in the text, and
// no match array a form (a megabyte of `[.]` is a third of a million forms: with exec() the
// garbage collector was the main cost). Unlike src/ioc refang() it does not repeat until
// nothing changes (that is quadratic on `[[[[.]]]]` nested a million deep); doubled brackets
// `[[.]]` are one form.

/**
 * The forms, as this regular expression (case-insensitive) would find them, leftmost first and
 * in this order at one position (test/unit/extract/defang.test.ts holds the scanner to it):
 * 1. a defanged scheme (`hxxp`, `hXXps`, `h**p`, `fxp`) before `:` or `[:`;
 * 2. a dot or at sign in one or two brackets (`[.]`, `(.)`, `{.}`, `[[.]]`, `[dot]`, `(at)`,
 *    `[@]`), with up to two blanks inside and out (`evil [.] com`);
 * 3. colon and slashes in square brackets (`[:]`, `[://]`, `[/]`);
 * 4. an escaped dot (`evil\.com`);
 * 5. zero-width characters inserted to stop auto-linking.
 */
export const DEFANG_FORMS =
  /\b(h(?:xx|\*\*)p|fxp)(s?)(?=\[?:)|[ \t]{0,2}[[({]{1,2}[ \t]{0,2}(\.|dot|@|at)[ \t]{0,2}[\])}]{1,2}[ \t]{0,2}|\[{1,2}(:\/\/|:|\/\/?)\]{1,2}|\\(\.)|[\u200B-\u200D\u2060\uFEFF]/gi;

export interface RefangedText {
  /** The text with every defang form undone. */
  text: string;
  /** Maps an offset in `text` to the offset in the original. */
  toOriginal(offset: number): number;
  /** True when [start, end) of `text` holds a character that a defang form produced. */
  isDefanged(start: number, end: number): boolean;
}

/** One replaced form: `text[outStart, outStart + outLength)` came from `original[inStart, inEnd)`. */
interface Replacement {
  outStart: number;
  outLength: number;
  inStart: number;
  inEnd: number;
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

/** 1. `hxxp`, `h**p`, `fxp` (then `s`), at a word start and before `:` or `[:`. */
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
  // `s` as written; without it the look-ahead would see the `s`, so it is taken or nothing is.
  if (is(text.charCodeAt(end), S)) scheme += text[end++];
  const next = text.charCodeAt(end);
  if (next !== COLON && !(next === OPEN_SQUARE && text.charCodeAt(end + 1) === COLON)) return false;
  formEnd = end;
  formText = scheme;
  return true;
}

/** 2. `[.]`, `(dot)`, ` [ @ ] `: up to two blanks, one or two openers, blanks, the sign, blanks, one or two closers, blanks. */
function bracketedSignAt(text: string, at: number): boolean {
  let i = skipBlanks(text, at);
  if (!isOpener(text.charCodeAt(i))) return false;
  i++;
  if (isOpener(text.charCodeAt(i))) i++;
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
  if (!isCloser(text.charCodeAt(i))) return false;
  i++;
  if (isCloser(text.charCodeAt(i))) i++;
  formEnd = skipBlanks(text, i);
  return true;
}

/** 3. `[:]`, `[://]`, `[/]`, `[//]`, in one or two square brackets. */
function bracketedSeparatorAt(text: string, at: number): boolean {
  let i = at + 1;
  if (text.charCodeAt(i) === OPEN_SQUARE) i++;
  const c = text.charCodeAt(i);
  let end: number;
  if (c === COLON) {
    end = text.charCodeAt(i + 1) === SLASH && text.charCodeAt(i + 2) === SLASH && text.charCodeAt(i + 3) === CLOSE_SQUARE ? i + 3 : i + 1;
  } else if (c === SLASH) {
    end = text.charCodeAt(i + 1) === SLASH && text.charCodeAt(i + 2) === CLOSE_SQUARE ? i + 2 : i + 1;
  } else {
    return false;
  }
  if (text.charCodeAt(end) !== CLOSE_SQUARE) return false;
  formText = text.slice(i, end);
  end++;
  if (text.charCodeAt(end) === CLOSE_SQUARE) end++;
  formEnd = end;
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

const IDENTITY: RefangedText = {
  text: '',
  toOriginal: (offset) => offset,
  isDefanged: () => false,
};

/**
 * Where a form may start, one character a match (so that `lastIndex - 1` is where): a scheme's
 * `h` or `f` at a word start, an opener, a backslash, a zero-width character, or a blank before
 * an opener. test() makes no match array, and the regex engine skips plain text fast.
 */
const MAY_START = /\b[hf](?=[x*])|[[({\\\u200B-\u200D\u2060\uFEFF]|[ \t](?=[ \t]?[[({])/gi;

/** Refangs `original` in one pass and keeps the offset map. */
export function refangWithMap(original: string): RefangedText {
  const replacements: Replacement[] = [];
  /** The text so far, as pieces: what was copied, and what each run of adjacent forms became. */
  const parts: string[] = [];
  let current: Replacement | undefined;
  let run = '';
  let copiedTo = 0;
  let outLength = 0;
  MAY_START.lastIndex = 0;
  while (MAY_START.test(original)) {
    const at = MAY_START.lastIndex - 1;
    if (!formAt(original, at)) continue;
    if (current !== undefined && at === copiedTo) {
      // Adjacent forms (`hxxp[:]`, a run of `[.]`) make one replacement and one piece: a run
      // of a million forms costs one record, not a million.
      run += formText;
      current.outLength += formText.length;
      current.inEnd = formEnd;
    } else {
      if (current !== undefined) parts.push(run);
      const before = original.slice(copiedTo, at);
      parts.push(before);
      outLength += before.length;
      current = { outStart: outLength, outLength: formText.length, inStart: at, inEnd: formEnd };
      replacements.push(current);
      run = formText;
    }
    outLength += formText.length;
    copiedTo = MAY_START.lastIndex = formEnd;
  }
  if (current === undefined) return { ...IDENTITY, text: original };
  parts.push(run, original.slice(copiedTo));
  const text = parts.join('');

  /** The last replacement starting at or before `offset` (binary search), or -1. */
  const lastAtOrBefore = (offset: number): number => {
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
  };

  return {
    text,
    toOriginal(offset) {
      const index = lastAtOrBefore(offset);
      if (index === -1) return offset;
      const r = replacements[index] as Replacement;
      if (offset < r.outStart + r.outLength) return r.inStart + Math.min(offset - r.outStart, r.inEnd - r.inStart - 1);
      return r.inEnd + (offset - r.outStart - r.outLength);
    },
    isDefanged(start, end) {
      // A replacement overlaps [start, end) when it starts before `end` and ends after `start`;
      // a form that became nothing (a zero-width character) counts when it sat inside.
      const index = lastAtOrBefore(Math.max(start, end - 1));
      for (let i = index; i >= 0; i--) {
        const r = replacements[i] as Replacement;
        if (r.outStart + Math.max(r.outLength, 1) <= start) return false;
        if (r.outStart < end) return true;
      }
      return false;
    },
  };
}
