// Search: the exact lookup of values (concurrent searches batched into one statement), the
// records related to what was found, and the trigram fallback when nothing matches; and where a
// value found stands in its lifecycle, as search and lookup show it.
import type { IocType } from '../ioc/types.js';
import { batcher } from './batcher.js';
import { DbError, SQLSTATE, type Db, type Queryable } from './db.js';
import { RECORD_JOINS, RECORD_JSON } from './iocs.js';

const MAX_EXACT_RECORDS = 1000;
const MAX_RELATED = 10;
const MAX_FUZZY_INDICATORS = 10;
// The substring stage ranks at most this many candidates by similarity.
const MAX_SUBSTRING_CANDIDATES = 200;

// ---- the lifecycle of what was found ------------------------------------------------------------

// The report of indicator `i` that lasted longest (its last_seen plus the lifetime of its source
// and type, resolved as lifecycle.ts resolves it: the source's row for the type, else the
// source's row for every type, else the type's): the one that set valid_until. Read only for an
// expired indicator, to say why it expired.
const LONGEST_REPORT = (i: string) => `(select json_build_object('source', src.name, 'last_seen', socd_iso(x.last_seen),
      'days', r.days, 'by_source', r.source_id is not null)
    from sightings x join sources src on src.id = x.source_id
    cross join lateral (
      select l.lifetime_days as days, l.source_id from lifetimes l
      where (l.source_id = x.source_id or l.source_id is null) and (l.ioc_type = x.type or l.ioc_type is null)
      order by l.source_id is null, l.ioc_type is null limit 1
    ) r
    where x.indicator_id = ${i}.id
    order by case when r.days is null then 'infinity'::timestamptz else x.last_seen + r.days * interval '1 day' end desc, x.last_seen desc
    limit 1)`;

/** Indicator `i`'s lifecycle columns as JSON text (a LifecycleRow). */
export const LIFECYCLE_JSON = (i: string) => `json_build_object('type', ${i}.type, 'status', ${i}.status,
    'valid_until', case when ${i}.valid_until = 'infinity' then 'infinity' else socd_iso(${i}.valid_until) end,
    'last_seen', socd_iso(${i}.last_seen), 'revoked_at', socd_iso(${i}.revoked_at), 'revoked_reason', ${i}.revoked_reason,
    'revoked_by', ${i}.revoked_by, 'longest', case when ${i}.status = 'expired' then ${LONGEST_REPORT(i)} end)::text`;

/** An indicator's lifecycle as the store has it (LIFECYCLE_JSON). */
export interface LifecycleRow {
  type: IocType;
  /** 'new': not computed yet (the publisher computes it right after the write). */
  status: 'new' | 'active' | 'expired';
  /** RFC 3339, 'infinity' (never expires), or null (not computed yet). */
  valid_until: string | null;
  last_seen: string;
  revoked_at: string | null;
  revoked_reason: string | null;
  revoked_by: string | null;
  /** An expired one's report that lasted longest, and its lifetime (days null: never expires). */
  longest: { source: string; last_seen: string; days: number | null; by_source: boolean } | null;
}

/** Where an indicator stands in its lifecycle, as search and lookup answer it (`lifecycle`). */
export interface IocLifecycle {
  status: 'active' | 'expired' | 'revoked';
  /** RFC 3339; null: never expires (or not computed yet). */
  valid_until: string | null;
  revoked_at: string | null;
  /** Why it is revoked, or why it expired; null when active. */
  reason: string | null;
  /** A sentence: "Valid until …", "Expired on …: …", "Revoked on … by …: …". */
  summary: string;
}

const dayOf = (iso: string): string => iso.slice(0, 10);
const days = (n: number) => `${n} day${n === 1 ? '' : 's'}`;

/** Why an expired indicator expired: when it was last reported, and the lifetime that ran out. */
function expiryReason(row: LifecycleRow): string {
  const longest = row.longest;
  const since = `not reported since ${dayOf(row.last_seen)}`;
  if (!longest || longest.days === null) return since;
  const lifetime = longest.by_source ? `${longest.source}'s lifetime ${days(longest.days)}` : `${row.type} lifetime ${days(longest.days)}`;
  // A later report with a shorter lifetime ended sooner: say which report lasted.
  if (longest.last_seen === row.last_seen) return `${since} (${lifetime})`;
  return `${since}; its report that lasted longest was ${longest.source}'s of ${dayOf(longest.last_seen)} (${lifetime})`;
}

