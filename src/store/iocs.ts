// Reading the records (sightings) of indicators for the list and export endpoints. Reads walk
// the (extracted_at, id) index in batches so that exports stream and never hold a whole result
// in memory. Searching is search.ts, writing upsert.ts.
import type { Category, Confidence, Industry, IocType } from '../ioc/types.js';
import type { Queryable } from './db.js';
import type { CsvRecord, IndicatorRef, IndicatorSummary, IocRecord } from './records.js';

export interface RecordFilters {
  type?: IocType;
  /** Every type but this one. */
  notType?: IocType;
  category?: Category;
  confidence?: Confidence;
  industry?: Industry;
  /** Inclusive lower bound on extracted_at. */
  since: Date;
  /** Exclusive upper bound on extracted_at. */
  until?: Date;
  /** Records stored or seen again (last_seen), or whose indicator's lifecycle changed, since then: STIX's incremental `since`. */
  changedSince?: Date;
  /**
   * Which records by their indicator's lifecycle: the listed ones (the default: active, not
   * revoked), also the expired ones (`include_expired`), or all (incremental channels, which
   * carry withdrawals to subscribers).
   */
  lifecycle?: Lifecycle;
}

export type Lifecycle = 'active' | 'with-expired' | 'all';

// "Active only" is the partial paging indexes' predicate (0015_lifecycle.sql): a walk of the
// listed records alone.
const LIFECYCLE_CLAUSES: Record<Lifecycle, string | undefined> = {
  active: 's.withdrawn is null',
  'with-expired': "s.withdrawn is distinct from 'revoked'",
  all: undefined,
};

/**
 * The WHERE clause of a filtered read and its parameters. Only the filters given are written,
 * so each combination is its own statement with a plan fit for it (a type filter walks the
 * type's slice of the paging index; no `$1 is null or …` defeats a prepared plan).
 */
