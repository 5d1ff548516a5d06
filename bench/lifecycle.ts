// The lifecycle section (issue 15): on a store of --size indicators (the corpus is made a little
// larger so that it holds that many indicators; its records are a few more), brought to life by
// the real sweep, then aged so that a tenth of them expire:
// - the expiry sweep (store/lifecycle.ts sweepLifecycle) with 11% of the indicators due, a tenth
//   of those reported again meanwhile (by upsertRecords, as a feed run would): 10% expire and 1%
//   are extended; the STIX publication that follows (the extended ones' new versions); and the
//   sweep when nothing is due. The sweep's budget is 10 s on PostgreSQL.
// - the lists over HTTP, from the service as `npm start` runs it: the active-only list (the
//   default) beside the unfiltered one (include_expired=true) on the same store, for the default
//   page, pages by cursor deep in the list, a type's page and the 10,000-row JSON and txt exports;
//   and the changes feed's pages (limit 100 and 1000) beside the unfiltered list page of the same
//   size. Targets: 1.5x. p50 of requests one at a time, in turns (bench/client.ts).
// - the plans of the statements (EXPLAIN ANALYZE, BUFFERS), printed briefly: the active-only list
//   walks the partial indexes sightings_listed_paging / sightings_listed_type_paging, the sweep's
//   candidates come from the queue's index lifecycle_due_at.
// The sweep runs with explicit dates (its `now`), so the ageing costs no waiting: the first sweep
// at the corpus's earliest sighting (nothing has expired yet), the next at the date by which 11%
// of the validities have ended.
import os from 'node:os';
import { encodeCursor } from '../src/api/cursor.js';
import { publishStixVersions } from '../src/ingest/publish.js';
import type { Db, Queryable } from '../src/store/db.js';
import { keysetAt, streamRecords, type RecordFilters } from '../src/store/iocs.js';
import { readChanges, sweepLifecycle } from '../src/store/lifecycle.js';
import { openPostgres } from '../src/store/postgres.js';
import type { SourceRef } from '../src/store/sources.js';
import { upsertRecords, type NewRecord } from '../src/store/upsert.js';
import type { BackendName } from './backends.js';
import type { HttpProbe, Results, Step } from './client.js';
import { generateCorpus, toNewRecord, type Corpus } from './corpus.js';
import { get, median, printTable, runClient, type Latency, type Row } from './measure.js';
import { LOOKBACK_DAYS, log, timed, withLoadedService } from './service.js';

const TARGET = 1.5;
const SWEEP_BUDGET_MS = 10_000;
/** The share of indicators due at the sweep, and of those, the share reported again meanwhile. */
const DUE = 0.11;
const REPORTED_AGAIN = 1 / 11;
const EXPORT_ROWS = 10_000;
const IDLE_SWEEPS = 5;
const DAY_MS = 86_400_000;
/** Records per indicator in the corpus is about 1.18: this many records hold --size indicators. */
const RECORDS_PER_INDICATOR = 1.2;

// ---- plans ----------------------------------------------------------------------------------------

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  Plans?: PlanNode[];
}

/** A plan in a line: its time, buffers, and the scans it makes (index scans by index). */
function describePlan(explained: { Plan: PlanNode; 'Execution Time': number }): string {
  const scans: string[] = [];
  const visit = (node: PlanNode) => {
    if (node['Index Name']) scans.push(`${node['Node Type']} on ${node['Index Name']} (${node['Actual Rows']} rows)`);
    else if (node['Node Type'].includes('Scan') && node['Relation Name']) scans.push(`${node['Node Type']} on ${node['Relation Name']} (${node['Actual Rows']} rows)`);
    for (const child of node.Plans ?? []) visit(child);
  };
  visit(explained.Plan);
  const { Plan: top } = explained;
  return `${explained['Execution Time'].toFixed(2)} ms, buffers hit ${top['Shared Hit Blocks'] ?? 0} read ${top['Shared Read Blocks'] ?? 0}: ${scans.join('; ')}`;
}

/**
 * Runs each statement given to it (but the publisher's lock) as EXPLAIN (ANALYZE, BUFFERS),
 * notes the plan and answers no rows: the store's own functions, given this, show the plans of
 * their real statements, and stop after their first (nothing read, nothing written).
 */
