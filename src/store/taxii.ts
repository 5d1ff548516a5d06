// The STIX object versions TAXII serves (migration 0009): what the publisher writes after each
// write commits, and what the TAXII endpoints read. Every page is ordered by date_added, which
// one publisher at a time assigns (a transaction-scoped advisory lock), after the writes it
// publishes have committed: date_added follows commit order, so a client that resumes after
// the last date_added it saw misses nothing, however long an ingest transaction ran.
import type { Confidence, IocType } from '../ioc/types.js';
import { plainArray, textArray } from './array-literals.js';
import type { Db, Queryable } from './db.js';
import { keysetAt } from './iocs.js';

/** One publisher at a time: the TAXII versions' and the changes feed's writer (lifecycle.ts). */
export const PUBLISH_LOCK = 7_261_005;

/** One new version, as the publisher makes it. */
export interface NewVersion {
  objectId: string;
  objectType: string;
  /** RFC 3339 with milliseconds: the object's `modified`. */
  modified: string;
  indicatorId: string | null;
  iocType: IocType | null;
  confidence: Confidence | null;
  previousConfidence: Confidence | null;
  state: string | null;
  first: boolean;
  object: string;
}

/** The latest published version of an indicator's own object (not its relationships). */
export interface LatestVersion {
  indicator_id: string;
  object_id: string;
  state: string | null;
  confidence: Confidence | null;
  /** RFC 3339 with milliseconds */
  modified: string;
  /** The object's `created`, the same in every version. */
  created: string;
  /** How many objects the indicator has had: more than one once a value was restored after its object was revoked (export/stix.ts StixSummary). */
  objects: number;
}

/**
 * Runs fn as the only publisher, in a transaction of its own, with the indicators marked since
 * the last run (at most `batch` of them, their marks taken); fn's result is committed with it.
 */
export function withPendingIndicators<T>(
  db: Db,
  batch: number,
  fn: (tx: Queryable, pending: { ids: string[]; reported: Set<string> }) => Promise<T>,
): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [PUBLISH_LOCK]);
    const rows = await tx.query<{ indicator_id: string; reported: boolean }>(
      `delete from stix_pending where indicator_id in (select indicator_id from stix_pending order by indicator_id limit $1)
       returning indicator_id, reported`,
      [batch],
    );
    const reported = new Set(rows.filter((row) => row.reported).map((row) => row.indicator_id));
    return fn(tx, { ids: rows.map((row) => row.indicator_id), reported });
  });
}

// Each object of an indicator keeps its latest version (a revoked one stays, revoked): the newest
// of them is the indicator's current object.
export function latestVersions(tx: Queryable, indicatorIds: string[]): Promise<LatestVersion[]> {
  return tx.query<LatestVersion>(
    `select distinct on (indicator_id) indicator_id, object_id, state, confidence, socd_iso_ms(modified) as modified,
       object::json ->> 'created' as created, count(*) over (partition by indicator_id)::int as objects
     from stix_versions
     where indicator_id = any($1::uuid[]) and latest and state is not null
     order by indicator_id, date_added desc`,
    [indicatorIds],
  );
}

/** Which of these objects have a version already. */
export async function publishedObjects(tx: Queryable, objectIds: string[]): Promise<Set<string>> {
  const rows = await tx.query<{ object_id: string }>('select distinct object_id from stix_versions where object_id = any($1::text[])', [objectIds]);
  return new Set(rows.map((row) => row.object_id));
}

// Each version's date_added is after every one before it, a microsecond apart in the order
// given; the versions they replace are no longer the latest. (An array literal is unnested once:
// `= any($1::text::text[])` would parse it again for every row it filters.)
const INSERT_VERSIONS = `with base as (
  select greatest(clock_timestamp(), coalesce(max(date_added) + interval '1 microsecond', '-infinity')) as at from stix_versions
),
replaced as (
  update stix_versions set latest = false where object_id in (select unnest($1::text::text[])) and latest
)
insert into stix_versions (date_added, object_id, object_type, modified, indicator_id, ioc_type, confidence,
  previous_confidence, state, latest, first, object)
select base.at + (n - 1) * interval '1 microsecond', o, t, m::timestamptz, i::uuid, y, c, p, s, true, f::boolean, j
from base, unnest($1::text::text[], $2::text::text[], $3::text::text[], $4::text::text[], $5::text::text[], $6::text::text[],
  $7::text::text[], $8::text::text[], $9::text::text[], $10::text::text[]) with ordinality as v (o, t, m, i, y, c, p, s, f, j, n)`;

