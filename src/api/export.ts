// Serves any export format of the registry (src/export): reads what the format reads from the
// store, a batch at a time, and streams what its writer makes of it. The head goes out with the
// first batch, never before: once a byte is sent the status is 200, so a database that fails at
// once must fail before it (a 500, not a truncated 200).
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AnyExporter, ExportContext, Exporter, PageEnd, ReadItems, Reads } from '../export/index.js';
import type { Db } from '../store/db.js';
import { pageEvents, readEvents, type EventKey } from '../store/events.js';
import {
  streamCsvRecords,
  streamIndicatorIds,
  streamRecords,
  streamValues,
  summarizeIndicators,
  toIocRecord,
  type Cursor,
} from '../store/iocs.js';
import type { ResolvedQuery } from './filters.js';

export interface ReadOptions {
  /** false leaves each record's `context` out (records only). */
  includeContext: boolean;
  /** The links' base (links.ts linkBase), which makes each record's article_url absolute (records only). */
  articleBase?: string;
  /** The page's events, when the route read them first (events only). */
  events?: EventKey[];
}

const EVENT_BATCH = 50;

async function* events(db: Db, q: Query, page: EventKey[] | undefined) {
  const keys = page ?? (await pageEvents(db, q.filters, q.page));
  for (let i = 0; i < keys.length; i += EVENT_BATCH) yield await readEvents(db, q.filters, keys.slice(i, i + EVENT_BATCH));
}

/** What a read needs of the request: its filters and its page. */
type Query = Pick<ResolvedQuery, 'filters' | 'page'>;

async function* summaries(db: Db, q: Query) {
  for await (const batch of streamIndicatorIds(db, q.filters, q.page, 1000)) yield await summarizeIndicators(db, batch.map((i) => i.id));
}

/** The batches as they go by, noting in `end` how many rows the page has and where it ends. */
async function* noting<R extends Cursor>(batches: AsyncIterable<R[]>, end: PageEnd): AsyncGenerator<R[]> {
  for await (const rows of batches) {
    end.rows += rows.length;
    // Only the last row of a full batch carries its keyset; a page is full when its last batch is.
    const last = rows[rows.length - 1];
    end.last = last?.cursor_at && last.cursor_id ? { at: last.cursor_at, id: last.cursor_id } : undefined;
    yield rows;
  }
}

async function* records(db: Db, q: Query, { includeContext, articleBase = '' }: ReadOptions, end: PageEnd) {
  for await (const rows of noting(streamRecords(db, q.filters, q.page), end)) {
    yield rows.map((row) => {
      const record = toIocRecord(row, includeContext);
      if (record.source.article_url !== null) record.source.article_url = articleBase + record.source.article_url;
      return record;
    });
  }
}

/** The batches a format reads (`end` notes the page of a records or csv-records read). */
export function readBatches<R extends Reads>(reads: R, db: Db, q: Query, options: ReadOptions, end: PageEnd): AsyncIterable<ReadItems[R][]> {
  const sources: { [K in Reads]: () => AsyncIterable<ReadItems[K][]> } = {
    records: () => records(db, q, options, end),
    'csv-records': () => noting(streamCsvRecords(db, q.filters, q.page), end),
    values: () => streamValues(db, q.filters, q.page),
    indicators: () => streamIndicatorIds(db, q.filters, q.page),
    summaries: () => summaries(db, q),
    events: () => events(db, q, options.events),
  };
  return sources[reads]();
}

async function* body<R extends Reads>(exporter: Exporter<R>, batches: AsyncIterable<ReadItems[R][]>, context: ExportContext, end: PageEnd) {
  const writer = exporter.writer(context);
  let head = writer.head();
  let first = true;
  for await (const items of batches) {
    yield head + writer.batch(items, first);
    head = '';
    first = first && items.length === 0;
  }
  yield head + (await writer.tail(end));
}

const NO_LIST_META: ExportContext = {
  listMeta: () => Promise.reject(new Error('this export has no list meta')),
  listLinks: () => {
    throw new Error('this export has no list links');
  },
};

export function sendExport(
  request: FastifyRequest,
  reply: FastifyReply,
  db: Db,
  exporter: AnyExporter,
  q: ResolvedQuery,
  options: ReadOptions & { context?: ExportContext },
) {
  const negotiated = exporter.negotiated && (request.headers.accept ?? '').toLowerCase().includes(exporter.negotiated.split(';')[0]!);
  reply.type(negotiated ? exporter.negotiated! : exporter.mediaType);
  if (exporter.filename) reply.header('Content-Disposition', `attachment; filename="${exporter.filename}"`);
  // Each exporter's writer takes what its own `reads` gives: the pairing is the registry's.
  const end: PageEnd = { rows: 0 };
  const batches = readBatches(exporter.reads, db, q, options, end) as AsyncIterable<never[]>;
  return reply.send(Readable.from(body(exporter as Exporter, batches, options.context ?? NO_LIST_META, end)));
}
