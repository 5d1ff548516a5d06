// The one date reader: feeds, imported lists and query parameters read times through it, so that
// a time means the same wherever it comes in. No zone means UTC (abuse.ch writes UTC without
// saying so), never the host's zone; a calendar day that does not exist (2026-02-30) or a bare
// number is refused, never rolled over or guessed as JavaScript's Date would.

export type DateRead = { ok: true; date: Date } | { ok: false; reason: string };

/**
 * ISO 8601 / RFC 3339 as feeds and exports write it: `2026-08-18`, `2026-08-18 16:17:08`,
 * `2026-08-18T16:17:08.123Z`, `2021-03-05 15:14:06 UTC`, `2025-08-25T17:04:19.9796Z`, with an
 * optional offset (`+02:00`, `-0400`, `+02`).
 */
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(z|utc|gmt|[+-]\d{2}(?::?\d{2})?)?$/i;

/** RFC 2822 (RSS pubDate): `Tue, 18 Aug 2026 16:17:08 GMT`, `18 Aug 26 16:17 +0200`. */
const RFC2822 = /^(?:[a-z]+,?\s*)?(\d{1,2})\s+([a-z]{3})[a-z]*\.?\s+(\d{2}|\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([+-]\d{4}|[a-z]{1,5})?$/i;
const MONTHS: Readonly<Record<string, number>> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
};
/** RFC 2822 zone names, in hours east of UTC; another name is read as UTC (RFC 2822 §4.3). */
const ZONES: Readonly<Record<string, number>> = {
  ut: 0, utc: 0, gmt: 0, z: 0, est: -5, edt: -4, cst: -6, cdt: -5, mst: -7, mdt: -6, pst: -8, pdt: -7,
};

/** Milliseconds since the epoch for a calendar date and time, or NaN when a field is out of range. */
function utcMillis(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  // There is no year 0 (PostgreSQL refuses one): a time that could not be stored is no time.
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return Number.NaN;
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59)));
  // Date.UTC reads years 0-99 as 1900-1999.
  if (year < 100) date.setUTCFullYear(year);
  // Date.UTC rolls 31 April over to 1 May: a day past the month's end is refused.
  return date.getUTCDate() === day ? date.getTime() : Number.NaN;
}

/** Minutes east of UTC for `+05:30`, `-0400`, `+02`; 0 for Z, UTC, GMT or none; NaN when out of range. */
function offsetMinutes(zone: string | undefined): number {
  if (zone === undefined || (zone[0] !== '+' && zone[0] !== '-')) return 0;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || '0');
  if (hours > 23 || minutes > 59) return Number.NaN;
  return (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

function readIso(match: RegExpExecArray): number {
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '', zone] = match;
  const millis = utcMillis(Number(year), Number(month), Number(day), Number(hour), Number(minute), Number(second));
  const fractionMillis = fraction === '' ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
  return millis + fractionMillis - offsetMinutes(zone) * 60_000;
}

function readRfc2822(match: RegExpExecArray): number {
  const [, day, monthName = '', yearText = '', hour, minute, second = '0', zone = 'gmt'] = match;
  const month = MONTHS[monthName.toLowerCase()];
  if (month === undefined) return Number.NaN;
  let year = Number(yearText);
  if (yearText.length === 2) year += year < 50 ? 2000 : 1900;
  const millis = utcMillis(year, month, Number(day), Number(hour), Number(minute), Number(second));
  const offset = zone[0] === '+' || zone[0] === '-' ? offsetMinutes(zone) : (ZONES[zone.toLowerCase()] ?? 0) * 60;
  return millis - offset * 60_000;
}

/** A date or date-time (ISO 8601 / RFC 3339 with `T` or a space, or RFC 2822), UTC when it names no zone. */
export function readDate(raw: string): DateRead {
  const text = raw.trim();
  const iso = ISO.exec(text);
  const rfc2822 = iso === null ? RFC2822.exec(text) : null;
  const millis = iso !== null ? readIso(iso) : rfc2822 !== null ? readRfc2822(rfc2822) : undefined;
  if (millis === undefined) {
    return { ok: false, reason: 'not an ISO 8601 date or date-time (2026-05-16, 2026-05-16T10:00:00Z) or an RFC 2822 one' };
  }
  if (Number.isNaN(millis)) return { ok: false, reason: 'no such date or time (a field is out of range)' };
  return { ok: true, date: new Date(millis) };
}