function explaining(db: Queryable, label: string, notes: string[], generic = false): Queryable {
  return {
    async query<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
      if (sql.includes('pg_advisory_xact_lock')) return db.query<R>(sql, params);
      type Explained = { 'QUERY PLAN': [{ Plan: PlanNode; 'Execution Time': number }] };
      let row: Explained | undefined;
      if (generic) {
        // The store prepares its statements: after five runs on a connection, PostgreSQL may keep
        // one generic plan for them (planned without the parameters' values).
        const literal = (p: unknown) => (p instanceof Date ? `'${p.toISOString()}'` : typeof p === 'number' ? String(p) : `'${String(p).replace(/'/g, "''")}'`);
        await db.query('set local plan_cache_mode = force_generic_plan');
        await db.query(`prepare bench_plan as ${sql}`);
        [row] = await db.query<Explained>(`explain (analyze, buffers, format json) execute bench_plan (${params.map(literal).join(', ')})`);
        await db.query('deallocate bench_plan');
      } else {
        [row] = await db.query<Explained>(`explain (analyze, buffers, format json) ${sql}`, params);
      }
      notes.push(`${label}: ${describePlan(row!['QUERY PLAN'][0])}`);
      return [];
    },
    script: (sql) => db.script(sql),
  };
}

async function plans(store: Db, cursor: { at: string; id: string }, changesAfter: string): Promise<string[]> {
  const notes: string[] = [];
  const since = new Date(Date.now() - LOOKBACK_DAYS * DAY_MS);
  const page = (limit: number, after?: typeof cursor) => ({ limit, offset: 0, ...(after && { after }) });
  const list = async (label: string, filters: RecordFilters, limit: number, after?: typeof cursor) => {
    for await (const _ of streamRecords(explaining(store, label, notes), filters, page(limit, after))) break;
  };
  await list('list page, active only', { since }, 100);
  await list('list page, include_expired', { since, lifecycle: 'with-expired' }, 100);
  await list('list page by cursor, active only', { since }, 100, cursor);
  await list('list page by cursor, include_expired', { since, lifecycle: 'with-expired' }, 100, cursor);
  await list('ipv4 page, active only', { since, type: 'ipv4' }, 100);
  await list('ipv4 page, include_expired', { since, type: 'ipv4', lifecycle: 'with-expired' }, 100);
  // A rarer type: its own slice of the type index, rather than a walk of the list filtered by type.
  await list('email page, active only', { since, type: 'email' }, 100);
  await list('email page, include_expired', { since, type: 'email', lifecycle: 'with-expired' }, 100);
  await readChanges(explaining(store, 'changes page of 100', notes), changesAfter, 100);
  await readChanges(explaining(store, 'changes page of 1000', notes), changesAfter, 1000);
  return notes;
}

/** The sweep's candidate statement, explained in a transaction that writes nothing. */
async function sweepPlan(store: Db, now: Date, label: string, generic = false): Promise<string[]> {
  const notes: string[] = [];
  const db: Db = { ...store, transaction: (fn) => store.transaction((tx) => fn(explaining(tx, label, notes, generic))) };
  await sweepLifecycle(db, now);
  return notes;
}

// ---- the store's lifecycle ----------------------------------------------------------------------

interface SweepFigures {
  indicators: number;
  records: number;
  firstSweepMs: number;
  firstPublishMs: number;
  firstVersions: number;
  idleBeforeMs: number[];
  due: number;
  reportedAgain: number;
  sweepMs: number;
  expired: number;
  extended: number;
  publishMs: number;
  versions: number;
  idleAfterMs: number[];
  withdrawnRecords: number;
  events: number;
  plans: string[];
}

const count = async (store: Queryable, sql: string, params: unknown[] = []) => (await store.query<{ n: number }>(sql, params))[0]!.n;

