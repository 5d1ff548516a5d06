// API keys over HTTP: POST/GET/DELETE /api/v1/keys for admin keys, GET /api/v1/me for any key;
// expiry, revocation across instances, usage counters, "admin is not a tier" (migration 0011),
// and the CLI and the HTTP API on one running service.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { KEY_CACHE_TTL_MS } from '../../src/api/auth.js';
import { LIST_FORMATS } from '../../src/export/index.js';
import { createApiKey, createAdminKeyIfMissing, hashApiKey, listApiKeys, listTiers, revokeApiKey } from '../../src/store/keys.js';
import { migrate, readMigrations } from '../../src/store/migrate.js';
import { openPostgres } from '../../src/store/postgres.js';
import { appSuite, BACKENDS, createServerDatabase, startTestApp, tempDir, type TestApp } from '../helpers.js';
import { killStarted, startServe, stop } from '../helpers/serve.js';
import { runSocd } from '../helpers/socd.js';
import { expectError, expectInvalidParameter } from './seed.js';

type Method = 'GET' | 'POST' | 'DELETE';
type KeyBody = {
  id: string;
  name: string;
  prefix: string;
  tier: string;
  scopes: string[];
  admin: boolean;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  usage: { today: number; month: number };
  key?: string;
};

const FIELDS = ['admin', 'created_at', 'expires_at', 'id', 'last_used_at', 'name', 'prefix', 'revoked_at', 'scopes', 'tier', 'usage'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function call(t: TestApp, method: Method, url: string, key?: string, body?: unknown): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method,
    url,
    headers: { ...(key !== undefined && { authorization: `Bearer ${key}` }) },
    ...(body !== undefined && { payload: body as object }),
  });
}

/** Asks `app` with `key` until the answer is `status`, a bounded number of times; the last answer. */
async function until(t: TestApp, key: string, status: number, tries = 200): Promise<LightMyRequestResponse> {
  let res = await call(t, 'GET', '/api/v1/iocs?limit=1', key);
  for (let i = 0; i < tries && res.statusCode !== status; i++) {
    await sleep(10);
    res = await call(t, 'GET', '/api/v1/iocs?limit=1', key);
  }
  return res;
}

