// Indicators and their records (sightings): writing them idempotently, and reading them for
// the list, search and export endpoints. Reads walk the (extracted_at, id) index in batches
// so that exports stream and never hold a whole result in memory.
import { indicatorId, recordId } from '../ioc/ids.js';
import type { Category, Confidence, Industry, IocType, NormalizedIoc, Origin } from '../ioc/types.js';
import type { IndicatorSummary, IocRecord } from '../export/types.js';
import type { Queryable } from './db.js';
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
  if (f.type) add(f.type, (p) => `s.type = ${p}`);
  if (f.category) add(f.category, (p) => `s.source_id in (select id from sources where category = ${p})`);
  if (f.confidence) add(f.confidence, (p) => `s.confidence = ${p}`);
  if (f.industry) add(f.industry, (p) => `s.industries @> array[${p}::text]`);
  if (cursor) {
    // The keyset of the previous batch: newest first, strictly after it.
    params.push(cursor.cursor_at, cursor.id);
    clauses.push(`(s.extracted_at, s.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  return { where: clauses.join(' and '), params };
}

const RECORD_COLUMNS = `s.id, s.type, i.value, s.confidence,
  socd_iso(s.first_seen) as first_seen, socd_iso(s.last_seen) as last_seen,
  s.article_id, a.title as article_title, a.url as article_url, s.reference_url,
  src.name as feed_name, src.category, s.origin, s.context, s.tags, s.mitre_techniques`;

// The same fields by name, to select them again from a CTE.
const RECORD_FIELDS = `id, type, value, confidence, first_seen, last_seen, article_id, article_title, article_url,
  reference_url, feed_name, category, origin, context, tags, mitre_techniques`;

const RECORD_JOINS = `from sightings s
  join indicators i on i.id = s.indicator_id
  join sources src on src.id = s.source_id
  left join articles a on a.id = s.article_id`;

const PAGE = (limitParam: string, offsetParam: string) =>
  `order by s.extracted_at desc, s.id desc limit ${limitParam} offset ${offsetParam}`;

const selectRecords = (where: string, n: number) => `select ${RECORD_COLUMNS}, s.extracted_at::text as cursor_at
  ${RECORD_JOINS} where ${where} ${PAGE(`$${n + 1}`, `$${n + 2}`)}`;

const selectIndicatorIds = (where: string, n: number) => `select s.indicator_id, i.value, s.id, s.extracted_at::text as cursor_at
  from sightings s join indicators i on i.id = s.indicator_id
  where ${where} ${PAGE(`$${n + 1}`, `$${n + 2}`)}`;

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

type Cursor = { cursor_at: string; id: string };

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
    cursor = rows[rows.length - 1];
  }
}

/** The records of one page, newest first, in batches (for streaming). */
export async function* streamRecords(
  db: Queryable,
  filters: RecordFilters,
  page: Page,
  batchSize = 2500,
): AsyncGenerator<RecordRow[]> {
  let remaining = page.limit;
  for await (const rows of walk<RecordRow & Cursor>(db, selectRecords, filters, page.offset, () =>
    Math.min(batchSize, remaining),
  )) {
    remaining -= rows.length;
    yield rows;
  }
}

export async function countRecords(db: Queryable, filters: RecordFilters): Promise<number> {
  const { where, params } = filterClause(filters);
  const [row] = await db.query<{ total: number }>(countRecordsSql(where), params);
  return row?.total ?? 0;
}

/**
 * The distinct indicators among the filtered records, in the order their newest record was
 * stored, as batches of { id, value } (block-lists and every indicator format read this).
 */
export async function* streamIndicatorIds(
  db: Queryable,
  filters: RecordFilters,
  page: Page,
  batchSize = 5000,
): AsyncGenerator<{ id: string; value: string }[]> {
  const seen = new Set<string>();
  let skipped = 0;
  let emitted = 0;
  type Row = Cursor & { indicator_id: string; value: string };
  for await (const rows of walk<Row>(db, selectIndicatorIds, filters, 0, () => (emitted < page.limit ? batchSize : 0))) {
    const batch: { id: string; value: string }[] = [];
    for (const row of rows) {
      if (seen.has(row.indicator_id)) continue;
      seen.add(row.indicator_id);
      if (skipped < page.offset) {
        skipped++;
        continue;
      }
      batch.push({ id: row.indicator_id, value: row.value });
      if (++emitted === page.limit) break;
    }
    if (batch.length > 0) yield batch;
    if (emitted === page.limit) return;
  }
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

// Matches and, in the same round trip, up to 10 other IOCs from the matches' articles.
const SEARCH_EXACT = `with matches as (
    select ${RECORD_COLUMNS}, s.indicator_id
    ${RECORD_JOINS}
    where i.value_normalized = $1
    order by s.last_seen desc, s.id
    limit ${MAX_EXACT_RECORDS}
  ),
  related as (
    select * from (
      select distinct on (s.indicator_id) ${RECORD_COLUMNS},
        case s.confidence when 'high' then 0 when 'medium' then 1 else 2 end as rank, s.extracted_at
      ${RECORD_JOINS}
      where $2::boolean
        and s.article_id in (select article_id from matches where article_id is not null)
        and s.indicator_id not in (select indicator_id from matches)
      order by s.indicator_id, rank, s.extracted_at desc
    ) r
    order by rank, extracted_at desc, id
    limit ${MAX_RELATED}
  )
  select 'match' as kind, ${RECORD_FIELDS} from matches
  union all
  select 'related', ${RECORD_FIELDS} from related`;

// The trigram fallback, one statement per stage, each returning the records of its best
// indicators. First values containing q: the trigram index finds them fast, and only those few
// are ranked by similarity (ilike, because a URL keeps the case of its path). Then, only when
// nothing contains q, near misses: similarity above pg_trgm's threshold (0.3), which costs a
// scan of every candidate sharing a trigram, so it is kept for when it is needed.
const fuzzyRecords = (candidates: string, q: string) => `with candidates as (${candidates}),
  hits as (
    select id, similarity(value_normalized, ${q}) as similarity from candidates
    order by similarity desc, value_normalized limit ${MAX_FUZZY_INDICATORS}
  )
  select ${RECORD_COLUMNS}, h.similarity
  from hits h join sightings s on s.indicator_id = h.id
  join indicators i on i.id = s.indicator_id
  join sources src on src.id = s.source_id
  left join articles a on a.id = s.article_id
  order by h.similarity desc, i.value_normalized, s.last_seen desc, s.id`;
const SEARCH_SUBSTRING = fuzzyRecords(
  `select id, value_normalized from indicators where value_normalized ilike $1 limit ${MAX_SUBSTRING_CANDIDATES}`,
  '$2',
);
const SEARCH_SIMILAR = fuzzyRecords(`select id, value_normalized from indicators where value_normalized % $1`, '$1');

export interface ExactSearchResult {
  matches: RecordRow[];
  related: RecordRow[];
}

export async function searchExact(db: Queryable, normalized: string, includeRelated: boolean): Promise<ExactSearchResult> {
  const rows = await db.query<RecordRow & { kind: 'match' | 'related' }>(SEARCH_EXACT, [normalized, includeRelated]);
  return {
    matches: rows.filter((row) => row.kind === 'match'),
    related: rows.filter((row) => row.kind === 'related'),
  };
}

export interface FuzzyMatch {
  record: RecordRow;
  similarity: number;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => '\\' + c);
}

/** The trigram fallback: values containing q, or else values like q; best first. */
export async function searchFuzzy(db: Queryable, q: string): Promise<FuzzyMatch[]> {
  let rows = await db.query<RecordRow & { similarity: number }>(SEARCH_SUBSTRING, [`%${escapeLike(q)}%`, q]);
  if (rows.length === 0) rows = await db.query<RecordRow & { similarity: number }>(SEARCH_SIMILAR, [q]);
  return rows.map(({ similarity, ...record }) => ({ record, similarity: Math.round(Number(similarity) * 1000) / 1000 }));
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

// A warning-listed value stays low whatever a source says of it.
const UPSERT_INDICATORS = `insert into indicators (id, type, value, value_normalized, confidence, first_seen, last_seen, suppressed_reason)
  select id, type, value, value_normalized, confidence, first_seen, last_seen, suppressed_reason
  from jsonb_to_recordset($1::jsonb) as x (id uuid, type text, value text, value_normalized text,
    confidence text, first_seen timestamptz, last_seen timestamptz, suppressed_reason text)
  on conflict (value_normalized, type) do update set
    first_seen = least(indicators.first_seen, excluded.first_seen),
    last_seen = greatest(indicators.last_seen, excluded.last_seen),
    suppressed_reason = coalesce(excluded.suppressed_reason, indicators.suppressed_reason),
    confidence = case when coalesce(excluded.suppressed_reason, indicators.suppressed_reason) is not null then 'low'
      else socd_max_confidence(indicators.confidence, excluded.confidence) end`;

// A record seen again keeps its id and extracted_at; what the source says now is merged in.
const UPSERT_SIGHTINGS = `insert into sightings (id, indicator_id, type, source_id, article_id, origin, confidence,
    context, tags, mitre_techniques, industries, reference_url, ports, first_seen, last_seen)
  select id, indicator_id, type, $2, article_id, $3, confidence,
    context, tags, mitre_techniques, industries, reference_url, ports, first_seen, last_seen
  from jsonb_to_recordset($1::jsonb) as x (id uuid, indicator_id uuid, type text, article_id uuid, confidence text,
    context text, tags text[], mitre_techniques text[], industries text[], reference_url text, ports integer[],
    first_seen timestamptz, last_seen timestamptz)
  on conflict on constraint sightings_record do update set
    first_seen = least(sightings.first_seen, excluded.first_seen),
    last_seen = greatest(sightings.last_seen, excluded.last_seen),
    confidence = excluded.confidence,
    context = coalesce(excluded.context, sightings.context),
    tags = array(select distinct unnest(sightings.tags || excluded.tags)),
    mitre_techniques = array(select distinct unnest(sightings.mitre_techniques || excluded.mitre_techniques)),
    industries = array(select distinct unnest(sightings.industries || excluded.industries)),
    ports = array(select distinct unnest(sightings.ports || excluded.ports) order by 1),
    reference_url = coalesce(excluded.reference_url, sightings.reference_url)
  returning (xmax = 0) as inserted`;

function unique(values: string[] | undefined): string[] {
  return values && values.length > 0 ? [...new Set(values)] : [];
}

/**
 * Writes records of one source: the indicators they name and one sighting per (indicator,
 * article). Records repeated within the batch are merged first. Run it inside a transaction
 * to make a whole import or feed run atomic.
 */
export async function upsertRecords(
  db: Queryable,
  source: SourceRef,
  origin: Origin,
  records: NewRecord[],
): Promise<UpsertCounts> {
  if (records.length === 0) return { inserted: 0, updated: 0 };
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
      same.ports = [...new Set([...same.ports, ...(r.ports ?? [])])];
    } else {
      sightings.set(sightingId, {
        id: sightingId, indicator_id: id, type: r.ioc.type, article_id: articleId, confidence: r.confidence,
        context: r.context ?? null, tags: unique(r.tags), mitre_techniques: unique(r.mitreTechniques),
        industries: unique(r.industries), reference_url: r.referenceUrl ?? null, ports: [...new Set(r.ports ?? [])],
        first_seen: r.firstSeen, last_seen: r.lastSeen,
      });
    }
  }
  await db.query(UPSERT_INDICATORS, [JSON.stringify([...indicators.values()])]);
  const rows = await db.query<{ inserted: boolean }>(UPSERT_SIGHTINGS, [
    JSON.stringify([...sightings.values()]),
    source.id,
    origin,
  ]);
  const inserted = rows.filter((row) => row.inserted).length;
  return { inserted, updated: rows.length - inserted };
}

const CONFIDENCE_RANK: Record<Confidence, number> = { high: 3, medium: 2, low: 1 };

export function maxConfidence(a: Confidence, b: Confidence): Confidence {
  return CONFIDENCE_RANK[a] >= CONFIDENCE_RANK[b] ? a : b;
}
