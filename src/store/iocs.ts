// Indicators and their records (sightings): writing them idempotently, and reading them for
// the list, search and export endpoints. Reads walk the (extracted_at, id) index in batches
// so that exports stream and never hold a whole result in memory.
import { indicatorId, recordId } from '../ioc/ids.js';
import type { Category, Confidence, Industry, IocType, NormalizedIoc, Origin } from '../ioc/types.js';
import type { CsvRecord, IndicatorSummary, IocRecord } from './records.js';
import { batcher } from './batcher.js';
import type { Db, Queryable } from './db.js';
import type { SourceRef } from './sources.js';

export interface RecordFilters {
  type?: IocType;
  category?: Category;
  confidence?: Confidence;
  industry?: Industry;
  /** Inclusive lower bound on extracted_at. */
  since: Date;
  /** Exclusive upper bound on extracted_at. */
  until?: Date;
  /** Records stored or seen again (last_seen) since then: STIX's incremental `since`. */
  changedSince?: Date;
}

/**
 * The WHERE clause of a filtered read and its parameters. Only the filters given are written,
 * so each combination is its own statement with a plan fit for it (a type filter walks the
 * type's slice of the paging index; no `$1 is null or …` defeats a prepared plan).
 */
function filterClause(f: RecordFilters, cursor?: Cursor): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const add = (value: unknown, clause: (param: string) => string) => {
    params.push(value);
    clauses.push(clause(`$${params.length}`));
  };
  add(f.since, (p) => `s.extracted_at >= ${p}::timestamptz`);
  if (f.until) add(f.until, (p) => `s.extracted_at < ${p}::timestamptz`);
  if (f.changedSince) add(f.changedSince, (p) => `(s.extracted_at >= ${p}::timestamptz or s.last_seen >= ${p}::timestamptz)`);
  if (f.type) add(f.type, (p) => `s.type = ${p}`);
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

const RECORD_COLUMNS = `s.id, s.type, i.value, s.confidence,
  socd_iso(s.first_seen) as first_seen, socd_iso(s.last_seen) as last_seen,
  s.article_id, a.title as article_title, a.url as article_url, s.reference_url,
  src.name as feed_name, src.category, s.origin, s.context, s.tags, s.mitre_techniques`;

// A search answers its records as JSON text built by the database, in the API's shape (IocRecord,
// context included, in the order of its response schema): no row of sixteen columns to parse,
// no object to build and serialize again, for the API's busiest request. (Not for a list of
// thousands: there the database's JSON costs it more than it saves.)
// Written piece by piece (json_build_object costs PostgreSQL about a third more a record):
// strings go through to_json, for its escaping; ids, times and the words a check constraint
// allows need none; and as concat drops a null, a nullable member writes its null itself.
const orNull = (expression: string) => `coalesce(to_json(${expression})::text, 'null')`;
const RECORD_JSON = `concat('{"id":"', s.id, '","type":', to_json(s.type), ',"value":', to_json(i.value),
    ',"confidence":"', s.confidence, '","first_seen":"', socd_iso(s.first_seen), '","last_seen":"', socd_iso(s.last_seen),
    '","source":{"article_id":', ${orNull('s.article_id')}, ',"article_title":', ${orNull('a.title')},
    ',"article_url":', ${orNull('a.url')}, ',"reference_url":', ${orNull('s.reference_url')},
    ',"feed_name":', to_json(src.name), ',"category":', to_json(src.category), ',"origin":"', s.origin,
    '"},"context":', ${orNull('s.context')}, ',"tags":', to_json(s.tags), ',"mitre_techniques":', to_json(s.mitre_techniques),
    '}') as json`;

const RECORD_JOINS = `from sightings s
  join indicators i on i.id = s.indicator_id
  join sources src on src.id = s.source_id
  left join articles a on a.id = s.article_id`;

