// Writing indicators and their records (sightings) idempotently: a re-sighting moves last_seen
// and never duplicates a record.
import { indicatorId, recordId } from '../ioc/ids.js';
import type { Confidence, IocType, NormalizedIoc, Origin } from '../ioc/types.js';
import { listLiteral, plainArray, textArray } from './array-literals.js';
import type { Db, Queryable } from './db.js';
import { ALLOW_LISTED } from './lifecycle.js';
import type { SourceRef } from './sources.js';

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
  /** The feed's own key for what it reported together (sightings.entry): related IOCs of the same entry. */
  entry?: string | null;
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
// A write marks the indicators it may have changed materially (stix_pending): for the TAXII
// publisher (store/taxii.ts) to look at once it commits. A change of last_seen alone is none.
// The table read beside a data-modifying CTE shows its rows as they were before the statement
// (one snapshot for all its parts): the old values, read by primary key.
// A mark the sweep left (a new version only) now also says the value was reported.
const MARK_REPORTED = 'on conflict (indicator_id) do update set reported = true where not stix_pending.reported';

// A value on the allow-list (lifecycle.ts) is stored revoked, with the allow-list's reason.
const UPSERT_INDICATORS = `with written as (
  insert into indicators (id, type, value, value_normalized, confidence, first_seen, last_seen, suppressed_reason,
    revoked_at, revoked_reason, revoked_by)
  select i, t, coalesce(v, n), n, c, to_timestamp(f / 1000), to_timestamp(l / 1000), s,
    a.added_at, '${ALLOW_LISTED}' || a.reason, a.added_by
  from unnest($1::text::uuid[], $2::text::text[], $3::text::text[], $4::text::text[], $5::text::text[],
    $6::text::float8[], $7::text::float8[], $8::text::text[]) as j (i, t, v, n, c, f, l, s)
    left join allow_list a on a.value_normalized = j.n and a.ioc_type = j.t
  on conflict (value_normalized, type) do update set
    first_seen = least(indicators.first_seen, excluded.first_seen),
    last_seen = greatest(indicators.last_seen, excluded.last_seen),
    suppressed_reason = coalesce(excluded.suppressed_reason, indicators.suppressed_reason),
    confidence = ${INDICATOR_CONFIDENCE}
  where excluded.first_seen < indicators.first_seen or excluded.last_seen > indicators.last_seen
    or (excluded.suppressed_reason is not null and indicators.suppressed_reason is null)
    or indicators.confidence <> ${INDICATOR_CONFIDENCE}
  returning id, confidence, suppressed_reason
)
insert into stix_pending (indicator_id)
  select w.id from written w join indicators o on o.id = w.id
  where o.confidence <> w.confidence or (o.suppressed_reason is null) <> (w.suppressed_reason is null)
    -- an expired value reported again: the publisher brings it back
    or o.status = 'expired'
  order by 1
${MARK_REPORTED}`;

// The stored values first, in their order, then the new ones: seeing the same record again
// leaves its lists as they were (`select distinct` would reorder them at each upsert). When the
// source says nothing new (the usual re-sighting), the stored list is kept as it is.
const mergeInOrder = (column: string) => `case when excluded.${column} <@ sightings.${column} then sightings.${column}
      else array(select v from unnest(sightings.${column} || excluded.${column}) with ordinality as u (v, n) group by v order by min(n)) end`;

