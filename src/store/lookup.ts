// The lookup of one value (GET /api/v1/lookup): its records as the caller's tier may see them,
// how many older ones its lookback leaves out, where it stands in its lifecycle, the half-life its
// score fades by (the lifetimes table's), and what is related to it. Two statements, each
// bounded and on an index: the records by (value_normalized, type) of indicators and the
// indicator's records (sightings_record); the related by the article's best records
// (sightings_related, as search.ts reads them), the feed entry's (sightings_entry) and the
// article's CVEs and techniques (sightings_article_terms).
import type { Category, Confidence, IocType, Origin } from '../ioc/types.js';
import type { Queryable } from './db.js';
import { bestRelatedRecords, LIFECYCLE_JSON, lifecycleOf, type IocLifecycle, type LifecycleRow } from './search.js';

/** Records of a value read at most (newest first): a value reported by more is still answered. */
export const MAX_LOOKUP_SIGHTINGS = 100;
/** Related IOCs of each kind (same article, same feed entry). */
export const MAX_LOOKUP_RELATED = 10;
/** Articles and entries the related IOCs are looked for in (the newest records'). */
const MAX_RELATED_GROUPS = 20;
/** CVEs and ATT&CK techniques read from each article of the value. */
const MAX_ARTICLE_TERMS = 50;
/** Older records counted at most: the count says "at least" beyond it. */
export const MAX_OMITTED_COUNT = 1000;

// The value's indicators (every type stored under the normalized value, as the search finds
// them) with their lifecycle, the records stored since $2 (the tier's lookback, on extracted_at
// as the list filters), newest first, one more than asked so the caller knows when some were
// cut, a capped count of those stored before $2, and the half-life of the detected type $4 (an
// array: no row, or a row whose half-life is null). One row even when nothing is found (the
// left join).
const LOOKUP_RECORDS = `with matched as materialized (
    select i.id, i.type, i.suppressed_reason, ${LIFECYCLE_JSON('i')} as lifecycle from indicators i where i.value_normalized = $1::text
  ),
  seen as (
    select s.id, s.indicator_id, s.type, s.source_id, src.name as source, src.kind as source_kind, src.category,
      s.origin, s.confidence, s.context, s.tags, s.mitre_techniques, s.ports,
      socd_iso(s.first_seen) as first_seen, socd_iso(s.last_seen) as last_seen, socd_iso(s.extracted_at) as extracted_at,
      s.article_id, a.title as article_title, a.url as article_reference_url, s.reference_url, s.entry
    from matched m
    -- Per indicator, by its records (sightings_record), never along the time index: a
    -- lookback's day of records is far more than one value's.
    cross join lateral (
      select * from sightings s where s.indicator_id = m.id and s.extracted_at >= $2::timestamptz
      order by s.last_seen desc, s.id limit $3::int
    ) s
    join sources src on src.id = s.source_id
    left join articles a on a.id = s.article_id
    order by s.last_seen desc, s.id
    limit $3::int
  )
  select
    (select count(*)::int from matched m cross join lateral (
      select from sightings s where s.indicator_id = m.id and s.extracted_at < $2::timestamptz limit ${MAX_OMITTED_COUNT + 1}
    ) older) as omitted,
    (select coalesce(array_agg(m.id::text order by m.type), '{}') from matched m) as indicator_ids,
    (select coalesce(array_agg(m.type order by m.type), '{}') from matched m) as indicator_types,
    (select min(m.suppressed_reason) from matched m) as suppressed_reason,
    (select coalesce(array_agg(m.lifecycle order by m.type), '{}') from matched m) as lifecycles,
    (select array[l.half_life_days] from lifetimes l where l.source_id is null and l.ioc_type = $4::text) as half_life,
    seen.*
  from (select) one left join seen on true
  order by seen.last_seen desc, seen.id`;