/** Re-sightings of these indicators' records, `lastSeen` later, by the store's upsert, a transaction a source as a feed run. */
async function reportAgain(store: Db, corpus: Corpus, ids: Set<string>, lastSeen: Date): Promise<number> {
  const sources = await store.query<SourceRef>('select id, name, category from sources order by id');
  const byName = new Map(sources.map((s) => [s.name, s]));
  const indicators = new Map(corpus.indicators.map((i) => [i.id, i]));
  const batches = new Map<string, { source: SourceRef; origin: 'feed' | 'article'; records: NewRecord[] }>();
  for (const r of corpus.records) {
    if (!ids.has(r.indicatorId)) continue;
    const source = byName.get(corpus.sources[r.sourceIndex]!.name)!;
    const key = `${source.id}:${r.origin}`;
    const batch = batches.get(key) ?? { source, origin: r.origin, records: [] };
    batch.records.push(toNewRecord(r, indicators.get(r.indicatorId)!, lastSeen));
    batches.set(key, batch);
  }
  let n = 0;
  for (const { source, origin, records } of batches.values()) {
    for (let i = 0; i < records.length; i += 5000) {
      await store.transaction((tx) => upsertRecords(tx, source, origin, records.slice(i, i + 5000)));
    }
    n += records.length;
  }
  return n;
}

async function timeIt<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await fn();
  return [result, performance.now() - start];
}

async function idleSweeps(store: Db, now: Date): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < IDLE_SWEEPS; i++) {
    const [result, ms] = await timeIt(() => sweepLifecycle(store, now));
    if (result.checked !== 0) throw new Error(`a sweep with nothing due looked at ${result.checked} indicators`);
    times.push(ms);
  }
  return times;
}

/** The store brought to life, aged, swept and published, each step timed. */
async function lifecycleFigures(store: Db, corpus: Corpus, label: string): Promise<SweepFigures> {
  const indicators = await count(store, 'select count(*)::int as n from indicators');
  const records = await count(store, 'select count(*)::int as n from sightings');
  // Life: every indicator computed for the first time, as of the earliest sighting (none expired):
  // the rows were copied in after the migrations, so they are queued as migration 0015 queues an
  // upgraded store's.
  await store.query(`insert into lifecycle_due (indicator_id, due_at) select id, '-infinity' from indicators`);
  const [{ t0 }] = await store.query<{ t0: Date }>('select min(last_seen) as t0 from sightings') as [{ t0: Date }];
  const planNotes = await sweepPlan(store, t0, 'sweep candidates, all new');
  const [first, firstSweepMs] = await timed(`${label}: first sweep of ${indicators} new indicators`, () => timeIt(() => sweepLifecycle(store, t0)));
  if (first.added !== indicators) throw new Error(`the first sweep added ${first.added} of ${indicators} indicators`);
  const [firstVersions, firstPublishMs] = await timed(`${label}: their first STIX versions`, () => timeIt(() => publishStixVersions(store, () => t0)));
  await timed(`${label}: vacuum analyze`, () => store.query('vacuum analyze'));
  const idleBeforeMs = await idleSweeps(store, t0);
  planNotes.push(...(await sweepPlan(store, t0, 'sweep candidates, nothing due, vacuumed')));
  planNotes.push(...(await sweepPlan(store, t0, 'sweep candidates, nothing due, vacuumed, generic plan', true)));

  // Age: the date by which DUE of the validities have ended; a tenth of those reported again before it.
  const [{ t1 }] = (await store.query<{ t1: Date }>(
    `select percentile_disc($1::float8) within group (order by valid_until) as t1 from indicators`,
    [DUE],
  )) as [{ t1: Date }];
  const dueIds = (await store.query<{ id: string }>(`select id from indicators where status = 'active' and valid_until <= $1 order by id`, [t1])).map((r) => r.id);
  const again = new Set(dueIds.filter((_, i) => i % Math.round(1 / REPORTED_AGAIN) === 0));
  const reportedAgain = await timed(`${label}: ${again.size} due indicators reported again (upsertRecords)`, () =>
    reportAgain(store, corpus, again, new Date(t1.getTime() - DAY_MS)),
  );
  await store.query('vacuum analyze indicators, lifecycle_due');
  planNotes.push(...(await sweepPlan(store, t1, `sweep candidates, ${dueIds.length} due`)));

  const [swept, sweepMs] = await timed(`${label}: sweep with ${dueIds.length} due`, () => timeIt(() => sweepLifecycle(store, t1)));
  const [versions, publishMs] = await timed(`${label}: publishStixVersions after the sweep`, () => timeIt(() => publishStixVersions(store, () => t1)));
  const idleAfterMs = await idleSweeps(store, t1);
  planNotes.push(...(await sweepPlan(store, t1, 'sweep candidates, nothing due')));
  const withdrawnRecords = await count(store, 'select count(*)::int as n from sightings where withdrawn is not null');
  const events = await count(store, 'select count(*)::int as n from ioc_changes');
  // As autovacuum would after a tenth of the records changed (the lists are measured on a settled store).
  await timed(`${label}: vacuum analyze`, () => store.query('vacuum analyze'));
  return {
    indicators,
    records,
    firstSweepMs,
    firstPublishMs,
    firstVersions,
    idleBeforeMs,
    due: dueIds.length,
    reportedAgain: again.size,
    sweepMs,
    expired: swept.expired,
    extended: swept.updated,
    publishMs,
    versions,
    idleAfterMs,
    withdrawnRecords,
    events,
    plans: [`(${reportedAgain} records reported again)`, ...planNotes],
  };
}

