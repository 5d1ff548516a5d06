// Starts the service: the store (migrated, its source catalogue synced, the bundled snapshot
// loaded into a new embedded store), the admin key on first start, the rate limiter, the stats
// cache, the ingestion scheduler and the HTTP server; and stops them in order.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { publishStixVersions } from '../ingest/publish.js';
import { logRun, startScheduler } from '../ingest/scheduler.js';
import { syncSourceCatalogue } from '../ingest/setup.js';
import { isStoreEmpty, loadSnapshot } from '../ingest/snapshot.js';
import type { Db } from '../store/db.js';
import { createAdminKeyIfMissing } from '../store/keys.js';
import { openStore } from '../store/open.js';
import { refreshStats } from '../store/stats.js';
import { buildApp } from './app.js';
import { createAuthenticator } from './auth.js';
import { createMemoryRateLimiter, createRedisRateLimiter, type RateLimiter } from './rate-limit.js';
import { startStatsCache } from './stats-cache.js';

export const ADMIN_KEY_FILE = 'admin-key';

export interface RunningService {
  app: FastifyInstance;
  db: Db;
  /** The address it listens on, e.g. http://127.0.0.1:8080 */
  url: string;
  close(): Promise<void>;
}

/** Writes the admin key where only this user can read it; the log names the file, never the key. */
function saveAdminKey(dataDir: string, key: string): string {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, ADMIN_KEY_FILE);
  fs.writeFileSync(file, key + '\n', { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return file;
}

function createLimiter(config: Config, logger: Logger): RateLimiter {
  if (!config.redisUrl) return createMemoryRateLimiter();
  let lastWarning = 0;
  return createRedisRateLimiter({
    url: config.redisUrl,
    onError: (err) => {
      // Once a minute at most: an outage must not flood the log.
      if (Date.now() - lastWarning < 60_000) return;
      lastWarning = Date.now();
      logger.warn({ err }, 'rate limiter: Redis unreachable, requests are not being limited');
    },
  });
}

/** An embedded PostgreSQL that dies and cannot be brought back ends the process, with a message. */
export function exitOnLostStore(logger: Logger) {
  return (error: Error) => {
    logger.fatal({ err: error }, error.message);
    logger.flush();
    process.exit(1);
  };
}

/**
 * Fails as listen would when the port is taken, before anything is created: a second service
 * started on a taken port must not make a store or an admin key on its way to failing.
 */
async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

export async function startService(config: Config, logger: Logger, command = 'socd serve'): Promise<RunningService> {
  await assertPortFree(config.host, config.port);
  const db = await openStore(config, command, { log: logger, onFatal: exitOnLostStore(logger) });
  const stops: (() => Promise<void> | void)[] = [() => db.close()];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop();
  };
  try {
    await syncSourceCatalogue(db);
    // Offline on first start, the API still has real data to show.
    if (db.kind === 'embedded' && (await isStoreEmpty(db))) {
      for (const run of await loadSnapshot(db)) logRun(logger, run);
      await refreshStats(db);
      logger.info('loaded the bundled snapshot of public feed samples into the new store');
    }
    const admin = await createAdminKeyIfMissing(db);
    if (admin) {
      const file = saveAdminKey(config.dataDir, admin.key);
      logger.info({ key_id: admin.info.id, file }, `admin API key created and written to ${file} (mode 0600)`);
    }
    const limiter = createLimiter(config, logger);
    stops.push(() => limiter.close());
    const authenticator = createAuthenticator(db, undefined, logger);
    stops.push(() => authenticator.close());
    // Keys are cached only while revocations are heard: the first requests find it listening.
    await authenticator.ready();
    const stats = await startStatsCache(db, config.statsRefreshSeconds, logger);
    stops.push(() => stats.stop());
    if (config.ingest) {
      const scheduler = startScheduler(db, { log: logger, concurrency: config.ingestConcurrency, changesRetentionDays: config.changesRetentionDays });
      stops.push(() => scheduler.stop());
    } else {
      // The scheduler publishes at each tick; without it, what a migration or a stopped run marked is published now.
      void publishStixVersions(db).catch((err) => logger.error({ err }, 'publishing STIX versions failed'));
    }
    let closing = false;
    const app = await buildApp({ config, db, authenticator, limiter, stats, logger, isClosing: () => closing });
    stops.push(async () => {
      closing = true;
      // Connections busy when the shutdown begins are closed as soon as they fall idle: kept
      // alive, they would hold the shutdown open until their clients let go of them.
      const reaper = setInterval(() => app.server.closeIdleConnections(), 100);
      try {
        await app.close();
      } finally {
        clearInterval(reaper);
      }
    });
    await app.listen({ host: config.host, port: config.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    logger.info({ url, store: db.kind, rate_limits: config.redisUrl ? 'redis' : 'memory' }, `listening on ${url}`);
    return { app, db, url, close: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