/** The lifecycle answer of an indicator: revoked before expired before active. */
export function describeLifecycle(row: LifecycleRow): IocLifecycle {
  const validUntil = row.valid_until === 'infinity' ? null : row.valid_until;
  const base = { valid_until: validUntil, revoked_at: row.revoked_at };
  if (row.revoked_at !== null) {
    const reason = row.revoked_reason ?? 'no reason given';
    return { status: 'revoked', ...base, reason, summary: `Revoked on ${dayOf(row.revoked_at)}${row.revoked_by ? ` by ${row.revoked_by}` : ''}: ${reason}` };
  }
  if (row.status === 'expired' && validUntil !== null) {
    const reason = expiryReason(row);
    return { status: 'expired', ...base, reason, summary: `Expired on ${dayOf(validUntil)}: ${reason}` };
  }
  const summary =
    validUntil !== null ? `Valid until ${dayOf(validUntil)}` : row.status === 'new' ? 'Active: its validity is being computed' : 'Active: never expires';
  return { status: 'active', ...base, reason: null, summary };
}

/** The lifecycle to answer among a value's indicators: the detected type's, else the first. */
export function lifecycleOf(rows: readonly LifecycleRow[], type: IocType | undefined): IocLifecycle | null {
  const row = rows.find((r) => r.type === type) ?? rows[0];
  return row ? describeLifecycle(row) : null;
}

// ---- the exact stage ------------------------------------------------------------------------------

// The records of each value ($1, several at once), newest first, with the value's place in $1,
// and the lifecycle of its indicators: on the first record of each indicator (or of each run of
// its records, when a value is stored under several types), not repeated on every record. The
// window reads the records in the order of the answer, so it adds no sort of its own.
// The array reaches the statement through `(select ...)`, out of the planner's sight (so in
// SEARCH_RELATED): seeing it, PostgreSQL would find each call's own plan cheaper than the generic
// one and plan every call anew, which costs more than the lookup.
const SEARCH_EXACT = `select q.n::int as n, m.json, m.indicator_id, m.article_id, m.lifecycle
  from unnest((select $1::text[])) with ordinality q(value, n)
  cross join lateral (
    select ${RECORD_JSON}, s.indicator_id, s.article_id, s.last_seen, s.id,
      case when lag(s.indicator_id) over (order by s.last_seen desc, s.id) is distinct from s.indicator_id
        then ${LIFECYCLE_JSON('i')} end as lifecycle
    ${RECORD_JOINS}
    where i.value_normalized = q.value
    order by s.last_seen desc, s.id
    limit ${MAX_EXACT_RECORDS}
  ) m
  order by q.n, m.last_seen desc, m.id`;

/** The rank of a related record: the index sightings_related's expression (0005_related_index.sql), word for word. */
export const RELATED_RANK = `case s.confidence when 'high' then 0 when 'medium' then 1 else 2 end`;

/**
 * The `limit` best records of distinct indicators among the records of `groups` (articles, feed
 * entries) that `where` keeps: each group's best straight off its index, in the rank's order;
 * then each indicator's best; then the best of those. `columns` are the sightings' (`s.`) read.
 */
