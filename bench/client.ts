// The benchmark's client, in a process of its own (measure.ts runClient() starts it with a job
// on stdin; it prints the results on stdout). It holds none of the corpus, whose garbage
// collection would otherwise pause in the middle of measurements, and autocannon has it to
// itself. It takes each figure and its floor in turns (one request of each, one run of each),
// so that a change of load on a shared machine weighs on both alike.
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import autocannon from 'autocannon';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { jsonListHead, jsonListRecords, jsonListTail } from '../src/export/json.js';
import { createStixBundleWriter } from '../src/export/stix.js';
import type { Queryable } from '../src/store/db.js';
import { exporterFor, type ExportContext, type ExportWriter, type Reads } from '../src/export/index.js';
import { readBatches } from '../src/api/export.js';
import type { Db } from '../src/store/db.js';
import { streamIndicatorIds, summarizeIndicators, toIocRecord, type Page, type RecordFilters, type RecordRow } from '../src/store/iocs.js';
import { openPostgres } from '../src/store/postgres.js';
import { agent, get, percentiles, type Latency } from './measure.js';

/** A GET of one of `paths` (in turn); `expect` checks every path first: a search's match_type, or a lookup's `known`. */
export interface HttpProbe {
  kind: 'http';
  base: string;
  paths: string[];
  headers?: Record<string, string>;
  expect?: 'exact' | 'fuzzy' | 'known';
}
export type Probe =
  | HttpProbe
  /** One statement on the job's database, with each parameter list in turn. */
  | { kind: 'sql'; sql: string; params: unknown[][] }
  /** COPY (sql) TO STDOUT in CSV, the rows read and dropped. */
  | { kind: 'copy'; sql: string }
  /**
   * The JSON list body built from the rows of `sql` fetched in one go, with the total of its
   * `meta` counted by `countSql` meanwhile, as the service does.
   */
  | { kind: 'json-floor'; sql: string; countSql: string }
  /** The STIX bundle of the newest `indicators` indicators, their rows fetched in one go. */
  | { kind: 'stix-floor'; indicators: number; lookbackDays: number }
  /**
   * A format's document written by its own writer from the rows it reads, read once before the
   * timing (in the warm-up) and kept in memory: the writer's cost alone. `limit` as the request's.
   * `reread`: the rows are read again each time, as the service reads them (no HTTP, key or limit).
   */
  | { kind: 'writer-floor'; format: string; limit: number; lookbackDays: number; reread?: boolean };

export type Step =
  /** `samples` calls of each probe, one of each in turn; p50 and p99 in ms. */
  | { kind: 'latency'; samples: number; warmup: number; probes: Record<string, Probe> }
  /** `rounds` runs of autocannon on each probe in turn; the median req/s. */
  | { kind: 'throughput'; rounds: number; seconds: number; connections: number; probes: Record<string, HttpProbe> }
  /** `runs` runs of each probe in turn; the median ms. */
  | { kind: 'median'; runs: number; probes: Record<string, Probe> }
  /**
   * `connections` clients sending `load`'s requests for `seconds` (its answers counted by status
   * class: `<load>:2xx`, `:429`, `:503`, `:other` with the connection errors), while one more client times each of `probes`
   * in turn: p50 and p99 in ms, and `<probe>:failed`, the requests not answered 200.
   */
  | { kind: 'contention'; seconds: number; connections: number; load: { name: string; probe: HttpProbe }; probes: Record<string, HttpProbe> };

export interface Job {
  /** The connection string of the floors' database (the service's). */
  db?: string;
  steps: Step[];
}

export type Results = Record<string, Latency | number>;

