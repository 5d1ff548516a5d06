// A value broken over two lines of one table cell (a long URL or hash wrapped by the page's
// layout): the cell's lines are joined where the second line carries the value on, and only
// there, so that the value comes out whole instead of a truncated URL and a stray "hash".

/** The last token of a line: a URL with a path (or a defanged one), or a run of hex digits. */
const URL_TAIL = /(?:(?:https?|hxxps?|ftps?|fxp)(?::|\[:\])\/\/|\[\.\])[^\s]*\/[^\s]*$/i;
const HEX_TAIL = /(?:^|\s)([0-9a-f]{8,})$/i;
const SCHEME = /^[a-z][a-z0-9+.-]*(?::|\[:\])\/\//i;
const HEX_LINE = /^[0-9a-f]+$/i;
const HASH_LENGTHS: ReadonlySet<number> = new Set([32, 40, 64, 128]);

/** Whether `next` (one line, trimmed) carries on the value at the end of `line`. */
function continues(line: string, next: string): boolean {
  const hex = HEX_TAIL.exec(line)?.[1];
  if (hex !== undefined && HEX_LINE.test(next)) return !HASH_LENGTHS.has(hex.length) && HASH_LENGTHS.has(hex.length + next.length);
  const url = URL_TAIL.exec(line)?.[0];
  if (url === undefined || /[.,;:)]$/.test(url) || /\s/.test(next) || SCHEME.test(next)) return false;
  // A path's tail (`load/x.php`, `?id=3`), not a host of its own (`bad.net` under a URL is a second value).
  return url.endsWith('/') || !(next.split('/')[0] as string).includes('.');
}

/** The cell's text with each wrapped value rejoined (a cell without a line break is returned as it is). */
export function joinWrappedValues(cell: string): string {
  if (!cell.includes('\n')) return cell;
  const lines = cell.split('\n');
  let out = lines[0] as string;
  let last = out;
  for (let i = 1; i < lines.length; i++) {
    const next = (lines[i] as string).trim();
    if (continues(last, next)) {
      out += next;
      last += next;
    } else {
      out += `\n${lines[i] as string}`;
      last = lines[i] as string;
    }
  }
  return out;
}
