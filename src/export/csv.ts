// The list endpoint's 10-column CSV (RFC 4180: CRLF line ends, quotes only where needed).
// A cell that a spreadsheet would run as a formula is neutralized with a leading quote.
import { stringify } from 'csv-stringify/sync';
import type { IocRecord } from './types.js';

export const CSV_COLUMNS = [
  'id',
  'type',
  'value',
  'confidence',
  'first_seen',
  'last_seen',
  'source_article',
  'source_feed',
  'category',
  'tags',
] as const;

// OWASP's list of characters that start a formula in Excel, LibreOffice and Google Sheets.
const FORMULA_START = /^[=+\-@\t\r]/;

export function neutralizeFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** Undoes neutralizeFormula, so that an exported CSV imports back unchanged. */
export function restoreFormula(text: string): string {
  return text.length > 1 && text[0] === "'" && FORMULA_START.test(text.slice(1)) ? text.slice(1) : text;
}

const OPTIONS = { record_delimiter: 'windows', cast: { string: neutralizeFormula } } as const;

export function csvHeader(): string {
  return stringify([[...CSV_COLUMNS]], OPTIONS);
}

export function toCsvRows(records: IocRecord[]): string {
  return stringify(
    records.map((r) => [
      r.id,
      r.type,
      r.value,
      r.confidence,
      r.first_seen,
      r.last_seen,
      r.source.article_id ?? '',
      r.source.feed_name,
      r.source.category,
      r.tags.join(','),
    ]),
    OPTIONS,
  );
}
