// The lists' `cursor`: an opaque token for a place in a list's order, the keyset of the last row
// of the page before. A page read after a keyset costs the same at the end of the list as at its
// start (an offset reads and drops every row before it), and rows stored meanwhile, which are
// newer, never shift it. The token is base64url of a JSON array of strings: the keyset's times, in
// UTC to the microsecond as the store writes them (store/iocs.ts keysetAt), then the row's id.
// The IOC records' list: ["<extracted_at>", "<id>"]; the articles': ["<fetched_at>", "<listed_at>", "<id>"].
import { readDate } from '../ioc/dates.js';
import type { ArticleKeyset } from '../store/articles.js';
import type { Keyset } from '../store/iocs.js';
import { InvalidParameterError } from './errors.js';

const TOKEN = /^[A-Za-z0-9_-]{1,200}$/;
const AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** keysetAt's form, and a time that exists (no 2026-02-30, no 24:00): checked here, not a 500 there. */
const isTime = (at: string) => AT.test(at) && readDate(at).ok;

function encodeParts(parts: string[]): string {
  return Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');
}

/** The `times` times and the id of a `cursor` parameter, or 400 invalid_parameter naming `cursor`. */
function decodeParts(token: string, times: number): string[] {
  const invalid = () =>
    new InvalidParameterError('cursor', "Invalid value for 'cursor': use the cursor of a `links.next` as it is.", { value: token });
  if (!TOKEN.test(token)) throw invalid();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(value) || value.length !== times + 1 || !value.every((part) => typeof part === 'string')) throw invalid();
  const parts = value as string[];
  if (!parts.slice(0, times).every(isTime) || !UUID.test(parts[times]!)) throw invalid();
  // One token per place: base64url has other spellings of the same bytes (trailing bits, padding).
  if (encodeParts(parts) !== token) throw invalid();
  return parts;
}

export function encodeCursor(keyset: Keyset): string {
  return encodeParts([keyset.at, keyset.id]);
}

export function decodeCursor(token: string): Keyset {
  const [at, id] = decodeParts(token, 1) as [string, string];
  return { at, id };
}

export function encodeArticleCursor(keyset: ArticleKeyset): string {
  return encodeParts([keyset.fetchedAt, keyset.listedAt, keyset.id]);
}

export function decodeArticleCursor(token: string): ArticleKeyset {
  const [fetchedAt, listedAt, id] = decodeParts(token, 2) as [string, string, string];
  return { fetchedAt, listedAt, id };
}