function reportSweep(title: string, f: SweepFigures) {
  const pct = (n: number) => `${((100 * n) / f.indicators).toFixed(1)}%`;
  const rows: Row[] = [
    {
      figure: `expiry sweep: ${f.due} of ${f.indicators} indicators due (${f.expired} expired, ${pct(f.expired)}; ${f.extended} extended)`,
      value: f.sweepMs,
      floorName: '10 s budget',
      floor: SWEEP_BUDGET_MS,
      unit: 'ms',
      target: 1,
    },
    { figure: `publishStixVersions after it (${f.versions} versions)`, value: f.publishMs, floorName: 'the sweep', floor: f.sweepMs, unit: 'ms' },
    // Right after the sweep, lifecycle_due_at still holds the expired ones' old entries (until a vacuum).
    { figure: `sweep, nothing due, right after the sweep (median of ${IDLE_SWEEPS})`, value: median(f.idleAfterMs), floorName: 'the sweep', floor: f.sweepMs, unit: 'ms' },
    { figure: `sweep, nothing due, vacuumed store (median of ${IDLE_SWEEPS})`, value: median(f.idleBeforeMs), floorName: 'the sweep', floor: f.sweepMs, unit: 'ms' },
    { figure: `first sweep: ${f.indicators} new indicators (an upgraded store)`, value: f.firstSweepMs, floorName: 'the sweep', floor: f.sweepMs, unit: 'ms' },
    { figure: `their first STIX versions (${f.firstVersions})`, value: f.firstPublishMs, floorName: 'the first sweep', floor: f.firstSweepMs, unit: 'ms' },
  ];
  printTable(title, rows);
  console.log(`\n${f.records} records, ${f.withdrawnRecords} of them expired (${((100 * f.withdrawnRecords) / f.records).toFixed(1)}%); ${f.events} events in the changes feed`);
}

// ---- the lists over HTTP ------------------------------------------------------------------------

/** The keyset of the record `depth` rows down the unfiltered list: where a page by cursor starts. */
async function keysetAtDepth(store: Queryable, depth: number): Promise<{ at: string; id: string }> {
  const [row] = await store.query<{ at: string; id: string }>(
    `select ${keysetAt('extracted_at')} as at, id from sightings
     where extracted_at >= now() - make_interval(days => $2::int) order by extracted_at desc, id desc offset $1::bigint limit 1`,
    [depth - 1, LOOKBACK_DAYS],
  );
  return row!;
}

interface ListPair {
  name: string;
  figure: string;
  value: string;
  floor: string;
  floorName: string;
}

