// Rate limits over HTTP: the per-minute and per-day budgets of a key's tier, the 429 answer, the
// X-RateLimit-* headers on every authenticated response; and the Redis limiter shared by two
// instances, failing open when Redis is away.
import crypto from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryRateLimiter, createRedisRateLimiter } from '../../src/api/rate-limit.js';
import { createApiKey } from '../../src/store/keys.js';
import { appSuite, awayFromMinuteEdge, BACKENDS, openTestStore, startTestApp, type TestApp, type TestStore } from '../helpers.js';

type Response = Awaited<ReturnType<TestApp['app']['inject']>>;

function rateHeaders(res: Response) {
  const h = res.headers;
  return {
    limit: Number(h['x-ratelimit-limit']),
    remaining: Number(h['x-ratelimit-remaining']),
    reset: Number(h['x-ratelimit-reset']),
  };
}

function expectRateHeaders(res: Response) {
  for (const name of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']) {
    expect(res.headers[name], `${name} on a ${res.statusCode}`).toMatch(/^\d+$/);
  }
  const { reset } = rateHeaders(res);
  const now = Date.now() / 1000;
  expect(reset).toBeGreaterThan(now);
  expect(reset).toBeLessThanOrEqual(now + 86_400 + 1);
  return rateHeaders(res);
}

function expect429(res: Response) {
  expect(res.statusCode).toBe(429);
  const body = res.json();
  expect(body.error.code).toBe('rate_limit_exceeded');
  expect(body.error.request_id).toBe(res.headers['x-request-id']);
  const retryAfter = Number(res.headers['retry-after']);
  expect(res.headers['retry-after']).toMatch(/^\d+$/);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  const headers = expectRateHeaders(res);
  expect(headers.remaining).toBe(0);
  // reset_at is the X-RateLimit-Reset time, and Retry-After the seconds until it.
  expect(new Date(body.error.details.reset_at).getTime()).toBe(headers.reset * 1000);
  expect(Math.abs(retryAfter - (headers.reset - Date.now() / 1000))).toBeLessThanOrEqual(2);
  return { details: body.error.details as Record<string, unknown>, retryAfter, headers };
}

describe.each(BACKENDS)('rate limits over HTTP on %s', (backend) => {
  const { store, t } = appSuite(backend);

  const get = (url: string, key?: string) => t.app.inject({ url, headers: key ? { 'x-api-key': key } : {} });

  it("refuses a free key's 11th request in a minute with 429 rate_limit_exceeded", async () => {
    const free = await t.key('free');
    await awayFromMinuteEdge();
    for (let i = 0; i < 10; i++) {
      const res = await get('/api/v1/iocs?limit=1', free);
      expect(res.statusCode).toBe(200);
      expect(expectRateHeaders(res)).toMatchObject({ limit: 10, remaining: 9 - i });
    }
    const { details, retryAfter, headers } = expect429(await get('/api/v1/iocs?limit=1', free));
    expect(details).toMatchObject({ limit: 10, tier: 'free', window: 'minute' });
    expect(headers.limit).toBe(10);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Every route of the API shares the budget.
    expect429(await get('/api/v1/iocs/search?q=example.com', free));
    // Another key is not affected.
    expect((await get('/api/v1/iocs?limit=1', await t.key('free'))).statusCode).toBe(200);
  });

  it('sends X-RateLimit-* on every authenticated response, errors included', async () => {
    await awayFromMinuteEdge();
    const free = await t.key('free');
    const seen: Record<number, ReturnType<typeof rateHeaders>> = {};
    const responses = [
      await get('/api/v1/iocs?limit=1', free), // 200
      await get('/api/v1/iocs?type=nonsense', free), // 400 invalid_parameter
      await get('/api/v1/iocs?format=csv', free), // 403: csv is not a free format
      await get('/api/v1/iocs/stix', free), // 403 insufficient_scope
      await get('/api/v1/no-such-route', free), // 404 not_found
    ];
    expect(responses.map((r) => r.statusCode)).toEqual([200, 400, 403, 403, 404]);
    expect(responses[4]!.json().error.code).toBe('not_found');
    responses.forEach((res, i) => (seen[i] = expectRateHeaders(res)));
    // Each of them was counted.
    expect(Object.values(seen).map((h) => h.remaining)).toEqual([9, 8, 7, 6, 5]);
    for (let i = 0; i < 5; i++) expect((await get('/api/v1/iocs?limit=1', free)).statusCode).toBe(200);
    expect429(await get('/api/v1/iocs?limit=1', free));
    // A request without a valid key is not an authenticated one: it carries no budget.
    const anonymous = await get('/api/v1/iocs');
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['x-ratelimit-limit']).toBeUndefined();
  });

  it('refuses for the rest of the UTC day once the tier daily budget is spent (tiers are data)', async () => {
    const { key } = await createApiKey(store.db, { name: 'daily', tier: 'free' });
    await store.db.query(`update tiers set requests_per_day = 3 where name = 'free'`);
    try {
      for (let i = 0; i < 3; i++) expect((await get('/api/v1/iocs?limit=1', key)).statusCode).toBe(200);
      const { details, retryAfter, headers } = expect429(await get('/api/v1/iocs?limit=1', key));
      const midnight = new Date();
      midnight.setUTCHours(24, 0, 0, 0);
      expect(details).toMatchObject({ limit: 3, window: 'day', tier: 'free', reset_at: midnight.toISOString() });
      expect(headers).toMatchObject({ limit: 3, remaining: 0, reset: midnight.getTime() / 1000 });
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(86_400);
    } finally {
      await store.db.query(`update tiers set requests_per_day = 1000 where name = 'free'`);
    }
    // The raised budget applies at once (the test app caches keys for 0 ms).
    expect((await get('/api/v1/iocs?limit=1', key)).statusCode).toBe(200);
  });
});

