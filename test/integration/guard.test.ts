// The guard that every keyed route stands behind, on a route prefix of its own (as TAXII and the
// dashboard's API will be): it fails closed at startup for a route without a known scope, and
// at request time answers 401, 403 or the route, with the real authenticator and limiter.
import crypto from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/api/auth.js';
import { errorHandler } from '../../src/api/errors.js';
import { ANY_KEY, guarded, FAILED_AUTH_BUDGET, type GuardDeps } from '../../src/api/guard.js';
import { createMemoryRateLimiter } from '../../src/api/rate-limit.js';
import type { Scope } from '../../src/store/keys.js';
import { createApiKey } from '../../src/store/keys.js';
import { appSuite, awayFromMinuteEdge, BACKENDS, openTestStore, type TestStore } from '../helpers.js';

describe.each(BACKENDS)('the guard of keyed routes on %s', (backend) => {
  let store: TestStore;
  let deps: GuardDeps;
  const apps: FastifyInstance[] = [];
  beforeAll(async () => {
    store = await openTestStore(backend);
    deps = { authenticator: createAuthenticator(store.db, 0), limiter: createMemoryRateLimiter() };
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await deps?.authenticator.close();
    await store?.close();
  });

  function appWith(routes: (api: FastifyInstance) => void): FastifyInstance {
    const app = Fastify();
    apps.push(app);
    app.setErrorHandler(errorHandler);
    void app.register(
      guarded(deps, async (api) => routes(api)),
      { prefix: '/other' },
    );
    return app;
  }

  it('refuses to start with a route that declares no scope, naming the route', async () => {
    const app = appWith((api) => api.get('/open', async () => ({ secret: true })));
    await expect(app.ready()).rejects.toThrow(
      /^GET \/other\/open is a keyed route: it must declare config\.scope, one of read:iocs, read:stix, read:stats, admin, or 'any-key' \(got undefined\)$/,
    );
  });

  it("serves a route that declares ANY_KEY to any valid key, even one without a scope, and to no key nothing", async () => {
    const app = appWith((api) => api.get('/whoami', { config: { scope: ANY_KEY } }, async (request) => ({ id: request.apiKey!.id })));
    await app.ready();
    expect((await app.inject({ url: '/other/whoami' })).statusCode).toBe(401);
    const bare = await createApiKey(store.db, { name: 'bare', tier: 'free', scopes: [] });
    const served = await app.inject({ url: '/other/whoami', headers: { 'x-api-key': bare.key } });
    expect(served.statusCode).toBe(200);
    expect(served.json()).toEqual({ id: bare.info.id });
  });

  it('refuses to start with a scope outside the closed list', async () => {
    const app = appWith((api) => api.get('/odd', { config: { scope: 'read:everything' as Scope } }, async () => ({})));
    await expect(app.ready()).rejects.toThrow(/got read:everything/);
  });

  it('answers 401 without a key, 403 for a key without the scope, and the route for a key with it', async () => {
    const app = appWith((api) => api.get('/stats', { config: { scope: 'read:stats' } }, async () => ({ ok: true })));
    await app.ready();
    expect((await app.inject({ url: '/other/stats' })).statusCode).toBe(401);
    const narrow = (await createApiKey(store.db, { name: 'narrow', tier: 'pro', scopes: ['read:iocs'] })).key;
    const refused = await app.inject({ url: '/other/stats', headers: { 'x-api-key': narrow } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toMatchObject({ code: 'insufficient_scope', details: { required_scope: 'read:stats' } });
    expect(refused.headers['x-ratelimit-limit']).toBe('1000');
    const wide = (await createApiKey(store.db, { name: 'wide', tier: 'pro' })).key;
    const served = await app.inject({ url: '/other/stats', headers: { 'x-api-key': wide } });
    expect(served.statusCode).toBe(200);
    expect(served.json()).toEqual({ ok: true });
  });
});

describe.each(BACKENDS)('the failed-authentication budget of an address on %s', (backend) => {
  const { t } = appSuite(backend, { app: { keyCacheTtlMs: 60_000 } });

  it('answers 429 once an address has spent its failed authentications; known keys go on working', async () => {
    await awayFromMinuteEdge();
    const flooder = '192.0.2.10';
    const valid = await t.key('pro');
    // Looked up once from the flooding address: cached from then on.
    expect((await t.app.inject({ url: '/api/v1/iocs?limit=1', headers: { 'x-api-key': valid }, remoteAddress: flooder })).statusCode).toBe(200);
    const guess = () => `sk_live_${crypto.randomBytes(30).toString('hex').slice(0, 40)}`;
    const statuses: number[] = [];
    for (let i = 0; i < FAILED_AUTH_BUDGET.perMinute + 5; i++) {
      statuses.push((await t.app.inject({ url: '/api/v1/iocs', headers: { 'x-api-key': guess() }, remoteAddress: flooder })).statusCode);
    }
    // Each guess is a failure counted; the one that finds the budget spent is the last looked up.
    expect(statuses.slice(0, FAILED_AUTH_BUDGET.perMinute + 1).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(FAILED_AUTH_BUDGET.perMinute + 1).every((s) => s === 429)).toBe(true);
    const refused = await t.app.inject({ url: '/api/v1/iocs', headers: { 'x-api-key': guess() }, remoteAddress: flooder });
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.json().error).toMatchObject({ code: 'rate_limit_exceeded', details: { reason: 'too many failed authentications from this address' } });
    // The cached key still works from that address, and another address is not affected.
    expect((await t.app.inject({ url: '/api/v1/iocs?limit=1', headers: { 'x-api-key': valid }, remoteAddress: flooder })).statusCode).toBe(200);
    const other = await t.key('pro');
    expect((await t.app.inject({ url: '/api/v1/iocs?limit=1', headers: { 'x-api-key': other }, remoteAddress: '198.51.100.7' })).statusCode).toBe(200);
  });
});
