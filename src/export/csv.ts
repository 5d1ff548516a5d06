// The list endpoint's 10-column CSV (RFC 4180: CRLF line ends, quotes only where needed).
// A cell that a spreadsheet would run as a formula is neutralized with a leading quote.
// Written by hand rather than through a general CSV library: an export of 10,000 rows would
// spend most of its time there (test/unit/export/csv.test.ts checks it against csv-stringify).
import type { CsvRecord, IocRecord } from '../store/records.js';
import type { Exporter } from './exporter.js';

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
// A cell with one of these is quoted, its quotes doubled.
const NEEDS_QUOTES = /[",\r\n]/;

export function neutralizeFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** Undoes neutralizeFormula, so that an exported CSV imports back unchanged. */
export function restoreFormula(text: string): string {
  return text.length > 1 && text[0] === "'" && FORMULA_START.test(text.slice(1)) ? text.slice(1) : text;
}

/** One cell: neutralized, then quoted when it must be. */
export function csvCell(text: string): string {
  const cell = neutralizeFormula(text);
  return NEEDS_QUOTES.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

export function csvHeader(): string {
  return CSV_COLUMNS.map(csvCell).join(',') + '\r\n';
}

/** The CSV lines of these records (each ending in CRLF). */
export function csvLines(records: readonly CsvRecord[]): string {
  let out = '';
  for (const r of records) {
    out +=
      csvCell(r.id) + ',' + csvCell(r.type) + ',' + csvCell(r.value) + ',' + csvCell(r.confidence) + ',' +
      csvCell(r.first_seen) + ',' + csvCell(r.last_seen) + ',' + csvCell(r.article_id ?? '') + ',' +
      csvCell(r.feed_name) + ',' + csvCell(r.category) + ',' + csvCell(r.tags) + '\r\n';
  }
  return out;
}

export function toCsvRecord(r: IocRecord): CsvRecord {
  return {
    id: r.id,
    type: r.type,
    value: r.value,
    confidence: r.confidence,
    first_seen: r.first_seen,
    last_seen: r.last_seen,
    article_id: r.source.article_id,
    feed_name: r.source.feed_name,
    category: r.source.category,
    tags: r.tags.join(','),
  };
}

export function toCsvRows(records: IocRecord[]): string {
  return csvLines(records.map(toCsvRecord));
}

export const csvExporter = {
  format: 'csv',
  mediaType: 'text/csv; charset=utf-8; header=present',
  filename: 'iocs.csv',
  scope: 'read:iocs',
  reads: 'csv-records',
  listed: true,
  conditional: true,
  description: 'the 10-column CSV (RFC 4180).',
  writer: () => ({ head: csvHeader, batch: csvLines, tail: () => '' }),
} as const satisfies Exporter<'csv-records'>;
