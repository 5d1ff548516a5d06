// Liveness never waits on the store; readiness asks the store, within a deadline.
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { createAuthenticator } from '../../src/api/auth.js';
import { createMemoryRateLimiter } from '../../src/api/rate-limit.js';
import type { StatsCache } from '../../src/api/stats-cache.js';
import { createLogger } from '../../src/logger.js';
import { appSuite, BACKENDS, openTestStore, startTestApp } from '../helpers.js';

const READY_DEADLINE_MS = 2000;

describe.each(BACKENDS)('health checks on %s', (backend) => {
  const { store, t } = appSuite(backend);
  let base: string;
  beforeAll(async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });

  it('answers /healthz and /readyz with 200, without a key', async () => {
    const live = await fetch(`${base}/healthz`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    expect(ready.headers.get('x-ratelimit-limit')).toBeNull();
  });

  /** /healthz through a real socket and in-process: both at once, though the store is busy. */
  async function expectLiveAtOnce() {
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const res = await fetch(`${base}/healthz`);
      expect(res.status).toBe(200);
      expect(performance.now() - started).toBeLessThan(500);
    }
    const started = performance.now();
    expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect(performance.now() - started).toBeLessThan(500);
  }

  it('answers /healthz at once and /readyz 200 while a long query holds one pooled connection', async () => {
    const sleeping = store.db.query('select pg_sleep(3)');
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      await expectLiveAtOnce();
      const started = performance.now();
      const res = await fetch(`${base}/readyz`);
      expect(res.status).toBe(200);
      expect(performance.now() - started).toBeLessThan(1000);
    } finally {
      await sleeping;
    }
  });

  it('stays ready while user queries hold every pooled connection: its probe has a connection of its own', async () => {
    const narrow = await openTestStore(backend, { PG_POOL_SIZE: '1' });
    const app = await startTestApp(narrow);
    const sleeping = narrow.db.query('select pg_sleep(3)');
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await app.app.inject({ url: '/healthz' })).statusCode).toBe(200);
      const started = performance.now();
      const res = await app.app.inject({ url: '/readyz' });
      expect(res.statusCode).toBe(200);
      // It did not wait for the query (3 s), nor for its own deadline (2 s).
      expect(performance.now() - started).toBeLessThan(READY_DEADLINE_MS);
    } finally {
      await sleeping;
      await app.close();
      await narrow.close();
    }
  });

  it('answers /readyz 503 while the service shuts down', async () => {
    const logger = createLogger({ logLevel: 'silent' });
    const stats: StatsCache = { current: () => undefined, refreshSeconds: 600, staleAfterSeconds: 60, reload: async () => {}, stop: () => {} };
    let closing = false;
    const app = await buildApp({
      config: store.config,
      db: store.db,
      authenticator: createAuthenticator(store.db, 0),
      limiter: createMemoryRateLimiter(),
      stats,
      logger,
      isClosing: () => closing,
    });
    try {
      expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
      closing = true;
      const res = await app.inject({ url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'unavailable', reason: 'shutting down' });
      expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
