// npx tsx bench/ingest.ts [--size N] [--backend external|embedded|both]
// (or npm run bench -- --only ingest)
// Ingestion of feed records as the pipeline stores them, beside a raw COPY of the same rows into
// the same indexed tables, measured in the same run (these machines are noisy: only ratios
// compare). On the external PostgreSQL (BENCH_DATABASE_URL) and on the embedded one of a fresh
// DATA_DIR (bench/backends.ts), through the same code: only the connection string differs.
//
// The workload: the seeded corpus of bench/corpus.ts, N records. Half of them (every other
// record) are already stored when the run starts; the run brings all N: that half again as
// re-sightings (same record, later last_seen) and the other half new, interleaved as a feed file
// mixes them. Each source is one transaction whose records go to upsertRecords in batches of
// STORE_BATCH, feed records as 'feed' and article records as 'article': what
// src/ingest/pipeline.ts does once a feed is parsed (parsing is not timed).
// The floor: COPY of the same N records (their indicators and sightings rows) into the same
// tables with the same indexes, starting empty; both end with the same rows.
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { loadConfig } from '../src/config.js';
import type { Db } from '../src/store/db.js';
import { upsertRecords, type NewRecord } from '../src/store/upsert.js';
import type { SourceRef } from '../src/store/sources.js';
import { openStore } from '../src/store/open.js';
import { openBenchDatabase, parseBackends, type BackendName } from './backends.js';
import { corpusCsv, COPY_COLUMNS, generateCorpus, toNewRecord, type Corpus, type CorpusIndicator, type CorpusRecord } from './corpus.js';
import { printTable, type Row } from './measure.js';

/** As src/ingest/pipeline.ts. */
const STORE_BATCH = 5000;
const RESIGHTING_DELAY_MS = 6 * 3_600_000;
const CONFIDENCE_RANK: Record<string, number> = { low: 1, medium: 2, high: 3 };

function log(message: string) {
  process.stderr.write(`[bench] ${message}\n`);
}

/** The corpus restricted to some of its records, with its indicators recomputed from them. */
function subCorpus(corpus: Corpus, records: CorpusRecord[]): Corpus {
  const byId = new Map(corpus.indicators.map((i) => [i.id, i]));
  const indicators = new Map<string, CorpusIndicator>();
  for (const r of records) {
    const known = indicators.get(r.indicatorId);
    if (!known) {
      const i = byId.get(r.indicatorId)!;
      indicators.set(r.indicatorId, { ...i, confidence: r.confidence, firstSeen: r.firstSeen, lastSeen: r.lastSeen });
      continue;
    }
    if (CONFIDENCE_RANK[r.confidence]! > CONFIDENCE_RANK[known.confidence]!) known.confidence = r.confidence;
    if (r.firstSeen < known.firstSeen) known.firstSeen = r.firstSeen;
    if (r.lastSeen > known.lastSeen) known.lastSeen = r.lastSeen;
  }
  return { ...corpus, records, indicators: [...indicators.values()] };
}

interface SourceRun {
  sourceIndex: number;
  /** Made when the run starts (not timed: the pipeline has parsed them by then). */
  batches: () => { origin: 'feed' | 'article'; records: NewRecord[] }[];
}

/** The ingested records as the pipeline hands them to the store: per source, in batches. */
function sourceRuns(corpus: Corpus, stored: ReadonlySet<CorpusRecord>): SourceRun[] {
  const indicators = new Map(corpus.indicators.map((i) => [i.id, i]));
  const bySource = new Map<number, CorpusRecord[]>();
  for (const r of corpus.records) {
    const list = bySource.get(r.sourceIndex) ?? [];
    list.push(r);
    bySource.set(r.sourceIndex, list);
  }
  return [...bySource.entries()].map(([sourceIndex, records]) => {
    // a re-sighting: the feed lists it again, seen later
    const toNew = (r: CorpusRecord): NewRecord =>
      toNewRecord(r, indicators.get(r.indicatorId)!, stored.has(r) ? new Date(r.lastSeen.getTime() + RESIGHTING_DELAY_MS) : r.lastSeen);
    // The pipeline stores a run's feed records first, then its articles' records.
    const batches = () => {
      const out: ReturnType<SourceRun['batches']> = [];
      for (const origin of ['feed', 'article'] as const) {
        const list = records.filter((r) => r.origin === origin);
        for (let i = 0; i < list.length; i += STORE_BATCH) out.push({ origin, records: list.slice(i, i + STORE_BATCH).map(toNew) });
      }
      return out;
    };
    return { sourceIndex, batches };
  });
}

