// The source catalogue: feeds, article sites, and the operator's own imported lists.
import type { Category } from '../ioc/types.js';
import type { Queryable } from './db.js';

export interface SourceRef {
  id: number;
  name: string;
  category: Category;
}

export class SourceError extends Error {
  override name = 'SourceError';
}

const SELECT_SOURCE = `select id, name, category, kind from sources where lower(name) = lower($1)`;
const INSERT_IMPORT_SOURCE = `insert into sources (name, kind, category) values ($1, 'import', $2)
  on conflict do nothing returning id, name, category`;

/**
 * The source an operator's import goes to, created on first use. An existing source keeps its
 * category: records of one source never disagree on it.
 */
export async function ensureImportSource(db: Queryable, name: string, category: Category): Promise<SourceRef> {
  const [created] = await db.query<SourceRef>(INSERT_IMPORT_SOURCE, [name, category]);
  if (created) return created;
  const [existing] = await db.query<SourceRef & { kind: string }>(SELECT_SOURCE, [name]);
  if (!existing) throw new SourceError(`source "${name}" vanished while importing`);
  if (existing.category !== category) {
    throw new SourceError(
      `source "${name}" already exists with category ${existing.category}, not ${category}; ` +
        `import under another --source name or use --category ${existing.category}`,
    );
  }
  return existing;
}

// --- the catalogue, fetch state and runs ----------------------------------------------------

export interface SourceRow {
  id: number;
  name: string;
  kind: string;
  url: string | null;
  category: Category;
  interval_seconds: number | null;
  stale_after_seconds: number | null;
  enabled: boolean;
  origin: 'catalogue' | 'operator' | 'import';
  auth_header: string | null;
  auth_env: string | null;
  etag: string | null;
  last_modified: string | null;
  health: 'healthy' | 'degraded' | 'error';
  health_reason: string | null;
  consecutive_failures: number;
  last_run_at: Date | null;
  last_success_at: Date | null;
  last_new_at: Date | null;
}

export interface SourceDefinition {
  name: string;
  kind: string;
  url: string;
  category: Category;
  intervalSeconds: number;
  staleAfterSeconds: number | null;
  auth: { header: string; env: string } | null;
}

const SOURCE_COLUMNS = `id, name, kind, url, category, interval_seconds, stale_after_seconds, enabled, origin,
  auth_header, auth_env, etag, last_modified, health, health_reason, consecutive_failures,
  last_run_at, last_success_at, last_new_at`;

// A catalogue entry is added, or its description updated; `enabled` stays the operator's.
const SYNC_CATALOGUE = `insert into sources (name, kind, url, category, interval_seconds, stale_after_seconds, auth_header, auth_env, origin)
  select name, kind, url, category, interval_seconds, stale_after_seconds, auth_header, auth_env, 'catalogue'
  from jsonb_to_recordset($1::jsonb) as x (name text, kind text, url text, category text, interval_seconds integer,
    stale_after_seconds integer, auth_header text, auth_env text)
  on conflict (name) do update set kind = excluded.kind, url = excluded.url, category = excluded.category,
    interval_seconds = excluded.interval_seconds, stale_after_seconds = excluded.stale_after_seconds,
    auth_header = excluded.auth_header, auth_env = excluded.auth_env
  where sources.origin = 'catalogue'`;
const INSERT_OPERATOR_SOURCE = `insert into sources (name, kind, url, category, interval_seconds, stale_after_seconds, auth_header, auth_env, origin)
  values ($1, $2, $3, $4, $5, $6, $7, $8, 'operator') on conflict do nothing returning ${SOURCE_COLUMNS}`;
const SELECT_SOURCES = `select ${SOURCE_COLUMNS} from sources order by category, name`;
const SELECT_SOURCE_BY_NAME = `select ${SOURCE_COLUMNS} from sources where lower(name) = lower($1)`;
const SET_ENABLED = `update sources set enabled = $2 where lower(name) = lower($1) returning ${SOURCE_COLUMNS}`;
const SELECT_DUE = `select ${SOURCE_COLUMNS} from sources
  where enabled and kind <> 'import' and url is not null
    and (last_run_at is null or last_run_at + make_interval(secs => interval_seconds) <= $1)
  order by last_run_at nulls first, id`;

function definitionRow(s: SourceDefinition) {
  return {
    name: s.name,
    kind: s.kind,
    url: s.url,
    category: s.category,
    interval_seconds: s.intervalSeconds,
    stale_after_seconds: s.staleAfterSeconds,
    auth_header: s.auth?.header ?? null,
    auth_env: s.auth?.env ?? null,
  };
}

export async function syncCatalogue(db: Queryable, specs: SourceDefinition[]): Promise<void> {
  await db.query(SYNC_CATALOGUE, [JSON.stringify(specs.map(definitionRow))]);
}

export async function listSources(db: Queryable): Promise<SourceRow[]> {
  return db.query<SourceRow>(SELECT_SOURCES);
}

export async function findSource(db: Queryable, name: string): Promise<SourceRow | undefined> {
  return (await db.query<SourceRow>(SELECT_SOURCE_BY_NAME, [name]))[0];
}

/** The source, enabled or disabled; undefined when no source has that name. */
export async function setSourceEnabled(db: Queryable, name: string, enabled: boolean): Promise<SourceRow | undefined> {
  return (await db.query<SourceRow>(SET_ENABLED, [name, enabled]))[0];
}