// A batch: $n+1 rows after skipping $n+2. The last row of a full batch carries the keyset where
// the next batch starts (cursor_at, cursor_id); the others carry nulls, so that a timestamp is
// formatted once a batch rather than once a row (a quarter of a block-list's reading time).
const CURSOR = (n: number) => {
  const last = `row_number() over (order by s.extracted_at desc, s.id desc) = $${n + 2}::bigint + $${n + 1}::bigint`;
  return `case when ${last} then s.extracted_at::text end as cursor_at, case when ${last} then s.id end as cursor_id`;
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

const selectIndicatorIds = (where: string, n: number) => `select s.indicator_id, i.value, ${CURSOR(n)}
  from sightings s join indicators i on i.id = s.indicator_id
  where ${where} ${PAGE(n)}`;

const selectValues = (where: string, n: number) => `select i.value, ${CURSOR(n)}
  from sightings s join indicators i on i.id = s.indicator_id
  where ${where} ${PAGE(n)}`;

const countRecordsSql = (where: string) => `select count(*)::int as total from sightings s where ${where}`;

const SELECT_SUMMARIES = `select i.id, i.type, i.value, i.confidence,
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

export interface RecordRow {
  id: string;
  type: IocType;
  value: string;
  confidence: Confidence;
  first_seen: string;
  last_seen: string;
  article_id: string | null;
  article_title: string | null;
  article_url: string | null;
  reference_url: string | null;
  feed_name: string;
  category: Category;
  origin: Origin;
  context: string | null;
  tags: string[];
  mitre_techniques: string[];
}

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

export interface Page {
  limit: number;
  offset: number;
}

type Cursor = { cursor_at: string | null; cursor_id: string | null };

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
): AsyncGenerator<R[]> {
  let cursor: Cursor | undefined;
  for (let size = nextSize(); size > 0; size = nextSize()) {
    const { where, params } = filterClause(filters, cursor);
    const rows = await db.query<R>(statement(where, params.length), [...params, size, cursor ? 0 : offset]);
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
  for await (const rows of walk<R>(db, statement, filters, page.offset, () => Math.min(batchSize, remaining))) {
    remaining -= rows.length;
    yield rows;
  }
}

/** The records of one page, newest first, in batches (for streaming). */
export function streamRecords(db: Queryable, filters: RecordFilters, page: Page, batchSize = 2500): AsyncGenerator<RecordRow[]> {
  return readAhead(walkPage<RecordRow & Cursor>(db, selectRecords, filters, page, batchSize));
}

/** The same records as streamRecords, with only what the CSV writes. */
export function streamCsvRecords(db: Queryable, filters: RecordFilters, page: Page, batchSize = 2500): AsyncGenerator<CsvRecord[]> {
  return readAhead(walkPage<CsvRecord & Cursor>(db, selectCsvRecords, filters, page, batchSize));
}

export async function countRecords(db: Queryable, filters: RecordFilters): Promise<number> {
  const { where, params } = filterClause(filters);
  const [row] = await db.query<{ total: number }>(countRecordsSql(where), params);
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
 * stored, as batches of { id, value } (every indicator format reads this).
 */
export async function* streamIndicatorIds(
  db: Queryable,
  filters: RecordFilters,
  page: Page,
  batchSize = 5000,
): AsyncGenerator<{ id: string; value: string }[]> {
  type Row = Cursor & { indicator_id: string; value: string };
  const batches = streamDistinct<Row>(db, selectIndicatorIds, (row) => row.indicator_id, filters, page, batchSize);
  for await (const rows of readAhead(batches)) yield rows.map((row) => ({ id: row.indicator_id, value: row.value }));
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

// --- search ---------------------------------------------------------------------------------

const MAX_EXACT_RECORDS = 1000;
const MAX_RELATED = 10;
const MAX_FUZZY_INDICATORS = 10;
// The substring stage ranks at most this many candidates by similarity.
const MAX_SUBSTRING_CANDIDATES = 200;

// The records of each value ($1, several at once), newest first, with the value's place in $1.
// The array reaches the statement through `(select ...)`, out of the planner's sight (so in
// SEARCH_RELATED): seeing it, PostgreSQL would find each call's own plan cheaper than the generic
// one and plan every call anew, which costs more than the lookup.
const SEARCH_EXACT = `select q.n::int as n, m.json, m.indicator_id, m.article_id
  from unnest((select $1::text[])) with ordinality q(value, n)
  cross join lateral (
    select ${RECORD_JSON}, s.indicator_id, s.article_id, s.last_seen, s.id
    ${RECORD_JOINS}
    where i.value_normalized = q.value
    order by s.last_seen desc, s.id
    limit ${MAX_EXACT_RECORDS}
  ) m
  order by q.n, m.last_seen desc, m.id`;

// For each search ($1 and $2, several at once, with the search's place in them): up to 10 other
// IOCs from its articles (a comma-separated list), not its indicators (the same). Each
// indicator's best record (highest confidence, then newest), the best first. An article lists an
// IOC once (one record per indicator, source and article; an article has one source), so the 10
// best IOCs of all its articles are among the 10 best records of each: those come straight off
// the index sightings_related, in its order (0005_related_index.sql: the rank expression is the
// index's, word for word), and only they are read, joined and formatted. The indicators to leave
// out become an array once a search (`offset 0` keeps the planner from folding the conversion
// back into the filter, where it ran again for every row read). Run only for the searches whose
// matches come from an article (most come from feeds): with the matches, in one statement, it
// cost every search a third more.
const SEARCH_RELATED = `select q.n::int as n, r.json
  from unnest((select $1::text[]), (select $2::text[])) with ordinality q(articles, indicators, n)
  cross join lateral (select string_to_array(q.indicators, ',')::uuid[] as ids offset 0) matched
  cross join lateral (
    select ${RECORD_JSON}, s.rank, s.extracted_at, s.id
    from (
      select * from (
        select distinct on (best.indicator_id) best.*
        from unnest(string_to_array(q.articles, ',')::uuid[]) article(id)
        cross join lateral (
          select s.*, case s.confidence when 'high' then 0 when 'medium' then 1 else 2 end as rank
          from sightings s
          where s.article_id = article.id and s.indicator_id <> all(matched.ids)
          order by rank, s.extracted_at desc, s.id
          limit ${MAX_RELATED}
        ) best
        order by best.indicator_id, best.rank, best.extracted_at desc, best.id
      ) per_indicator
      order by rank, extracted_at desc, id
      limit ${MAX_RELATED}
    ) s
    join indicators i on i.id = s.indicator_id
    join sources src on src.id = s.source_id
    left join articles a on a.id = s.article_id
  ) r
  order by q.n, r.rank, r.extracted_at desc, r.id`;

// The trigram fallback, one statement per stage, each returning the records of its best
// indicators. First values containing q: the trigram index finds them fast, and only those few
// are ranked by similarity (ilike, because a URL keeps the case of its path). Then, only when
// nothing contains q, near misses: similarity above pg_trgm's threshold (0.3), which costs a
// scan of every candidate sharing a trigram, so it is kept for when it is needed. (In one
// statement with the exact stage, the fallback saves PostgreSQL a round trip but costs the
// embedded store, which plans every statement anew, more than twice the time of an exact search.)
const fuzzyRecords = (candidates: string, similarity: string) => `with candidates as (${candidates}),
  hits as (
    select id, ${similarity} as similarity from candidates
    order by similarity desc, value_normalized limit ${MAX_FUZZY_INDICATORS}
  )
  select ${RECORD_JSON}, h.similarity
  from hits h join sightings s on s.indicator_id = h.id
  join indicators i on i.id = s.indicator_id
  join sources src on src.id = s.source_id
  left join articles a on a.id = s.article_id
  order by h.similarity desc, i.value_normalized, s.last_seen desc, s.id`;
// Hashes are not in the trigram index (0003_ingest_indexes.sql): a hash is found by its
// beginning, on the btree of hashes. Each statement carries its index's predicate, word for word.
const NOT_HASH = `type not in ('md5', 'sha1', 'sha256', 'sha512')`;
const HASH = `type in ('md5', 'sha1', 'sha256', 'sha512')`;
// q reaches the index condition through `(select $1)`, for the reason given at SEARCH_EXACT.
const CONTAINING = `select id, value_normalized from indicators
  where ${NOT_HASH} and value_normalized ilike (select $1::text) limit ${MAX_SUBSTRING_CANDIDATES}`;
const SEARCH_SUBSTRING = fuzzyRecords(CONTAINING, 'similarity(value_normalized, $2)');
// A q of hex digits may also be the beginning of hashes: [$3, $4) is the range of values that
// begin with it (text_pattern_ops compares bytes).
const SEARCH_SUBSTRING_OR_HASH = fuzzyRecords(
  `(${CONTAINING}) union all
    (select id, value_normalized from indicators where ${HASH} and value_normalized ~>=~ $3 and value_normalized ~<~ $4
      limit ${MAX_SUBSTRING_CANDIDATES})`,
  'similarity(value_normalized, $2)',
);
const SEARCH_SIMILAR = fuzzyRecords(
  `select id, value_normalized from indicators where ${NOT_HASH} and value_normalized % (select $1::text)`,
  'similarity(value_normalized, $1)',
);
const HEX = /^[0-9a-f]+$/;

export interface SearchLookup {
  /** The normalized value, looked up exactly. */
  value: string;
  /** What the trigram fallback looks for when the value has no records (none: no fallback). */
  fuzzy?: string;
  /** Whether to look for the related IOCs of an exact match. */
  related: boolean;
}

/** Records as JSON text, each an IocRecord; a fuzzy match's with its `similarity`. */
export interface SearchResult {
  matchType: 'exact' | 'fuzzy' | 'none';
  matches: string[];
  related: string[];
}

interface MatchRow {
  json: string;
  indicator_id: string;
  article_id: string | null;
}

/** Rows that answer several lookups at once, each row with its lookup's place (from 1). */
function byPlace<R extends { n: number }>(rows: R[], count: number): R[][] {
  const answers = Array.from({ length: count }, (): R[] => []);
  for (const row of rows) answers[row.n - 1]!.push(row);
  return answers;
}

/** The records of each value, in one statement. */
async function matchesOf(db: Queryable, values: string[]): Promise<MatchRow[][]> {
  const unique = [...new Set(values)];
  const found = byPlace(await db.query<MatchRow & { n: number }>(SEARCH_EXACT, [unique]), unique.length);
  const place = new Map(unique.map((value, i) => [value, i]));
  return values.map((value) => found[place.get(value)!]!);
}

interface RelatedLookup {
  articles: string[];
  indicators: string[];
}

/** The related IOCs of each search, in one statement. */
async function relatedOf(db: Queryable, lookups: RelatedLookup[]): Promise<string[][]> {
  const list = (ids: string[]) => ids.join(',');
  const rows = await db.query<{ n: number; json: string }>(SEARCH_RELATED, [
    lookups.map((l) => list(l.articles)),
    lookups.map((l) => list(l.indicators)),
  ]);
  return byPlace(rows, lookups.length).map((found) => found.map((row) => row.json));
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => '\\' + c);
}

/** Values containing q (hashes: beginning with it), or else values like q; best first. */
async function fuzzyMatches(db: Queryable, q: string): Promise<string[]> {
  const params: string[] = [`%${escapeLike(q)}%`, q];
  const hashes = HEX.test(q);
  // the first value after every one that begins with q: its last digit, one higher
  if (hashes) params.push(q, q.slice(0, -1) + String.fromCharCode(q.charCodeAt(q.length - 1) + 1));
  type Row = { json: string; similarity: number };
  let rows = await db.query<Row>(hashes ? SEARCH_SUBSTRING_OR_HASH : SEARCH_SUBSTRING, params);
  if (rows.length === 0) rows = await db.query<Row>(SEARCH_SIMILAR, [q]);
  // The record's last member, then the similarity (rounded as JSON.stringify would write it).
  return rows.map((row) => `${row.json.slice(0, -1)},"similarity":${JSON.stringify(Math.round(Number(row.similarity) * 1000) / 1000)}}`);
}

export type Search = (lookup: SearchLookup) => Promise<SearchResult>;

/**
 * Search on a store: the exact stage, with the related IOCs of the matches' articles; when it
 * finds nothing, the trigram fallback. Exact lookups made at the same time go to the database
 * together, and so do related ones (batcher.ts).
 */
export function searcher(db: Db): Search {
  const exact = batcher((values: string[]) => matchesOf(db, values));
  const relatedIn = batcher((lookups: RelatedLookup[]) => relatedOf(db, lookups));
  return async ({ value, fuzzy, related }) => {
    const rows = await exact(value);
    if (rows.length > 0) {
      const matches = rows.map((row) => row.json);
      const articles = related ? [...new Set(rows.flatMap((row) => (row.article_id ? [row.article_id] : [])))] : [];
      if (articles.length === 0) return { matchType: 'exact', matches, related: [] };
      const indicators = [...new Set(rows.map((row) => row.indicator_id))];
      return { matchType: 'exact', matches, related: await relatedIn({ articles, indicators }) };
    }
    const matches = fuzzy === undefined ? [] : await fuzzyMatches(db, fuzzy);
    return { matchType: matches.length > 0 ? 'fuzzy' : 'none', matches, related: [] };
  };
}

// --- writing --------------------------------------------------------------------------------

export interface NewRecord {
  ioc: NormalizedIoc;
  confidence: Confidence;
  firstSeen: Date;
  lastSeen: Date;
  context?: string | null;
  tags?: string[];
  mitreTechniques?: string[];
  industries?: string[];
  referenceUrl?: string | null;
  articleId?: string | null;
  ports?: number[];
  /** The value is on a warning list: its indicator is marked and never high confidence. */
  suppressedReason?: string | null;
}

export interface UpsertCounts {
  inserted: number;
  updated: number;
}

// Both statements take their rows as parallel arrays (one array literal a column, unnested in
// SQL): PostgreSQL parses those several times faster than the same rows as JSON, and the
// literals are cheap to write. A value equal to its normalized form is sent once (v is null);
// times go as epoch milliseconds (to_timestamp rounds to the microsecond: exact).
// On a re-sighting nothing indexed changes, so the update stays on its page (HOT: no index is
// touched; the tables keep room for it, 0003_ingest_indexes.sql), and a row whose every column would
// keep its value is not rewritten at all.

// A warning-listed value stays low whatever a source says of it.
const INDICATOR_CONFIDENCE = `case when coalesce(excluded.suppressed_reason, indicators.suppressed_reason) is not null then 'low'
      else socd_max_confidence(indicators.confidence, excluded.confidence) end`;
const UPSERT_INDICATORS = `insert into indicators (id, type, value, value_normalized, confidence, first_seen, last_seen, suppressed_reason)
  select i, t, coalesce(v, n), n, c, to_timestamp(f / 1000), to_timestamp(l / 1000), s
  from unnest($1::text::uuid[], $2::text::text[], $3::text::text[], $4::text::text[], $5::text::text[],
    $6::text::float8[], $7::text::float8[], $8::text::text[]) as j (i, t, v, n, c, f, l, s)
  on conflict (value_normalized, type) do update set
    first_seen = least(indicators.first_seen, excluded.first_seen),
    last_seen = greatest(indicators.last_seen, excluded.last_seen),
    suppressed_reason = coalesce(excluded.suppressed_reason, indicators.suppressed_reason),
    confidence = ${INDICATOR_CONFIDENCE}
  where excluded.first_seen < indicators.first_seen or excluded.last_seen > indicators.last_seen
    or (excluded.suppressed_reason is not null and indicators.suppressed_reason is null)
    or indicators.confidence <> ${INDICATOR_CONFIDENCE}`;

// The stored values first, in their order, then the new ones: seeing the same record again
// leaves its lists as they were (`select distinct` would reorder them at each upsert). When the
// source says nothing new (the usual re-sighting), the stored list is kept as it is.
const mergeInOrder = (column: string) => `case when excluded.${column} <@ sightings.${column} then sightings.${column}
      else array(select v from unnest(sightings.${column} || excluded.${column}) with ordinality as u (v, n) group by v order by min(n)) end`;

// A record seen again keeps its id and extracted_at; what the source says now is merged in.
const UPSERT_SIGHTINGS = `with written as (
  insert into sightings (id, indicator_id, type, source_id, article_id, origin, confidence,
    context, tags, mitre_techniques, industries, reference_url, ports, first_seen, last_seen)
  select i, d, t, $14, a, $15, c,
    x, coalesce(g::text[], '{}'), coalesce(m::text[], '{}'), coalesce(u::text[], '{}'), r, coalesce(p::integer[], '{}'),
    to_timestamp(f / 1000), to_timestamp(l / 1000)
  from unnest($1::text::uuid[], $2::text::uuid[], $3::text::text[], $4::text::uuid[], $5::text::text[],
    $6::text::text[], $7::text::text[], $8::text::text[], $9::text::text[], $10::text::text[], $11::text::text[],
    $12::text::float8[], $13::text::float8[]) as j (i, d, t, a, c, x, g, m, u, r, p, f, l)
  on conflict on constraint sightings_record do update set
    first_seen = least(sightings.first_seen, excluded.first_seen),
    last_seen = greatest(sightings.last_seen, excluded.last_seen),
    confidence = excluded.confidence,
    context = coalesce(excluded.context, sightings.context),
    tags = ${mergeInOrder('tags')},
    mitre_techniques = ${mergeInOrder('mitre_techniques')},
    industries = ${mergeInOrder('industries')},
    ports = case when excluded.ports <@ sightings.ports then sightings.ports
      else array(select distinct unnest(sightings.ports || excluded.ports) order by 1) end,
    reference_url = coalesce(excluded.reference_url, sightings.reference_url)
  where excluded.first_seen < sightings.first_seen or excluded.last_seen > sightings.last_seen
    or excluded.confidence <> sightings.confidence
    or excluded.context <> sightings.context or (excluded.context is not null and sightings.context is null)
    or excluded.reference_url <> sightings.reference_url or (excluded.reference_url is not null and sightings.reference_url is null)
    or not (excluded.tags <@ sightings.tags and excluded.mitre_techniques <@ sightings.mitre_techniques
      and excluded.industries <@ sightings.industries and excluded.ports <@ sightings.ports)
  returning xmax = 0 as inserted
)
select count(*) filter (where inserted)::int as inserted from written`;

/** Distinct and ascending, as the upsert's merge stores them. */
function sortedPorts(ports: number[]): number[] {
  if (ports.length <= 1) return ports.length === 0 ? [] : [ports[0] as number];
  return [...new Set(ports)].sort((a, b) => a - b);
}

function unique(values: string[] | undefined): string[] {
  if (values === undefined || values.length === 0) return [];
  // One or two values need no set (most records have a tag or two).
  if (values.length === 1) return [values[0] as string];
  if (values.length === 2) return values[0] === values[1] ? [values[0] as string] : [values[0] as string, values[1] as string];
  return [...new Set(values)];
}

// --- array literals -------------------------------------------------------------------------

const NEEDS_ESCAPE = /["\\]/;
/** An element of an array literal, quoted (any text) or NULL. */
function quoted(value: string | null): string {
  if (value === null) return 'NULL';
  return NEEDS_ESCAPE.test(value) ? `"${value.replace(/["\\]/g, '\\$&')}"` : `"${value}"`;
}
/** A text[] literal. */
function textArray(values: readonly (string | null)[]): string {
  return `{${values.map(quoted).join(',')}}`;
}
/** A literal of values that never need quoting (uuids, timestamps, type and confidence names). */
function plainArray(values: readonly (string | null)[]): string {
  return `{${values.map((v) => v ?? 'NULL').join(',')}}`;
}
/** A per-row list as the literal of its own array, or null when empty (stored as '{}'). */
function listLiteral(values: readonly string[]): string | null {
  return values.length === 0 ? null : textArray(values);
}