async function benchLists(label: string, service: string, key: string, store: Db, records: number, events: number): Promise<{ results: Results; pairs: ListPair[]; notes: string[] }> {
  const deep = await keysetAtDepth(store, Math.floor(records / 2));
  const tail = await keysetAtDepth(store, Math.floor(records * 0.9));
  const [{ at: changesAfter }] = (await store.query<{ at: string }>(`select ${keysetAt('at')} as at from ioc_changes order by at offset $1::bigint limit 1`, [
    Math.floor(events / 2),
  ])) as [{ at: string }];
  const list = (query: string) => `/api/v1/iocs?${query}`;
  const unfiltered = (query: string) => list(`${query}&include_expired=true`);
  const changes = (limit: number) => `/api/v1/iocs/changes?since=${encodeURIComponent(changesAfter)}&limit=${limit}`;
  const c = (k: { at: string; id: string }) => encodeCursor(k);
  const pairs: ListPair[] = [
    { name: 'page', figure: 'default page (limit=100)', value: list('limit=100'), floor: unfiltered('limit=100'), floorName: 'include_expired=true' },
    { name: 'deep', figure: `page by cursor after ${Math.floor(records / 2)} records`, value: list(`limit=100&cursor=${c(deep)}`), floor: unfiltered(`limit=100&cursor=${c(deep)}`), floorName: 'include_expired=true' },
    { name: 'tail', figure: `page by cursor after ${Math.floor(records * 0.9)} records`, value: list(`limit=100&cursor=${c(tail)}`), floor: unfiltered(`limit=100&cursor=${c(tail)}`), floorName: 'include_expired=true' },
    { name: 'type', figure: 'type=ipv4 page (limit=100)', value: list('type=ipv4&limit=100'), floor: unfiltered('type=ipv4&limit=100'), floorName: 'include_expired=true' },
    { name: 'typeDeep', figure: `type=ipv4 page by cursor after ${Math.floor(records / 2)} records`, value: list(`type=ipv4&limit=100&cursor=${c(deep)}`), floor: unfiltered(`type=ipv4&limit=100&cursor=${c(deep)}`), floorName: 'include_expired=true' },
    { name: 'json', figure: `JSON export, ${EXPORT_ROWS} rows`, value: list(`limit=${EXPORT_ROWS}`), floor: unfiltered(`limit=${EXPORT_ROWS}`), floorName: 'include_expired=true' },
    { name: 'txt', figure: `TXT export, ${EXPORT_ROWS} values`, value: list(`format=txt&limit=${EXPORT_ROWS}`), floor: unfiltered(`format=txt&limit=${EXPORT_ROWS}`), floorName: 'include_expired=true' },
    { name: 'changes100', figure: `changes feed page (limit=100, after ${Math.floor(events / 2)} of ${events} events)`, value: changes(100), floor: unfiltered('limit=100'), floorName: 'list page (limit=100, include_expired=true)' },
    { name: 'changes1000', figure: 'changes feed page (limit=1000)', value: changes(1000), floor: unfiltered('limit=1000'), floorName: 'list page (limit=1000, include_expired=true)' },
  ];
  const headers = { authorization: `Bearer ${key}` };
  const http = (path: string): HttpProbe => ({ kind: 'http', base: service, paths: [path], headers });
  // What the service answers: only what it serves is measured (a route not there yet is said, not timed).
  const notes: string[] = [];
  const served: ListPair[] = [];
  for (const pair of pairs) {
    try {
      const [value, floor] = [await get(service, pair.value, headers), await get(service, pair.floor, headers)];
      if (pair.name.startsWith('changes')) {
        const { data } = JSON.parse(value) as { data: unknown[] };
        notes.push(`${pair.figure}: ${data.length} events`);
      } else if (pair.name !== 'txt') {
        const ids = (body: string) => (JSON.parse(body) as { data: { id: string }[] }).data.map((r) => r.id);
        const [active, all] = [ids(value), ids(floor)];
        const expired = await count(store, 'select count(*)::int as n from sightings where id = any($1::uuid[]) and withdrawn is not null', [all]);
        const leaked = await count(store, 'select count(*)::int as n from sightings where id = any($1::uuid[]) and withdrawn is not null', [active]);
        if (leaked > 0) throw new Error(`${pair.figure}: the active-only list served ${leaked} expired records`);
        notes.push(`${pair.figure}: ${active.length} rows active only; ${all.length} rows with include_expired, ${expired} of them expired`);
      }
      served.push(pair);
    } catch (error) {
      notes.push(`${pair.figure}: not measured (${(error as Error).message.slice(0, 200)})`);
    }
  }
  const probes = (names: string[]) =>
    Object.fromEntries(served.filter((p) => names.includes(p.name)).flatMap((p) => [[p.name, http(p.value)], [`${p.name}Floor`, http(p.floor)]]));
  const steps: Step[] = [
    { kind: 'latency', samples: 500, warmup: 50, probes: probes(['page', 'deep', 'tail', 'type', 'typeDeep', 'changes100']) },
    { kind: 'latency', samples: 200, warmup: 20, probes: probes(['changes1000']) },
    { kind: 'median', runs: 10, probes: probes(['json', 'txt']) },
  ].filter((step) => Object.keys(step.probes).length > 0) as Step[];
  const results = await timed(`${label}: measuring the lists`, () => runClient({ steps }));
  return { results, pairs: served, notes };
}

