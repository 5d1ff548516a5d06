// Feodo Tracker `ipblocklist.csv`: a `#` banner, a quoted header row
// ("first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"), one quoted row per
// C2, and a `# END 28 entries` trailer, sometimes without a final newline. Older files had the
// header as a comment (`# Firstseen,DstIP,DstPort,LastOnline,Malware`); both are read.
import { FeedFormatError, type FeedParser, type ParsedFeed } from '../types.js';
import {
  RowError,
  assertPlainText,
  checkAnnouncedCount,
  collectRow,
  columnIndexes,
  columnKey,
  emptyFeed,
  leadingComments,
  openBody,
  readCsv,
  trailingComment,
  type CsvRow,
} from './common.js';
import { readFeodoRow } from './feodo-json.js';

const FORMAT = 'Feodo Tracker CSV';

const COLUMNS = {
  firstSeen: ['first_seen_utc', 'first_seen', 'firstseen'],
  ip: ['dst_ip', 'dstip', 'ip_address'],
  port: ['dst_port', 'dstport', 'port'],
  status: ['c2_status', 'status'],
  lastOnline: ['last_online', 'lastonline'],
  malware: ['malware'],
} as const;
type Column = keyof typeof COLUMNS;

const IP_COLUMN_KEYS: ReadonlySet<string> = new Set(COLUMNS.ip.map(columnKey));
const ENTRY_COUNT = /^end\s+(\d+)\s+entries/i;

function isHeader(fields: readonly string[]): boolean {
  return fields.some((name) => IP_COLUMN_KEYS.has(columnKey(name)));
}

function findHeader(comments: readonly string[], rows: CsvRow[]): { header: string[]; fromRows: boolean } | undefined {
  const first = rows[0];
  if (first !== undefined && isHeader(first.fields)) return { header: first.fields, fromRows: true };
  for (const comment of comments) {
    const names = comment.split(',').map((name) => name.trim());
    if (names.length > 2 && isHeader(names)) return { header: names, fromRows: false };
  }
  return undefined;
}

export const parseFeodoCsv: FeedParser = (body) => {
  const text = openBody(body, FORMAT);
  assertPlainText(text, FORMAT);
  const { rows, broken } = readCsv(text, FORMAT);
  const found = findHeader(leadingComments(text), rows);
  if (found === undefined) throw new FeedFormatError(`${FORMAT}: no header line ("first_seen_utc","dst_ip",...) found`);
  const indexes = columnIndexes(found.header, COLUMNS);
  if (indexes.ip === undefined || indexes.firstSeen === undefined) {
    throw new FeedFormatError(`${FORMAT}: the header has no dst_ip or first_seen_utc column: ${found.header.join(',')}`);
  }
  const feed: ParsedFeed = emptyFeed();
  for (const rejected of broken) feed.rejected.push({ at: rejected.line, value: rejected.value, reason: rejected.reason });
  const field = (row: CsvRow, column: Column): string | undefined => {
    const index = indexes[column];
    return index === undefined ? undefined : row.fields[index];
  };
  const expected = found.header.length;
  const first = found.fromRows ? 1 : 0;
  for (let i = first; i < rows.length; i++) {
    const row = rows[i] as CsvRow;
    collectRow(feed, row.line, () => row.fields.join(','), () => {
      if (row.fields.length < expected) throw new RowError(`expected ${expected} fields, got ${row.fields.length} (truncated line?)`);
      return readFeodoRow({
        ip: field(row, 'ip'),
        port: field(row, 'port'),
        status: field(row, 'status'),
        firstSeen: field(row, 'firstSeen'),
        lastOnline: field(row, 'lastOnline'),
        malware: field(row, 'malware'),
      });
    });
  }
  checkAnnouncedCount(feed, trailingComment(text), ENTRY_COUNT, rows.length - first + broken.length);
  feed.rejected.sort((a, b) => Number(a.at) - Number(b.at));
  return feed;
};