// What relates to the value, within the lookback ($5), never the value's own indicators ($4):
// - article: the best IOCs of its articles ($1), as the search's related IOCs (search.ts
//   bestRelatedRecords: each article's best records straight off sightings_related, then each
//   indicator's best, then the best overall);
// - entry: the IOCs of its feed entries ($2 sources, $3 entries), on sightings_entry;
// - term: the CVEs and ATT&CK techniques its articles name (sightings_article_terms).
const relatedColumns = `s.indicator_id, s.source_id, s.article_id, s.entry, s.confidence, s.first_seen, s.last_seen, s.extracted_at, s.id`;
const bestPerIndicator = (groups: string, where: string) =>
  bestRelatedRecords(groups, `${where} and s.indicator_id <> all($4::uuid[]) and s.extracted_at >= $5::timestamptz`, relatedColumns, MAX_LOOKUP_RELATED);
const LOOKUP_RELATED = `with
  by_article as (${bestPerIndicator('unnest($1::uuid[]) g(article_id)', 's.article_id = g.article_id')}),
  by_entry as (${bestPerIndicator('unnest($2::int[], $3::text[]) g(source_id, entry)', 's.source_id = g.source_id and s.entry = g.entry')}),
  terms as (
    select distinct t.indicator_id
    from unnest($1::uuid[]) g(article_id)
    -- On sightings_article_terms (0013_lookup.sql: its predicate is this one, word for word):
    -- neither all of a long report's records nor every CVE and technique of the lookback.
    cross join lateral (
      select s.indicator_id from sightings s
      where s.article_id = g.article_id and s.type in ('cve', 'mitre_attack')
        and s.indicator_id <> all($4::uuid[]) and s.extracted_at >= $5::timestamptz
      limit ${MAX_ARTICLE_TERMS}
    ) t
  )
  select r.kind, r.n, i.id, i.type, i.value, r.confidence, socd_iso(r.first_seen) as first_seen, socd_iso(r.last_seen) as last_seen,
    src.name as source, r.article_id, r.entry
  from (
    select 'article' as kind, row_number() over (order by rank, extracted_at desc, id) as n, * from by_article
    union all
    select 'entry', row_number() over (order by rank, extracted_at desc, id), * from by_entry
  ) r
  join indicators i on i.id = r.indicator_id
  join sources src on src.id = r.source_id
  union all
  select 'term', 0, i.id, i.type, i.value, null, null, null, null, null, null
  from terms t join indicators i on i.id = t.indicator_id
  order by 1, 2, 5`;

export interface LookupRecord {
  id: string;
  indicator_id: string;
  type: IocType;
  source_id: number;
  source: string;
  /** The source's feed format (threatfox-json, rss…) or `import`. */
  source_kind: string;
  category: Category;
  origin: Origin;
  confidence: Confidence;
  context: string | null;
  tags: string[];
  mitre_techniques: string[];
  ports: number[];
  /** `YYYY-MM-DDTHH:MM:SSZ` */
  first_seen: string;
  last_seen: string;
  extracted_at: string;
  article_id: string | null;
  article_title: string | null;
  /** The publisher's URL of the article. */
  article_reference_url: string | null;
  reference_url: string | null;
  entry: string | null;
}

export interface RelatedIoc {
  /** The indicator's id. */
  id: string;
  type: IocType;
  value: string;
  /** The confidence of the record that relates it. */
  confidence: Confidence;
  first_seen: string;
  last_seen: string;
  source: string;
  article_id: string | null;
  entry: string | null;
}

export interface LookupFound {
  /** The indicators stored under the normalized value (one, unless it was stored under several types). */
  indicators: { id: string; type: IocType }[];
  /** Why a source or the warning list marked the value benign, when one did. */
  suppressedReason: string | null;
  /** The records stored within the lookback, newest last_seen first, at most MAX_LOOKUP_SIGHTINGS. */
  records: LookupRecord[];
  /** Whether there were more records within the lookback than were read. */
  truncated: boolean;
  /** Records stored before the lookback, counted up to MAX_OMITTED_COUNT + 1. */
  omitted: number;
  /** Where the detected type's indicator (else the first stored) stands in its lifecycle; null when none is stored. */
  lifecycle: IocLifecycle | null;
  /** The detected type's half-life in the lifetimes table (null: no decay); undefined when the table has no row for it. */
  halfLifeDays: number | null | undefined;
}