interface Backend {
  name: string;
  /** COPY rows of some tables (CSV from corpusCsv); milliseconds. */
  copy(corpus: Corpus, tables: readonly (keyof typeof COPY_COLUMNS)[]): Promise<number>;
  exec(sql: string): Promise<void>;
  rows<R>(sql: string): Promise<R[]>;
  /** The store as the pipeline opens it. */
  store(): Promise<Db>;
  close(): Promise<void>;
}

interface IngestFigures {
  copyMs: number;
  upsertMs: number;
  inserted: number;
  updated: number;
  indexes: { name: string; mb: number }[];
  /** Row versions the run wrote by update, and how many of them stayed on their page (HOT). */
  updates: { table: string; updated: number; hot: number }[];
}

interface UpdateStats {
  table: string;
  updated: number;
  hot: number;
}

const RESET = 'truncate sightings, indicators, lifecycle_due, stix_pending, stix_versions';
const UPDATE_STATS = `select relname as table, n_tup_upd::int as updated, n_tup_hot_upd::int as hot
  from pg_stat_user_tables where relname in ('indicators', 'sightings') order by relname`;
const INDEX_SIZES = `select c.relname as name, pg_relation_size(c.oid) / 1048576.0 as mb
  from pg_index x join pg_class c on c.oid = x.indexrelid join pg_class t on t.oid = x.indrelid
  where t.relname in ('indicators', 'sightings') order by t.relname, c.relname`;

async function runIngest(backend: Backend, corpus: Corpus): Promise<IngestFigures> {
  const stored = new Set(corpus.records.filter((_, i) => i % 2 === 0));
  const before = subCorpus(corpus, [...stored]);
  const runs = sourceRuns(corpus, stored);

  // The floor: COPY of the N records' rows into the empty tables.
  await backend.copy(corpus, ['articles']);
  await backend.exec('checkpoint');
  const copyMs = await backend.copy(corpus, ['indicators', 'sightings']);
  log(`${backend.name}: COPY ${corpus.records.length} records (${corpus.indicators.length} indicators): ${(copyMs / 1000).toFixed(1)} s`);

  // The state before the run: half of the records, as a store that has been vacuumed.
  await backend.exec(RESET);
  await backend.copy(before, ['indicators', 'sightings']);
  await backend.exec('vacuum analyze indicators');
  await backend.exec('vacuum analyze sightings');
  await backend.exec('checkpoint');
  const statsBefore = await backend.rows<UpdateStats>(UPDATE_STATS);

  const db = await backend.store();
  let inserted = 0;
  let updated = 0;
  let upsertMs: number;
  try {
    const sources = await db.query<SourceRef>('select id, name, category from sources order by id');
    const byName = new Map(sources.map((s) => [s.name, s]));
    upsertMs = 0;
    for (const run of runs) {
      const source = byName.get(corpus.sources[run.sourceIndex]!.name)!;
      const batches = run.batches();
      const start = performance.now();
      await db.transaction(async (tx) => {
        for (const batch of batches) {
          const counts = await upsertRecords(tx, source, batch.origin, batch.records);
          inserted += counts.inserted;
          updated += counts.updated;
        }
      });
      upsertMs += performance.now() - start;
    }
    log(`${backend.name}: upsertRecords ${corpus.records.length} records: ${(upsertMs / 1000).toFixed(1)} s (${inserted} new, ${updated} re-sightings)`);
    const [count] = await db.query<{ sightings: number; indicators: number }>(
      'select (select count(*) from sightings)::int as sightings, (select count(*) from indicators)::int as indicators',
    );
    if (count!.sightings !== corpus.records.length || count!.indicators !== corpus.indicators.length || updated !== stored.size) {
      throw new Error(`ingestion stored ${JSON.stringify(count)} (${inserted} new, ${updated} updated), expected ${corpus.records.length} records, ${corpus.indicators.length} indicators, ${stored.size} re-sightings`);
    }
  } finally {
    await db.close();
  }
  const indexes = (await backend.rows<{ name: string; mb: string }>(INDEX_SIZES)).map((r) => ({ name: r.name, mb: Number(r.mb) }));
  // The store's connections have ended and sent their counts (give the server a moment).
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const updates = (await backend.rows<UpdateStats>(UPDATE_STATS)).map((after) => {
    const was = statsBefore.find((b) => b.table === after.table);
    return { table: after.table, updated: after.updated - (was?.updated ?? 0), hot: after.hot - (was?.hot ?? 0) };
  });
  return { copyMs, upsertMs, inserted, updated, indexes, updates };
}

