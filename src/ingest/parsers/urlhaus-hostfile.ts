// The URLhaus host file: `127.0.0.1<TAB>domain` per line (CRLF), a `#` banner with its
// `Last updated` time, and a `# Number of entries: N` trailer. One `domain` record per line.
import type { FeedParser, FeedRecord, ParsedFeed } from '../types.js';
import {
  RowError,
  assertPlainText,
  bannerDate,
  checkAnnouncedCount,
  collectRow,
  emptyFeed,
  iocOf,
  leadingComments,
  nowOf,
  openBody,
  trailingComment,
} from './common.js';

const FORMAT = 'URLhaus host file';
const SINK_ADDRESSES: ReadonlySet<string> = new Set(['127.0.0.1', '0.0.0.0']);
const WHITESPACE_RUN = /\s+/;
const ENTRY_COUNT = /number of entries:\s*(\d+)/i;

/**
 * The file has no per-entry date: firstSeen = lastSeen = the banner's `Last updated` time (the
 * moment the domain was listed), or `now` when the banner has none. Confidence medium: a listed
 * domain hosted a malware URL, but it is often a compromised legitimate site.
 */
function readLine(line: string, seen: Date): FeedRecord {
  const [address = '', host, ...rest] = line.split(WHITESPACE_RUN);
  if (host === undefined) throw new RowError('expected "127.0.0.1<TAB>domain", found one field');
  if (!SINK_ADDRESSES.has(address)) throw new RowError(`expected 127.0.0.1 or 0.0.0.0 before the domain, found "${address}"`);
  if (rest.length > 0 && !rest[0]?.startsWith('#')) throw new RowError('more than one domain on the line');
  const ioc = iocOf(host, 'domain', 'domain');
  return {
    ioc,
    confidence: 'medium',
    firstSeen: seen,
    lastSeen: seen,
    tags: ['malware_download'],
    context: 'Domain hosting malware URLs, listed in the URLhaus host file',
    referenceUrl: `https://urlhaus.abuse.ch/host/${ioc.value}/`,
  };
}

export const parseUrlhausHostfile: FeedParser = (body, options) => {
  const text = openBody(body, FORMAT);
  assertPlainText(text, FORMAT);
  const seen = bannerDate(leadingComments(text)) ?? nowOf(options);
  const feed: ParsedFeed = emptyFeed();
  let entries = 0;
  let lineNumber = 0;
  for (let start = 0; start < text.length; ) {
    const end = text.indexOf('\n', start);
    const stop = end === -1 ? text.length : end;
    lineNumber++;
    const line = text.slice(start, stop).trim();
    start = stop + 1;
    if (line === '' || line.startsWith('#')) continue;
    entries++;
    collectRow(feed, lineNumber, line, () => readLine(line, seen));
  }
  checkAnnouncedCount(feed, trailingComment(text), ENTRY_COUNT, entries);
  return feed;
};
