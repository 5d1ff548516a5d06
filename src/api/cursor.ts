// The list's `cursor`: an opaque token for a place in its order (extracted_at desc, id desc), the
// keyset of the last row of the page before. A page read after a keyset costs the same at the end
// of the list as at its start (an offset reads and drops every row before it), and records stored
// meanwhile, which are newer, never shift it. The token is base64url of ["<extracted_at>", "<id>"],
// extracted_at in UTC to the microsecond, as the store writes it (store/iocs.ts).
import { readDate } from '../ioc/dates.js';
import type { Keyset } from '../store/iocs.js';
import { InvalidParameterError } from './errors.js';

const TOKEN = /^[A-Za-z0-9_-]{1,200}$/;
const AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeCursor(keyset: Keyset): string {
  return Buffer.from(JSON.stringify([keyset.at, keyset.id]), 'utf8').toString('base64url');
}

/** keysetAt's form, and a time that exists (no 2026-02-30, no 24:00): checked here, not a 500 there. */
const isTime = (at: string) => AT.test(at) && readDate(at).ok;

/** The keyset of a `cursor` parameter, or 400 invalid_parameter naming `cursor`. */
export function decodeCursor(token: string): Keyset {
  const invalid = () =>
    new InvalidParameterError('cursor', "Invalid value for 'cursor': use the cursor of a `links.next` as it is.", { value: token });
  if (!TOKEN.test(token)) throw invalid();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(value) || value.length !== 2) throw invalid();
  const [at, id] = value as unknown[];
  if (typeof at !== 'string' || typeof id !== 'string' || !isTime(at) || !UUID.test(id)) throw invalid();
  // One token per place: base64url has other spellings of the same bytes (trailing bits, padding).
  if (encodeCursor({ at, id }) !== token) throw invalid();
  return { at, id };
}
