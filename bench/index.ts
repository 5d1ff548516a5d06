// npm run bench [-- --size N] [--backend postgres|pglite|both]
// Loads a seeded corpus of IOC records, then prints each figure of the API beside a floor
// measured in the same run, and their ratio (these machines are noisy: only ratios compare).
// PostgreSQL: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres); a
// database of its own is created and dropped.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { loadConfig } from '../src/config.js';
import { jsonListHead, jsonListRecords, jsonListTail } from '../src/export/json.js';
import { createStixBundleWriter } from '../src/export/stix.js';
import type { Queryable } from '../src/store/db.js';
import { streamIndicatorIds, summarizeIndicators, toIocRecord, type RecordRow } from '../src/store/iocs.js';
import { createApiKey } from '../src/store/keys.js';
import { embeddedDatabaseDir, openStore } from '../src/store/open.js';
import { refreshStats } from '../src/store/stats.js';
import { corpusCsv, COPY_COLUMNS, generateCorpus, type Corpus } from './corpus.js';
import { get, printTable, throughput, timeSequential, type Row } from './measure.js';

const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { values: args } = parseArgs({
  options: { size: { type: 'string', default: '1000000' }, backend: { type: 'string', default: 'both' } },
});
const SIZE = Number(args.size);
const EXPORT_ROWS = Math.min(10_000, SIZE);

// A tier for the benchmark key: every limit is enforced (counted) but none is reached.
const BENCH_TIER = `insert into tiers (name, requests_per_minute, requests_per_day, lookback_days, max_limit, list_formats, scopes)
  values ('bench', 100000000, 1000000000, 3650, 10000, '{json,csv,txt}', '{read:iocs,read:stix,read:stats}')
  on conflict (name) do nothing`;

// The floors' SQL: the same rows the export endpoints serve, newest first.
const RECORDS_SQL = `select s.id, s.type, i.value, s.confidence, socd_iso(s.first_seen) as first_seen, socd_iso(s.last_seen) as last_seen,
    s.article_id, a.title as article_title, a.url as article_url, s.reference_url, src.name as feed_name, src.category, s.origin,
    s.context, s.tags, s.mitre_techniques
  from sightings s join indicators i on i.id = s.indicator_id join sources src on src.id = s.source_id
  left join articles a on a.id = s.article_id
  where s.extracted_at >= now() - interval '3650 days'
  order by s.extracted_at desc, s.id desc limit ${EXPORT_ROWS}`;
const CSV_SQL = `select s.id, s.type, i.value, s.confidence, socd_iso(s.first_seen), socd_iso(s.last_seen), s.article_id,
    src.name, src.category, array_to_string(s.tags, ',')
  from sightings s join indicators i on i.id = s.indicator_id join sources src on src.id = s.source_id
  where s.extracted_at >= now() - interval '3650 days'
  order by s.extracted_at desc, s.id desc limit ${EXPORT_ROWS}`;
const TXT_SQL = `select i.value from sightings s join indicators i on i.id = s.indicator_id
  where s.extracted_at >= now() - interval '3650 days'
  order by s.extracted_at desc, s.id desc limit ${EXPORT_ROWS}`;
const LIKE_SQL = `select id, value_normalized from indicators where value_normalized like $1 limit 200`;

