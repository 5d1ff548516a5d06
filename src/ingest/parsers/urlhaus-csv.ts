// URLhaus CSV dumps (`csv_online`, `csv_recent`, the full `csv`): a `#` banner, the header as a
// `# id,dateadded,url,...` comment, then one quoted row per URL. Mirrors sometimes strip the banner
// and un-comment the header; both are read. One `url` record per row.
import { FeedFormatError, type FeedParser, type ParsedFeed } from '../types.js';
import {
  RowError,
  assertPlainText,
  collectRow,
  columnIndexes,
  confidenceOfStatus,
  emptyFeed,
  iocOf,
  leadingComments,
  notBefore,
  openBody,
  optionalDate,
  readCsv,
  requiredDate,
  tagsOf,
  type CsvRow,
} from './common.js';

const FORMAT = 'URLhaus CSV';

const COLUMNS = {
  id: ['id'],
  dateadded: ['dateadded', 'date_added'],
  url: ['url'],
  url_status: ['url_status', 'status'],
  last_online: ['last_online', 'lastonline'],
  threat: ['threat'],
  tags: ['tags'],
  urlhaus_link: ['urlhaus_link', 'urlhaus_reference'],
  reporter: ['reporter'],
} as const;
type Column = keyof typeof COLUMNS;
type Indexes = Partial<Record<Column, number>>;

const HEADER_START = 'id,';
const QUOTES = /"/g;

function splitHeader(line: string): string[] {
  return line.split(',').map((name) => name.replace(QUOTES, '').trim());
}

/** The header: the `# id,dateadded,...` banner comment, or an un-commented first row `id,...`. */
function findHeader(comments: readonly string[], rows: CsvRow[]): { header: string[]; fromRows: boolean } | undefined {
  for (const comment of comments) {
    if (comment.toLowerCase().replace(QUOTES, '').startsWith(HEADER_START)) return { header: splitHeader(comment), fromRows: false };
  }
  const first = rows[0];
  if (first !== undefined && first.fields[0]?.trim().toLowerCase() === 'id') return { header: first.fields, fromRows: true };
  return undefined;
}

function field(row: CsvRow, indexes: Indexes, column: Column): string | undefined {
  const index = indexes[column];
  if (index === undefined) return undefined;
  const value = row.fields[index]?.trim();
  return value === '' ? undefined : value;
}

/**
 * firstSeen = dateadded; lastSeen = last_online, else dateadded. Confidence: `online` → high (it
 * served malware at the last check), `offline` or unknown → medium. Tags: the threat
 * (`malware_download`) and the tags column, lower-cased, `None` dropped.
 */
function readRow(row: CsvRow, indexes: Indexes, expected: number) {
  if (row.fields.length < expected) {
    throw new RowError(`expected ${expected} fields, got ${row.fields.length} (truncated line?)`);
  }
  const ioc = iocOf(field(row, indexes, 'url'), 'url', 'url');
  const firstSeen = requiredDate(field(row, indexes, 'dateadded'), 'dateadded');
  const lastSeen = notBefore(firstSeen, optionalDate(field(row, indexes, 'last_online'), 'last_online'));
  const status = field(row, indexes, 'url_status')?.toLowerCase();
  const threat = field(row, indexes, 'threat');
  const reporter = field(row, indexes, 'reporter');
  const id = field(row, indexes, 'id');
  const link = field(row, indexes, 'urlhaus_link') ?? (id !== undefined ? `https://urlhaus.abuse.ch/url/${id}/` : undefined);
  let context = `${threat ?? 'malware'} URL`;
  if (reporter !== undefined) context += ` reported by ${reporter}`;
  if (status !== undefined) context += `, ${status}`;
  return {
    ioc,
    confidence: confidenceOfStatus(status),
    firstSeen,
    lastSeen,
    tags: tagsOf(threat, field(row, indexes, 'tags')),
    context,
    ...(link !== undefined ? { referenceUrl: link } : {}),
  };
}

export const parseUrlhausCsv: FeedParser = (body) => {
  const text = openBody(body, FORMAT);
  assertPlainText(text, FORMAT);
  const { rows, broken } = readCsv(text, FORMAT);
  const found = findHeader(leadingComments(text), rows);
  if (found === undefined) {
    throw new FeedFormatError(`${FORMAT}: no header line (# id,dateadded,url,url_status,...) found`);
  }
  const indexes = columnIndexes(found.header, COLUMNS);
  if (indexes.url === undefined || indexes.dateadded === undefined) {
    throw new FeedFormatError(`${FORMAT}: the header has no url or dateadded column: ${found.header.join(',')}`);
  }
  const feed: ParsedFeed = emptyFeed();
  for (const rejected of broken) feed.rejected.push({ at: rejected.line, value: rejected.value, reason: rejected.reason });
  for (let i = found.fromRows ? 1 : 0; i < rows.length; i++) {
    const row = rows[i] as CsvRow;
    collectRow(feed, row.line, () => row.fields.join(','), () => readRow(row, indexes, found.header.length));
  }
  feed.rejected.sort((a, b) => Number(a.at) - Number(b.at));
  return feed;
};
