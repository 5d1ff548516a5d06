// npm run bench [-- --size N] [--backend postgres|pglite|both] [--only api,ingest,extract] [--pglite-size N]
// Loads a seeded corpus of IOC records, then prints each figure of the API beside a floor
// measured in the same run, and their ratio (these machines are noisy: only ratios compare).
// The API figures are taken by a client process of its own (bench/client.ts), each in turns
// with its floor, from a service started as `npm start` runs it (without its feed scheduler).
// Then ingestion (bench/ingest.ts: upserts beside COPY; PGlite on --pglite-size records, default
// 200,000) and article extraction (bench/extract.ts). --only runs some of the three sections.
// PostgreSQL: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres); a
// database of its own is created and dropped.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { loadConfig } from '../src/config.js';
import type { Queryable } from '../src/store/db.js';
import { createApiKey } from '../src/store/keys.js';
import { embeddedDatabaseDir, openStore } from '../src/store/open.js';
import { refreshStats } from '../src/store/stats.js';
import { corpusCsv, COPY_COLUMNS, generateCorpus, type Corpus } from './corpus.js';
import { benchExtraction } from './extract.js';
import { benchIngest } from './ingest.js';
import type { HttpProbe, Probe, Results, Step } from './client.js';
import { get, printTable, runClient, type Latency, type Row } from './measure.js';

const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: '1000000' },
    backend: { type: 'string', default: 'both' },
    only: { type: 'string', default: 'api,ingest,extract' },
    'pglite-size': { type: 'string', default: '200000' },
  },
});
const SECTIONS = new Set(args.only.split(','));
for (const section of SECTIONS) if (!['api', 'ingest', 'extract'].includes(section)) throw new Error(`--only: unknown section ${section} (api, ingest, extract)`);
const SIZE = Number(args.size);
const EXPORT_ROWS = Math.min(10_000, SIZE);
const LOOKBACK_DAYS = 3650;

// A tier for the benchmark key: every limit is enforced (counted) but none is reached.
const BENCH_TIER = `insert into tiers (name, requests_per_minute, requests_per_day, lookback_days, max_limit, list_formats, scopes)
  values ('bench', 100000000, 1000000000, ${LOOKBACK_DAYS}, 10000, '{json,csv,txt}', '{read:iocs,read:stix,read:stats}')
  on conflict (name) do nothing`;

// The floors' SQL: the same rows the export endpoints serve, newest first.
const RECORDS_SQL = `select s.id, s.type, i.value, s.confidence, socd_iso(s.first_seen) as first_seen, socd_iso(s.last_seen) as last_seen,
    s.article_id, a.title as article_title, a.url as article_url, s.reference_url, src.name as feed_name, src.category, s.origin,
    s.context, s.tags, s.mitre_techniques
  from sightings s join indicators i on i.id = s.indicator_id join sources src on src.id = s.source_id
  left join articles a on a.id = s.article_id
  where s.extracted_at >= now() - interval '${LOOKBACK_DAYS} days'
  order by s.extracted_at desc, s.id desc limit ${EXPORT_ROWS}`;
const CSV_SQL = `select s.id, s.type, i.value, s.confidence, socd_iso(s.first_seen), socd_iso(s.last_seen), s.article_id,
    src.name, src.category, array_to_string(s.tags, ',')
  from sightings s join indicators i on i.id = s.indicator_id join sources src on src.id = s.source_id
  where s.extracted_at >= now() - interval '${LOOKBACK_DAYS} days'
  order by s.extracted_at desc, s.id desc limit ${EXPORT_ROWS}`;
// The total in the JSON list's meta: every record in the lookback, as the service counts it.
const COUNT_SQL = `select count(*)::int as total from sightings s where s.extracted_at >= now() - interval '${LOOKBACK_DAYS} days'`;
const TXT_SQL = `select i.value from sightings s join indicators i on i.id = s.indicator_id
  where s.extracted_at >= now() - interval '${LOOKBACK_DAYS} days'
  order by s.extracted_at desc, s.id desc limit ${EXPORT_ROWS}`;
// The trigram index leaves hashes out (0003_ingest_indexes.sql): the floor carries its predicate,
// as the service's statement does, to be planned on the same index.
const LIKE_SQL = `select id, value_normalized from indicators
  where type not in ('md5', 'sha1', 'sha256', 'sha512') and value_normalized like $1 limit 200`;

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

/**
 * Values to look up: existing ones (exact), and pieces of existing domains and URLs that are not
 * values themselves (strictly inside one, so that the lookup goes to the trigram fallback; a
 * hash is looked up by its beginning, on another index, and is no trigram figure).
 */
