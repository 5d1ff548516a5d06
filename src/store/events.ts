// The records grouped as MISP events: one event per article, and one per feed and day (UTC) of
// first appearance. A record belongs to one event for good (its extracted_at never changes), so
// a value seen again only moves its attribute's last_seen; a value two sources report is an
// attribute of each source's event. Pages of events run newest first, by their newest record.
import type { Category, Confidence, IocType } from '../ioc/types.js';
import { filterClause, keysetAt, streamFiltered, type Keyset, type Page, type RecordFilters } from './iocs.js';
import type { Queryable } from './db.js';

/** An event: an article's, or a feed's of one day. */
export interface EventRef {
  article_id: string | null;
  source_id: number;
  /** YYYY-MM-DD (UTC): the feed's day (an article's event takes the day of its newest record). */
  day: string;
}

/** An event of a page, and where the page stands after it: the keyset of its newest record. */
export interface EventKey extends EventRef {
  cursor: Keyset;
}

/** What a MISP writer reads: one event and its records. */
export interface EventRecords {
  source: { name: string; category: Category };
  article: { id: string; title: string; url: string; published_at: string | null } | null;
  day: string;
  records: EventRecord[];
  /** Other events that share a value with this one (at most RELATED_PER_EVENT). */
  related: RelatedEvent[];
}

export interface EventRecord {
  id: string;
  indicator_id: string;
  type: IocType;
  value: string;
  confidence: Confidence;
  /** ISO 8601 UTC */
  first_seen: string;
  last_seen: string;
  /** Epoch seconds of the record's last change: stored, seen again, or its indicator's validity or withdrawal changed. */
  changed: number;
  /** Why it is not listed any more (null: listed): MISP subscribers learn it from its attribute. */
  withdrawn: 'expired' | 'revoked' | null;
  context: string | null;
  tags: string[];
  mitre_techniques: string[];
}

export interface RelatedEvent {
  source: string;
  article: { id: string; title: string } | null;
  day: string;
}

export const RELATED_PER_EVENT = 10;

const DAY = `to_char(s.extracted_at at time zone 'UTC', 'YYYY-MM-DD')`;
const WALK_BATCH = 2000;

const keyOf = (r: EventRef) => r.article_id ?? `${r.source_id}/${r.day}`;

/**
 * One page of events among the filtered records, newest first: the records are walked newest
 * first along the paging index, and an event comes where its newest record does; the walk stops
 * once the page is full. After a cursor (the newest record of the last event of the page
 * before), an event that has a record before the cursor was on an earlier page.
 */
export async function pageEvents(db: Queryable, filters: RecordFilters, page: Page): Promise<EventKey[]> {
  const events: EventKey[] = [];
  const seen = new Set<string>();
  let skipped = 0;
  let after = page.after;
  for (;;) {
    const { where, params } = filterClause(filters, after && { cursor_at: after.at, cursor_id: after.id });
    const rows = await db.query<{ article_id: string | null; source_id: number; day: string; at: string; id: string }>(
      `select s.article_id, s.source_id, ${DAY} as day, ${keysetAt('s.extracted_at')} as at, s.id
       from sightings s where ${where} order by s.extracted_at desc, s.id desc limit ${WALK_BATCH}`,
      params,
    );
    const firsts = rows.filter((row) => !seen.has(keyOf(row)) && seen.add(keyOf(row)));
    const earlier = page.after ? await onEarlierPages(db, filters, page.after, firsts) : new Set<string>();
    for (const row of firsts) {
      if (earlier.has(keyOf(row))) continue;
      if (skipped < page.offset) {
        skipped++;
        continue;
      }
      events.push({ article_id: row.article_id, source_id: row.source_id, day: row.day, cursor: { at: row.at, id: row.id } });
      if (events.length === page.limit) return events;
    }
    if (rows.length < WALK_BATCH) return events;
    const last = rows[rows.length - 1]!;
    after = { at: last.at, id: last.id };
  }
}

/** Which of these events have a record at `cursor` or before it in the walk: the pages before this one had them. */
async function onEarlierPages(
  db: Queryable,
  filters: RecordFilters,
  cursor: Keyset,
  candidates: EventRef[],
): Promise<Set<string>> {
  const { where, params } = filterClause(filters);
  const n = params.length;
  const newer = `(s.extracted_at, s.id) >= ($${n + 1}::timestamptz, $${n + 2}::uuid)`;
  const articles = candidates.flatMap((c) => (c.article_id ? [c.article_id] : []));
  const feeds = candidates.filter((c) => !c.article_id);
  const [byArticle, byFeed] = await Promise.all([
    articles.length === 0
      ? []
      : db.query<{ key: string }>(
          `select distinct s.article_id::text as key from sightings s where ${where} and ${newer} and s.article_id = any($${n + 3}::uuid[])`,
          [...params, cursor.at, cursor.id, articles],
        ),
    feeds.length === 0
      ? []
      : db.query<{ key: string }>(
          `select e.source_id || '/' || e.day as key from unnest($${n + 3}::int[], $${n + 4}::text[]) as e (source_id, day)
           where exists (select from sightings s where ${where} and ${newer} and s.source_id = e.source_id and s.article_id is null
             and s.extracted_at >= e.day::date::timestamp at time zone 'UTC' and s.extracted_at < (e.day::date + 1)::timestamp at time zone 'UTC')`,
          [...params, cursor.at, cursor.id, feeds.map((f) => f.source_id), feeds.map((f) => f.day)],
        ),
  ]);
  return new Set([...byArticle, ...byFeed].map((row) => row.key));
}

