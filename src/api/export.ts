// Serves any export format of the registry (src/export): reads what the format reads from the
// store, a batch at a time, and streams what its writer makes of it. The head goes out with the
// first batch, never before: once a byte is sent the status is 200, so a database that fails at
// once must fail before it (a 500, not a truncated 200).
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AnyExporter, ExportContext, Exporter, ReadItems, Reads } from '../export/index.js';
import type { Db } from '../store/db.js';
import { streamCsvRecords, streamIndicatorIds, streamRecords, streamValues, summarizeIndicators, toIocRecord } from '../store/iocs.js';
import type { ResolvedQuery } from './filters.js';

export interface ReadOptions {
  /** false leaves each record's `context` out (records only). */
  includeContext: boolean;
}

async function* summaries(db: Db, q: ResolvedQuery) {
  for await (const batch of streamIndicatorIds(db, q.filters, q.page, 1000)) yield await summarizeIndicators(db, batch.map((i) => i.id));
}

async function* records(db: Db, q: ResolvedQuery, includeContext: boolean) {
  for await (const rows of streamRecords(db, q.filters, q.page)) yield rows.map((row) => toIocRecord(row, includeContext));
}

/** The batches a format reads. */
function read<R extends Reads>(reads: R, db: Db, q: ResolvedQuery, options: ReadOptions): AsyncIterable<ReadItems[R][]> {
  const sources: { [K in Reads]: () => AsyncIterable<ReadItems[K][]> } = {
    records: () => records(db, q, options.includeContext),
    'csv-records': () => streamCsvRecords(db, q.filters, q.page),
    values: () => streamValues(db, q.filters, q.page),
    summaries: () => summaries(db, q),
  };
  return sources[reads]();
}

async function* body<R extends Reads>(exporter: Exporter<R>, batches: AsyncIterable<ReadItems[R][]>, context: ExportContext) {
  const writer = exporter.writer(context);
  let head = writer.head();
  let first = true;
  for await (const items of batches) {
    yield head + writer.batch(items, first);
    head = '';
    first = first && items.length === 0;
  }
  yield head + (await writer.tail());
}

const NO_LIST_META: ExportContext = {
  listMeta: () => Promise.reject(new Error('this export has no list meta')),
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
  const batches = read(exporter.reads, db, q, options) as AsyncIterable<never[]>;
  return reply.send(Readable.from(body(exporter as Exporter, batches, options.context ?? NO_LIST_META)));
}