describe.each(BACKENDS)('API keys over HTTP on %s', (backend) => {
  const { store, t } = appSuite(backend);
  let admin: { key: string; id: string };
  let pro: string;
  let free: string;

  beforeAll(async () => {
    const made = await createApiKey(store.db, { name: 'ops', tier: 'pro', admin: true });
    admin = { key: made.key, id: made.info.id };
    pro = (await createApiKey(store.db, { name: 'analyst', tier: 'pro' })).key;
    free = (await createApiKey(store.db, { name: 'reader', tier: 'free' })).key;
  });

  describe('POST /api/v1/keys', () => {
    it("creates a key, shown once with no-store: the caller's tier, the tier's scopes, never admin, no expiry", async () => {
      const res = await call(t, 'POST', '/api/v1/keys', admin.key, { name: 'new analyst' });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.headers['cache-control']).toBe('no-store');
      const { data } = res.json() as { data: KeyBody };
      expect(Object.keys(data).sort()).toEqual([...FIELDS, 'key'].sort());
      expect(data).toMatchObject({
        name: 'new analyst',
        tier: 'pro',
        scopes: ['read:iocs', 'read:stix', 'read:stats'],
        admin: false,
        expires_at: null,
        last_used_at: null,
        revoked_at: null,
        usage: { today: 0, month: 0 },
      });
      expect(data.key).toMatch(/^sk_live_[0-9A-Za-z]{40}$/);
      expect(data.prefix).toBe(data.key!.slice(0, 12));
      // Stored as its hash alone; listed without it.
      const [row] = await store.db.query<{ key_hash: Uint8Array }>('select key_hash from api_keys where id = $1', [data.id]);
      expect(Buffer.from(row!.key_hash).equals(hashApiKey(data.key!))).toBe(true);
      const listed = await call(t, 'GET', '/api/v1/keys', admin.key);
      expect(listed.body).not.toContain(data.key!.slice(12));
      // Nothing logs it, nor the request body.
      expect(t.logs.raw.join('\n')).not.toContain(data.key!.slice(12));
      // It works, and it is no admin.
      expect((await call(t, 'GET', '/api/v1/iocs/stats', data.key)).statusCode).not.toBe(401);
      expectError(await call(t, 'GET', '/api/v1/keys', data.key), 403, 'insufficient_scope');
    });

    it('grants admin only when asked, by admin: true or in scopes, and expiry by date or days', async () => {
      const flagged = (await call(t, 'POST', '/api/v1/keys', admin.key, { name: 'ops 2', admin: true })).json() as { data: KeyBody };
      expect(flagged.data).toMatchObject({ scopes: ['read:iocs', 'read:stix', 'read:stats', 'admin'], admin: true });
      expect((await call(t, 'GET', '/api/v1/keys', flagged.data.key)).statusCode).toBe(200);
      const named = (await call(t, 'POST', '/api/v1/keys', admin.key, { name: 'ops 3', scopes: ['read:iocs', 'admin'] })).json() as { data: KeyBody };
      expect(named.data).toMatchObject({ scopes: ['read:iocs', 'admin'], admin: true });
      const at = new Date(Date.now() + 3_600_000).toISOString();
      const dated = await call(t, 'POST', '/api/v1/keys', admin.key, { name: 'dated', tier: 'free', expires_at: at });
      expect(dated.statusCode).toBe(201);
      expect((dated.json() as { data: KeyBody }).data).toMatchObject({ tier: 'free', scopes: ['read:iocs'], expires_at: at });
      const before = Date.now();
      const days = (await call(t, 'POST', '/api/v1/keys', admin.key, { name: 'week', expires_in_days: 7 })).json() as { data: KeyBody };
      const expires = Date.parse(days.data.expires_at!);
      expect(expires).toBeGreaterThanOrEqual(before + 7 * 86_400_000);
      expect(expires).toBeLessThan(before + 7 * 86_400_000 + 60_000);
    });

    it('answers each invalid field with a 400 naming it', async () => {
      const future = new Date(Date.now() + 86_400_000).toISOString();
      const cases: [unknown, string][] = [
        [{}, 'name'],
        [{ name: '' }, 'name'],
        [{ name: 'x'.repeat(101) }, 'name'],
        [{ name: '   ' }, 'name'],
        [{ name: 'bell\u0007' }, 'name'],
        [{ name: 'x', tier: 'gold' }, 'tier'],
        [{ name: 'x', scopes: ['write:everything'] }, 'scopes'],
        [{ name: 'x', scopes: 'read:iocs' }, 'scopes'],
        [{ name: 'x', scopes: ['read:iocs', 'read:iocs'] }, 'scopes'],
        [{ name: 'x', tier: 'free', scopes: ['read:stix'] }, 'scopes'],
        [{ name: 'x', admin: 'yes' }, 'admin'],
        [{ name: 'x', admin: false, scopes: ['admin'] }, 'admin'],
        [{ name: 'x', expires_at: 'tomorrow' }, 'expires_at'],
        [{ name: 'x', expires_at: '2027-01-01' }, 'expires_at'],
        [{ name: 'x', expires_at: '2001-01-01T00:00:00Z' }, 'expires_at'],
        [{ name: 'x', expires_in_days: 0 }, 'expires_in_days'],
        [{ name: 'x', expires_in_days: 1.5 }, 'expires_in_days'],
        [{ name: 'x', expires_in_days: 36_501 }, 'expires_in_days'],
        [{ name: 'x', expires_at: future, expires_in_days: 3 }, 'expires_in_days'],
        [{ name: 'x', colour: 'red' }, 'colour'],
      ];
      const before = (await listApiKeys(store.db)).length;
      for (const [body, parameter] of cases) {
        const res = await call(t, 'POST', '/api/v1/keys', admin.key, body);
        expect(res.statusCode, `${JSON.stringify(body)}: ${res.body}`).toBe(400);
        expectInvalidParameter(res, parameter);
      }
      expect((await call(t, 'POST', '/api/v1/keys', admin.key, { name: 'x', tier: 'gold' })).json().error).toMatchObject({
        message: 'Unknown tier "gold"; tiers: free, pro.',
        details: { parameter: 'tier', allowed: ['free', 'pro'] },
      });
      // Not JSON at all, or no body.
      const text = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: { authorization: `Bearer ${admin.key}`, 'content-type': 'application/json' }, payload: '{name' });
      expectError(text, 400, 'bad_request');
      expectInvalidParameter(await call(t, 'POST', '/api/v1/keys', admin.key), 'body');
      expect((await listApiKeys(store.db)).length).toBe(before);
    });

    it('lets a key grant neither a scope it lacks, nor a tier above its own, nor a key that outlives it (403)', async () => {
      const freeAdmin = (await createApiKey(store.db, { name: 'free ops', tier: 'free', admin: true })).key;
      const above = expectError(await call(t, 'POST', '/api/v1/keys', freeAdmin, { name: 'x', tier: 'pro' }), 403, 'insufficient_scope');
      expect(above.message).toBe('The pro tier is above the free tier of the calling key.');
      expect(above.details).toMatchObject({ parameter: 'tier', your_tier: 'free' });
      // Its own tier by default.
      expect((await call(t, 'POST', '/api/v1/keys', freeAdmin, { name: 'x' })).json().data).toMatchObject({ tier: 'free', scopes: ['read:iocs'] });

      const narrowAdmin = (await createApiKey(store.db, { name: 'narrow ops', tier: 'pro', scopes: ['read:iocs'], admin: true })).key;
      const lacking = expectError(await call(t, 'POST', '/api/v1/keys', narrowAdmin, { name: 'x', scopes: ['read:iocs', 'read:stix'] }), 403, 'insufficient_scope');
      expect(lacking.details).toMatchObject({ parameter: 'scopes', your_scopes: ['read:iocs', 'admin'] });
      // By default, the tier's scopes that the caller has.
      expect((await call(t, 'POST', '/api/v1/keys', narrowAdmin, { name: 'x' })).json().data).toMatchObject({ tier: 'pro', scopes: ['read:iocs'] });

      const at = new Date(Date.now() + 3_600_000);
      const temporary = (await createApiKey(store.db, { name: 'temporary ops', tier: 'pro', admin: true, expiresAt: at })).key;
      const inherited = (await call(t, 'POST', '/api/v1/keys', temporary, { name: 'x' })).json() as { data: KeyBody };
      expect(inherited.data.expires_at).toBe(at.toISOString());
      for (const body of [{ expires_in_days: 2 }, { expires_at: new Date(at.getTime() + 1000).toISOString() }]) {
        const error = expectError(await call(t, 'POST', '/api/v1/keys', temporary, { name: 'x', ...body }), 403, 'insufficient_scope');
        expect(error.details).toMatchObject({ parameter: Object.keys(body)[0], your_expires_at: at.toISOString() });
      }
    });
  });

  it('refuses every /keys route to a key without admin (403), and to no key (401)', async () => {
    const someId = crypto.randomUUID();
    for (const key of [pro, free]) {
      for (const [method, url] of [
        ['POST', '/api/v1/keys'],
        ['GET', '/api/v1/keys'],
        ['DELETE', `/api/v1/keys/${someId}`],
      ] as [Method, string][]) {
        const error = expectError(await call(t, method, url, key, method === 'POST' ? { name: 'x' } : undefined), 403, 'insufficient_scope');
        expect(error.details).toMatchObject({ required_scope: 'admin' });
        expectError(await call(t, method, url, undefined, method === 'POST' ? { name: 'x' } : undefined), 401, 'missing_api_key');
      }
    }
  });

  it('GET /api/v1/keys: every key with its metadata, prefix and usage, never the key', async () => {
    const made = await createApiKey(store.db, { name: 'listed', tier: 'free' });
    for (let i = 0; i < 3; i++) expect((await call(t, 'GET', '/api/v1/iocs?limit=1', made.key)).statusCode).toBe(200);
    const res = await call(t, 'GET', '/api/v1/keys', admin.key);
    expect(res.statusCode).toBe(200);
    const body = res.json() as { meta: { total: number; generated_at: string }; data: KeyBody[] };
    expect(body.meta.total).toBe(body.data.length);
    expect(body.data.map((k) => k.id)).toEqual((await listApiKeys(store.db)).map((k) => k.id));
    const listed = body.data.find((k) => k.id === made.info.id)!;
    expect(Object.keys(listed).sort()).toEqual(FIELDS);
    // This instance's counts are there before they are flushed, and after.
    expect(listed.usage).toEqual({ today: 3, month: 3 });
    await t.authenticator.flush();
    const flushed = ((await call(t, 'GET', '/api/v1/keys', admin.key)).json() as { data: KeyBody[] }).data.find((k) => k.id === made.info.id)!;
    expect(flushed.usage).toEqual({ today: 3, month: 3 });
    expect(flushed.last_used_at).not.toBeNull();
    expect(res.body).not.toContain(made.key.slice(12));
  });

  describe('DELETE /api/v1/keys/{id}', () => {
    it('revokes the key at once (this instance answers after dropping it), and answers with it', async () => {
      // A key cache as long as a test: only the revocation can explain a 401.
      const cached = await startTestApp(store, { keyCacheTtlMs: 600_000 });
      try {
        const victim = await createApiKey(store.db, { name: 'victim', tier: 'free' });
        expect((await call(cached, 'GET', '/api/v1/iocs?limit=1', victim.key)).statusCode).toBe(200);
        const res = await call(cached, 'DELETE', `/api/v1/keys/${victim.info.id}`, admin.key);
        expect(res.statusCode, res.body).toBe(200);
        const { data } = res.json() as { data: KeyBody };
        expect(data).toMatchObject({ id: victim.info.id, name: 'victim' });
        expect(Date.parse(data.revoked_at!)).not.toBeNaN();
        expectError(await call(cached, 'GET', '/api/v1/iocs?limit=1', victim.key), 401, 'invalid_api_key');
        // Revoked once: then there is no active key of that id.
        expectError(await call(cached, 'DELETE', `/api/v1/keys/${victim.info.id}`, admin.key), 404, 'not_found');
      } finally {
        await cached.close();
      }
    });

    it('answers 404 for an unknown id and 400 naming id for a malformed one', async () => {
      const unknown = expectError(await call(t, 'DELETE', `/api/v1/keys/${crypto.randomUUID()}`, admin.key), 404, 'not_found');
      expect(unknown.message).toMatch(/^No active API key has the id /);
      for (const id of ['not-an-id', '123', `urn:uuid:${crypto.randomUUID()}`]) {
        expectInvalidParameter(await call(t, 'DELETE', `/api/v1/keys/${encodeURIComponent(id)}`, admin.key), 'id');
      }
    });

    it('keeps the last admin key that works (409), and lets a key revoke itself', async () => {
      // Only this suite's admin keys: revoke the others, as an operator would.
      const admins = (await listApiKeys(store.db)).filter((k) => k.admin && !k.revoked_at && k.id !== admin.id);
      for (const k of admins) expect(await revokeApiKey(store.db, k.id)).toBe(true);
      const last = expectError(await call(t, 'DELETE', `/api/v1/keys/${admin.id}`, admin.key), 409, 'last_admin_key');
      expect(last.details).toMatchObject({ parameter: 'id' });
      expect(last.message).toContain('socd keys revoke --force');
      // An expired admin key does not count as one that works.
      const expired = await createApiKey(store.db, { name: 'expired ops', tier: 'pro', admin: true });
      await store.db.query(`update api_keys set expires_at = now() - interval '1 minute' where id = $1`, [expired.info.id]);
      expectError(await call(t, 'DELETE', `/api/v1/keys/${admin.id}`, admin.key), 409, 'last_admin_key');
      // With another admin key, the key revokes itself; its next request is refused.
      const next = (await call(t, 'POST', '/api/v1/keys', admin.key, { name: 'next ops', admin: true })).json() as { data: KeyBody };
      expect((await call(t, 'DELETE', `/api/v1/keys/${admin.id}`, admin.key)).statusCode).toBe(200);
      expectError(await call(t, 'GET', '/api/v1/keys', admin.key), 401, 'invalid_api_key');
      admin = { key: next.data.key!, id: next.data.id };
    });
  });

  describe('expiry', () => {
    afterEach(() => vi.useRealTimers());

    it('refuses a key past its expires_at with 401 expired_api_key, saying when', async () => {
      const made = await createApiKey(store.db, { name: 'short', tier: 'free', expiresAt: new Date(Date.now() + 60_000) });
      expect((await call(t, 'GET', '/api/v1/iocs?limit=1', made.key)).statusCode).toBe(200);
      const [row] = await store.db.query<{ expires_at: Date }>(
        `update api_keys set expires_at = date_trunc('second', now()) - interval '1 second' where id = $1 returning expires_at`,
        [made.info.id],
      );
      const error = expectError(await call(t, 'GET', '/api/v1/iocs?limit=1', made.key), 401, 'expired_api_key');
      expect(error.message).toBe(`The API key expired at ${row!.expires_at.toISOString()}.`);
      expect(error.details).toEqual({ expired_at: row!.expires_at.toISOString() });
      expectError(await call(t, 'GET', '/api/v1/me', made.key), 401, 'expired_api_key');
    });

    it('never serves a cached key past its expiry; keys without one stay valid', async () => {
      const cached = await startTestApp(store, { keyCacheTtlMs: 600_000 });
      try {
        const at = new Date(Date.now() + 60_000);
        const made = await createApiKey(store.db, { name: 'cached short', tier: 'free', expiresAt: at });
        const forever = await createApiKey(store.db, { name: 'forever', tier: 'free' });
        for (const key of [made.key, forever.key]) expect((await call(cached, 'GET', '/api/v1/iocs?limit=1', key)).statusCode).toBe(200);
        // Two minutes later, by this process's clock (the cache's entries live ten).
        vi.useFakeTimers({ toFake: ['Date'] });
        vi.setSystemTime(Date.now() + 120_000);
        expectError(await call(cached, 'GET', '/api/v1/iocs?limit=1', made.key), 401, 'expired_api_key');
        expect((await call(cached, 'GET', '/api/v1/iocs?limit=1', forever.key)).statusCode).toBe(200);
      } finally {
        vi.useRealTimers();
        await cached.close();
      }
    });
  });

  it('revocation reaches another instance at once: it drops that key from its cache, and only that key', async () => {
    // Two instances on one store, each caching keys for ten minutes.
    const a = await startTestApp(store, { keyCacheTtlMs: 600_000 });
    const b = await startTestApp(store, { keyCacheTtlMs: 600_000 });
    try {
      expect(a.authenticator.listening && b.authenticator.listening).toBe(true);
      const victim = await createApiKey(store.db, { name: 'victim elsewhere', tier: 'free' });
      const bystander = await createApiKey(store.db, { name: 'bystander', tier: 'free' });
      for (const app of [a, b]) for (const key of [victim.key, bystander.key]) expect((await call(app, 'GET', '/api/v1/iocs?limit=1', key)).statusCode).toBe(200);
      // The caches do serve: a change in SQL that nobody notifies goes unseen.
      await store.db.query('update api_keys set revoked_at = now() where id = $1', [bystander.info.id]);
      for (const app of [a, b]) expect((await call(app, 'GET', '/api/v1/iocs?limit=1', bystander.key)).statusCode).toBe(200);

      expect((await call(a, 'DELETE', `/api/v1/keys/${victim.info.id}`, admin.key)).statusCode).toBe(200);
      expectError(await call(a, 'GET', '/api/v1/iocs?limit=1', victim.key), 401, 'invalid_api_key');
      // The other instance hears of it when the revocation commits: within a few round trips.
      expectError(await until(b, victim.key, 401), 401, 'invalid_api_key');
      expect((await call(b, 'GET', '/api/v1/iocs?limit=1', bystander.key)).statusCode).toBe(200);

      // The CLI's revocation goes through the same store function, and is heard the same way.
      const other = await createApiKey(store.db, { name: 'revoked by the operator', tier: 'free' });
      expect((await call(b, 'GET', '/api/v1/iocs?limit=1', other.key)).statusCode).toBe(200);
      expect(await revokeApiKey(store.db, other.info.id)).toBe(true);
      expectError(await until(b, other.key, 401), 401, 'invalid_api_key');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('clears its cache when the connection that hears revocations is lost, and listens again', async () => {
    const cached = await startTestApp(store, { keyCacheTtlMs: 600_000 });
    try {
      const made = await createApiKey(store.db, { name: 'unheard', tier: 'free' });
      expect((await call(cached, 'GET', '/api/v1/iocs?limit=1', made.key)).statusCode).toBe(200);
      await store.db.query('update api_keys set revoked_at = now() where id = $1', [made.info.id]);
      expect((await call(cached, 'GET', '/api/v1/iocs?limit=1', made.key)).statusCode).toBe(200);
      // The server ends the listening connections of this database: what they missed is unknown.
      const ended = await store.db.query<{ ok: boolean }>(
        `select pg_terminate_backend(pid) as ok from pg_stat_activity
          where datname = current_database() and application_name like '% (listen)'`,
      );
      expect(ended.length).toBeGreaterThan(0);
      expectError(await until(cached, made.key, 401), 401, 'invalid_api_key');
      for (let i = 0; i < 200 && !cached.authenticator.listening; i++) await sleep(10);
      expect(cached.authenticator.listening).toBe(true);
      // Listening again, it caches again.
      const next = await createApiKey(store.db, { name: 'heard again', tier: 'free' });
      expect((await call(cached, 'GET', '/api/v1/iocs?limit=1', next.key)).statusCode).toBe(200);
      await store.db.query('update api_keys set revoked_at = now() where id = $1', [next.info.id]);
      expect((await call(cached, 'GET', '/api/v1/iocs?limit=1', next.key)).statusCode).toBe(200);
    } finally {
      await cached.close();
    }
  });

  describe('GET /api/v1/me', () => {
    it("answers any valid key with its tier, scopes, formats, limits and usage", async () => {
      const made = await createApiKey(store.db, { name: 'me', tier: 'free' });
      for (let i = 0; i < 2; i++) await call(t, 'GET', '/api/v1/iocs?limit=1', made.key);
      const res = await call(t, 'GET', '/api/v1/me', made.key);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({
        data: {
          key: { id: made.info.id, name: 'me', prefix: made.key.slice(0, 12), created_at: made.info.created_at.toISOString(), expires_at: null },
          tier: { name: 'free', requests_per_minute: 10, requests_per_day: 1000, lookback_days: 1, max_limit: 100 },
          scopes: ['read:iocs'],
          admin: false,
          formats: ['json'],
          // The two requests and this one.
          usage: { today: 3, month: 3 },
          rate_limit: {
            limit: 10,
            remaining: Number(res.headers['x-ratelimit-remaining']),
            reset_at: new Date(Number(res.headers['x-ratelimit-reset']) * 1000).toISOString(),
            day_limit: 1000,
            day_remaining: Number(res.headers['x-ratelimit-remaining-day']),
          },
        },
      });
      expect(res.json().data.rate_limit.remaining).toBe(7);
      const mine = (await call(t, 'GET', '/api/v1/me', admin.key)).json().data;
      expect(mine).toMatchObject({ admin: true, scopes: ['read:iocs', 'read:stix', 'read:stats', 'admin'], formats: LIST_FORMATS });
      // A key with no scope at all may still ask who it is.
      const bare = (await createApiKey(store.db, { name: 'bare', tier: 'pro', scopes: [] })).key;
      expect((await call(t, 'GET', '/api/v1/me', bare)).json().data).toMatchObject({ scopes: [], formats: [], admin: false });
      expectError(await call(t, 'GET', '/api/v1/iocs', bare), 403, 'insufficient_scope');
      expectError(await call(t, 'GET', '/api/v1/me'), 401, 'missing_api_key');
    });

    it('tells any key what each tier gives, as the tiers table holds it', async () => {
      const free = (await createApiKey(store.db, { name: 'curious', tier: 'free' })).key;
      const res = await call(t, 'GET', '/api/v1/tiers', free);
      expect(res.statusCode).toBe(200);
      const tiers = res.json().data as { name: string }[];
      expect(tiers).toEqual(
        (await listTiers(store.db)).map((tier) => ({
          name: tier.name,
          rank: tier.rank,
          requests_per_minute: tier.requests_per_minute,
          requests_per_day: tier.requests_per_day,
          lookback_days: tier.lookback_days,
          max_limit: tier.max_limit,
          formats: tier.list_formats,
          scopes: tier.scopes,
        })),
      );
      expect(tiers.map((tier) => tier.name)).toEqual(['free', 'pro']);
      expect(res.json().data[1]).toMatchObject({ lookback_days: 365, requests_per_minute: 1000 });
      expectError(await call(t, 'GET', '/api/v1/tiers'), 401, 'missing_api_key');
    });

    it("counts usage across instances once they flush: another instance's counts reach the store", async () => {
      const made = await createApiKey(store.db, { name: 'busy', tier: 'pro' });
      const other = await startTestApp(store);
      try {
        for (let i = 0; i < 4; i++) expect((await call(other, 'GET', '/api/v1/iocs?limit=1', made.key)).statusCode).toBe(200);
        // Not yet flushed by the other instance: this one has only its own request.
        expect((await call(t, 'GET', '/api/v1/me', made.key)).json().data.usage).toEqual({ today: 1, month: 1 });
        await other.authenticator.flush();
        expect((await call(t, 'GET', '/api/v1/me', made.key)).json().data.usage).toEqual({ today: 6, month: 6 });
        // Days are UTC days, and the month adds them up.
        const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
        await store.db.query('insert into api_key_usage (key_id, day, requests) values ($1, $2, 10)', [made.info.id, yesterday]);
        const usage = (await call(t, 'GET', '/api/v1/me', made.key)).json().data.usage as { today: number; month: number };
        const sameMonth = yesterday.slice(0, 7) === new Date().toISOString().slice(0, 7);
        expect(usage).toEqual({ today: 7, month: sameMonth ? 17 : 7 });
      } finally {
        await other.close();
      }
    });
  });
});

describe.each(BACKENDS)('migration 0011 on %s: admin is not a tier', (backend) => {
  let server: Awaited<ReturnType<typeof createServerDatabase>>;
  let db: ReturnType<typeof openPostgres>;
  beforeAll(async () => {
    server = await createServerDatabase(backend);
    db = openPostgres({ kind: 'external', connectionString: server.url, poolSize: 2, statementTimeoutMs: 30_000 });
  });
  afterAll(async () => {
    await db?.close();
    await server?.drop();
  });

  it('takes admin from every key but the first-start one, and says so', async () => {
    await migrate(db, readMigrations().filter((m) => m.version < 11));
    // As 0010 left them: the first start's key, then keys made with every pro scope, admin included.
    const insert = `insert into api_keys (name, prefix, key_hash, tier, scopes, created_at)
      values ($1, 'sk_live_xxxx', $2, $3, $4, now() - $5::interval) returning id`;
    const add = async (name: string, tier: string, scopes: string[], age: string) =>
      (await db.query<{ id: string }>(insert, [name, crypto.randomBytes(32), tier, scopes, age]))[0]!.id;
    const first = await add('admin', 'pro', ['read:iocs', 'read:stix', 'read:stats', 'admin'], '3 days');
    const analyst = await add('analyst', 'pro', ['read:iocs', 'read:stix', 'read:stats', 'admin'], '2 days');
    const copycat = await add('admin', 'pro', ['read:iocs', 'admin'], '1 day');
    const reader = await add('reader', 'free', ['read:iocs'], '1 hour');

    const notes: string[] = [];
    const through0011 = readMigrations().filter((m) => m.version <= 11);
    expect(await migrate(db, through0011, (note) => notes.push(note))).toEqual(['0011_keys']);
    const scopes = Object.fromEntries(
      (await db.query<{ id: string; scopes: string[] }>('select id, scopes from api_keys')).map((row) => [row.id, row.scopes]),
    );
    expect(scopes).toEqual({
      [first]: ['read:iocs', 'read:stix', 'read:stats', 'admin'],
      [analyst]: ['read:iocs', 'read:stix', 'read:stats'],
      [copycat]: ['read:iocs'],
      [reader]: ['read:iocs'],
    });
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^migration 0011_keys: removed the admin scope from 2 API key\(s\), which had it as part of the pro tier: /);
    expect(notes[0]).toContain(`${analyst} (analyst)`);
    expect(notes[0]).toContain(`${copycat} (admin)`);
    expect(notes[0]).toContain('socd keys create --admin');
    expect(await db.query('select name, rank, scopes from tiers order by rank')).toEqual([
      { name: 'free', rank: 0, scopes: ['read:iocs'] },
      { name: 'pro', rank: 1, scopes: ['read:iocs', 'read:stix', 'read:stats'] },
    ]);
    // Applied once: a second run neither changes nor says anything.
    expect(await migrate(db, through0011, (note) => notes.push(note))).toEqual([]);
    expect(notes).toHaveLength(1);
    // The first-start key of a new store gets admin by name.
    await db.query('delete from api_keys');
    const made = await createAdminKeyIfMissing(db);
    expect(made?.info).toMatchObject({ name: 'admin', tier: 'pro', scopes: ['read:iocs', 'read:stix', 'read:stats', 'admin'], admin: true });
  });
});

