// What the feed parsers share: reading a body, rows that fail with a reason, dates (through the
// one reader, src/ioc/dates.ts), tags, CSV through csv-parse with line numbers, and the `#`
// banner and trailer of abuse.ch files.
// Every pattern here is compiled once; every pass over a body is linear.
import { parse as parseCsv, type CsvError, type InfoRecord, type Options as CsvOptions } from 'csv-parse/sync';
import { readDate } from '../../ioc/dates.js';
import { parseIoc } from '../../ioc/index.js';
import type { Confidence, IocType, NormalizedIoc } from '../../ioc/types.js';
import { FeedFormatError, type FeedRecord, type ParsedFeed } from '../types.js';

/** Why one row is refused; caught by `collectRow` and turned into a RejectedRow. */
export class RowError extends Error {}

export function emptyFeed(): ParsedFeed {
  return { records: [], articles: [], rejected: [] };
}

/** How long a rejected row's `value` may be: a runaway line must not flood the rejection log. */
const MAX_REJECTED_VALUE = 500;

export function clip(text: string): string {
  return text.length > MAX_REJECTED_VALUE ? `${text.slice(0, MAX_REJECTED_VALUE - 1)}…` : text;
}

/**
 * Reads one row: its record goes to `feed.records`, or its RowError to `feed.rejected`. `value`
 * may be a function, so that the row's text is only built when the row is rejected. Any other
 * error is a bug and propagates.
 */
export function collectRow(
  feed: ParsedFeed,
  at: number | string,
  value: string | (() => string),
  read: () => FeedRecord | undefined,
): void {
  try {
    const record = read();
    if (record !== undefined) feed.records.push(record);
  } catch (error) {
    if (!(error instanceof RowError)) throw error;
    feed.rejected.push({ at, value: clip(typeof value === 'string' ? value : value()), reason: error.message });
  }
}

/** A value through the IOC core as `type`, or the core's reason as a RowError. */
export function iocOf(raw: unknown, type: IocType, field: string): NormalizedIoc {
  if (raw === undefined || raw === null || raw === '') throw new RowError(`${field} is missing`);
  if (typeof raw !== 'string') throw new RowError(`${field} is not a string`);
  const parsed = parseIoc(raw, type);
  if (!parsed.ok) throw new RowError(`${field}: ${parsed.reason}`);
  return parsed.ioc;
}

// ---------------------------------------------------------------------------------------------
// Bodies

const LEADING_WHITESPACE = /^\s*/;

/** The body without a byte-order mark; a blank body is a failed fetch, not an empty feed. */
export function openBody(body: string, format: string): string {
  if (typeof body !== 'string') throw new FeedFormatError(`${format}: the body is not text`);
  const text = body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
  if (text.trim() === '') throw new FeedFormatError(`${format}: the body is empty`);
  return text;
}

/** The first characters after leading whitespace, lower-cased, for sniffing what a body is. */
function headOf(text: string): string {
  const start = LEADING_WHITESPACE.exec(text.slice(0, 4096))?.[0].length ?? 0;
  return text.slice(start, start + 64).toLowerCase();
}

/** True when a body starts like markup (an HTML error or login page, or XML). */
export function looksLikeMarkup(text: string): boolean {
  return headOf(text).startsWith('<');
}

function describeMarkup(text: string): string {
  const head = headOf(text);
  return head.startsWith('<!doctype html') || head.startsWith('<html') || head.includes('<head') || head.includes('<body')
    ? 'an HTML page'
    : 'markup (XML or HTML)';
}

/** Throws FeedFormatError when a text format (CSV, host file) got an HTML or JSON body. */
export function assertPlainText(text: string, format: string): void {
  if (looksLikeMarkup(text)) throw new FeedFormatError(`${format}: the body is ${describeMarkup(text)}, not ${format}`);
  const head = headOf(text);
  if (head.startsWith('{') || head.startsWith('[')) throw new FeedFormatError(`${format}: the body is JSON, not ${format}`);
}