function reportLists(title: string, results: Results, pairs: ListPair[]) {
  const value = (name: string) => {
    const r = results[name];
    return typeof r === 'number' ? r : (r as Latency).p50;
  };
  const rows: Row[] = pairs.map((p) => ({
    figure: `${p.figure}${typeof results[p.name] === 'number' ? ' (median of 10)' : ' p50'}`,
    value: value(p.name),
    floorName: p.floorName,
    floor: value(`${p.name}Floor`),
    unit: 'ms',
    target: TARGET,
  }));
  printTable(title, rows);
}

// ---- the section ----------------------------------------------------------------------------------

export interface LifecycleBenchOptions {
  /** Indicators in the store (its records are about 1.2 times as many). */
  size: number;
  backends: BackendName[];
}

export async function benchLifecycle({ size, backends }: LifecycleBenchOptions): Promise<void> {
  console.log(`\n# Lifecycle benchmark (load average ${os.loadavg()[0]!.toFixed(1)} on ${os.availableParallelism()} cores)`);
  const generated = await timed(`generate the corpus of ${size} indicators`, async () => generateCorpus(Math.ceil(size * RECORDS_PER_INDICATOR)));
  // Stored in the order they were seen, as a store that ingestion filled over a year: the values
  // that expire together (long unreported) lie together, as they do in a live store (the
  // generator's order, random in time, would scatter them over every page of both tables).
  const byTime = <T>(rows: T[], at: (row: T) => Date) => [...rows].sort((a, b) => at(a).getTime() - at(b).getTime());
  const corpus = { ...generated, indicators: byTime(generated.indicators, (i) => i.firstSeen), records: byTime(generated.records, (r) => r.extractedAt) };
  log(`${corpus.indicators.length} indicators, ${corpus.records.length} records, ${corpus.articles.length} articles`);
  for (const backend of backends) {
    await withLoadedService(backend, corpus, async ({ label, service, keys, db }) => {
      const store = openPostgres({ kind: 'external', connectionString: db, poolSize: 4, statementTimeoutMs: 3_600_000, applicationName: 'bench lifecycle' });
      try {
        const name = backend === 'embedded' ? 'embedded' : 'external';
        const figures = await lifecycleFigures(store, corpus, label);
        reportSweep(`Expiry sweep, ${name} PostgreSQL, ${figures.indicators} indicators`, figures);
        const { results, pairs, notes } = await benchLists(label, service, keys[0], store, figures.records, figures.events);
        reportLists(`Active-only lists and the changes feed, ${name} PostgreSQL, ${figures.records} records (${figures.expired} indicators expired)`, results, pairs);
        for (const note of notes) console.log(`- ${note}`);
        const deep = await keysetAtDepth(store, Math.floor(figures.records / 2));
        const [{ at: changesAfter }] = (await store.query<{ at: string }>(`select ${keysetAt('at')} as at from ioc_changes order by at offset $1::bigint limit 1`, [
          Math.floor(figures.events / 2),
        ])) as [{ at: string }];
        console.log(`\nPlans (EXPLAIN ANALYZE, BUFFERS), ${name} PostgreSQL:`);
        for (const line of [...figures.plans, ...(await plans(store, deep, changesAfter))]) console.log(`- ${line}`);
      } finally {
        await store.close();
      }
    });
  }
}