// A record changes when it is stored or seen again, and when its indicator's lifecycle does
// (expired, revoked, extended, restored): the attribute's and its event's timestamps move then,
// which is what a MISP instance compares to take an update of an event it holds.
const CHANGED = 'floor(extract(epoch from greatest(s.last_seen, s.extracted_at, i.lifecycle_at)))::bigint';

const EVENT_RECORD_COLUMNS = `s.id, s.indicator_id, s.type, i.value, s.confidence, s.article_id, s.source_id, ${DAY} as day,
  socd_iso(s.first_seen) as first_seen, socd_iso(s.last_seen) as last_seen, ${CHANGED} as changed,
  s.withdrawn, s.context, s.tags, s.mitre_techniques`;

type EventRecordRow = EventRecord & { article_id: string | null; source_id: number; day: string };

/**
 * The records of feeds' days: one range of the feed-day index a day, each with its own
 * parameters (the planner sees each range, and reads it alone rather than every feed's day).
 */
function feedRecordsQuery(where: string, params: unknown[], feeds: { source_id: number; day: string }[]): [string, unknown[]] {
  const all = [...params];
  const ranges = feeds.map((feed) => {
    all.push(feed.source_id, feed.day);
    const [source, day] = [`$${all.length - 1}`, `$${all.length}`];
    return `(s.source_id = ${source}::int and s.extracted_at >= ${day}::date::timestamp at time zone 'UTC'
      and s.extracted_at < (${day}::date + 1)::timestamp at time zone 'UTC')`;
  });
  return [
    `select ${EVENT_RECORD_COLUMNS} from sightings s join indicators i on i.id = s.indicator_id
     where ${where} and s.article_id is null and (${ranges.join(' or ')}) order by s.extracted_at, s.id`,
    all,
  ];
}

/** The events' records (those the filters admit), their sources, articles and related events. */
export async function readEvents(db: Queryable, filters: RecordFilters, events: EventRef[]): Promise<EventRecords[]> {
  if (events.length === 0) return [];
  const { where, params } = filterClause(filters);
  const n = params.length;
  const articles = events.flatMap((e) => (e.article_id ? [e.article_id] : []));
  const feeds = events.filter((e) => !e.article_id);
  const [byArticle, byFeed, sources, articleRows] = await Promise.all([
    articles.length === 0
      ? []
      : db.query<EventRecordRow>(
          `select ${EVENT_RECORD_COLUMNS} from sightings s join indicators i on i.id = s.indicator_id
           where ${where} and s.article_id = any($${n + 1}::uuid[]) order by s.extracted_at, s.id`,
          [...params, articles],
        ),
    feeds.length === 0 ? [] : db.query<EventRecordRow>(...feedRecordsQuery(where, params, feeds)),
    db.query<{ id: number; name: string; category: Category }>('select id, name, category from sources'),
    articles.length === 0
      ? []
      : db.query<{ id: string; title: string; url: string; published_at: string | null }>(
          'select id, title, url, socd_iso(published_at) as published_at from articles where id = any($1::uuid[])',
          [articles],
        ),
  ]);
  const sourceOf = new Map(sources.map((s) => [s.id, s]));
  const articleOf = new Map(articleRows.map((a) => [a.id, a]));
  const recordsOf = new Map<string, EventRecord[]>();
  const dayOf = new Map<string, string>();
  for (const row of [...byArticle, ...byFeed]) {
    const key = keyOf(row);
    if (row.day > (dayOf.get(key) ?? '')) dayOf.set(key, row.day);
    const { article_id: _a, source_id: _s, day: _d, ...record } = row;
    recordsOf.set(key, [...(recordsOf.get(key) ?? []), { ...record, changed: Number(record.changed) }]);
  }
  const related = await relatedEvents(db, filters, [...byArticle, ...byFeed], (id) => sourceOf.get(id)?.name ?? '');
  return events.map((e) => {
    const source = sourceOf.get(e.source_id)!;
    return {
      source: { name: source.name, category: source.category },
      article: e.article_id ? (articleOf.get(e.article_id) ?? null) : null,
      day: e.day || (dayOf.get(keyOf(e)) ?? ''),
      records: recordsOf.get(keyOf(e)) ?? [],
      related: related.get(keyOf(e)) ?? [],
    };
  });
}