describe('the CLI and the HTTP API on one running service (embedded store)', () => {
  let dataDir = '';
  beforeAll(() => {
    dataDir = tempDir('socd-keys-serve-');
  });
  afterEach(killStarted);
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('socd keys revoke, while the service runs, is refused by it at once; keys made over HTTP are listed by the CLI', async () => {
    const served = await startServe({ DATA_DIR: dataDir });
    try {
      const adminKey = fs.readFileSync(path.join(dataDir, 'admin-key'), 'utf8').trim();
      const env = { DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
      const api = (method: Method, url: string, key: string, body?: unknown) =>
        fetch(`${served.url}${url}`, {
          method,
          headers: { authorization: `Bearer ${key}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        });

      // Made over HTTP, listed by the CLI with the same fields.
      const created = (await (await api('POST', '/api/v1/keys', adminKey, { name: 'made over http', tier: 'free' })).json()) as { data: KeyBody };
      const listed = JSON.parse((await runSocd(['keys', 'list', '--json'], env)).stdout) as KeyBody[];
      const fromCli = listed.find((k) => k.id === created.data.id)!;
      const { key: _key, ...fields } = created.data;
      expect(fromCli).toEqual(fields);
      expect(listed.find((k) => k.name === 'admin')).toMatchObject({ admin: true, tier: 'pro' });

      // Made by the CLI, used (so cached by the service), revoked by the CLI: refused at once.
      const made = JSON.parse((await runSocd(['keys', 'create', '--tier', 'free', '--name', 'made by the cli', '--json'], env)).stdout) as KeyBody;
      expect((await api('GET', '/api/v1/iocs?limit=1', made.key!)).status).toBe(200);
      const warmedAt = Date.now();
      const revoked = await runSocd(['keys', 'revoke', made.id], env);
      expect(revoked).toMatchObject({ code: 0, stdout: `Revoked ${made.id}.\n` });
      // The notification may arrive a moment after the CLI has exited: a few tries, 10 ms apart.
      let refused = await api('GET', '/api/v1/iocs?limit=1', made.key!);
      for (let i = 0; i < 50 && refused.status === 200; i++) {
        await sleep(10);
        refused = await api('GET', '/api/v1/iocs?limit=1', made.key!);
      }
      // Within the cache's lifetime, so that only the notification explains the refusal.
      expect(Date.now() - warmedAt).toBeLessThan(KEY_CACHE_TTL_MS);
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
      // And HTTP sees the CLI's keys.
      const all = (await (await api('GET', '/api/v1/keys', adminKey)).json()) as { data: KeyBody[] };
      expect(all.data.find((k) => k.id === made.id)?.revoked_at).not.toBeNull();
    } finally {
      await stop(served);
    }
  });
});
