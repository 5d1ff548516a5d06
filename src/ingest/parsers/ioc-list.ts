// An operator's own IOC list: the list endpoint's CSV (10 columns) or JSON (the envelope, or
// an array of records), so that an export imports back unchanged; or bare values, one a line,
// their type detected. A row that is not an IOC is rejected with its reason, never guessed.
import { parse as parseCsv } from 'csv-parse/sync';
import { validate as isUuid } from 'uuid';
import { restoreFormula } from '../../export/csv.js';
import { readDate } from '../../ioc/dates.js';
import { foreignArticleId } from '../../ioc/ids.js';
import { parseIoc } from '../../ioc/index.js';
import {
  CATEGORIES,
  CONFIDENCES,
  ORIGINS,
  resolveIocType,
  type Category,
  type Confidence,
  type NormalizedIoc,
  type Origin,
} from '../../ioc/types.js';
import { textOf } from './common.js';

/** A record's article as the list names it: its id (CSV), with its title and URL (JSON). */
export interface ListedArticle {
  id: string;
  title?: string;
  url?: string;
}

export interface ListRow {
  ioc: NormalizedIoc;
  confidence?: Confidence;
  firstSeen?: Date;
  lastSeen?: Date;
  context?: string;
  tags: string[];
  mitreTechniques: string[];
  /** The source and category the row itself names (CSV and JSON exports carry them). */
  sourceName?: string;
  category?: Category;
  /** The record's article: its id (CSV), with its title and URL (JSON). */
  article?: ListedArticle;
  origin?: Origin;
  referenceUrl?: string;
}

export interface RejectedRow {
  /** 1-based line (CSV, bare values) or record number (JSON). */
  at: number;
  value: string;
  reason: string;
}

export interface ParsedList {
  format: 'csv' | 'json' | 'lines';
  rows: ListRow[];
  rejected: RejectedRow[];
}

class RowError extends Error {}

/** The file as a whole cannot be read as a list. */
export class ListFormatError extends Error {
  override name = 'ListFormatError';
}

/** An absent cell: no member, null, or an empty CSV cell. */
const blank = (raw: unknown) => raw === undefined || raw === null || raw === '';

/** One of `allowed`, whatever its case. */
function oneOf<T extends string>(field: string, allowed: readonly T[], raw: unknown): T | undefined {
  if (blank(raw)) return undefined;
  const text = String(raw).toLowerCase();
  if (!(allowed as readonly string[]).includes(text)) throw new RowError(`${field} "${raw}" is not one of ${allowed.join(', ')}`);
  return text as T;
}

/** Through the one date reader, as the feeds' dates: no zone means UTC, never the host's zone. */
function timeOf(raw: unknown, field: string): Date | undefined {
  if (blank(raw)) return undefined;
  const read = readDate(String(raw));
  if (!read.ok) throw new RowError(`${field} "${raw}" is not a date: ${read.reason}`);
  return read.date;
}

/**
 * Our export names an article by its UUID; another service by an id of its own (`abc123`), which
 * becomes a stable UUID of ours (foreignArticleId): the row and its relation are kept either way.
 */
function articleOf(id: string | undefined, title: string | undefined, url: string | undefined): ListedArticle | undefined {
  if (id === undefined) return undefined;
  return { id: isUuid(id) ? id.toLowerCase() : foreignArticleId(id), title, url };
}

/** Whether `url` is a service's page for the article `id` (`…/item/<id>`, spec README decision 11), not the publisher's. */
function isArticlePage(url: string, id: string | undefined): boolean {
  if (id === undefined) return false;
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return false;
  }
  return path.toLowerCase().endsWith(`/item/${encodeURIComponent(id)}`.toLowerCase());
}

/**
 * A record's article and its own upstream page. Our exports since decision 11 give the article's
 * page on the service as article_url and the publisher's URL as reference_url (the record's own
 * page when the article has no URL, and so no title); older exports, the publisher's URL as
 * article_url. Another service's page for an article with no reference_url (the reference
 * pages' `…/item/abc123`) is the one link there is to it: it is kept as the article's URL.
 */
function articleAndReference(source: Record<string, unknown>, record: Record<string, unknown>) {
  const id = textOf(record.source_article ?? source.article_id);
  const title = textOf(source.article_title);
  const articleUrl = textOf(source.article_url);
  const referenceUrl = textOf(source.reference_url);
  if (articleUrl === undefined || !isArticlePage(articleUrl, id)) return { article: articleOf(id, title, articleUrl), referenceUrl };
  if (title === undefined) return { article: articleOf(id, undefined, undefined), referenceUrl };
  return { article: articleOf(id, title, referenceUrl ?? articleUrl), referenceUrl: undefined };
}