// A record seen again keeps its id and extracted_at; what the source says now is merged in.
const UPSERT_SIGHTINGS = `with written as (
  insert into sightings (id, indicator_id, type, source_id, article_id, origin, confidence,
    context, tags, mitre_techniques, industries, reference_url, ports, first_seen, last_seen, entry, withdrawn)
  select i, d, t, $14, a, $15, c,
    x, coalesce(g::text[], '{}'), coalesce(m::text[], '{}'), coalesce(u::text[], '{}'), r, coalesce(p::integer[], '{}'),
    to_timestamp(f / 1000), to_timestamp(l / 1000), e,
    -- a new record of a withdrawn value is not listed either (until the publisher brings an expired one back)
    case when ind.revoked_at is not null then 'revoked' when ind.status = 'expired' then 'expired' end
  from unnest($1::text::uuid[], $2::text::uuid[], $3::text::text[], $4::text::uuid[], $5::text::text[],
    $6::text::text[], $7::text::text[], $8::text::text[], $9::text::text[], $10::text::text[], $11::text::text[],
    $12::text::float8[], $13::text::float8[], $16::text::text[]) as j (i, d, t, a, c, x, g, m, u, r, p, f, l, e)
    join indicators ind on ind.id = j.d
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
    reference_url = coalesce(excluded.reference_url, sightings.reference_url),
    entry = coalesce(excluded.entry, sightings.entry)
  where excluded.first_seen < sightings.first_seen or excluded.last_seen > sightings.last_seen
    or excluded.confidence <> sightings.confidence
    or excluded.context <> sightings.context or (excluded.context is not null and sightings.context is null)
    or excluded.reference_url <> sightings.reference_url or (excluded.reference_url is not null and sightings.reference_url is null)
    or excluded.entry <> sightings.entry or (excluded.entry is not null and sightings.entry is null)
    or not (excluded.tags <@ sightings.tags and excluded.mitre_techniques <@ sightings.mitre_techniques
      and excluded.industries <@ sightings.industries and excluded.ports <@ sightings.ports)
  returning id, indicator_id, article_id, xmax = 0 as inserted, confidence, tags, mitre_techniques
),
-- The articles' record counts (0012_articles.sql) take the records this write adds.
counted as (
  insert into article_ioc_counts (article_id, ioc_count)
  select article_id, count(*)::int from written where inserted and article_id is not null group by 1
  on conflict (article_id) do update set ioc_count = article_ioc_counts.ioc_count + excluded.ioc_count
),
marked as (
  insert into stix_pending (indicator_id)
  select distinct w.indicator_id from written w left join sightings o on o.id = w.id
  where o.id is null or o.confidence <> w.confidence or o.tags <> w.tags or o.mitre_techniques <> w.mitre_techniques
  order by 1
  ${MARK_REPORTED}
)
select count(*) filter (where inserted)::int as inserted from written`;

/** Distinct and ascending, as the upsert's merge stores them. */
function sortedPorts(ports: number[]): number[] {
  if (ports.length <= 1) return ports.length === 0 ? [] : [ports[0] as number];
  return [...new Set(ports)].sort((a, b) => a - b);
}

/** An indicator or sighting seen again in the same batch: its span and confidence take the record's in. */
function widen(
  seen: { first_seen: Date; last_seen: Date; confidence: Confidence },
  r: { firstSeen: Date; lastSeen: Date; confidence: Confidence },
): void {
  if (r.firstSeen < seen.first_seen) seen.first_seen = r.firstSeen;
  if (r.lastSeen > seen.last_seen) seen.last_seen = r.lastSeen;
  seen.confidence = maxConfidence(seen.confidence, r.confidence);
}

function unique(values: string[] | undefined): string[] {
  if (values === undefined || values.length === 0) return [];
  // One or two values need no set (most records have a tag or two).
  if (values.length === 1) return [values[0] as string];
  if (values.length === 2) return values[0] === values[1] ? [values[0] as string] : [values[0] as string, values[1] as string];
  return [...new Set(values)];
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
    reference_url: string | null; ports: number[]; first_seen: Date; last_seen: Date; entry: string | null;
  };
  const indicators = new Map<string, Indicator>();
  const sightings = new Map<string, Sighting>();
  for (const input of records) {
    // Never high for a warning-listed value.
    const r = input.suppressedReason && input.confidence !== 'low' ? { ...input, confidence: 'low' as const } : input;
    const id = indicatorId(r.ioc.type, r.ioc.normalized);
    const known = indicators.get(id);
    if (known) {
      widen(known, r);
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
      widen(same, r);
      same.context ??= r.context ?? null;
      same.tags = unique([...same.tags, ...(r.tags ?? [])]);
      same.mitre_techniques = unique([...same.mitre_techniques, ...(r.mitreTechniques ?? [])]);
      same.industries = unique([...same.industries, ...(r.industries ?? [])]);
      same.reference_url ??= r.referenceUrl ?? null;
      same.ports = sortedPorts([...same.ports, ...(r.ports ?? [])]);
      // The latest entry wins, as in the statement.
      same.entry = r.entry ?? same.entry;
    } else {
      sightings.set(sightingId, {
        id: sightingId, indicator_id: id, type: r.ioc.type, article_id: articleId, confidence: r.confidence,
        context: r.context ?? null, tags: unique(r.tags), mitre_techniques: unique(r.mitreTechniques),
        industries: unique(r.industries), reference_url: r.referenceUrl ?? null, ports: sortedPorts(r.ports ?? []),
        first_seen: r.firstSeen, last_seen: r.lastSeen, entry: r.entry ?? null,
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
    textArray(s.map((r) => r.entry)),
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