/** A local port that nothing listens on. */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('Redis rate limiter, Redis unreachable', () => {
  it('lets requests through (fails open) and reports the outage through onError', async () => {
    const store = await openTestStore('embedded');
    const errors: Error[] = [];
    const limiter = createRedisRateLimiter({ url: `redis://127.0.0.1:${await deadPort()}`, onError: (e) => errors.push(e) });
    const t = await startTestApp(store, { limiter });
    try {
      const free = await t.key('free');
      const started = Date.now();
      for (let i = 0; i < 12; i++) {
        const res = await t.app.inject({ url: '/api/v1/iocs?limit=1', headers: { 'x-api-key': free } });
        expect(res.statusCode).toBe(200);
        expect(expectRateHeaders(res).limit).toBe(10);
      }
      // Failing open must also be fast: no request waits on the dead server.
      expect(Date.now() - started).toBeLessThan(5000);
      expect(errors.length).toBeGreaterThanOrEqual(12);
      expect(errors[0]).toBeInstanceOf(Error);
    } finally {
      await t.close();
      await store.close();
    }
  });
});

// CI sets REDIS_URL (a Redis server beside the PostgreSQL one), so this runs there; on a
// machine without Redis it is skipped rather than failed.
describe.skipIf(!process.env.REDIS_URL)('Redis rate limiter shared by two instances', () => {
  let store: TestStore;
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    store = await openTestStore('embedded');
    // A prefix of this run's own, so that runs and parallel suites never share counters.
    const keyPrefix = `socd-test:${crypto.randomUUID()}:`;
    const onError = (error: Error) => {
      throw error;
    };
    a = await startTestApp(store, { limiter: createRedisRateLimiter({ url: process.env.REDIS_URL!, keyPrefix, onError }) });
    b = await startTestApp(store, { limiter: createRedisRateLimiter({ url: process.env.REDIS_URL!, keyPrefix, onError }) });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await store?.close();
  });

  it('does not let requests through unlimited while it is still connecting', async () => {
    const errors: Error[] = [];
    const fresh = createRedisRateLimiter({
      url: process.env.REDIS_URL!,
      keyPrefix: `socd-test:${crypto.randomUUID()}:`,
      onError: (e) => errors.push(e),
    });
    try {
      // Right after creation, before any connection is up.
      const budget = { perMinute: 1, perDay: 10 };
      const [first, second] = await Promise.all([fresh.consume('k', budget), fresh.consume('k', budget)]);
      expect([first.allowed, second.allowed].sort()).toEqual([false, true]);
      expect(errors).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('keeps the windows the memory limiter keeps (same clock, same answers)', async () => {
    const redis = createRedisRateLimiter({ url: process.env.REDIS_URL!, keyPrefix: `socd-test:${crypto.randomUUID()}:` });
    const memory = createMemoryRateLimiter();
    try {
      const budget = { perMinute: 2, perDay: 5 };
      // A fixed past day, so that the windows are the injected clock's and not today's.
      const t0 = Date.UTC(2026, 4, 16, 10, 0, 0);
      const endOfDay = Date.UTC(2026, 4, 17) - 1;
      const nextDay = endOfDay + 1;
      const times = [...[0, 1, 2, 3, 60_000, 60_001, 60_002, 120_000, 120_001, 180_000].map((ms) => t0 + ms), endOfDay, nextDay];
      const decisions = async (limiter: typeof redis) => {
        const out = [];
        for (const at of times) out.push(await limiter.consume('contract', budget, at));
        return out;
      };
      const fromRedis = await decisions(redis);
      expect(fromRedis).toEqual(await decisions(memory));
      expect(fromRedis.map((d) => d.allowed)).toEqual([true, true, false, false, true, true, false, true, false, false, false, true]);
      expect(fromRedis.at(-2)).toMatchObject({ window: 'day', limit: 5, remaining: 0, dayRemaining: 0, resetAt: nextDay / 1000 });
      expect(fromRedis.at(-1)).toMatchObject({ window: 'minute', remaining: 1, dayRemaining: 4 });
    } finally {
      await redis.close();
    }
  });

  it('spends one budget across both: 10 requests over the two, the 11th refused on either', async () => {
    const free = await a.key('free');
    const get = (t: TestApp) => t.app.inject({ url: '/api/v1/iocs?limit=1', headers: { authorization: `Bearer ${free}` } });
    await awayFromMinuteEdge();
    const remaining: number[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await get(i % 2 === 0 ? a : b);
      expect(res.statusCode).toBe(200);
      remaining.push(rateHeaders(res).remaining);
    }
    expect(remaining).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(expect429(await get(a)).details).toMatchObject({ limit: 10, tier: 'free', window: 'minute' });
    expect429(await get(b));
  });
});