/**
 * Writes records of one source: the indicators they name and one sighting per (indicator,
 * article). Records repeated within the batch are merged first. Run it inside a transaction
 * to make a whole import or feed run atomic (given the store itself, it opens one).
 */
export async function upsertRecords(
  db: Queryable | Db,
  source: SourceRef,
  origin: Origin,
  records: NewRecord[],
): Promise<UpsertCounts> {
  if (records.length === 0) return { inserted: 0, updated: 0 };
  // The two statements are sent back to back on one connection (see below).
  if ('transaction' in db) return db.transaction((tx) => upsertRecords(tx, source, origin, records));
  type Indicator = {
    id: string; type: IocType; value: string; value_normalized: string; confidence: Confidence;
    first_seen: Date; last_seen: Date; suppressed_reason: string | null;
  };
  type Sighting = {
    id: string; indicator_id: string; type: IocType; article_id: string | null; confidence: Confidence;
    context: string | null; tags: string[]; mitre_techniques: string[]; industries: string[];
    reference_url: string | null; ports: number[]; first_seen: Date; last_seen: Date;
  };
  const indicators = new Map<string, Indicator>();
  const sightings = new Map<string, Sighting>();
  for (const input of records) {
    // Never high for a warning-listed value.
    const r = input.suppressedReason && input.confidence !== 'low' ? { ...input, confidence: 'low' as const } : input;
    const id = indicatorId(r.ioc.type, r.ioc.normalized);
    const known = indicators.get(id);
    if (known) {
      if (r.firstSeen < known.first_seen) known.first_seen = r.firstSeen;
      if (r.lastSeen > known.last_seen) known.last_seen = r.lastSeen;
      known.confidence = maxConfidence(known.confidence, r.confidence);
      known.suppressed_reason ??= r.suppressedReason ?? null;
    } else {
      indicators.set(id, {
        id, type: r.ioc.type, value: r.ioc.value, value_normalized: r.ioc.normalized,
        confidence: r.confidence, first_seen: r.firstSeen, last_seen: r.lastSeen,
        suppressed_reason: r.suppressedReason ?? null,
      });
    }
    const articleId = r.articleId ?? null;
    const sightingId = recordId(id, source.name, articleId);
    const same = sightings.get(sightingId);
    if (same) {
      if (r.firstSeen < same.first_seen) same.first_seen = r.firstSeen;
      if (r.lastSeen > same.last_seen) same.last_seen = r.lastSeen;
      same.confidence = maxConfidence(same.confidence, r.confidence);
      same.context ??= r.context ?? null;
      same.tags = unique([...same.tags, ...(r.tags ?? [])]);
      same.mitre_techniques = unique([...same.mitre_techniques, ...(r.mitreTechniques ?? [])]);
      same.industries = unique([...same.industries, ...(r.industries ?? [])]);
      same.reference_url ??= r.referenceUrl ?? null;
      same.ports = sortedPorts([...same.ports, ...(r.ports ?? [])]);
    } else {
      sightings.set(sightingId, {
        id: sightingId, indicator_id: id, type: r.ioc.type, article_id: articleId, confidence: r.confidence,
        context: r.context ?? null, tags: unique(r.tags), mitre_techniques: unique(r.mitreTechniques),
        industries: unique(r.industries), reference_url: r.referenceUrl ?? null, ports: sortedPorts(r.ports ?? []),
        first_seen: r.firstSeen, last_seen: r.lastSeen,
      });
    }
  }
  // The indicators' statement runs while the sightings' arrays are written: both go out on the
  // transaction's one connection, in order (the sightings' foreign keys see the indicators).
  const ind = [...indicators.values()];
  const writingIndicators = db.query(UPSERT_INDICATORS, [
    plainArray(ind.map((i) => i.id)),
    plainArray(ind.map((i) => i.type)),
    textArray(ind.map((i) => (i.value === i.value_normalized ? null : i.value))),
    textArray(ind.map((i) => i.value_normalized)),
    plainArray(ind.map((i) => i.confidence)),
    plainArray(ind.map((i) => String(i.first_seen.getTime()))),
    plainArray(ind.map((i) => String(i.last_seen.getTime()))),
    textArray(ind.map((i) => i.suppressed_reason)),
  ]);
  const s = [...sightings.values()];
  const writingSightings = db.query<{ inserted: number }>(UPSERT_SIGHTINGS, [
    plainArray(s.map((r) => r.id)),
    plainArray(s.map((r) => r.indicator_id)),
    plainArray(s.map((r) => r.type)),
    plainArray(s.map((r) => r.article_id)),
    plainArray(s.map((r) => r.confidence)),
    textArray(s.map((r) => r.context)),
    textArray(s.map((r) => listLiteral(r.tags))),
    textArray(s.map((r) => listLiteral(r.mitre_techniques))),
    textArray(s.map((r) => listLiteral(r.industries))),
    textArray(s.map((r) => r.reference_url)),
    plainArray(s.map((r) => (r.ports.length === 0 ? null : `"{${r.ports.join(',')}}"`))),
    plainArray(s.map((r) => String(r.first_seen.getTime()))),
    plainArray(s.map((r) => String(r.last_seen.getTime()))),
    source.id,
    origin,
  ]);
  const [, [counts]] = await Promise.all([writingIndicators, writingSightings]);
  // Every sighting of the batch is new or seen again (an unchanged one is not rewritten).
  const inserted = counts?.inserted ?? 0;
  return { inserted, updated: s.length - inserted };
}

const CONFIDENCE_RANK: Record<Confidence, number> = { high: 3, medium: 2, low: 1 };

export function maxConfidence(a: Confidence, b: Confidence): Confidence {
  return CONFIDENCE_RANK[a] >= CONFIDENCE_RANK[b] ? a : b;
}