/** JSON.parse with the failure (truncation, an HTML page) as a FeedFormatError. */
export function parseJsonBody(body: string, format: string): unknown {
  const text = openBody(body, format);
  if (looksLikeMarkup(text)) throw new FeedFormatError(`${format}: the body is ${describeMarkup(text)}, not JSON`);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new FeedFormatError(`${format}: the body is not valid JSON (truncated?): ${(error as Error).message}`);
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short description of a JSON value's shape, for error messages. */
export function shapeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** A field as trimmed text; numbers are written out, anything else is absent. */
export function textOf(raw: unknown): string | undefined {
  if (typeof raw === 'string') {
    const text = raw.trim();
    return text === '' ? undefined : text;
  }
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Dates

/** A date as the one reader (src/ioc/dates.ts) reads it, or a RowError naming the field. */
function dateOf(text: string, field: string): Date {
  const read = readDate(text);
  if (!read.ok) throw new RowError(`${field} "${clip(text)}" is not a date`);
  return read.date;
}

/** A date field that must be there and be a date. */
export function requiredDate(raw: unknown, field: string): Date {
  const text = textOf(raw);
  if (text === undefined) throw new RowError(`${field} is missing`);
  return dateOf(text, field);
}

/** A date field that may be empty or null; when present it must be a date. */
export function optionalDate(raw: unknown, field: string): Date | undefined {
  const text = textOf(raw);
  if (text === undefined) return undefined;
  return dateOf(text, field);
}

/**
 * lastSeen is never before firstSeen: feeds give `last_online` as a bare day (`2024-04-04`,
 * midnight) that can precede the same day's `first_seen` time.
 */
export function notBefore(first: Date, last: Date | undefined): Date {
  return last === undefined || last.getTime() < first.getTime() ? first : last;
}

// ---------------------------------------------------------------------------------------------
// Tags, ports, confidence

/** Tags: comma-separated strings or arrays, trimmed, lower-cased, `none` dropped, de-duplicated. */
export function tagsOf(...sources: unknown[]): string[] {
  const tags: string[] = [];
  const add = (raw: unknown): void => {
    if (typeof raw !== 'string') return;
    for (const part of raw.split(',')) {
      const tag = part.trim().toLowerCase();
      if (tag !== '' && tag !== 'none' && !tags.includes(tag)) tags.push(tag);
    }
  };
  for (const source of sources) {
    if (Array.isArray(source)) source.forEach(add);
    else add(source);
  }
  return tags;
}

const PORT = /^\d{1,5}$/;

/** A TCP/UDP port 1–65535 from a number or a string; a RowError otherwise. */
export function portOf(raw: unknown, field: string): number {
  const text = textOf(raw);
  if (text === undefined) throw new RowError(`${field} is missing`);
  const port = PORT.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) throw new RowError(`${field} "${clip(text)}" is not a port (1-65535)`);
  return port;
}

/** abuse.ch status columns: `online` → high (the server answered recently), anything else → medium. */
export function confidenceOfStatus(status: string | undefined): Confidence {
  return status?.toLowerCase() === 'online' ? 'high' : 'medium';
}

// ---------------------------------------------------------------------------------------------
// CSV and `#`-commented text files

export interface CsvRow {
  /** 1-based line number of the row (its last line, if it runs over several). */
  line: number;
  fields: string[];
}

export interface CsvParse {
  rows: CsvRow[];
  /** Lines csv-parse could not read (a quote never closed, a stray quote): already reasons. */
  broken: { line: number; value: string; reason: string }[];
}

const LINE_BREAK = '\n';

interface LineRecord {
  fields: string[];
  /** The line the record ends on, 1-based. */
  line: number;
}

/** Each record with the line it ends on: cheaper than `info: true`, which copies its state per record. */
const toLineRecord = (fields: string[], context: InfoRecord): LineRecord => ({ fields, line: context.lines });

/** csv-parse over a whole text, skipping unreadable records. */
function parseRecords(text: string, onSkip: (line: number) => void): LineRecord[] {
  const options: CsvOptions = {
    comment: '#',
    comment_no_infix: true,
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    // csv-parse types on_record as returning a record of fields; it returns whatever we map to.
    on_record: toLineRecord as unknown as CsvOptions['on_record'],
    on_skip: (error: CsvError | undefined) => {
      onSkip(Number(error?.lines ?? 0));
      return undefined;
    },
  };
  return parseCsv(text, options) as unknown as LineRecord[];
}

/** The text of 1-based line `n`, through an index of line starts built on first use. */
class LineIndex {
  private starts: number[] | undefined;
  constructor(private readonly text: string) {}

  line(n: number): string {
    if (this.starts === undefined) {
      const starts = [0];
      for (let i = this.text.indexOf(LINE_BREAK); i !== -1; i = this.text.indexOf(LINE_BREAK, i + 1)) starts.push(i + 1);
      this.starts = starts;
    }
    const start = this.starts[n - 1];
    if (start === undefined) return '';
    const end = this.starts[n];
    return this.text.slice(start, end === undefined ? undefined : end - 1).replace(TRAILING_CR, '');
  }
}

const TRAILING_CR = /\r$/;

function countLineBreaks(fields: readonly string[]): number {
  let count = 0;
  for (const field of fields) for (let i = field.indexOf(LINE_BREAK); i !== -1; i = field.indexOf(LINE_BREAK, i + 1)) count++;
  return count;
}

/**
 * Parses quoted CSV with csv-parse, `#` lines being comments. A broken row is skipped with its
 * reason instead of failing the whole body. The feeds read here never put a line break inside a
 * field, so a record that has one swallowed the next line through an unclosed quote: its lines
 * are parsed again one by one, and only the broken one is reported.
 */
export function readCsv(text: string, format: string): CsvParse {
  const lines = new LineIndex(text);
  const broken: CsvParse['broken'] = [];
  const skip = (line: number, reason: string): void => {
    broken.push({ line, value: clip(lines.line(line).trim()), reason });
  };
  const rows: CsvRow[] = [];
  let records: LineRecord[];
  try {
    records = parseRecords(text, (line) => skip(line, 'not a CSV row: a quote is never closed or is misplaced'));
  } catch (error) {
    // Row errors are skipped above; what still throws concerns the body as a whole.
    throw new FeedFormatError(`${format}: not readable as CSV: ${(error as Error).message}`);
  }
  for (const record of records) {
    const breaks = countLineBreaks(record.fields);
    if (breaks === 0) {
      rows.push(record);
      continue;
    }
    for (let line = record.line - breaks; line <= record.line; line++) {
      const single = parseRecords(lines.line(line), () => skip(line, 'not a CSV row: a quote is never closed (truncated line?)'));
      for (const { fields } of single) rows.push({ line, fields });
    }
  }
  rows.sort((a, b) => a.line - b.line);
  broken.sort((a, b) => a.line - b.line);
  return { rows, broken };
}

/** The `#` lines before the first other line (the banner), without the `#`, trimmed. */
export function leadingComments(text: string, limit = 64): string[] {
  const comments: string[] = [];
  let start = 0;
  while (start < text.length && comments.length < limit) {
    const end = text.indexOf('\n', start);
    const line = text.slice(start, end === -1 ? undefined : end).trim();
    if (line !== '') {
      if (!line.startsWith('#')) break;
      comments.push(line.slice(1).trim());
    }
    if (end === -1) break;
    start = end + 1;
  }
  return comments;
}

export interface TrailerLine {
  line: number;
  text: string;
}

/** The last non-blank line when it is a `#` comment (the `# END 28 entries` trailer), without the `#`. */
export function trailingComment(text: string): TrailerLine | undefined {
  const trimmed = text.trimEnd();
  const start = trimmed.lastIndexOf('\n') + 1;
  const last = trimmed.slice(start).trim();
  if (!last.startsWith('#')) return undefined;
  let line = 1;
  for (let i = trimmed.indexOf('\n'); i !== -1 && i < start; i = trimmed.indexOf('\n', i + 1)) line++;
  return { line, text: last.slice(1).trim() };
}

const LAST_UPDATED = /last updated:\s*(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})/i;