export async function insertVersions(tx: Queryable, versions: NewVersion[]): Promise<void> {
  if (versions.length === 0) return;
  await tx.query(INSERT_VERSIONS, [
    textArray(versions.map((v) => v.objectId)),
    plainArray(versions.map((v) => v.objectType)),
    plainArray(versions.map((v) => v.modified)),
    plainArray(versions.map((v) => v.indicatorId)),
    plainArray(versions.map((v) => v.iocType)),
    plainArray(versions.map((v) => v.confidence)),
    plainArray(versions.map((v) => v.previousConfidence)),
    textArray(versions.map((v) => v.state)),
    plainArray(versions.map((v) => String(v.first))),
    textArray(versions.map((v) => v.object)),
  ]);
}

// ---- reading --------------------------------------------------------------------------------

/** What a collection holds: the versions of one IOC type, or of high confidence (a downgrade included). */
export interface CollectionFilter {
  type?: IocType;
  highConfidence?: boolean;
}

/** The TAXII `match[...]` filters and paging of a read. */
export interface VersionQuery {
  /** Strictly after this date_added (added_after, or a `next`). */
  addedAfter?: string;
  limit: number;
  ids?: string[];
  types?: string[];
  /** `last`, `first`, `all` or version timestamps (OR). */
  versions: string[];
  /** false: a spec_version that no object here has was asked for. */
  specVersionMatches: boolean;
}

export interface VersionRow {
  /** RFC 3339, microseconds */
  date_added: string;
  object_id: string;
  /** RFC 3339, milliseconds */
  version: string;
  object?: string;
}

function versionClause(collection: CollectionFilter, q: VersionQuery, objectId?: string): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const add = (value: unknown, clause: (param: string) => string) => {
    params.push(value);
    clauses.push(clause(`$${params.length}`));
  };
  if (!q.specVersionMatches) clauses.push('false');
  if (collection.type) add(collection.type, (p) => `(v.ioc_type = ${p} or v.ioc_type is null)`);
  if (collection.highConfidence) clauses.push(`(v.confidence is null or 'high' in (v.confidence, v.previous_confidence))`);
  if (objectId !== undefined) add(objectId, (p) => `v.object_id = ${p}`);
  if (q.ids) add(q.ids, (p) => `v.object_id = any(${p}::text[])`);
  if (q.types) add(q.types, (p) => `v.object_type = any(${p}::text[])`);
  if (q.addedAfter) add(q.addedAfter, (p) => `v.date_added > ${p}::timestamptz`);
  if (!q.versions.includes('all')) {
    const any: string[] = [];
    if (q.versions.includes('last')) any.push('v.latest');
    if (q.versions.includes('first')) any.push('v.first');
    const stamps = q.versions.filter((v) => v !== 'last' && v !== 'first');
    if (stamps.length > 0) {
      params.push(stamps);
      any.push(`v.modified = any($${params.length}::timestamptz[])`);
    }
    clauses.push(`(${any.join(' or ')})`);
  }
  return { where: clauses.length > 0 ? clauses.join(' and ') : 'true', params };
}

/**
 * One page of versions in date_added order, and whether more follow. `withObject`: the objects
 * too (the objects endpoint), or only their ids and versions (manifest, versions).
 */
export async function readVersions(
  db: Queryable,
  collection: CollectionFilter,
  q: VersionQuery,
  options: { withObject: boolean; objectId?: string },
): Promise<{ rows: VersionRow[]; more: boolean }> {
  const { where, params } = versionClause(collection, q, options.objectId);
  params.push(q.limit + 1);
  const rows = await db.query<VersionRow>(
    `select ${keysetAt('v.date_added')} as date_added, v.object_id, socd_iso_ms(v.modified) as version
       ${options.withObject ? ', v.object' : ''}
     from stix_versions v where ${where} order by v.date_added limit $${params.length}::bigint`,
    params,
  );
  const more = rows.length > q.limit;
  return { rows: more ? rows.slice(0, q.limit) : rows, more };
}
