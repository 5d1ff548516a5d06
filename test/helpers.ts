// Shared test set-up: a fresh store per suite (a database of its own on the embedded server
// that test/global-setup.ts started, or on the PostgreSQL server of TEST_DATABASE_URL), and the
// real HTTP app over it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, inject } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { createAuthenticator, type Authenticator } from '../src/api/auth.js';
import { createMemoryRateLimiter, type RateLimiter } from '../src/api/rate-limit.js';
import { startStatsCache, type StatsCache } from '../src/api/stats-cache.js';
import { loadConfig, type Config } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import type { Db } from '../src/store/db.js';
import { createApiKey } from '../src/store/keys.js';
import { CLUSTER_DIR, isAlive, useEmbeddedServer } from '../src/store/embedded/server.js';
import { openStore } from '../src/store/open.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');

/** The embedded server the suite started, or the machine's server (TEST_DATABASE_URL). */
export type Backend = 'embedded' | 'external';
const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;
/** The servers the storage and HTTP suites run on: the embedded one always, an external one when given. */
export const BACKENDS: Backend[] = TEST_DATABASE_URL ? ['embedded', 'external'] : ['embedded'];

export function tempDir(prefix = 'socd-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ DATA_DIR: env.DATA_DIR ?? tempDir(), LOG_LEVEL: 'silent', PORT: '0', ...env });
}

/** A database of its own on the backend's server, dropped by the returned function. */
export async function createServerDatabase(backend: Backend = 'embedded'): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = new URL(backend === 'embedded' ? inject('embeddedUrl') : TEST_DATABASE_URL!);
  const name = `${admin.pathname.slice(1) || 'socd'}_${crypto.randomBytes(4).toString('hex')}`;
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: admin.toString() });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(`create database "${name}"`);
  const url = new URL(admin.toString());
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`drop database if exists "${name}" with (force)`) };
}

export interface TestStore {
  backend: Backend;
  db: Db;
  config: Config;
  close(): Promise<void>;
}

export async function openTestStore(backend: Backend, env: Record<string, string> = {}): Promise<TestStore> {
  const server = await createServerDatabase(backend);
  const config = testConfig({ DATABASE_URL: server.url, ...env });
  const db = await openStore(config, 'test');
  return {
    backend,
    db,
    config,
    close: async () => {
      await db.close();
      await server.drop();
      fs.rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
}

/** The pid of the embedded PostgreSQL of a DATA_DIR while it runs, from its postmaster.pid. */
export function embeddedServerPid(dataDir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir, CLUSTER_DIR, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A DATA_DIR whose embedded server runs while the suite does, as it runs while `socd serve`
 * does: the suite's `socd` commands find it and leave it running. `close` stops it.
 */
export async function runningDataDir(prefix = 'socd-data-'): Promise<{ dataDir: string; close(): Promise<void> }> {
  const dataDir = tempDir(prefix);
  const server = await useEmbeddedServer(dataDir, 'vitest');
  return {
    dataDir,
    close: async () => {
      await server.release();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Log lines written by the app, parsed. */
export class LogCapture {
  readonly lines: Record<string, unknown>[] = [];
  readonly raw: string[] = [];
  readonly stream = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        this.raw.push(line);
        this.lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
}

export interface TestApp {
  app: FastifyInstance;
  stats: StatsCache;
  logs: LogCapture;
  /** The app's key authenticator (flush() writes last_used_at). */
  authenticator: Authenticator;
  /** A new key of that tier (with every scope of the tier unless given). */
  key(tier: 'free' | 'pro', scopes?: string[]): Promise<string>;
  close(): Promise<void>;
}

export async function startTestApp(
  store: TestStore,
  options: { limiter?: RateLimiter; keyCacheTtlMs?: number; logLevel?: Config['logLevel'] } = {},
): Promise<TestApp> {
  const logs = new LogCapture();
  const logger = createLogger({ logLevel: options.logLevel ?? 'info' }, logs.stream);
  const limiter = options.limiter ?? createMemoryRateLimiter();
  const authenticator = createAuthenticator(store.db, options.keyCacheTtlMs ?? 0);
  // Keys are cached only once revocations are heard (a test with a key cache counts on it).
  await authenticator.ready();
  const stats = await startStatsCache(store.db, store.config.statsRefreshSeconds, logger);
  const app = await buildApp({ config: store.config, db: store.db, authenticator, limiter, stats, logger });
  await app.ready();
  return {
    app,
    stats,
    logs,
    authenticator,
    key: async (tier, scopes) => (await createApiKey(store.db, { name: `test-${tier}`, tier, scopes })).key,
    close: async () => {
      await app.close();
      stats.stop();
      await authenticator.close();
      await limiter.close();
    },
  };
}

/**
 * A store on `backend` and the app on it, for the suite that calls this: opened by a beforeAll
 * it registers (`seed` fills the store before the app starts), closed by an afterAll. The
 * `store` and `t` it returns stand for them from that beforeAll on: read them inside hooks
 * registered after this call and inside tests, not while the suite is being collected. Hooks
 * stack: the suite's own beforeAll run after the app has started, its own afterAll before it stops.
 *
 *     const { store, t } = appSuite(backend, { seed: async (db) => { seeded = await seedStore(db); } });
 */
export function appSuite(
  backend: Backend,
  options: { env?: Record<string, string>; seed?: (db: Db) => Promise<unknown>; app?: Parameters<typeof startTestApp>[1] } = {},
): { store: TestStore; t: TestApp } {
  let opened: TestStore | undefined;
  let started: TestApp | undefined;
  const open = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`appSuite: ${what} is read outside the suite's beforeAll to afterAll`);
    return value;
  };
  beforeAll(async () => {
    opened = await openTestStore(backend, options.env);
    await options.seed?.(opened.db);
    started = await startTestApp(opened, options.app);
  });
  afterAll(async () => {
    await started?.close();
    await opened?.close();
    started = opened = undefined;
  });
  const store: TestStore = {
    backend,
    get db() {
      return open(opened, 'store').db;
    },
    get config() {
      return open(opened, 'store').config;
    },
    close: () => open(opened, 'store').close(),
  };
  const t: TestApp = {
    get app() {
      return open(started, 't').app;
    },
    get stats() {
      return open(started, 't').stats;
    },
    get logs() {
      return open(started, 't').logs;
    },
    get authenticator() {
      return open(started, 't').authenticator;
    },
    key: (tier, scopes) => open(started, 't').key(tier, scopes),
    close: () => open(started, 't').close(),
  };
  return { store, t };
}

export function readFixture(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, name), 'utf8');
}

/** Waits for the next minute when the current one is about to turn, so that a burst of requests fits in one rate-limit window. */
export async function awayFromMinuteEdge(marginMs = 5000): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 60_000 - marginMs) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 50));
}