/** The `# Last updated: 2026-08-18 16:17:08 (UTC)` time of an abuse.ch banner. */
export function bannerDate(comments: readonly string[]): Date | undefined {
  for (const comment of comments) {
    const match = LAST_UPDATED.exec(comment);
    if (match === null) continue;
    const read = readDate(match[1] as string);
    return read.ok ? read.date : undefined;
  }
  return undefined;
}

/** Column names compared without case, spaces, quotes or underscores (`Firstseen` = `first_seen`). */
export function columnKey(name: string): string {
  let key = '';
  for (const char of name.toLowerCase()) if (char >= 'a' && char <= 'z') key += char;
  else if (char >= '0' && char <= '9') key += char;
  return key;
}

/**
 * Where each wanted column is, from a header's names; `aliases` maps our name to the spellings the
 * feed has used. Missing columns are absent from the result.
 */
export function columnIndexes<K extends string>(header: readonly string[], aliases: Readonly<Record<K, readonly string[]>>): Partial<Record<K, number>> {
  const positions = new Map<string, number>();
  header.forEach((name, index) => {
    const key = columnKey(name);
    if (!positions.has(key)) positions.set(key, index);
  });
  const result: Partial<Record<K, number>> = {};
  for (const [name, spellings] of Object.entries(aliases) as [K, readonly string[]][]) {
    for (const spelling of spellings) {
      const index = positions.get(columnKey(spelling));
      if (index !== undefined) {
        result[name] = index;
        break;
      }
    }
  }
  return result;
}

/** When a trailer announces a count that differs from the rows read, a rejected entry says so. */
export function checkAnnouncedCount(feed: ParsedFeed, trailer: TrailerLine | undefined, pattern: RegExp, rowsRead: number): void {
  if (trailer === undefined) return;
  const match = pattern.exec(trailer.text);
  if (match === null) return;
  const announced = Number(match[1]);
  if (announced !== rowsRead) {
    feed.rejected.push({
      at: trailer.line,
      value: `# ${trailer.text}`,
      reason: `the trailer announces ${announced} entries but ${rowsRead} rows were read (body truncated or altered?)`,
    });
  }
}

/** The `now` option or the clock: only for feeds that carry no date at all. */
export function nowOf(options: { now?: Date } | undefined): Date {
  return options?.now ?? new Date();
}
