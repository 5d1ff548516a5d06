// A value broken over two lines of one table cell (a long URL or hash wrapped by the page's
// layout): the cell's lines are joined where the next line carries the value on, and only
// there, so that the value comes out whole instead of a truncated URL and a stray "hash".
// Each line is looked at once (what the joined line ends with is carried along, never re-read).
import { MAX_URL_LENGTH } from './candidates.js';

/** A URL in the line's last token (or a defanged host): one that has a path may go on. */
const URL_MARK = /(?:https?|hxxps?|ftps?|fxp)(?::|\[:\])\/\/|\[\.\]/i;
const SCHEME = /^[a-z][a-z0-9+.-]*(?::|\[:\])\/\//i;
const HEX_LINE = /^[0-9a-f]+$/i;
const CLOSING_PUNCTUATION = /[.,;:)]$/;
const HASH_LENGTHS: ReadonlySet<number> = new Set([32, 40, 64, 128]);
/** No value is longer than a URL can be: a joined line that reaches this takes no more. */
const MAX_VALUE = MAX_URL_LENGTH;
/** A cell of more lines is a list, not a value the layout wrapped: it is left as it is. */
const MAX_LINES = 64;

/** What the joined line so far ends with. */
interface Tail {
  /** A URL with a path that may go on, and whether it ends with `/`. */
  url: boolean;
  slash: boolean;
  /** The length of a trailing run of hex digits, or 0. */
  hex: number;
  /** How long the value at the end is. */
  length: number;
}

function tailOf(line: string): Tail {
  const trimmed = line.trimEnd();
  let from = trimmed.length;
  while (from > 0 && trimmed[from - 1] !== ' ' && trimmed[from - 1] !== '\t') from--;
  const token = trimmed.slice(from);
  if (token.length > MAX_VALUE) return { url: false, slash: false, hex: 0, length: token.length };
  const hex = token.length >= 8 && HEX_LINE.test(token) ? token.length : 0;
  const mark = URL_MARK.exec(token);
  const open = mark !== null && token.includes('/', mark.index + 3) && !CLOSING_PUNCTUATION.test(token);
  return { url: open, slash: open && token.endsWith('/'), hex, length: token.length };
}

/** The tail after `next` is joined on, or undefined when `next` does not carry the value on. */
function carriedOn(tail: Tail, next: string): Tail | undefined {
  if (tail.length + next.length > MAX_VALUE) return undefined;
  if (tail.hex > 0 && HEX_LINE.test(next)) {
    if (HASH_LENGTHS.has(tail.hex) || !HASH_LENGTHS.has(tail.hex + next.length)) return undefined;
    return { url: false, slash: false, hex: tail.hex + next.length, length: tail.length + next.length };
  }
  if (!tail.url || /\s/.test(next) || SCHEME.test(next)) return undefined;
  // A path's tail (`load/x.php`, `?id=3`), not a host of its own (`bad.net` under a URL is a second value).
  if (!tail.slash && (next.split('/')[0] as string).includes('.')) return undefined;
  const open = !CLOSING_PUNCTUATION.test(next);
  return { url: open, slash: open && next.endsWith('/'), hex: 0, length: tail.length + next.length };
}

/** The cell's text with each wrapped value rejoined (a cell without a line break is returned as it is). */
export function joinWrappedValues(cell: string): string {
  if (!cell.includes('\n')) return cell;
  const lines = cell.split('\n', MAX_LINES + 1);
  if (lines.length > MAX_LINES) return cell;
  const out: string[] = [lines[0] as string];
  let tail = tailOf(lines[0] as string);
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const next = line.trim();
    const joined = carriedOn(tail, next);
    if (joined !== undefined) {
      out.push(next);
      tail = joined;
    } else {
      out.push('\n', line);
      tail = tailOf(line);
    }
  }
  return out.join('');
}