function median(samples: number[]): number {
  return [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}

interface Database {
  query: Queryable;
  /** For the floors that read as the store does (the JSON count, the STIX floor, the writers'). */
  store: Db;
  copy(sql: string): Promise<unknown>;
  close(): Promise<void>;
}

async function openDatabase(url: string | undefined): Promise<Database | undefined> {
  if (!url) return undefined;
  // The floors' own connections: plain pg for statements and COPY; the store's pool (its
  // prepared statements) for the STIX floor's reads, as the service makes them.
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // (kind only decides whether a new store gets the bundled snapshot: nothing the floors read.)
  const store = openPostgres({ kind: 'external', connectionString: url, poolSize: 2, statementTimeoutMs: 600_000 });
  const sink = () => new Writable({ write: (_chunk, _encoding, done) => done() });
  return {
    query: {
      query: async <R>(sql: string, params: readonly unknown[] = []) => (await client.query(sql, params as unknown[])).rows as R[],
      script: async (sql: string) => void (await client.query(sql)),
    },
    copy: (sql) => pipeline(client.query(copyTo(`copy (${sql}) to stdout with (format csv)`)), sink()),
    store,
    async close() {
      await client.end();
      await store.close();
    },
  };
}

function runner(probe: Probe, db: Database | undefined): (i: number) => Promise<unknown> {
  const need = () => {
    if (!db) throw new Error(`a ${probe.kind} probe needs the job's database`);
    return db;
  };
  switch (probe.kind) {
    case 'http':
      return (i) => get(probe.base, probe.paths[i % probe.paths.length]!, probe.headers);
    case 'sql': {
      const { query } = need();
      return (i) => query.query(probe.sql, probe.params[i % probe.params.length]);
    }
    case 'copy': {
      const { copy } = need();
      return () => copy(probe.sql);
    }
    case 'json-floor': {
      const { query, store } = need();
      return async () => {
        const counting = store.query<{ total: number }>(probe.countSql);
        counting.catch(() => {});
        const rows = await query.query<RecordRow>(probe.sql);
        const [{ total }] = (await counting) as [{ total: number }];
        const body = jsonListHead() + jsonListRecords(rows.map((r) => toIocRecord(r)), true) + jsonListTail({ total }, {});
        return body.length;
      };
    }
    case 'writer-floor': {
      const { store } = need();
      let batches: Promise<unknown[][]> | undefined;
      const exporter = exporterFor(probe.format)!;
      const q = { filters: { since: new Date(Date.now() - probe.lookbackDays * 86_400_000) }, page: { limit: probe.limit, offset: 0 } };
      return async () => {
        if (probe.reread) batches = undefined;
        batches ??= readAll(store, exporter.reads, q);
        const items = await batches;
        const writer = exporter.writer(NO_CONTEXT) as ExportWriter<unknown>;
        let length = writer.head().length;
        items.forEach((batch, i) => (length += writer.batch(batch, i === 0).length));
        return length + (await writer.tail({ rows: 0 })).length;
      };
    }
    case 'stix-floor': {
      const { store } = need();
      return async () => {
        const filters = { since: new Date(Date.now() - probe.lookbackDays * 86_400_000) };
        const ids: string[] = [];
        const page = { limit: probe.indicators, offset: 0 };
        for await (const batch of streamIndicatorIds(store, filters, page, probe.indicators)) ids.push(...batch.map((b) => b.id));
        const summaries = await summarizeIndicators(store, ids);
        const writer = createStixBundleWriter();
        return (writer.head() + summaries.map((s) => writer.objects(s)).join('') + writer.tail()).length;
      };
    }
  }
}

const NO_CONTEXT: ExportContext = { listMeta: async () => ({}), listLinks: () => ({}) };

/** Every batch a format reads for a request, as the service reads them. */
async function readAll(store: Db, reads: Reads, q: { filters: RecordFilters; page: Page }): Promise<unknown[][]> {
  const batches: unknown[][] = [];
  for await (const batch of readBatches(reads, store, q, { includeContext: true }, { rows: 0 })) batches.push(batch);
  return batches;
}

/** Every path of a search probe answers with the match type it is meant to measure. */
async function check(name: string, probe: HttpProbe) {
  if (!probe.expect) return;
  const wrong: string[] = [];
  for (const path of probe.paths) {
    const { data } = JSON.parse(await get(probe.base, path, probe.headers)) as { data: { match_type?: string; known?: boolean } };
    const answer: string | undefined = probe.expect === 'known' ? (data.known ? 'known' : 'unknown') : data.match_type;
    if (answer !== probe.expect) wrong.push(`${path} (${answer})`);
  }
  if (wrong.length > 0) throw new Error(`${name}: ${wrong.length} queries are not ${probe.expect}: ${wrong.slice(0, 5).join(', ')}`);
}

async function timeOnce(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function runContention(step: Extract<Step, { kind: 'contention' }>, results: Results) {
  const { name, probe } = step.load;
  let next = 0;
  let loading = true;
  // (autocannon's instance is thenable, not a Promise: no finally of its own)
  const load = Promise.resolve(
    autocannon({
    url: probe.base,
    connections: step.connections,
    duration: step.seconds,
    headers: probe.headers ?? {},
      requests: [{ setupRequest: (request) => ({ ...request, path: probe.paths[next++ % probe.paths.length]! }) }],
    }),
  ).finally(() => (loading = false));
  const names = Object.keys(step.probes);
  const samples: number[][] = names.map(() => []);
  const failed = names.map(() => 0);
  for (let i = 0; loading; i++) {
    const p = i % names.length;
    const measured = step.probes[names[p]!]!;
    const start = performance.now();
    try {
      await get(measured.base, measured.paths[i % measured.paths.length]!, measured.headers);
    } catch {
      failed[p]!++;
    }
    samples[p]!.push(performance.now() - start);
  }
  const result = await load;
  const codes = result.statusCodeStats as unknown as Record<string, { count: number }>;
  const count = (code: string) => codes[code]?.count ?? 0;
  results[`${name}:2xx`] = result['2xx'];
  results[`${name}:429`] = count('429');
  results[`${name}:503`] = count('503');
  results[`${name}:other`] = result.requests.total - result['2xx'] - count('429') - count('503') + result.errors;
  names.forEach((probeName, p) => {
    results[probeName] = percentiles(samples[p]!);
    results[`${probeName}:failed`] = failed[p]!;
  });
}

async function runStep(step: Step, db: Database | undefined, results: Results) {
  if (step.kind === 'contention') return runContention(step, results);
  const names = Object.keys(step.probes);
  if (step.kind === 'throughput') {
    const rps: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    for (let round = -1; round < step.rounds; round++) {
      for (const name of round % 2 === 0 ? [...names].reverse() : names) {
        const probe = step.probes[name]!;
        let next = 0;
        const result = await autocannon({
          url: probe.base,
          connections: step.connections,
          // The first round warms both up and is not counted.
          duration: round < 0 ? 1 : step.seconds,
          headers: probe.headers ?? {},
          requests: [{ setupRequest: (request) => ({ ...request, path: probe.paths[next++ % probe.paths.length]! }) }],
        });
        if (result.non2xx > 0 || result.errors > 0) throw new Error(`${name}: ${result.non2xx} responses not 2xx, ${result.errors} errors`);
        if (round >= 0) rps[name]!.push(result.requests.total / (result.duration || step.seconds));
      }
    }
    for (const name of names) results[name] = median(rps[name]!);
    return;
  }
  for (const name of names) {
    const probe = step.probes[name]!;
    if (probe.kind === 'http') await check(name, probe);
  }
  const runs = names.map((name) => runner(step.probes[name]!, db));
  const samples: number[][] = names.map(() => []);
  const warmup = step.kind === 'latency' ? step.warmup : 1;
  const count = step.kind === 'latency' ? step.samples : step.runs;
  for (let i = 0; i < warmup; i++) for (const run of runs) await run(i);
  for (let i = 0; i < count; i++) {
    // Each probe in turn, starting with another one each time: no probe always follows the same
    // one (a process just woken, or one still warm from the request before).
    for (let j = 0; j < runs.length; j++) {
      const p = (i + j) % runs.length;
      samples[p]!.push(await timeOnce(() => runs[p]!(i)));
    }
  }
  names.forEach((name, p) => (results[name] = step.kind === 'latency' ? percentiles(samples[p]!) : median(samples[p]!)));
}

async function main() {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const job = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Job;
  const db = await openDatabase(job.db);
  const results: Results = {};
  try {
    for (const step of job.steps) await runStep(step, db, results);
  } finally {
    await db?.close();
  }
  process.stdout.write(JSON.stringify(results));
  agent.destroy();
}

await main();
