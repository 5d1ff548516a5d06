// API key authentication, the error envelope and request ids, scopes, and how keys are stored.
import crypto from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createApiKey,
  generateApiKey,
  KeyError,
  listApiKeys,
  revokeApiKey,
} from '../../src/store/keys.js';
import { appSuite, BACKENDS, startTestApp } from '../helpers.js';

describe.each(BACKENDS)('API key authentication on %s', (backend) => {
  const { store, t } = appSuite(backend);
  let pro: { key: string; id: string };

  beforeAll(async () => {
    const created = await createApiKey(store.db, { name: 'auth-pro', tier: 'pro' });
    pro = { key: created.key, id: created.info.id };
  });

  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ url, headers });

  /** Asserts the documented error envelope and returns its `error`. */
  function expectEnvelope(res: Awaited<ReturnType<typeof get>>, status: number, code: string) {
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.json();
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error.code).toBe(code);
    expect(typeof body.error.message).toBe('string');
    expect(body.error.message.length).toBeGreaterThan(0);
    expect(body.error.request_id).toBe(res.headers['x-request-id']);
    return body.error as { code: string; message: string; details?: Record<string, unknown>; request_id: string };
  }

  it('accepts the key as Authorization: Bearer, as X-API-Key and as ?api_key=', async () => {
    const bearer = await get('/api/v1/iocs?limit=1', { authorization: `Bearer ${pro.key}` });
    const header = await get('/api/v1/iocs?limit=1', { 'x-api-key': pro.key });
    const query = await get(`/api/v1/iocs?limit=1&api_key=${pro.key}`);
    for (const res of [bearer, header, query]) {
      expect(res.statusCode).toBe(200);
      expect(res.json().meta.limit).toBe(1);
    }
    // The scheme name is case-insensitive (RFC 9110), surrounding blanks are ignored.
    expect((await get('/api/v1/iocs?limit=1', { authorization: `bearer  ${pro.key} ` })).statusCode).toBe(200);
    expect((await get('/api/v1/iocs?limit=1', { 'x-api-key': ` ${pro.key}` })).statusCode).toBe(200);
  });

  it('answers 401 missing_api_key without a key', async () => {
    const error = expectEnvelope(await get('/api/v1/iocs'), 401, 'missing_api_key');
    expect(error.message).toContain('Bearer sk_live_');
    expect(error.details).toBeUndefined();
    expectEnvelope(await get('/api/v1/iocs?api_key='), 401, 'missing_api_key');
    expectEnvelope(await get('/api/v1/iocs/stats', { 'x-api-key': '' }), 401, 'missing_api_key');
  });

  it('answers 401 invalid_api_key for a malformed key', async () => {
    const attempts: Record<string, string>[] = [
      { authorization: 'Bearer sk_live_short' },
      { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` },
      { authorization: 'Bearer' },
      { 'x-api-key': `sk_test_${'a'.repeat(40)}` },
      { 'x-api-key': `${pro.key}!` },
      { 'x-api-key': pro.key.slice(0, -1) + '_' },
    ];
    for (const headers of attempts) {
      expectEnvelope(await get('/api/v1/iocs', headers), 401, 'invalid_api_key');
    }
    expectEnvelope(await get('/api/v1/iocs?api_key=not-a-key'), 401, 'invalid_api_key');
  });

  it('answers 401 invalid_api_key for a well-formed key that was never issued', async () => {
    const unknown = generateApiKey();
    expectEnvelope(await get('/api/v1/iocs', { authorization: `Bearer ${unknown}` }), 401, 'invalid_api_key');
    // One character off a real key.
    const last = pro.key.at(-1) === 'a' ? 'b' : 'a';
    expectEnvelope(await get('/api/v1/iocs', { 'x-api-key': pro.key.slice(0, -1) + last }), 401, 'invalid_api_key');
  });

  it('refuses a revoked key (the test app caches keys for 0 ms)', async () => {
    const { key, info } = await createApiKey(store.db, { name: 'to-revoke', tier: 'free' });
    expect((await get('/api/v1/iocs?limit=1', { 'x-api-key': key })).statusCode).toBe(200);
    expect(await revokeApiKey(store.db, info.id)).toBe(true);
    expectEnvelope(await get('/api/v1/iocs?limit=1', { 'x-api-key': key }), 401, 'invalid_api_key');
    expectEnvelope(await get(`/api/v1/iocs?api_key=${key}`), 401, 'invalid_api_key');
    // Revoking twice, or an id that is not one, reports that nothing was revoked.
    expect(await revokeApiKey(store.db, info.id)).toBe(false);
    expect(await revokeApiKey(store.db, crypto.randomUUID())).toBe(false);
    expect(await revokeApiKey(store.db, 'not-an-id')).toBe(false);
  });

  it('gives every response an X-Request-Id, the same one as the error body, unique per request', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const res = await get('/api/v1/iocs');
      const error = expectEnvelope(res, 401, 'missing_api_key');
      expect(error.request_id).toMatch(/^req_[\w-]{8,}$/);
      ids.add(error.request_id);
    }
    expect(ids.size).toBe(5);
    const ok = await get('/healthz');
    expect(ok.headers['x-request-id']).toMatch(/^req_/);
  });

  it('echoes a sane client X-Request-Id and replaces an insane one', async () => {
    for (const sane of ['trace-1234', 'a1b2c3.d4:e5_f6', 'x'.repeat(128)]) {
      const res = await get('/api/v1/iocs', { 'x-request-id': sane });
      expect(res.headers['x-request-id']).toBe(sane);
      expect(expectEnvelope(res, 401, 'missing_api_key').request_id).toBe(sane);
      expect((await get('/healthz', { 'x-request-id': sane })).headers['x-request-id']).toBe(sane);
    }
    for (const insane of ['has space', 'x'.repeat(129), '<script>alert(1)</script>', 'a/b', 'line\tbreak', '"quoted"']) {
      const res = await get('/api/v1/iocs', { 'x-request-id': insane });
      const id = res.headers['x-request-id'];
      expect(id).not.toBe(insane);
      expect(id).toMatch(/^req_[\w-]+$/);
      expect(expectEnvelope(res, 401, 'missing_api_key').request_id).toBe(id);
    }
  });

  it('refuses a route outside the key scopes with 403 insufficient_scope', async () => {
    const narrow = await createApiKey(store.db, { name: 'iocs-only', tier: 'pro', scopes: ['read:iocs'] });
    const headers = { authorization: `Bearer ${narrow.key}` };
    expect((await get('/api/v1/iocs?limit=1', headers)).statusCode).toBe(200);
    const error = expectEnvelope(await get('/api/v1/iocs/stix', headers), 403, 'insufficient_scope');
    expect(error.message).toContain('read:stix');
    expect(error.details).toMatchObject({ required_scope: 'read:stix', your_scopes: ['read:iocs'], tier: 'pro' });
    // No page about tiers unless the operator names one (UPGRADE_URL).
    expect(error.details).not.toHaveProperty('upgrade_url');
    const stats = expectEnvelope(await get('/api/v1/iocs/stats', headers), 403, 'insufficient_scope');
    expect(stats.details).toMatchObject({ required_scope: 'read:stats', your_scopes: ['read:iocs'] });
    // The same routes with a key that has every pro scope.
    expect((await get('/api/v1/iocs/stix?limit=1', { authorization: `Bearer ${pro.key}` })).statusCode).toBe(200);
  });

  it('gives a free key the free tier scopes only', async () => {
    const free = await t.key('free');
    const error = expectEnvelope(await get('/api/v1/iocs/stix', { 'x-api-key': free }), 403, 'insufficient_scope');
    expect(error.details).toMatchObject({ required_scope: 'read:stix', your_scopes: ['read:iocs'], tier: 'free' });
    expectEnvelope(await get('/api/v1/iocs/stats', { 'x-api-key': free }), 403, 'insufficient_scope');
  });

  it('stores only the SHA-256 of a key, and lists only its prefix', async () => {
    const { key, info } = await createApiKey(store.db, { name: 'hashed', tier: 'pro' });
    expect(key).toMatch(/^sk_live_[0-9A-Za-z]{40}$/);
    const rows = await store.db.query<Record<string, unknown>>('select * from api_keys where id = $1', [info.id]);
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    const hash = Buffer.from(row.key_hash as Uint8Array);
    expect(hash.equals(crypto.createHash('sha256').update(key).digest())).toBe(true);
    // Nothing in the row holds the key, whatever the encoding.
    const dump = JSON.stringify(row, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v));
    expect(dump).not.toContain(key);
    expect(dump).not.toContain(key.slice(12));
    expect(row.prefix).toBe(key.slice(0, 12));
    const listed = (await listApiKeys(store.db)).find((k) => k.id === info.id)!;
    expect(listed.prefix).toBe(key.slice(0, 12));
    expect(JSON.stringify(listed)).not.toContain(key);
    expect(Object.keys(listed).sort()).toEqual(
      ['admin', 'created_at', 'expires_at', 'id', 'last_used_at', 'name', 'prefix', 'revoked_at', 'scopes', 'tier', 'usage'].sort(),
    );
  });

  it('writes last_used_at when the authenticator flushes, not on every request', async () => {
    const { key, info } = await createApiKey(store.db, { name: 'touched', tier: 'free' });
    const lastUsed = async () =>
      (await store.db.query<{ last_used_at: Date | null }>('select last_used_at from api_keys where id = $1', [info.id]))[0]!
        .last_used_at;
    expect(await lastUsed()).toBeNull();
    const before = Date.now();
    expect((await get('/api/v1/iocs?limit=1', { 'x-api-key': key })).statusCode).toBe(200);
    expect(await lastUsed()).toBeNull();
    await t.authenticator.flush();
    const used = await lastUsed();
    expect(used).toBeInstanceOf(Date);
    // The database clock and ours may differ a little.
    expect(Math.abs(used!.getTime() - before)).toBeLessThan(60_000);
  });

  it('writes last_used_at when the app closes', async () => {
    const { key, info } = await createApiKey(store.db, { name: 'touched-on-close', tier: 'free' });
    const other = await startTestApp(store);
    expect((await other.app.inject({ url: '/api/v1/iocs?limit=1', headers: { 'x-api-key': key } })).statusCode).toBe(200);
    await other.close();
    const [row] = await store.db.query<{ last_used_at: Date | null }>('select last_used_at from api_keys where id = $1', [
      info.id,
    ]);
    expect(row!.last_used_at).toBeInstanceOf(Date);
  });

  it('refuses to create a key of an unknown tier, naming the tiers', async () => {
    const attempt = createApiKey(store.db, { name: 'x', tier: 'gold' });
    await expect(attempt).rejects.toBeInstanceOf(KeyError);
    await expect(attempt).rejects.toThrow(/unknown tier "gold"; tiers: free, pro/);
  });

  it('refuses to create a key with a scope its tier does not have', async () => {
    const attempt = createApiKey(store.db, { name: 'x', tier: 'free', scopes: ['read:iocs', 'read:stix'] });
    await expect(attempt).rejects.toBeInstanceOf(KeyError);
    await expect(attempt).rejects.toThrow(/scope read:stix not available on the free tier; allowed: read:iocs/);
    await expect(createApiKey(store.db, { name: 'x', tier: 'pro', scopes: ['write:everything'] })).rejects.toThrow(
      'unknown scope write:everything; scopes: read:iocs, read:stix, read:stats, admin',
    );
    // Scopes are a closed list: a tier row that names another one does not make it a scope.
    await store.db.query(`insert into tiers (name, requests_per_minute, requests_per_day, lookback_days, max_limit, list_formats, scopes)
      values ('odd', 1, 1, 1, 1, '{json}', '{read:iocs,read:everything}')`);
    await expect(createApiKey(store.db, { name: 'x', tier: 'odd' })).rejects.toThrow('unknown scope read:everything');
    await store.db.query(`delete from tiers where name = 'odd'`);
    const [{ n }] = (await store.db.query<{ n: number }>(`select count(*)::int as n from api_keys where name = 'x'`)) as [
      { n: number },
    ];
    expect(n).toBe(0);
  });
});