function listOf(raw: unknown): string[] {
  if (Array.isArray(raw)) return raw.map(String).filter(Boolean);
  if (typeof raw === 'string') return raw.split(',').map((s) => s.trim()).filter(Boolean);
  return [];
}

function iocOf(value: unknown, type: unknown): NormalizedIoc {
  if (typeof value !== 'string' || value.trim() === '') throw new RowError('no value');
  let expected;
  if (!blank(type)) {
    expected = resolveIocType(String(type));
    if (!expected) throw new RowError(`unknown type "${type}"`);
  }
  const parsed = parseIoc(value, expected);
  if (!parsed.ok) throw new RowError(parsed.reason);
  return parsed.ioc;
}

/** One record of an export (CSV row as an object, or a JSON record) to a row. */
function rowOf(record: Record<string, unknown>): ListRow {
  const source = (record.source ?? {}) as Record<string, unknown>;
  const { article, referenceUrl } = articleAndReference(source, record);
  const row: ListRow = {
    ioc: iocOf(record.value, record.type),
    confidence: oneOf('confidence', CONFIDENCES, record.confidence),
    firstSeen: timeOf(record.first_seen, 'first_seen'),
    lastSeen: timeOf(record.last_seen, 'last_seen'),
    tags: listOf(record.tags),
    mitreTechniques: listOf(record.mitre_techniques),
    sourceName: (record.source_feed ?? source.feed_name) ? String(record.source_feed ?? source.feed_name) : undefined,
    category: oneOf('category', CATEGORIES, record.category ?? source.category),
    article,
    origin: oneOf('origin', ORIGINS, source.origin),
    referenceUrl,
  };
  if (typeof record.context === 'string' && record.context) row.context = record.context;
  if (row.firstSeen && row.lastSeen && row.lastSeen < row.firstSeen) throw new RowError('last_seen is before first_seen');
  return row;
}

function collect(entries: Iterable<{ at: number; value: string; read: () => ListRow }>, format: ParsedList['format']): ParsedList {
  const result: ParsedList = { format, rows: [], rejected: [] };
  for (const entry of entries) {
    try {
      result.rows.push(entry.read());
    } catch (error) {
      if (!(error instanceof RowError)) throw error;
      result.rejected.push({ at: entry.at, value: entry.value, reason: error.message });
    }
  }
  return result;
}

function parseJsonList(text: string): ParsedList {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new ListFormatError(`not valid JSON: ${(error as Error).message}`);
  }
  const records = Array.isArray(document) ? document : (document as { data?: unknown })?.data;
  if (!Array.isArray(records)) throw new ListFormatError('JSON must be an array of IOC records or the list envelope {"data": [...]}');
  return collect(
    records.map((record, index) => ({
      at: index + 1,
      value: String((record as Record<string, unknown>)?.value ?? ''),
      read: () => {
        if (typeof record !== 'object' || record === null) throw new RowError('not an object');
        return rowOf(record as Record<string, unknown>);
      },
    })),
    'json',
  );
}

function parseCsvList(text: string): ParsedList {
  const records = parseCsv(text, { bom: true, skip_empty_lines: true, relax_column_count: true, info: true }) as unknown as {
    record: string[];
    info: { lines: number };
  }[];
  const [header, ...rows] = records;
  const columns = header!.record.map((c) => c.trim().toLowerCase());
  return collect(
    rows.map(({ record, info }) => ({
      at: info.lines,
      value: restoreFormula(record[columns.indexOf('value')] ?? ''),
      read: () => {
        if (record.length !== columns.length) throw new RowError(`${record.length} columns, the header has ${columns.length}`);
        return rowOf(Object.fromEntries(columns.map((column, i) => [column, restoreFormula(record[i]!)])));
      },
    })),
    'csv',
  );
}

function parseLines(text: string): ParsedList {
  const entries = text.split(/\r?\n/).flatMap((line, index) => {
    const value = line.replace(/\s+#.*$/, '').trim();
    if (value === '' || value.startsWith('#')) return [];
    return [{ at: index + 1, value, read: () => ({ ioc: iocOf(value, undefined), tags: [], mitreTechniques: [] }) }];
  });
  return collect(entries, 'lines');
}

/** Reads a list in whichever of the three formats it is. */
export function parseIocList(text: string): ParsedList {
  const body = text.replace(/^\uFEFF/, '');
  const start = body.trimStart()[0];
  if (start === '{' || start === '[') return parseJsonList(body);
  const firstLine = body.split('\n', 1)[0]!.toLowerCase();
  if (/(^|,)"?type"?(,|$)/.test(firstLine) && /(^|,)"?value"?(,|$)/.test(firstLine)) return parseCsvList(body);
  return parseLines(body);
}