export interface LookupRelated {
  sameArticle: RelatedIoc[];
  sameEntry: RelatedIoc[];
  /** The CVEs and ATT&CK techniques the value's articles name. */
  articleTerms: { type: IocType; value: string }[];
}

type HeadRow = {
  omitted: number;
  indicator_ids: string[];
  indicator_types: IocType[];
  suppressed_reason: string | null;
  lifecycles: string[];
  half_life: (number | null)[] | null;
};
type RecordRow = HeadRow & (
  | LookupRecord
  | { [K in keyof LookupRecord]: null }
);

/**
 * The records of a normalized value stored since `since`, the count of older ones, its lifecycle,
 * and the half-life of `type` (the type the value was detected as).
 */
export async function lookupRecords(db: Queryable, normalized: string, type: IocType, since: Date): Promise<LookupFound> {
  const rows = await db.query<RecordRow>(LOOKUP_RECORDS, [normalized, since, MAX_LOOKUP_SIGHTINGS + 1, type]);
  const head = rows[0]!;
  const records = rows.filter((row): row is RecordRow & LookupRecord => row.id !== null).map(
    ({
      omitted: _omitted,
      indicator_ids: _ids,
      indicator_types: _types,
      suppressed_reason: _reason,
      lifecycles: _lifecycles,
      half_life: _halfLife,
      ...record
    }) => record as LookupRecord,
  );
  return {
    indicators: head.indicator_ids.map((id, i) => ({ id, type: head.indicator_types[i]! })),
    suppressedReason: head.suppressed_reason,
    records: records.slice(0, MAX_LOOKUP_SIGHTINGS),
    truncated: records.length > MAX_LOOKUP_SIGHTINGS,
    omitted: head.omitted,
    lifecycle: lifecycleOf(head.lifecycles.map((text) => JSON.parse(text) as LifecycleRow), type),
    halfLifeDays: head.half_life === null ? undefined : head.half_life[0],
  };
}

/**
 * What relates to the records found: the best IOCs of their articles and of their feed entries
 * (the newest MAX_RELATED_GROUPS of each), and the CVEs and techniques the articles name; none
 * of the value's own indicators, nothing stored before `since`. No statement when the records
 * have neither article nor entry.
 */
export async function lookupRelated(db: Queryable, found: LookupFound, since: Date): Promise<LookupRelated> {
  const articles = [...new Set(found.records.flatMap((r) => (r.article_id === null ? [] : [r.article_id])))].slice(0, MAX_RELATED_GROUPS);
  const entries = new Map<string, { source: number; entry: string }>();
  for (const r of found.records) if (r.entry !== null) entries.set(`${r.source_id}\u0000${r.entry}`, { source: r.source_id, entry: r.entry });
  const groups = [...entries.values()].slice(0, MAX_RELATED_GROUPS);
  if (articles.length === 0 && groups.length === 0) return { sameArticle: [], sameEntry: [], articleTerms: [] };
  type Row = RelatedIoc & { kind: 'article' | 'entry' | 'term'; n: string };
  const rows = await db.query<Row>(LOOKUP_RELATED, [
    articles,
    groups.map((g) => g.source),
    groups.map((g) => g.entry),
    found.indicators.map((i) => i.id),
    since,
  ]);
  const related = (kind: Row['kind']) => rows.filter((row) => row.kind === kind).map(({ kind: _kind, n: _n, ...ioc }) => ioc);
  return {
    sameArticle: related('article'),
    sameEntry: related('entry'),
    articleTerms: rows.filter((row) => row.kind === 'term').map((row) => ({ type: row.type, value: row.value })),
  };
}
