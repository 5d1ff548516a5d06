// Refanging a whole text while remembering where each character came from, so that a value
// found in the refanged text can be traced back to what the author wrote (for the context
// sentence) and known to have been defanged (authors defang what they mean as indicators).
//
// One left-to-right scan with one global pattern whose every quantifier is bounded: linear in
// the text. Unlike src/ioc refang() it does not repeat until nothing changes (that is quadratic
// on `[[[[.]]]]` nested a million deep); doubled brackets `[[.]]` are handled in the pattern.

/**
 * 1. a defanged scheme (`hxxp`, `hXXps`, `h**p`, `fxp`) before `:` or `[:`;
 * 2. a dot or at sign in one or two brackets (`[.]`, `(.)`, `{.}`, `[[.]]`, `[dot]`, `(at)`,
 *    `[@]`), with up to two blanks inside and out (`evil [.] com`);
 * 3. colon and slashes in square brackets (`[:]`, `[://]`, `[/]`);
 * 4. an escaped dot (`evil\.com`);
 * 5. zero-width characters inserted to stop auto-linking.
 */
const DEFANG_FORMS =
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

function replacementFor(match: RegExpExecArray): string {
  const [, scheme, secure, dotOrAt, colonOrSlashes, escapedDot] = match;
  if (scheme !== undefined) return (scheme[0] === 'f' || scheme[0] === 'F' ? 'ftp' : 'http') + (secure ?? '');
  if (dotOrAt !== undefined) return dotOrAt === '.' || dotOrAt.length === 3 ? '.' : '@';
  if (colonOrSlashes !== undefined) return colonOrSlashes;
  if (escapedDot !== undefined) return '.';
  return '';
}

const IDENTITY: RefangedText = {
  text: '',
  toOriginal: (offset) => offset,
  isDefanged: () => false,
};

/** Refangs `original` in one pass and keeps the offset map. */
export function refangWithMap(original: string): RefangedText {
  DEFANG_FORMS.lastIndex = 0;
  const replacements: Replacement[] = [];
  const parts: string[] = [];
  let copiedTo = 0;
  let outLength = 0;
  for (let match = DEFANG_FORMS.exec(original); match !== null; match = DEFANG_FORMS.exec(original)) {
    const replacement = replacementFor(match);
    const matchEnd = match.index + match[0].length;
    const last = replacements[replacements.length - 1];
    if (last !== undefined && match.index === copiedTo) {
      // Adjacent forms (`hxxp[:]`, a run of `[.]`) make one replacement: a run of a million
      // forms costs one record, not a million.
      parts.push(replacement);
      last.outLength += replacement.length;
      last.inEnd = matchEnd;
    } else {
      const before = original.slice(copiedTo, match.index);
      parts.push(before, replacement);
      outLength += before.length;
      replacements.push({ outStart: outLength, outLength: replacement.length, inStart: match.index, inEnd: matchEnd });
    }
    outLength += replacement.length;
    copiedTo = matchEnd;
    if (match[0].length === 0) DEFANG_FORMS.lastIndex++; // cannot happen (every form has a character), kept as a guard
  }
  if (replacements.length === 0) return { ...IDENTITY, text: original };
  parts.push(original.slice(copiedTo));
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
