// Strict input, nothing reflected: integers are decimal digits, no parameter carries a NUL into
// a statement, a credential never comes back in a body, and every response says what it is
// (nosniff) and, when keyed, that no shared cache may keep it.
import { beforeAll, describe, expect, it } from 'vitest';
import { appSuite, BACKENDS, openTestStore, startTestApp } from '../helpers.js';

describe.each(BACKENDS)('strict input on %s', (backend) => {
  const { t } = appSuite(backend);
  let pro = '';
  beforeAll(async () => {
    pro = await t.key('pro');
  });

  const get = (url: string) => t.app.inject({ url, headers: { 'x-api-key': pro } });

  it.each([
    ['limit', '0x10'],
    ['limit', '0b11'],
    ['limit', '1e1'],
    ['limit', '%0A5'],
    ['limit', 'Infinity'],
    ['limit', '+5'],
    ['offset', '0x10'],
  ])('refuses %s=%s with 400 naming the parameter', async (name, value) => {
    const res = await get(`/api/v1/iocs?${name}=${value}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_parameter', details: { parameter: name } });
  });

  it('still takes plain decimal integers', async () => {
    const res = await get('/api/v1/iocs?limit=5&offset=0');
    expect(res.statusCode).toBe(200);
    expect(res.json().meta).toMatchObject({ limit: 5, offset: 0 });
  });

  it.each(['abc%00def', '%00%00%00', '1.2.3.4%00'])('refuses q=%s (a NUL) with 400 naming q, not a 500', async (q) => {
    const res = await get(`/api/v1/iocs/search?q=${q}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_parameter', details: { parameter: 'q' } });
  });

  it('never echoes a credential in a body', async () => {
    const second = 'sk_live_' + 'Q'.repeat(40);
    // The header authenticates; the two query keys then fail validation (an array, not a string).
    const res = await get(`/api/v1/iocs?api_key=${pro}&api_key=${second}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_parameter', details: { parameter: 'api_key' } });
    expect(res.body).not.toContain(pro.slice(8));
    expect(res.body).not.toContain(second.slice(8));
  });

  it('never puts a forged Host header in links (PUBLIC_URL unset, no trusted proxy)', async () => {
    const res = await t.app.inject({ url: '/api/v1/iocs?limit=1', headers: { 'x-api-key': pro, host: 'evil.example' } });
    expect(res.statusCode).toBe(200);
    const { links } = res.json() as { links: Record<string, string> };
    for (const link of Object.values(links)) expect(new URL(link).hostname).not.toBe('evil.example');
  });

  it('says nosniff on every response, and private, no-store on keyed ones (private, no-cache on those with an ETag)', async () => {
    for (const url of ['/healthz', '/api/openapi.json', '/api/v1/iocs', '/api/v1/nope']) {
      expect((await t.app.inject({ url })).headers['x-content-type-options'], url).toBe('nosniff');
    }
    for (const url of ['/api/v1/iocs', '/api/v1/iocs/search?q=example.com']) {
      expect((await get(url)).headers['cache-control'], url).toBe('private, no-store');
    }
    for (const url of ['/api/v1/iocs?format=csv', '/api/v1/iocs?format=txt']) {
      const res = await get(url);
      expect(res.headers['cache-control'], url).toBe('private, no-cache');
      expect(res.headers.etag, url).toBeDefined();
    }
    // A refusal is keyed too.
    expect((await t.app.inject({ url: '/api/v1/iocs' })).headers['cache-control']).toBe('private, no-store');
  });
});

describe('UPGRADE_URL', () => {
  it('names the operator\'s page in the refusals a better tier would lift, and only when set', async () => {
    const store = await openTestStore('embedded', { UPGRADE_URL: 'https://intel.example.org/tiers' });
    const t = await startTestApp(store);
    try {
      const free = await t.key('free');
      const refused = await t.app.inject({ url: '/api/v1/iocs/stix', headers: { 'x-api-key': free } });
      expect(refused.statusCode).toBe(403);
      expect(refused.json().error.details).toMatchObject({ upgrade_url: 'https://intel.example.org/tiers' });
      // Not on errors no tier would lift.
      expect((await t.app.inject({ url: '/api/v1/iocs?limit=abc', headers: { 'x-api-key': free } })).json().error.details).not.toHaveProperty('upgrade_url');
    } finally {
      await t.close();
      await store.close();
    }
  });
});

describe('links behind a trusted proxy, and with PUBLIC_URL', () => {
  it('take the host the proxy passed, or the configured base', async () => {
    for (const [env, expected] of [
      [{ TRUST_PROXY: 'true' }, 'intel.example.net'],
      [{ PUBLIC_URL: 'https://intel.example.org' }, 'intel.example.org'],
    ] as const) {
      const store = await openTestStore('embedded', env);
      const t = await startTestApp(store);
      try {
        const key = await t.key('pro');
        const res = await t.app.inject({
          url: '/api/v1/iocs?limit=1',
          headers: { 'x-api-key': key, host: 'evil.example', 'x-forwarded-host': 'intel.example.net', 'x-forwarded-proto': 'https' },
        });
        expect(new URL((res.json() as { links: { self: string } }).links.self).hostname).toBe(expected);
      } finally {
        await t.close();
        await store.close();
      }
    }
  });
});

describe('CORS', () => {
  const preflight = { origin: 'https://soc.example.org', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-api-key' };

  it('is off by default: no CORS header, and a preflight gets no permission', async () => {
    const store = await openTestStore('embedded');
    const t = await startTestApp(store);
    try {
      const key = await t.key('pro');
      const res = await t.app.inject({ url: '/api/v1/iocs?limit=1', headers: { 'x-api-key': key, origin: 'https://soc.example.org' } });
      expect(res.statusCode).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      const options = await t.app.inject({ method: 'OPTIONS', url: '/api/v1/iocs', headers: preflight });
      expect(options.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await t.close();
      await store.close();
    }
  });

  it('with CORS_ORIGINS, answers a listed origin, its preflight without a key, and no other origin', async () => {
    const store = await openTestStore('embedded', { CORS_ORIGINS: 'https://soc.example.org, http://localhost:5173' });
    const t = await startTestApp(store);
    try {
      const options = await t.app.inject({ method: 'OPTIONS', url: '/api/v1/iocs', headers: preflight });
      expect(options.statusCode).toBe(204);
      expect(options.headers['access-control-allow-origin']).toBe('https://soc.example.org');
      expect(String(options.headers['access-control-allow-headers']).toLowerCase()).toContain('x-api-key');
      const key = await t.key('pro');
      const res = await t.app.inject({ url: '/api/v1/iocs?limit=1', headers: { 'x-api-key': key, origin: 'https://soc.example.org' } });
      expect(res.statusCode).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe('https://soc.example.org');
      // A dashboard on that origin reads when the stats are due again, as ours does.
      const stats = await t.app.inject({ url: '/api/v1/iocs/stats', headers: { 'x-api-key': key, origin: 'https://soc.example.org' } });
      expect(String(stats.headers['access-control-expose-headers']).split(/,\s*/)).toEqual(
        expect.arrayContaining(['X-Cache-Updated-At', 'X-Cache-Refresh-Seconds']),
      );
      const other = await t.app.inject({ url: '/api/v1/iocs?limit=1', headers: { 'x-api-key': key, origin: 'https://evil.example' } });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await t.close();
      await store.close();
    }
  });
});