export async function addSource(db: Queryable, spec: SourceDefinition): Promise<SourceRow> {
  const r = definitionRow(spec);
  const [row] = await db.query<SourceRow>(INSERT_OPERATOR_SOURCE, [
    r.name, r.kind, r.url, r.category, r.interval_seconds, r.stale_after_seconds, r.auth_header, r.auth_env,
  ]);
  if (!row) throw new SourceError(`a source named "${spec.name}" already exists`);
  return row;
}

/** Enabled sources whose interval has passed since their last run, longest waiting first. */
export async function dueSources(db: Queryable, now: Date): Promise<SourceRow[]> {
  return db.query<SourceRow>(SELECT_DUE, [now]);
}

export interface SourceRun {
  startedAt: Date;
  finishedAt: Date;
  outcome: 'ok' | 'not_modified' | 'failed' | 'skipped';
  httpStatus?: number | null;
  error?: string | null;
  bytes?: number;
  fetched?: number;
  parsed?: number;
  new?: number;
  updated?: number;
  suppressed?: number;
  rejected?: number;
  articles?: number;
  rejectedSamples?: { at: number | string; value: string; reason: string }[];
  fetchMs?: number;
  parseMs?: number;
  storeMs?: number;
}

export interface SourceState {
  etag: string | null;
  lastModified: string | null;
  consecutiveFailures: number;
  lastRunAt: Date | null;
  lastSuccessAt: Date | null;
  lastNewAt: Date | null;
  health: 'healthy' | 'degraded' | 'error';
  healthReason: string | null;
}

const INSERT_RUN = `insert into source_runs (source_id, started_at, finished_at, outcome, http_status, error, bytes, fetched,
    parsed, new, updated, suppressed, rejected, articles, rejected_samples, fetch_ms, parse_ms, store_ms)
  values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`;
const SELECT_RECENT_RUNS = `select outcome, error, finished_at from source_runs where source_id = $1
  order by started_at desc limit $2`;
const UPDATE_STATE = `update sources set etag = $2, last_modified = $3, consecutive_failures = $4, last_run_at = $5,
    last_success_at = $6, last_new_at = $7, health = $8, health_reason = $9
  where id = $1`;

export async function insertRun(db: Queryable, sourceId: number, run: SourceRun): Promise<void> {
  await db.query(INSERT_RUN, [
    sourceId, run.startedAt, run.finishedAt, run.outcome, run.httpStatus ?? null, run.error ?? null, run.bytes ?? 0,
    run.fetched ?? 0, run.parsed ?? 0, run.new ?? 0, run.updated ?? 0, run.suppressed ?? 0, run.rejected ?? 0,
    run.articles ?? 0, JSON.stringify(run.rejectedSamples ?? []), Math.round(run.fetchMs ?? 0),
    Math.round(run.parseMs ?? 0), Math.round(run.storeMs ?? 0),
  ]);
}

export async function recentRuns(
  db: Queryable,
  sourceId: number,
  count = 5,
): Promise<{ outcome: SourceRun['outcome']; error: string | null; finished_at: Date }[]> {
  return db.query(SELECT_RECENT_RUNS, [sourceId, count]);
}

export async function updateSourceState(db: Queryable, sourceId: number, s: SourceState): Promise<void> {
  await db.query(UPDATE_STATE, [
    sourceId, s.etag, s.lastModified, s.consecutiveFailures, s.lastRunAt, s.lastSuccessAt, s.lastNewAt, s.health, s.healthReason,
  ]);
}

export interface SourceStatus extends SourceRow {
  /** Its IOC records, as the stats last counted them (bySource). */
  records: number;
  last_run: {
    started_at: Date;
    finished_at: Date;
    outcome: SourceRun['outcome'];
    http_status: number | null;
    error: string | null;
    fetched: number;
    parsed: number;
    new: number;
    updated: number;
    suppressed: number;
    rejected: number;
    articles: number;
    fetch_ms: number;
    parse_ms: number;
    store_ms: number;
  } | null;
}

// Each source with its last run, and its record count read from the stats (counting the
// records here would scan them all at each request).
const SELECT_SOURCE_STATUS = `select ${SOURCE_COLUMNS.replace(/(\w+)/g, 's.$1')},
    coalesce((select (c.data -> 'bySource' ->> s.name)::int from stats_cache c where c.id), 0) as records,
    (select to_jsonb(r) - 'id' - 'source_id' - 'rejected_samples' - 'bytes' from source_runs r
      where r.source_id = s.id order by r.started_at desc limit 1) as last_run
  from sources s order by s.category, s.name`;

const SELECT_ONE_SOURCE_STATUS = SELECT_SOURCE_STATUS.replace('from sources s', 'from sources s where lower(s.name) = lower($1)');

type StatusRow = SourceStatus & { last_run: (Omit<NonNullable<SourceStatus['last_run']>, 'started_at' | 'finished_at'> & { started_at: string; finished_at: string }) | null };

export async function listSourceStatus(db: Queryable): Promise<SourceStatus[]> {
  return (await db.query<StatusRow>(SELECT_SOURCE_STATUS)).map(withDates);
}

/** One source with its last run, by name (any case); undefined when no source has that name. */
export async function findSourceStatus(db: Queryable, name: string): Promise<SourceStatus | undefined> {
  return (await db.query<StatusRow>(SELECT_ONE_SOURCE_STATUS, [name])).map(withDates)[0];
}

function withDates(row: StatusRow): SourceStatus {
  // Timestamps inside JSON come back as text.
  return {
    ...row,
    last_run: row.last_run && {
      ...row.last_run,
      started_at: new Date(row.last_run.started_at),
      finished_at: new Date(row.last_run.finished_at),
    },
  };
}
