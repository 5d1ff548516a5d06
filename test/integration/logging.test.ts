// The access log: one structured JSON line per request, with the key's id and never the key.
import { beforeAll, describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/api/app.js';
import { createApiKey } from '../../src/store/keys.js';
import { appSuite, awayFromMinuteEdge, BACKENDS } from '../helpers.js';

describe.each(BACKENDS)('request logging on %s', (backend) => {
  const { store, t } = appSuite(backend);
  let pro: { key: string; id: string };
  let free: { key: string; id: string };
  beforeAll(async () => {
    const p = await createApiKey(store.db, { name: 'log-pro', tier: 'pro' });
    const f = await createApiKey(store.db, { name: 'log-free', tier: 'free' });
    pro = { key: p.key, id: p.info.id };
    free = { key: f.key, id: f.info.id };
  });

  const linesOf = (requestId: string) => t.logs.lines.filter((line) => line.request_id === requestId);

  it('writes exactly one JSON line per request, with its id, key id, status, time, method and URL', async () => {
    const requests = [
      { url: '/api/v1/iocs?limit=2', headers: { authorization: `Bearer ${pro.key}` }, status: 200, keyId: pro.id },
      { url: '/api/v1/iocs/search?q=example.com', headers: { 'x-api-key': pro.key }, status: 200, keyId: pro.id },
      { url: '/api/v1/iocs?type=bogus', headers: { 'x-api-key': pro.key }, status: 400, keyId: pro.id },
      { url: '/api/v1/iocs/stix', headers: { 'x-api-key': free.key }, status: 403, keyId: free.id },
      { url: '/api/v1/iocs', headers: {}, status: 401, keyId: undefined },
      { url: '/healthz', headers: {}, status: 200, keyId: undefined },
      { url: '/nowhere', headers: {}, status: 404, keyId: undefined },
    ];
    for (const r of requests) {
      const before = t.logs.raw.length;
      const res = await t.app.inject({ url: r.url, headers: r.headers });
      expect(res.statusCode).toBe(r.status);
      const id = res.headers['x-request-id'] as string;
      // The line is written when the response ends; inject resolves after that.
      const written = t.logs.lines.slice(before);
      expect(written, `log lines of ${r.url}`).toHaveLength(1);
      expect(linesOf(id)).toHaveLength(1);
      const line = written[0]!;
      expect(line).toMatchObject({
        level: 30,
        msg: 'request',
        service: 'socdefenders',
        request_id: id,
        method: 'GET',
        url: r.url,
        status: r.status,
      });
      expect(line.time).toEqual(expect.any(String));
      expect(line.response_time_ms).toEqual(expect.any(Number));
      expect(line.response_time_ms as number).toBeGreaterThanOrEqual(0);
      expect(line.response_time_ms as number).toBeLessThan(10_000);
      if (r.keyId) expect(line.key_id).toBe(r.keyId);
      else expect(line).not.toHaveProperty('key_id');
    }
  });

  it('logs a rate-limited request with its key id', async () => {
    const { key, info } = await createApiKey(store.db, { name: 'log-limited', tier: 'free' });
    await store.db.query(`update tiers set requests_per_day = 1 where name = 'free'`);
    try {
      expect((await t.app.inject({ url: '/api/v1/iocs?limit=1', headers: { 'x-api-key': key } })).statusCode).toBe(200);
      const res = await t.app.inject({ url: '/api/v1/iocs?limit=1', headers: { 'x-api-key': key } });
      expect(res.statusCode).toBe(429);
      expect(linesOf(res.headers['x-request-id'] as string)).toEqual([
        expect.objectContaining({ msg: 'request', status: 429, key_id: info.id }),
      ]);
    } finally {
      await store.db.query(`update tiers set requests_per_day = 1000 where name = 'free'`);
    }
  });

  it('uses the client request id in the log line', async () => {
    const res = await t.app.inject({ url: '/healthz', headers: { 'x-request-id': 'corr-7f3a' } });
    expect(res.headers['x-request-id']).toBe('corr-7f3a');
    expect(linesOf('corr-7f3a')).toHaveLength(1);
  });

  it('redacts ?api_key= in the logged URL', async () => {
    const res = await t.app.inject({ url: `/api/v1/iocs?limit=1&api_key=${pro.key}&offset=0` });
    expect(res.statusCode).toBe(200);
    const [line] = linesOf(res.headers['x-request-id'] as string);
    expect(line?.url).toBe('/api/v1/iocs?limit=1&api_key=[redacted]&offset=0');
    expect(line?.key_id).toBe(pro.id);
  });

  it('never writes a key to the log, however it was sent and whatever the outcome', async () => {
    const keys = [pro.key, free.key];
    const attempts: { url: string; headers?: Record<string, string>; method?: 'GET' | 'POST' }[] = [];
    for (const key of keys) {
      attempts.push(
        { url: '/api/v1/iocs?limit=1', headers: { authorization: `Bearer ${key}` } },
        { url: '/api/v1/iocs?limit=1', headers: { 'x-api-key': key } },
        { url: `/api/v1/iocs?limit=1&api_key=${key}` },
        { url: `/api/v1/iocs?api_key=${key}&limit=1` },
        // Percent-encoded names and values reach the key too (the query parser decodes them).
        { url: `/api/v1/iocs?api%5Fkey=${key}` },
        { url: `/api/v1/iocs?api_key=${encodeURIComponent(key).replace('_', '%5F')}` },
        { url: `/api/v1/iocs?API_KEY=${key}` },
        // Errors: invalid parameters, scopes, unknown routes, a route under another path.
        { url: `/api/v1/iocs?api_key=${key}&type=bogus` },
        { url: `/api/v1/iocs?api_key=${key}&unknown=1` },
        { url: `/api/v1/iocs/stix?api_key=${key}` },
        { url: `/api/v1/iocs/stats?api_key=${key}` },
        { url: `/api/v1/nothing?api_key=${key}` },
        { url: `/nothing?api_key=${key}` },
        { url: `/api/v1/iocs/${key}` },
        { url: `/api/v1/iocs;api_key=${key}` },
        { url: `/api/v1/iocs?limit=1`, method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' } },
        { url: `/api/v1/iocs?limit=1`, headers: { authorization: `Bearer ${key}x` } },
        { url: `/api/v1/iocs?limit=1`, headers: { authorization: key } },
      );
    }
    const statuses = new Set<number>();
    // The free key's 18 attempts in one minute window: the 11th and later are refused (429).
    await awayFromMinuteEdge();
    for (const a of attempts) {
      const res = await t.app.inject({
        method: a.method ?? 'GET',
        url: a.url,
        headers: a.headers ?? {},
        payload: a.method === 'POST' ? '{}' : undefined,
      });
      statuses.add(res.statusCode);
      expect(linesOf(res.headers['x-request-id'] as string), a.url).toHaveLength(1);
    }
    // The attempts above met every outcome (the free key runs out of its 10 a minute: 429).
    expect([...statuses].sort()).toEqual([200, 400, 401, 403, 404, 429]);
    for (const key of keys) {
      const leaks = t.logs.raw.filter((line) => line.includes(key) || line.includes(key.slice(8)));
      expect(leaks).toEqual([]);
    }
  });
});

describe('redactUrl', () => {
  it('replaces the api_key value and keeps the rest', () => {
    expect(redactUrl('/api/v1/iocs?api_key=abc')).toBe('/api/v1/iocs?api_key=[redacted]');
    expect(redactUrl('/api/v1/iocs?type=ipv4&api_key=abc&limit=5')).toBe('/api/v1/iocs?type=ipv4&api_key=[redacted]&limit=5');
    expect(redactUrl('/api/v1/iocs?Api_Key=abc')).toBe('/api/v1/iocs?Api_Key=[redacted]');
    expect(redactUrl('/api/v1/iocs?api%5Fkey=abc&api%5fkey=def')).toBe('/api/v1/iocs?api%5Fkey=[redacted]&api%5fkey=[redacted]');
    expect(redactUrl('/api/v1/iocs?my_api_key=abc')).toBe('/api/v1/iocs?my_api_key=abc');
    expect(redactUrl('/api/v1/iocs?limit=5')).toBe('/api/v1/iocs?limit=5');
    expect(redactUrl('/healthz')).toBe('/healthz');
    expect(redactUrl('/x?%E0%A4%A=1&api_key=a')).toBe('/x?%E0%A4%A=1&api_key=[redacted]');
  });

  it('replaces anything shaped like a key anywhere in the URL', () => {
    const key = `sk_live_${'A1b2'.repeat(10)}`;
    expect(redactUrl(`/api/v1/iocs/${key}/x`)).toBe('/api/v1/iocs/sk_live_[redacted]/x');
    expect(redactUrl(`/api/v1/iocs?q=${key}`)).toBe('/api/v1/iocs?q=sk_live_[redacted]');
  });
});