function queries(corpus: Corpus) {
  const exact: string[] = [];
  const fragments: string[] = [];
  const known = new Set(corpus.indicators.map((i) => i.normalized));
  const step = Math.max(1, Math.floor(corpus.indicators.length / 500));
  for (let i = 0; i < corpus.indicators.length && exact.length < 500; i += step) exact.push(corpus.indicators[i]!.value);
  const fragmentStep = Math.max(1, Math.floor(corpus.indicators.length / 1000));
  for (let i = 7; i < corpus.indicators.length && fragments.length < 200; i += fragmentStep) {
    const { type, normalized } = corpus.indicators[i]!;
    if (type !== 'domain' && type !== 'url') continue;
    const fragment = normalized.replace(/^https?:\/\//, '').slice(1, 13);
    if (fragment.length >= 3 && !known.has(fragment)) fragments.push(fragment);
  }
  return { exact, fragments };
}

const MISSING = { p50: NaN, p99: NaN, n: 0 };
const latency = (results: Results, name: string) => (results[name] as Latency | undefined) ?? MISSING;
const ms = (results: Results, name: string) => (results[name] as number | undefined) ?? NaN;

/** The figures' probes: HTTP on the service (and the bare route), each to pair with its floor. */
function serviceProbes(service: string, bare: string, key: string, corpus: Corpus) {
  const headers = { authorization: `Bearer ${key}` };
  const { exact, fragments } = queries(corpus);
  const http = (base: string, paths: string[], expect?: HttpProbe['expect']): HttpProbe => ({
    kind: 'http',
    base,
    paths,
    headers: base === bare ? {} : headers,
    ...(expect && { expect }),
  });
  return {
    bare: http(bare, ['/bare']),
    search: http(service, exact.map((v) => `/api/v1/iocs/search?q=${encodeURIComponent(v)}`), 'exact'),
    fuzzy: http(service, fragments.map((v) => `/api/v1/iocs/search?q=${encodeURIComponent(v)}&include_related=false`), 'fuzzy'),
    stats: http(service, ['/api/v1/iocs/stats']),
    csv: http(service, [`/api/v1/iocs?format=csv&limit=${EXPORT_ROWS}`]),
    txt: http(service, [`/api/v1/iocs?format=txt&limit=${EXPORT_ROWS}`]),
    json: http(service, [`/api/v1/iocs?limit=${EXPORT_ROWS}`]),
    stix: http(service, [`/api/v1/iocs/stix?limit=${EXPORT_ROWS}`]),
  };
}

/** The floors' probes, on the database itself. */
function floorProbes(corpus: Corpus) {
  const { fragments } = queries(corpus);
  return {
    like: { kind: 'sql', sql: LIKE_SQL, params: fragments.map((f) => [`%${f}%`]) },
    copyCsv: { kind: 'copy', sql: CSV_SQL },
    copyTxt: { kind: 'copy', sql: TXT_SQL },
    jsonFloor: { kind: 'json-floor', sql: RECORDS_SQL, countSql: COUNT_SQL },
    stixFloor: { kind: 'stix-floor', indicators: EXPORT_ROWS, lookbackDays: LOOKBACK_DAYS },
  } satisfies Record<string, Probe>;
}

type ServiceProbes = ReturnType<typeof serviceProbes>;
type FloorProbes = ReturnType<typeof floorProbes>;

/**
 * The steps of a run. With `floors`, each figure is taken in turns with its floor (PostgreSQL);
 * without, the floors were taken before the service started (PGlite: its store belongs to one
 * process at a time).
 */
function steps(s: ServiceProbes, floors: FloorProbes | undefined, fragmentCount: number): Step[] {
  return [
    { kind: 'latency', samples: 3000, warmup: 300, probes: { bare: s.bare, search: s.search, stats: s.stats } },
    { kind: 'latency', samples: fragmentCount * 3, warmup: 20, probes: { fuzzy: s.fuzzy, ...(floors && { like: floors.like }) } },
    { kind: 'throughput', rounds: 3, seconds: 4, connections: 50, probes: { bareRps: s.bare, searchRps: s.search } },
    {
      kind: 'median',
      runs: 10,
      probes: {
        csv: s.csv,
        ...(floors && { copyCsv: floors.copyCsv }),
        txt: s.txt,
        ...(floors && { copyTxt: floors.copyTxt }),
        json: s.json,
        ...(floors && { jsonFloor: floors.jsonFloor }),
        stix: s.stix,
        ...(floors && { stixFloor: floors.stixFloor }),
      },
    },
  ];
}

/** The floors alone (PGlite, before its service starts). */
function floorSteps(floors: FloorProbes, fragmentCount: number): Step[] {
  const { like, ...exports } = floors;
  return [
    { kind: 'latency', samples: fragmentCount * 3, warmup: 20, probes: { like } },
    { kind: 'median', runs: 10, probes: exports },
  ];
}

function report(title: string, r: Results) {
  const [bare, search, fuzzy, like, stats] = ['bare', 'search', 'fuzzy', 'like', 'stats'].map((name) => latency(r, name)) as Latency[];
  const rows: Row[] = [
    { figure: 'exact search p50 (HTTP, full stack)', value: search!.p50, floorName: 'bare route p50', floor: bare!.p50, unit: 'ms', target: 3 },
    { figure: 'exact search p99', value: search!.p99, floorName: '5 ms budget', floor: 5, unit: 'ms', target: 1 },
    { figure: 'exact search throughput (50 conn.)', value: ms(r, 'searchRps'), floorName: 'bare route req/s', floor: ms(r, 'bareRps'), unit: 'req/s', target: 0.2, atLeast: true },
    { figure: 'trigram fallback p50 (HTTP)', value: fuzzy!.p50, floorName: "bare SQL LIKE '%q%' p50", floor: like!.p50, unit: 'ms', target: 2 },
    { figure: 'trigram fallback p99 (HTTP)', value: fuzzy!.p99, floorName: "bare SQL LIKE '%q%' p99", floor: like!.p99, unit: 'ms', target: 3 },
    { figure: 'stats p50', value: stats!.p50, floorName: 'bare route p50', floor: bare!.p50, unit: 'ms', target: 1.1 },
    { figure: `CSV export, ${EXPORT_ROWS} rows`, value: ms(r, 'csv'), floorName: 'COPY ... TO STDOUT (csv)', floor: ms(r, 'copyCsv'), unit: 'ms', target: 1.5 },
    { figure: `TXT export, ${EXPORT_ROWS} values`, value: ms(r, 'txt'), floorName: 'COPY ... TO STDOUT (values)', floor: ms(r, 'copyTxt'), unit: 'ms', target: 1.5 },
    { figure: `JSON export, ${EXPORT_ROWS} rows`, value: ms(r, 'json'), floorName: 'fetch rows + count + build JSON', floor: ms(r, 'jsonFloor'), unit: 'ms', target: 1.5 },
    { figure: `STIX export, ${EXPORT_ROWS} indicators`, value: ms(r, 'stix'), floorName: 'fetch rows + build STIX', floor: ms(r, 'stixFloor'), unit: 'ms', target: 1.5 },
  ];
  printTable(title, rows);
  log(`(bare route p99 ${bare!.p99.toFixed(3)} ms; search p50/p99 ${search!.p50.toFixed(3)}/${search!.p99.toFixed(3)} ms; stats p99 ${stats!.p99.toFixed(3)} ms)`);
}

/** The service as `npm start` runs it, without the feed scheduler (nothing is fetched during the run). */
function startService(env: Record<string, string>) {
  return startProcess(['dist/main.js', 'serve'], { ...env, LOG_LEVEL: 'info', INGEST: 'false' }, '/healthz');
}

function startBare() {
  return startProcess(['--import', 'tsx', 'bench/bare-server.ts'], {}, '/bare');
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
      // As a store that has been running a while: statistics gathered, and the rows COPY wrote
      // to the trigram index's pending list moved into the index (an ANALYZE leaves them there,
      // and every LIKE would scan them until autovacuum comes by, perhaps in mid-measurement).
      await client.query('vacuum analyze');
    });
    await timed('PostgreSQL: refresh_stats_cache()', () => refreshStats(db));
    await db.query(BENCH_TIER);
    const { key } = await createApiKey(db, { name: 'bench', tier: 'bench' });

    await client.end();
    await db.close();

    const service = await startService({ DATABASE_URL: url.toString(), DATA_DIR: dataDir });
    children.push(service.child);
    const bare = await startBare();
    children.push(bare.child);
    const probes = serviceProbes(service.url, bare.url, key, corpus);
    const results = await timed('PostgreSQL: measuring', () =>
      runClient({ db: { postgres: url.toString() }, steps: steps(probes, floorProbes(corpus), probes.fuzzy.paths.length) }),
    );
    report(`PostgreSQL, ${corpus.records.length} records`, results);
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
      await pglite.exec('vacuum analyze');
    });
    await timed('PGlite: refresh_stats_cache()', () => refreshStats(db));

    await pglite.close();

    // The embedded store belongs to one process at a time: the floors first, then the service.
    const dbDir = embeddedDatabaseDir(dataDir);
    const fragmentCount = queries(corpus).fragments.length;
    const floors = await timed('PGlite: measuring the floors', () =>
      runClient({ db: { pglite: dbDir }, steps: floorSteps(floorProbes(corpus), fragmentCount) }),
    );
    const service = await startService({ DATA_DIR: dataDir });
    children.push(service.child);
    const bare = await startBare();
    children.push(bare.child);
    const probes = serviceProbes(service.url, bare.url, key, corpus);
    const figures = await timed('PGlite: measuring', () => runClient({ steps: steps(probes, undefined, fragmentCount) }));
    report(`PGlite, ${corpus.records.length} records`, { ...floors, ...figures });
  } finally {
    for (const child of children) await stop(child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (SECTIONS.has('api')) {
  const corpus = await timed(`generate ${SIZE} records`, async () => generateCorpus(SIZE));
  log(`${corpus.indicators.length} indicators, ${corpus.records.length} records, ${corpus.articles.length} articles`);
  if (args.backend !== 'pglite') await benchPostgres(corpus);
  if (args.backend !== 'postgres') await benchPglite(corpus);
}
if (SECTIONS.has('ingest')) await benchIngest({ size: SIZE, backend: args.backend, pgliteSize: Number(args['pglite-size']) });
if (SECTIONS.has('extract')) await benchExtraction();