function log(message: string) {
  process.stderr.write(`[bench] ${message}\n`);
}

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await fn();
  log(`${label}: ${((performance.now() - start) / 1000).toFixed(1)} s`);
  return result;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function startProcess(args: string[], env: Record<string, string>, healthPath: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, args, {
    cwd: REPO,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`);
    try {
      await get(url, healthPath);
      return { url, child };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${args.join(' ')} did not start`);
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Values to look up: existing ones (exact) and fragments of existing ones (trigram fallback). */
function queries(corpus: Corpus) {
  const exact: string[] = [];
  const fragments: string[] = [];
  const step = Math.max(1, Math.floor(corpus.indicators.length / 500));
  for (let i = 0; i < corpus.indicators.length && exact.length < 500; i += step) exact.push(corpus.indicators[i]!.value);
  for (let i = 7; i < corpus.indicators.length && fragments.length < 200; i += step) {
    const { type, normalized } = corpus.indicators[i]!;
    if (type === 'sha256' || type === 'md5' || type === 'sha1') fragments.push(normalized.slice(8, 20));
    else if (type === 'domain' || type === 'url') fragments.push(normalized.replace(/^https?:\/\//, '').slice(0, 12));
  }
  return { exact, fragments };
}

interface Floors {
  like: Awaited<ReturnType<typeof timeSequential>>;
  copyCsv: number;
  copyTxt: number;
  json: number;
  stix: number;
}

function median(samples: number[]): number {
  return [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}

async function medianOf(runs: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

/** JSON and STIX floors: the same rows fetched in one go, the same strings built from them. */
async function buildFloors(db: Queryable, fetchRecords: () => Promise<RecordRow[]>) {
  const json = await medianOf(10, async () => {
    const rows = await fetchRecords();
    const body = jsonListHead() + jsonListRecords(rows.map((r) => toIocRecord(r)), true) + jsonListTail({ total: rows.length }, {});
    return body.length;
  });
  const filters = { since: new Date(Date.now() - 3650 * 86_400_000) };
  const stix = await medianOf(10, async () => {
    const ids: string[] = [];
    for await (const batch of streamIndicatorIds(db, filters, { limit: EXPORT_ROWS, offset: 0 }, EXPORT_ROWS)) ids.push(...batch.map((b) => b.id));
    const summaries = await summarizeIndicators(db, ids);
    const writer = createStixBundleWriter();
    return (writer.head() + summaries.map((s) => writer.objects(s)).join('') + writer.tail()).length;
  });
  return { json, stix };
}

async function measureHttp(title: string, service: string, bare: string, key: string, corpus: Corpus, floors: Floors) {
  const auth = { authorization: `Bearer ${key}` };
  const { exact, fragments } = queries(corpus);
  const exactPaths = exact.map((v) => `/api/v1/iocs/search?q=${encodeURIComponent(v)}`);
  const fuzzyPaths = fragments.map((v) => `/api/v1/iocs/search?q=${encodeURIComponent(v)}&include_related=false`);

  const bareLatency = await timeSequential(3000, () => get(bare, '/bare'), 500);
  const search = await timeSequential(3000, (i) => get(service, exactPaths[i % exactPaths.length]!, auth), 500);
  const fuzzy = await timeSequential(fragments.length * 3, (i) => get(service, fuzzyPaths[i % fuzzyPaths.length]!, auth), 50);
  const stats = await timeSequential(3000, () => get(service, '/api/v1/iocs/stats', auth), 500);
  const bareRps = await throughput(bare, ['/bare'], {});
  const searchRps = await throughput(service, exactPaths, auth);
  const csv = await medianOf(10, () => get(service, `/api/v1/iocs?format=csv&limit=${EXPORT_ROWS}`, auth));
  const txt = await medianOf(10, () => get(service, `/api/v1/iocs?format=txt&limit=${EXPORT_ROWS}`, auth));
  const json = await medianOf(10, () => get(service, `/api/v1/iocs?limit=${EXPORT_ROWS}`, auth));
  const stix = await medianOf(10, () => get(service, `/api/v1/iocs/stix?limit=${EXPORT_ROWS}`, auth));

  const rows: Row[] = [
    { figure: 'exact search p50 (HTTP, full stack)', value: search.p50, floorName: 'bare route p50', floor: bareLatency.p50, unit: 'ms', target: 3 },
    { figure: 'exact search p99', value: search.p99, floorName: '5 ms budget', floor: 5, unit: 'ms', target: 1 },
    { figure: 'exact search throughput (50 conn.)', value: searchRps, floorName: 'bare route req/s', floor: bareRps, unit: 'req/s', target: 0.2, atLeast: true },
    { figure: 'trigram fallback p50 (HTTP)', value: fuzzy.p50, floorName: "bare SQL LIKE '%q%' p50", floor: floors.like.p50, unit: 'ms', target: 2 },
    { figure: 'trigram fallback p99 (HTTP)', value: fuzzy.p99, floorName: "bare SQL LIKE '%q%' p99", floor: floors.like.p99, unit: 'ms', target: 3 },
    { figure: 'stats p50', value: stats.p50, floorName: 'bare route p50', floor: bareLatency.p50, unit: 'ms', target: 1.1 },
    { figure: `CSV export, ${EXPORT_ROWS} rows`, value: csv, floorName: 'COPY ... TO STDOUT (csv)', floor: floors.copyCsv, unit: 'ms', target: 1.5 },
    { figure: `TXT export, ${EXPORT_ROWS} values`, value: txt, floorName: 'COPY ... TO STDOUT (values)', floor: floors.copyTxt, unit: 'ms', target: 1.5 },
    { figure: `JSON export, ${EXPORT_ROWS} rows`, value: json, floorName: 'fetch rows + build JSON', floor: floors.json, unit: 'ms', target: 1.5 },
    { figure: `STIX export, ${EXPORT_ROWS} indicators`, value: stix, floorName: 'fetch rows + build STIX', floor: floors.stix, unit: 'ms', target: 1.5 },
  ];
  printTable(title, rows);
  log(`(bare route p99 ${bareLatency.p99.toFixed(3)} ms; search p50/p99 ${search.p50.toFixed(3)}/${search.p99.toFixed(3)} ms; stats p99 ${stats.p99.toFixed(3)} ms)`);
}

async function benchPostgres(corpus: Corpus) {
  const admin = new URL(process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const name = `socd_bench_${process.pid}`;
  const adminClient = new pg.Client({ connectionString: admin.toString() });
  await adminClient.connect();
  await adminClient.query(`create database "${name}"`);
  const url = new URL(admin.toString());
  url.pathname = `/${name}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'socd-bench-'));
  const children: ChildProcess[] = [];
  try {
    const config = loadConfig({ DATABASE_URL: url.toString(), DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
    const db = await openStore(config, 'bench');
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    const sourceIds: number[] = [];
    for (const s of corpus.sources) {
      const { rows } = await client.query<{ id: number }>('insert into sources (name, kind, category) values ($1, $2, $3) returning id', [s.name, s.kind, s.category]);
      sourceIds.push(rows[0]!.id);
    }
    await timed(`PostgreSQL: COPY ${corpus.records.length} records`, async () => {
      for (const [table, csv] of corpusCsv(corpus, sourceIds)) {
        const stream = client.query(copyFrom(`copy ${table} (${COPY_COLUMNS[table]}) from stdin with (format csv)`));
        await new Promise<void>((resolve, reject) => {
          stream.on('finish', () => resolve());
          stream.on('error', reject);
          stream.end(csv);
        });
      }
      await client.query('analyze');
    });
    await timed('PostgreSQL: refresh_stats_cache()', () => refreshStats(db));
    await db.query(BENCH_TIER);
    const { key } = await createApiKey(db, { name: 'bench', tier: 'bench' });

    const { fragments } = queries(corpus);
    const like = await timeSequential(fragments.length * 3, (i) => client.query(LIKE_SQL, [`%${fragments[i % fragments.length]}%`]), 50);
    const copy = (sql: string) => medianOf(10, () => pipeline(client.query(copyTo(`copy (${sql}) to stdout with (format csv)`)), new Writable({ write: (_c, _e, done) => done() })));
    const floors: Floors = {
      like,
      copyCsv: await copy(CSV_SQL),
      copyTxt: await copy(TXT_SQL),
      ...(await buildFloors(db, async () => (await client.query<RecordRow>(RECORDS_SQL)).rows)),
    };
    await client.end();
    await db.close();

    const service = await startProcess(['dist/main.js', 'serve'], { DATABASE_URL: url.toString(), DATA_DIR: dataDir, LOG_LEVEL: 'info' }, '/healthz');
    children.push(service.child);
    const bare = await startProcess(['--import', 'tsx', 'bench/bare-server.ts'], {}, '/bare');
    children.push(bare.child);
    await measureHttp(`PostgreSQL, ${corpus.records.length} records`, service.url, bare.url, key, corpus, floors);
  } finally {
    for (const child of children) await stop(child);
    await adminClient.query(`drop database if exists "${name}" with (force)`);
    await adminClient.end();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Direct in-process PGlite as a Queryable, for loading and for the floors. */
function queryable(db: PGlite): Queryable {
  return {
    query: async <R>(sql: string, params: readonly unknown[] = []) => (await db.query<R>(sql, params as unknown[])).rows,
    script: async (sql: string) => void (await db.exec(sql)),
  };
}

async function benchPglite(corpus: Corpus) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'socd-bench-pglite-'));
  const children: ChildProcess[] = [];
  try {
    const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
    const store = await openStore(config, 'bench'); // creates and migrates the embedded database
    await store.query(BENCH_TIER);
    const { key } = await createApiKey(store, { name: 'bench', tier: 'bench' });
    await store.close();

    const pglite = await PGlite.create(embeddedDatabaseDir(dataDir), { extensions: { pg_trgm } });
    const db = queryable(pglite);
    const sourceIds: number[] = [];
    for (const s of corpus.sources) {
      const [row] = await db.query<{ id: number }>('insert into sources (name, kind, category) values ($1, $2, $3) returning id', [s.name, s.kind, s.category]);
      sourceIds.push(row!.id);
    }
    await timed(`PGlite: COPY ${corpus.records.length} records`, async () => {
      for (const [table, csv] of corpusCsv(corpus, sourceIds)) {
        await pglite.query(`copy ${table} (${COPY_COLUMNS[table]}) from '/dev/blob' with (format csv)`, [], { blob: new Blob([csv]) });
      }
      await pglite.exec('analyze');
    });
    await timed('PGlite: refresh_stats_cache()', () => refreshStats(db));

    const { fragments } = queries(corpus);
    const like = await timeSequential(fragments.length * 3, (i) => db.query(LIKE_SQL, [`%${fragments[i % fragments.length]}%`]), 50);
    const copy = (sql: string) => medianOf(10, () => pglite.query(`copy (${sql}) to '/dev/blob' with (format csv)`));
    const floors: Floors = {
      like,
      copyCsv: await copy(CSV_SQL),
      copyTxt: await copy(TXT_SQL),
      ...(await buildFloors(db, () => db.query<RecordRow>(RECORDS_SQL))),
    };
    await pglite.close();

    const service = await startProcess(['dist/main.js', 'serve'], { DATA_DIR: dataDir, LOG_LEVEL: 'info' }, '/healthz');
    children.push(service.child);
    const bare = await startProcess(['--import', 'tsx', 'bench/bare-server.ts'], {}, '/bare');
    children.push(bare.child);
    await measureHttp(`PGlite, ${corpus.records.length} records`, service.url, bare.url, key, corpus, floors);
  } finally {
    for (const child of children) await stop(child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const corpus = await timed(`generate ${SIZE} records`, async () => generateCorpus(SIZE));
log(`${corpus.indicators.length} indicators, ${corpus.records.length} records, ${corpus.articles.length} articles`);
if (args.backend !== 'pglite') await benchPostgres(corpus);
if (args.backend !== 'postgres') await benchPglite(corpus);