function report(title: string, corpus: Corpus, f: IngestFigures) {
  const n = corpus.records.length;
  const rate = n / (f.upsertMs / 1000);
  const rows: Row[] = [
    {
      figure: `ingest ${n} records, half re-sightings (upsertRecords, ${STORE_BATCH}/batch)`,
      value: rate,
      floorName: 'COPY of the same rows, same indexes',
      floor: n / (f.copyMs / 1000),
      unit: 'rec/s',
      target: 0.8,
      atLeast: true,
    },
    { figure: 'ingest throughput', value: rate, floorName: '10,000 rec/s budget', floor: 10_000, unit: 'rec/s', target: 1, atLeast: true },
  ];
  printTable(`Ingestion, ${title}, ${n} records`, rows);
  console.log(`\nindex sizes after ingestion: ${f.indexes.map((i) => `${i.name} ${i.mb.toFixed(1)} MB`).join(', ')}`);
  const hot = f.updates.filter((u) => u.updated > 0);
  console.log(
    hot.length === 0
      ? 'updates that stayed on their page (HOT): not counted by this backend'
      : `updates that stayed on their page (HOT, no index touched): ${hot.map((u) => `${u.table} ${u.hot} of ${u.updated} (${((100 * u.hot) / u.updated).toFixed(0)}%)`).join(', ')}`,
  );
}

async function insertSources(query: (sql: string, params: unknown[]) => Promise<unknown>, corpus: Corpus) {
  for (const s of corpus.sources) await query('insert into sources (name, kind, category) values ($1, $2, $3)', [s.name, s.kind, s.category]);
}

async function benchServer(corpus: Corpus, name: BackendName) {
  const database = await openBenchDatabase(name, 'ingest');
  const config = loadConfig({ ...database.env, LOG_LEVEL: 'silent', REQUEST_TIMEOUT_MS: '600000' });
  const client = new pg.Client({ connectionString: database.url });
  try {
    await (await openStore(config, 'bench')).close(); // creates the schema
    await client.connect();
    await insertSources((sql, params) => client.query(sql, params), corpus);
    const sourceIds = (await client.query<{ id: number }>('select id from sources order by id')).rows.map((r) => r.id);
    const backend: Backend = {
      name: database.label,
      async copy(c, tables) {
        const start = performance.now();
        for (const [table, csv] of corpusCsv(c, sourceIds)) {
          if (!tables.includes(table)) continue;
          const stream = client.query(copyFrom(`copy ${table} (${COPY_COLUMNS[table]}) from stdin with (format csv)`));
          await new Promise<void>((resolve, reject) => {
            stream.on('finish', () => resolve());
            stream.on('error', reject);
            stream.end(csv);
          });
        }
        return performance.now() - start;
      },
      // CHECKPOINT needs a superuser (or pg_checkpoint): a BENCH_DATABASE_URL without one goes on without.
      exec: async (sql) => void (await client.query(sql).catch((error: Error) => (sql === 'checkpoint' ? undefined : Promise.reject(error)))),
      rows: async <R>(sql: string) => (await client.query(sql)).rows as R[],
      store: () => openStore(config, 'bench'),
      close: () => client.end(),
    };
    report(database.label, corpus, await runIngest(backend, corpus));
  } finally {
    await client.end().catch(() => {});
    await database.close();
  }
}

export interface IngestBenchOptions {
  size: number;
  /** external, embedded or both. */
  backend: string;
}

export async function benchIngest({ size, backend }: IngestBenchOptions): Promise<void> {
  const backends = parseBackends(backend);
  console.log(`\n# Ingestion benchmark (load average ${os.loadavg()[0]!.toFixed(1)} on ${os.availableParallelism()} cores)`);
  const start = performance.now();
  const corpus = generateCorpus(size);
  log(`generate ${size} records: ${((performance.now() - start) / 1000).toFixed(1)} s`);
  for (const name of backends) await benchServer(corpus, name);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '1000000' },
      backend: { type: 'string', default: 'both' },
    },
  });
  await benchIngest({ size: Number(values.size), backend: values.backend });
}
