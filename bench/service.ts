// The service under measurement: a fresh store (on either backend) loaded with the corpus by
// COPY, as a store that has been running a while, and the service started on it as `npm start`
// runs it (without its feed scheduler: nothing is fetched during a run), beside the bare route.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { loadConfig } from '../src/config.js';
import { createApiKey } from '../src/store/keys.js';
import { openStore } from '../src/store/open.js';
import { refreshStats } from '../src/store/stats.js';
import { openBenchDatabase, serviceEnv, type BackendName } from './backends.js';
import { corpusCsv, COPY_COLUMNS, type Corpus } from './corpus.js';
import { freePort, get } from './measure.js';

const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
export const LOOKBACK_DAYS = 3650;

// A tier for the benchmark's keys: every limit is enforced (counted) but none is reached.
const BENCH_TIER = `insert into tiers (name, requests_per_minute, requests_per_day, lookback_days, max_limit, list_formats, scopes)
  values ('bench', 100000000, 1000000000, ${LOOKBACK_DAYS}, 10000, '{json,csv,txt,cef,openioc,misp}', '{read:iocs,read:stix,read:stats}')
  on conflict (name) do nothing`;

export function log(message: string) {
  process.stderr.write(`[bench] ${message}\n`);
}

export async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await fn();
  log(`${label}: ${((performance.now() - start) / 1000).toFixed(1)} s`);
  return result;
}

export async function startProcess(args: string[], env: Record<string, string>, healthPath: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, args, {
    cwd: REPO,
    env: serviceEnv({ ...env, PORT: String(port), HOST: '127.0.0.1' }),
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

export function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export interface LoadedService {
  label: string;
  /** The service's base URL, and the bare route's (the HTTP floor). */
  service: string;
  bare: string;
  /** Two keys of the bench tier: a second client is measured beside the first. */
  keys: [string, string];
  /** The store's database, for the floors' SQL. */
  db: string;
}

/**
 * A fresh store on `backend` loaded with the corpus, the service and the bare route started,
 * given to fn; everything is stopped and dropped afterwards.
 */
export async function withLoadedService<T>(backend: BackendName, corpus: Corpus, fn: (loaded: LoadedService) => Promise<T>): Promise<T> {
  const database = await openBenchDatabase(backend, 'api');
  const label = database.label;
  const children: ChildProcess[] = [];
  try {
    const config = loadConfig({ ...database.env, LOG_LEVEL: 'silent' });
    const store = await openStore(config, 'bench'); // creates (embedded: adopts) and migrates
    // The store's own connection string: the embedded server's, or DATABASE_URL.
    const client = new pg.Client({ connectionString: store.embedded?.url ?? config.databaseUrl! });
    await client.connect();
    const sourceIds: number[] = [];
    for (const s of corpus.sources) {
      const { rows } = await client.query<{ id: number }>('insert into sources (name, kind, category) values ($1, $2, $3) returning id', [s.name, s.kind, s.category]);
      sourceIds.push(rows[0]!.id);
    }
    await timed(`${label}: COPY ${corpus.records.length} records`, async () => {
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
      // The articles' record counts, which the service's writes keep and COPY does not.
      await client.query('select recount_article_iocs()');
      await client.query('vacuum analyze');
    });
    await timed(`${label}: refresh_stats_cache()`, () => refreshStats(store));
    await store.query(BENCH_TIER);
    const keys: [string, string] = [
      (await createApiKey(store, { name: 'bench', tier: 'bench' })).key,
      (await createApiKey(store, { name: 'bench (second client)', tier: 'bench' })).key,
    ];
    await client.end();
    // The embedded server keeps running: bench/backends.ts holds a lease on it.
    await store.close();

    const service = await startProcess(['dist/main.js', 'serve'], { ...database.env, LOG_LEVEL: 'info', INGEST: 'false' }, '/healthz');
    children.push(service.child);
    const bare = await startProcess(['--import', 'tsx', 'bench/bare-server.ts'], {}, '/bare');
    children.push(bare.child);
    return await fn({ label, service: service.url, bare: bare.url, keys, db: database.url });
  } finally {
    // The service first: the embedded server stops when its last lease, the bench's, goes.
    for (const child of children) await stop(child);
    await database.close();
  }
}