export const bestRelatedRecords = (groups: string, where: string, columns: string, limit: number) => `select * from (
      select distinct on (best.indicator_id) best.*
      from ${groups}
      cross join lateral (
        select ${columns}, ${RELATED_RANK} as rank
        from sightings s
        where ${where}
        order by rank, s.extracted_at desc, s.id
        limit ${limit}
      ) best
      order by best.indicator_id, best.rank, best.extracted_at desc, best.id
    ) per_indicator
    order by rank, extracted_at desc, id
    limit ${limit}`;

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
    from (${bestRelatedRecords(
      `unnest(string_to_array(q.articles, ',')::uuid[]) article(id)`,
      's.article_id = article.id and s.indicator_id <> all(matched.ids)',
      's.*',
      MAX_RELATED,
    )}) s
    join indicators i on i.id = s.indicator_id
    join sources src on src.id = s.source_id
    left join articles a on a.id = s.article_id
  ) r
  order by q.n, r.rank, r.extracted_at desc, r.id`;

// The trigram fallback, one statement per stage, each returning the records of its best
// indicators. First values containing q: the trigram index finds them fast, and only those few
// are ranked by similarity (ilike, because a URL keeps the case of its path). Then, only when
// nothing contains q, near misses: similarity of at least NEAR_MISS_SIMILARITY, which costs a
// scan of the candidates sharing trigrams with q, so it is kept for when it is needed. (In one
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
// A near miss is a typo, not a value that shares a few trigrams (pg_trgm's default, 0.3, finds
// those). The threshold is also what the trigram index can skip by: a value must share more of
// q's trigrams, so it must hold one of its rarer ones. At 1M records a domain with one character
// changed was found 20 times in 20 at any threshold; the near-miss statement took 87 ms (p50) at
// 0.3, 21 ms at 0.5, 8 ms at 0.6 (URLs: 282, 72, 49 ms).
const NEAR_MISS_SIMILARITY = '0.6';
const SET_NEAR_MISS = `select set_config('pg_trgm.similarity_threshold', $1, true)`;

interface MatchRow {
  json: string;
  indicator_id: string;
  article_id: string | null;
  /** LIFECYCLE_JSON, on the first record of its indicator. */
  lifecycle: string | null;
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

/** The most of q the trigram stage reads: values containing its first 64 characters. */
export const MAX_FUZZY_PIECE = 64;

/**
 * What the trigram stage looks for in q, or undefined where a near match cannot mean anything:
 * no value holds whitespace or control characters, and values are ASCII (hosts in punycode, URLs
 * percent-encoded) of which pg_trgm reads only runs of letters and digits, so a q without three
 * of them in a row (punctuation, `%`/`_`, short tokens, other scripts) gives it no trigram to
 * look up and would be weighed against every value. A longer q is cut to a bounded piece.
 */
export function fuzzyPiece(q: string): { piece: string; cut: boolean } | undefined {
  const characters = [...q];
  const piece = characters.slice(0, MAX_FUZZY_PIECE).join('');
  if (/[\s\p{C}]/u.test(piece) || !/[a-z0-9]{3}/i.test(piece)) return undefined;
  return { piece, cut: characters.length > MAX_FUZZY_PIECE };
}

/** Values containing q (hashes: beginning with it), or else near misses of q; best first. In a transaction (Db.bounded). */
async function fuzzyMatches(db: Queryable, q: string): Promise<string[]> {
  const params: string[] = [`%${escapeLike(q)}%`, q];
  const hashes = HEX.test(q);
  // the first value after every one that begins with q: its last digit, one higher
  if (hashes) params.push(q, q.slice(0, -1) + String.fromCharCode(q.charCodeAt(q.length - 1) + 1));
  type Row = { json: string; similarity: number };
  let rows = await db.query<Row>(hashes ? SEARCH_SUBSTRING_OR_HASH : SEARCH_SUBSTRING, params);
  if (rows.length === 0) {
    await db.query(SET_NEAR_MISS, [NEAR_MISS_SIMILARITY]); // for this transaction only
    rows = await db.query<Row>(SEARCH_SIMILAR, [q]);
  }
  // The record's last member, then the similarity (rounded as JSON.stringify would write it).
  return rows.map((row) => `${row.json.slice(0, -1)},"similarity":${JSON.stringify(Math.round(Number(row.similarity) * 1000) / 1000)}}`);
}

export interface ExactResult {
  /** Records as JSON text, each an IocRecord. */
  matches: string[];
  related: string[];
  /** The lifecycle of each indicator found (one per type the value is stored under); lifecycleOf picks the one to answer. */
  lifecycles: LifecycleRow[];
}

export interface FuzzyResult {
  /** Records as JSON text, each an IocRecord with its `similarity`. */
  matches: string[];
  /** Whether the stage stopped at its time budget (its matches are then none). */
  stopped: boolean;
}

export interface Searcher {
  /** The records of a normalized value, with the related IOCs of their articles when asked. */
  exact(value: string, related: boolean, signal?: AbortSignal): Promise<ExactResult>;
  /** The trigram fallback for a piece (fuzzyPiece), within its time budget. */
  fuzzy(piece: string, signal?: AbortSignal): Promise<FuzzyResult>;
}

/**
 * Search on a store. Exact lookups made at the same time go to the database together, and so do
 * related ones (batcher.ts): a caller that gives up leaves them. The trigram fallback costs
 * more and serves one caller: it runs in a read-only transaction of its own, under a time
 * budget of its own, and is cancelled in the database when its caller gives up.
 */
export function searcher(db: Db, fuzzyBudgetMs: number): Searcher {
  const exactIn = batcher((values: string[]) => matchesOf(db, values));
  const relatedIn = batcher((lookups: RelatedLookup[]) => relatedOf(db, lookups));
  return {
    async exact(value, related, signal) {
      const rows = await exactIn(value, signal);
      const matches = rows.map((row) => row.json);
      const lifecycles = new Map<IocType, LifecycleRow>();
      for (const row of rows) {
        if (row.lifecycle === null) continue;
        const lifecycle = JSON.parse(row.lifecycle) as LifecycleRow;
        if (!lifecycles.has(lifecycle.type)) lifecycles.set(lifecycle.type, lifecycle);
      }
      const found = { matches, lifecycles: [...lifecycles.values()] };
      const articles = related ? [...new Set(rows.flatMap((row) => (row.article_id ? [row.article_id] : [])))] : [];
      if (articles.length === 0) return { ...found, related: [] };
      const indicators = [...new Set(rows.map((row) => row.indicator_id))];
      return { ...found, related: await relatedIn({ articles, indicators }, signal) };
    },
    async fuzzy(piece, signal) {
      try {
        return { matches: await db.bounded({ budgetMs: fuzzyBudgetMs, signal }, (tx) => fuzzyMatches(tx, piece)), stopped: false };
      } catch (error) {
        // Cancelled for its budget: an answer without near matches, which says so.
        if (error instanceof DbError && error.code === SQLSTATE.queryCanceled && !signal?.aborted) return { matches: [], stopped: true };
        throw error;
      }
    },
  };
}