export function filterClause(f: RecordFilters, cursor?: Cursor): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const add = (value: unknown, clause: (param: string) => string) => {
    params.push(value);
    clauses.push(clause(`$${params.length}`));
  };
  add(f.since, (p) => `s.extracted_at >= ${p}::timestamptz`);
  if (f.until) add(f.until, (p) => `s.extracted_at < ${p}::timestamptz`);
  if (f.changedSince) {
    add(f.changedSince, (p) => `(s.extracted_at >= ${p}::timestamptz or s.last_seen >= ${p}::timestamptz
      or exists (select 1 from indicators x where x.id = s.indicator_id and x.lifecycle_at >= ${p}::timestamptz))`);
  }
  const lifecycle = LIFECYCLE_CLAUSES[f.lifecycle ?? 'active'];
  if (lifecycle) clauses.push(lifecycle);
  if (f.type) add(f.type, (p) => `s.type = ${p}`);
  if (f.notType) add(f.notType, (p) => `s.type <> ${p}`);
  if (f.category) add(f.category, (p) => `s.source_id in (select id from sources where category = ${p})`);
  if (f.confidence) add(f.confidence, (p) => `s.confidence = ${p}`);
  if (f.industry) add(f.industry, (p) => `s.industries @> array[${p}::text]`);
  if (cursor) {
    // The keyset of the previous batch: newest first, strictly after it.
    params.push(cursor.cursor_at, cursor.cursor_id);
    clauses.push(`(s.extracted_at, s.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  return { where: clauses.join(' and '), params };
}

// A record's article_url is the article's page on this service (spec README, decision 11), written
// `/item/<id>`: the API puts its links' base before it (api/links.ts). reference_url is the
// publisher's page, else the record's own upstream page (a feed's entry).
export const ARTICLE_PAGE_PATH = '/item/';
const RECORD_COLUMNS = `s.id, s.type, i.value, s.confidence,
  socd_iso(s.first_seen) as first_seen, socd_iso(s.last_seen) as last_seen,
  s.article_id, a.title as article_title, '${ARTICLE_PAGE_PATH}' || s.article_id as article_url,
  coalesce(a.url, s.reference_url) as reference_url,
  src.name as feed_name, src.category, s.origin, s.context, s.tags, s.mitre_techniques`;

// A search answers its records as JSON text built by the database, in the API's shape (IocRecord,
// context included, in the order of its response schema): no row of sixteen columns to parse,
// no object to build and serialize again, for the API's busiest request. (Not for a list of
// thousands: there the database's JSON costs it more than it saves.)
// Written piece by piece (json_build_object costs PostgreSQL about a third more a record):
// strings go through to_json, for its escaping; ids, times and the words a check constraint
// allows need none; and as concat drops a null, a nullable member writes its null itself.
const orNull = (expression: string) => `coalesce(to_json(${expression})::text, 'null')`;
export const RECORD_JSON = `concat('{"id":"', s.id, '","type":', to_json(s.type), ',"value":', to_json(i.value),
    ',"confidence":"', s.confidence, '","first_seen":"', socd_iso(s.first_seen), '","last_seen":"', socd_iso(s.last_seen),
    '","source":{"article_id":', ${orNull('s.article_id')}, ',"article_title":', ${orNull('a.title')},
    ',"article_url":', coalesce('"${ARTICLE_PAGE_PATH}' || s.article_id || '"', 'null'),
    ',"reference_url":', ${orNull('coalesce(a.url, s.reference_url)')},
    ',"feed_name":', to_json(src.name), ',"category":', to_json(src.category), ',"origin":"', s.origin,
    '"},"context":', ${orNull('s.context')}, ',"tags":', to_json(s.tags), ',"mitre_techniques":', to_json(s.mitre_techniques),
    '}') as json`;

export const RECORD_JOINS = `from sightings s
  join indicators i on i.id = s.indicator_id
  join sources src on src.id = s.source_id
  left join articles a on a.id = s.article_id`;

/**
 * A keyset's time as text, in UTC to the microsecond: the same whatever the session's DateStyle
 * and TimeZone, and never rounded through a JS Date (api/cursor.ts hands it to clients).
 */
export const keysetAt = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

// A batch: $n+1 rows after skipping $n+2. The last row of a full batch carries the keyset where
// the next batch starts (cursor_at, cursor_id); the others carry nulls, so that a timestamp is
// formatted once a batch rather than once a row (a quarter of a block-list's reading time).
// cursor_at is keysetAt's text: it also travels in the list's `cursor` (api/cursor.ts).
const CURSOR = (n: number) => {
  const last = `row_number() over (order by s.extracted_at desc, s.id desc) = $${n + 2}::bigint + $${n + 1}::bigint`;
  return `case when ${last} then ${keysetAt('s.extracted_at')} end as cursor_at,
    case when ${last} then s.id end as cursor_id`;
};
const PAGE = (n: number) => `order by s.extracted_at desc, s.id desc limit $${n + 1}::bigint offset $${n + 2}::bigint`;

const selectRecords = (where: string, n: number) => `select ${RECORD_COLUMNS}, ${CURSOR(n)}
  ${RECORD_JOINS} where ${where} ${PAGE(n)}`;

// The CSV's ten columns and nothing more: no article join, the tags joined by the database.
const selectCsvRecords = (where: string, n: number) => `select s.id, s.type, i.value, s.confidence,
    socd_iso(s.first_seen) as first_seen, socd_iso(s.last_seen) as last_seen, s.article_id,
    src.name as feed_name, src.category, array_to_string(s.tags, ',') as tags, ${CURSOR(n)}
  from sightings s join indicators i on i.id = s.indicator_id join sources src on src.id = s.source_id
  where ${where} ${PAGE(n)}`;

const selectIndicatorIds = (where: string, n: number) => `select s.indicator_id, s.type, i.value, ${CURSOR(n)}
  from sightings s join indicators i on i.id = s.indicator_id
  where ${where} ${PAGE(n)}`;

const selectValues = (where: string, n: number) => `select i.value, ${CURSOR(n)}
  from sightings s join indicators i on i.id = s.indicator_id
  where ${where} ${PAGE(n)}`;

const countRecordsSql = (where: string) => `select count(*)::int as total from sightings s where ${where}`;
// Counts no further than $n+1 rows: the cost of a count is bounded whatever the store holds.
const countRecordsUpToSql = (where: string, n: number) =>
  `select count(*)::int as total from (select from sightings s where ${where} limit $${n + 1}::bigint) as capped`;

const SELECT_SUMMARIES = `select i.id, i.type, i.value, i.confidence,
    i.suppressed_reason is not null or i.revoked_at is not null as revoked,
    i.status <> 'expired' and i.revoked_at is null as listed,
    case when i.valid_until is null or i.valid_until = 'infinity' then null else socd_iso_ms(i.valid_until) end as valid_until,
    socd_iso_ms(i.lifecycle_at) as lifecycle_at,
    -- Its current STIX object (export/stix.ts StixSummary.stix_chain, as the publisher numbers them):
    -- every object but the newest is revoked; a value restored after its newest was revoked gets the next.
    (select case when count(*) = 0 then 0
         when count(*) filter (where v.state::jsonb ->> 3 = 'true') = count(*) and i.suppressed_reason is null and i.revoked_at is null then count(*)
         else count(*) - 1 end::int
     from stix_versions v where v.indicator_id = i.id and v.latest and v.state is not null) as stix_chain,
    socd_iso_ms(i.first_seen) as first_seen, socd_iso_ms(i.last_seen) as last_seen,
    array_agg(distinct src.name) as sources,
    coalesce(array_agg(distinct tag) filter (where tag is not null), '{}') as tags,
    coalesce(array_agg(distinct technique) filter (where technique is not null), '{}') as mitre_techniques,
    coalesce(array_agg(distinct s.context) filter (where s.context is not null), '{}') as contexts,
    coalesce(array_agg(distinct s.reference_url) filter (where s.reference_url is not null), '{}') as reference_urls
  from indicators i
  join sightings s on s.indicator_id = i.id
  join sources src on src.id = s.source_id
  left join lateral unnest(s.tags) as tag on true
  left join lateral unnest(s.mitre_techniques) as technique on true
  where i.id = any($1::uuid[])
  group by i.id`;

/** A record as its statement reads it: IocRecord with its source's members beside the others. */
export type RecordRow = Omit<IocRecord, 'source' | 'context'> & IocRecord['source'] & { context: string | null };

export function toIocRecord(row: RecordRow, includeContext = true): IocRecord {
  const record: IocRecord = {
    id: row.id,
    type: row.type,
    value: row.value,
    confidence: row.confidence,
    first_seen: row.first_seen,
    last_seen: row.last_seen,
    source: {
      article_id: row.article_id,
      article_title: row.article_title,
      article_url: row.article_url,
      reference_url: row.reference_url,
      feed_name: row.feed_name,
      category: row.category,
      origin: row.origin,
    },
    tags: row.tags,
    mitre_techniques: row.mitre_techniques,
  };
  if (includeContext) record.context = row.context;
  return record;
}

/** A place in the (extracted_at desc, id desc) order: extracted_at as PostgreSQL writes it (microseconds), and the id. */
export interface Keyset {
  at: string;
  id: string;
}

export interface Page {
  limit: number;
  /** Rows skipped (after `after`, when given). */
  offset: number;
  /** The page starts after this row: a keyset cursor, as cheap at the millionth row as at the first. */
  after?: Keyset;
}

/** The keyset columns of a read: set on the last row of a full batch, null on the others. */
export type Cursor = { cursor_at: string | null; cursor_id: string | null };

/**
 * Walks the filtered records newest first along the (extracted_at, id) index, one batch per
 * query; nextSize() gives the size of the next batch, 0 to stop.
 */
async function* walk<R extends Cursor>(
  db: Queryable,
  statement: (where: string, paramCount: number) => string,
  filters: RecordFilters,
  offset: number,
  nextSize: () => number,
  after?: Keyset,
): AsyncGenerator<R[]> {
  let cursor: Cursor | undefined = after && { cursor_at: after.at, cursor_id: after.id };
  for (let size = nextSize(), skip = offset; size > 0; size = nextSize(), skip = 0) {
    const { where, params } = filterClause(filters, cursor);
    const rows = await db.query<R>(statement(where, params.length), [...params, size, skip]);
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < size) return;
    cursor = rows[rows.length - 1]!;
    if (cursor.cursor_at === null) throw new Error('a full batch came without the keyset of its last row');
  }
}

/**
 * The batches of `source`, each next one read while the one before is with the consumer: the
 * database reads a batch while the last is written out, as a COPY's parallel worker would.
 */
async function* readAhead<T>(source: AsyncGenerator<T>): AsyncGenerator<T> {
  let next = source.next();
  try {
    for (let result = await next; !result.done; result = await next) {
      next = source.next();
      yield result.value;
    }
  } finally {
    // Stopped early: the batch read ahead is not wanted (nor its failure).
    await next.catch(() => undefined);
    await source.return(undefined);
  }
}

async function* walkPage<R extends Cursor>(
  db: Queryable,
  statement: (where: string, paramCount: number) => string,
  filters: RecordFilters,
  page: Page,
  batchSize: number,
): AsyncGenerator<R[]> {
  let remaining = page.limit;
  for await (const rows of walk<R>(db, statement, filters, page.offset, () => Math.min(batchSize, remaining), page.after)) {
    remaining -= rows.length;
    yield rows;
  }
}

/**
 * The records of one page, newest first, in batches (for streaming). The last row of a full page
 * carries its keyset (cursor_at, cursor_id): where the next page starts.
 */
export function streamRecords(db: Queryable, filters: RecordFilters, page: Page, batchSize = 2500): AsyncGenerator<(RecordRow & Cursor)[]> {
  return readAhead(walkPage<RecordRow & Cursor>(db, selectRecords, filters, page, batchSize));
}

/**
 * Any read of the filtered records along the paging index, newest first, in batches: `columns`
 * from `from` (which names the sightings `s`).
 */
export function streamFiltered<R>(db: Queryable, columns: string, from: string, filters: RecordFilters, page: Page, batchSize = 5000): AsyncGenerator<(R & Cursor)[]> {
  const statement = (where: string, n: number) => `select ${columns}, ${CURSOR(n)} ${from} where ${where} ${PAGE(n)}`;
  return readAhead(walkPage<R & Cursor>(db, statement, filters, page, batchSize));
}

/** The same records as streamRecords, with only what the CSV writes. */
export function streamCsvRecords(db: Queryable, filters: RecordFilters, page: Page, batchSize = 2500): AsyncGenerator<(CsvRecord & Cursor)[]> {
  return readAhead(walkPage<CsvRecord & Cursor>(db, selectCsvRecords, filters, page, batchSize));
}

export async function countRecords(db: Queryable, filters: RecordFilters): Promise<number> {
  const { where, params } = filterClause(filters);
  const [row] = await db.query<{ total: number }>(countRecordsSql(where), params);
  return row?.total ?? 0;
}

/** The filtered records counted up to `cap` + 1: the exact total when at most `cap`, else `cap` + 1. */
export async function countRecordsUpTo(db: Queryable, filters: RecordFilters, cap: number): Promise<number> {
  const { where, params } = filterClause(filters);
  const [row] = await db.query<{ total: number }>(countRecordsUpToSql(where, params.length), [...params, cap + 1]);
  return row?.total ?? 0;
}

/**
 * The distinct keys among the filtered records, in the order their newest record was stored, as
 * batches of rows (the first row of each key), a page of keys long.
 */
async function* streamDistinct<R extends Cursor>(
  db: Queryable,
  statement: (where: string, paramCount: number) => string,
  key: (row: R) => string,
  filters: RecordFilters,
  page: Page,
  batchSize: number,
): AsyncGenerator<R[]> {
  const seen = new Set<string>();
  let skipped = 0;
  let emitted = 0;
  // Each batch asks for the keys still wanted (and a few more, for keys repeated among them): a
  // last batch of 5000 records for a few missing keys would be mostly thrown away.
  const nextSize = () => {
    const wanted = page.offset - skipped + page.limit - emitted;
    return emitted < page.limit ? Math.min(batchSize, Math.max(100, Math.ceil(wanted * 1.1))) : 0;
  };
  for await (const rows of walk<R>(db, statement, filters, 0, nextSize)) {
    const batch: R[] = [];
    for (const row of rows) {
      const k = key(row);
      if (seen.has(k)) continue;
      seen.add(k);
      if (skipped < page.offset) {
        skipped++;
        continue;
      }
      batch.push(row);
      if (++emitted === page.limit) break;
    }
    if (batch.length > 0) yield batch;
    if (emitted === page.limit) return;
  }
}

/**
 * The distinct indicators among the filtered records, in the order their newest record was
 * stored, as batches of { id, type, value } (every indicator format reads this).
 */
export async function* streamIndicatorIds(
  db: Queryable,
  filters: RecordFilters,
  page: Page,
  batchSize = 5000,
): AsyncGenerator<IndicatorRef[]> {
  type Row = Cursor & { indicator_id: string; type: IocType; value: string };
  const batches = streamDistinct<Row>(db, selectIndicatorIds, (row) => row.indicator_id, filters, page, batchSize);
  for await (const rows of readAhead(batches)) yield rows.map((row) => ({ id: row.indicator_id, type: row.type, value: row.value }));
}

/** The distinct values among the filtered records, in the same order, in batches (block-lists). */
export async function* streamValues(db: Queryable, filters: RecordFilters, page: Page, batchSize = 5000): AsyncGenerator<string[]> {
  type Row = Cursor & { value: string };
  const batches = streamDistinct<Row>(db, selectValues, (row) => row.value, filters, page, batchSize);
  for await (const rows of readAhead(batches)) yield rows.map((row) => row.value);
}

type SummaryRow = Omit<IndicatorSummary, 'contexts'> & { contexts: string[] };

/** What every record of these indicators says, merged per indicator, in the order given. */
export async function summarizeIndicators(db: Queryable, ids: string[]): Promise<IndicatorSummary[]> {
  const rows = await db.query<SummaryRow>(SELECT_SUMMARIES, [ids]);
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.flatMap((id) => {
    const row = byId.get(id);
    return row ? [{ ...row, contexts: row.contexts.slice(0, 3) }] : [];
  });
}