/** For each event, the other events (among the filtered records) that hold one of its values. */
async function relatedEvents(
  db: Queryable,
  filters: RecordFilters,
  rows: EventRecordRow[],
  sourceName: (id: number) => string,
): Promise<Map<string, RelatedEvent[]>> {
  const related = new Map<string, RelatedEvent[]>();
  if (rows.length === 0) return related;
  const { where, params } = filterClause(filters);
  const n = params.length;
  const others = await db.query<{ indicator_id: string; article_id: string | null; source_id: number; day: string; title: string | null }>(
    `select distinct s.indicator_id, s.article_id, s.source_id, ${DAY} as day, a.title
     from sightings s left join articles a on a.id = s.article_id
     where ${where} and s.indicator_id = any($${n + 1}::uuid[])
     limit 10000`,
    [...params, [...new Set(rows.map((r) => r.indicator_id))]],
  );
  const eventsOf = new Map<string, typeof others>();
  for (const other of others) eventsOf.set(other.indicator_id, [...(eventsOf.get(other.indicator_id) ?? []), other]);
  const keysOf = new Map<string, Set<string>>();
  for (const row of rows) {
    const key = keyOf(row);
    const keys = keysOf.get(key) ?? new Set([key]);
    keysOf.set(key, keys);
    const list = related.get(key) ?? [];
    related.set(key, list);
    for (const other of eventsOf.get(row.indicator_id) ?? []) {
      const otherKey = keyOf(other);
      if (keys.has(otherKey) || list.length >= RELATED_PER_EVENT) continue;
      keys.add(otherKey);
      list.push({
        source: sourceName(other.source_id),
        article: other.article_id ? { id: other.article_id, title: other.title ?? '' } : null,
        day: other.day,
      });
    }
  }
  return related;
}

// ---- a MISP feed ----------------------------------------------------------------------------

/** An event without its records: what a MISP event's header is made of, and a MISP feed's manifest lists. */
export interface EventSummary {
  source: { name: string };
  article: { id: string; title: string; published_at: string | null } | null;
  day: string;
  /** The highest of its records'. */
  confidence: Confidence;
  /** Epoch seconds of its last change. */
  changed: number;
  /** The ATT&CK techniques reported as IOCs of the event: its galaxy tags, not attributes. */
  techniques: string[];
}

/** Every event among the filtered records, summarized as its records would be (store/events.ts's readEvents). */
export async function summarizeEvents(db: Queryable, filters: RecordFilters): Promise<EventSummary[]> {
  const { where, params } = filterClause(filters);
  const rows = await db.query<{
    article_id: string | null; source: string; day: string; rank: number; changed: string; techniques: string[];
    title: string | null; published_at: string | null;
  }>(
    `select e.article_id, src.name as source, e.day, e.rank, e.changed, e.techniques, a.title, socd_iso(a.published_at) as published_at
     from (
       select s.article_id, min(s.source_id) as source_id, max(${DAY}) as day,
         max(case s.confidence when 'high' then 3 when 'medium' then 2 else 1 end) as rank,
         max(${CHANGED}) as changed,
         coalesce(array_agg(i.value order by i.value) filter (where s.type = 'mitre_attack'), '{}') as techniques
       from sightings s join indicators i on i.id = s.indicator_id
       where ${where}
       group by s.article_id, case when s.article_id is null then s.source_id end, case when s.article_id is null then ${DAY} end
     ) e join sources src on src.id = e.source_id left join articles a on a.id = e.article_id
     order by e.day, e.article_id nulls first, src.name`,
    params,
  );
  const CONFIDENCE_OF: Record<number, Confidence> = { 3: 'high', 2: 'medium', 1: 'low' };
  return rows.map((r) => ({
    source: { name: r.source },
    article: r.article_id ? { id: r.article_id, title: r.title ?? '', published_at: r.published_at } : null,
    day: r.day,
    confidence: CONFIDENCE_OF[r.rank]!,
    changed: Number(r.changed),
    techniques: r.techniques,
  }));
}

/** The filtered records' values as MD5 (hex), with what names their event, in batches (a feed's hashes.csv). */
export function streamEventHashes(db: Queryable, filters: RecordFilters) {
  return streamFiltered<{ article_id: string | null; source: string; day: string; md5: string }>(
    db,
    `s.article_id, src.name as source, ${DAY} as day, md5(i.value) as md5`,
    `from sightings s join indicators i on i.id = s.indicator_id join sources src on src.id = s.source_id`,
    { ...filters, notType: 'mitre_attack' },
    { limit: Number.MAX_SAFE_INTEGER, offset: 0 },
  );
}

/** The event of an article, when `id` is one of the store's articles. */
export async function articleEvent(db: Queryable, id: string): Promise<EventRef | undefined> {
  const [row] = await db.query<{ source_id: number }>('select source_id from articles where id = $1::uuid', [id]);
  return row && { article_id: id, source_id: row.source_id, day: '' };
}
