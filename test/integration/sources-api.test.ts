// GET /api/v1/sources: the source catalogue with each source's health and last run, as a
// monitoring client reads it, on the embedded store and on PostgreSQL.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCatalogue } from '../../src/ingest/catalogue.js';
import { importIocList } from '../../src/ingest/import-list.js';
import { runSource } from '../../src/ingest/pipeline.js';
import { syncSourceCatalogue } from '../../src/ingest/setup.js';
import { CATEGORIES } from '../../src/ioc/types.js';
import { addSource, findSource, setSourceEnabled } from '../../src/store/sources.js';
import { refreshStats } from '../../src/store/stats.js';
import { appSuite, BACKENDS, readFixture } from '../helpers.js';

const URLHAUS_FILE = 'feeds/urlhaus-csv-online-2026-08-18-head.csv';
/** The credential of the keyed loopback feed: it must never come out of the API. */
const SECRET = 'loopback-secret-7f3a9c1e';
const SECRET_ENV = 'SOCD_TEST_SOURCES_API_KEY';

interface SourceBody {
  name: string;
  kind: string;
  url: string | null;
  category: string;
  enabled: boolean;
  origin: string;
  interval_seconds: number | null;
  stale_after_seconds: number | null;
  credentials: { header: string; env: string; set: boolean } | null;
  health: { status: 'healthy' | 'degraded' | 'error'; reason: string | null };
  last_run_at: string | null;
  last_success_at: string | null;
  last_new_at: string | null;
  records: number;
  last_run: null | {
    started_at: string;
    finished_at: string;
    outcome: string;
    http_status: number | null;
    error: string | null;
    fetched: number;
    parsed: number;
    new: number;
    updated: number;
    suppressed: number;
    rejected: number;
    articles: number;
    fetch_ms: number;
    parse_ms: number;
    store_ms: number;
  };
}
interface ListBody {
  meta: { generated_at: string; feed_version: string; source: string; total: number };
  data: SourceBody[];
}

/** A feed on loopback that answers 401 unless its Auth-Key header carries SECRET. */
async function startKeyedFeed(): Promise<{ url: string; close: () => Promise<void> }> {
  const body = readFixture('feeds/feodotracker-ipblocklist-2026-07-24.json');
  const server = http.createServer((req, res) => {
    if (req.headers['auth-key'] !== SECRET) res.writeHead(401, { 'content-type': 'text/plain' }).end('unauthorized');
    else res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/ipblocklist.json`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe.each(BACKENDS)('GET /api/v1/sources on %s', (backend) => {
  // As every command and the service do at start: the stored catalogue follows the reviewed file.
  const { store, t } = appSuite(backend, { seed: (db) => syncSourceCatalogue(db) });
  /** A key with the read:iocs scope only: all this endpoint needs. */
  let reader = '';
  let feed: Awaited<ReturnType<typeof startKeyedFeed>>;

  beforeAll(async () => {
    feed = await startKeyedFeed();
    reader = await t.key('pro', ['read:iocs']);
  });
  afterAll(async () => {
    delete process.env[SECRET_ENV];
    await feed?.close();
  });

  const get = (url: string, key?: string) => t.app.inject({ url, headers: key ? { 'x-api-key': key } : {} });
  async function list(): Promise<ListBody> {
    const res = await get('/api/v1/sources', reader);
    expect(res.statusCode).toBe(200);
    return res.json() as ListBody;
  }
  const byName = (body: ListBody, name: string) => body.data.find((s) => s.name === name);

  /** The documented error envelope; returns its `error`. */
  function expectEnvelope(res: Awaited<ReturnType<typeof get>>, status: number, code: string) {
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.json();
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error).toMatchObject({ code, message: expect.any(String), request_id: res.headers['x-request-id'] });
    return body.error as { code: string; message: string; details?: Record<string, unknown> };
  }

  it('lists the whole catalogue (30+ sources of every category), each with its health, never run yet', async () => {
    const body = await list();
    const catalogue = readCatalogue();
    expect(catalogue.length).toBeGreaterThanOrEqual(30);
    expect(body.meta).toMatchObject({ feed_version: '1.0', source: 'SOC Defenders', total: catalogue.length });
    expect(Number.isNaN(Date.parse(body.meta.generated_at))).toBe(false);
    expect(body.data.map((s) => s.name).sort()).toEqual(catalogue.map((s) => s.name).sort());
    expect(new Set(body.data.map((s) => s.category))).toEqual(new Set(CATEGORIES));
    for (const s of body.data) {
      expect(s, s.name).toMatchObject({ enabled: true, origin: 'catalogue', last_run: null, last_run_at: null });
      expect(['healthy', 'degraded', 'error']).toContain(s.health.status);
      expect(s.url).toMatch(/^https?:\/\//);
      expect(s.interval_seconds).toBeGreaterThan(0);
    }
    expect(byName(body, 'ThreatFox')).toMatchObject({
      kind: 'threatfox-json',
      url: 'https://threatfox.abuse.ch/export/json/recent/',
      category: 'threat-intel',
      interval_seconds: 3600,
      stale_after_seconds: 6 * 3600,
      credentials: { header: 'Auth-Key', env: 'ABUSECH_AUTH_KEY' },
      health: { status: 'healthy' },
    });
    expect(byName(body, 'CISA KEV')).toMatchObject({ kind: 'cisa-kev', category: 'government', credentials: null });
  });

  it('shows a run: its counts, timings and the health it left', async () => {
    const urlhaus = (await findSource(store.db, 'URLhaus'))!;
    const summary = await runSource(store.db, urlhaus, { body: readFixture(URLHAUS_FILE) });
    expect(summary).toMatchObject({ outcome: 'ok', new: 78 });
    const s = byName(await list(), 'URLhaus')!;
    expect(s.health).toEqual({ status: 'healthy', reason: null });
    expect(s.last_run).toMatchObject({
      outcome: 'ok',
      error: null,
      fetched: 78,
      parsed: 78,
      new: 78,
      updated: 0,
      suppressed: 0,
      rejected: 0,
      articles: 0,
    });
    for (const field of ['fetch_ms', 'parse_ms', 'store_ms'] as const) expect(s.last_run![field]).toBeGreaterThanOrEqual(0);
    expect(Date.parse(s.last_run!.finished_at)).toBeGreaterThanOrEqual(Date.parse(s.last_run!.started_at));
    expect(s.last_success_at).toBe(s.last_run!.finished_at);
    expect(s.last_new_at).toBe(s.last_run!.finished_at);
    // The records endpoint agrees: the 78 URLs are there.
    const pro = await t.key('pro');
    // (With the expired ones: the capture's URLs are past URLhaus's lifetime.)
    const records = (await get('/api/v1/iocs?type=url&include_expired=true&limit=1', pro)).json() as { meta: { total: number } };
    expect(records.meta.total).toBe(78);
  });

  it("counts each source's records as the stats last counted them", async () => {
    await refreshStats(store.db);
    const body = await list();
    expect(byName(body, 'URLhaus')!.records).toBe(78);
    expect(byName(body, 'ThreatFox')!.records).toBe(0);
  });

  it('says why a source fails and whether its credential is set, never the credential', async () => {
    await addSource(store.db, {
      name: 'Loopback keyed feed',
      kind: 'feodo-json',
      url: feed.url,
      category: 'threat-intel',
      intervalSeconds: 3600,
      staleAfterSeconds: null,
      auth: { header: 'Auth-Key', env: SECRET_ENV },
    });
    const source = () => findSource(store.db, 'Loopback keyed feed').then((s) => s!);
    const fast = { attempts: 1, timeoutMs: 5000 };
    // Two runs without the credential: 401 each time, and the source is in error.
    for (let i = 0; i < 2; i++) expect((await runSource(store.db, await source(), { env: {}, fetch: fast })).outcome).toBe('failed');
    let s = byName(await list(), 'Loopback keyed feed')!;
    expect(s).toMatchObject({
      origin: 'operator',
      credentials: { header: 'Auth-Key', env: SECRET_ENV, set: false },
      health: { status: 'error', reason: `the last 2 runs failed: 401 from Loopback keyed feed: Auth-Key missing (set ${SECRET_ENV})` },
      last_run: { outcome: 'failed', http_status: 401, error: `401 from Loopback keyed feed: Auth-Key missing (set ${SECRET_ENV})`, new: 0 },
    });
    expect(s.last_success_at).toBeNull();

    // With the credential set, the next run passes; the credential is said to be set, and its
    // value is nowhere in the answer.
    process.env[SECRET_ENV] = SECRET;
    expect(await runSource(store.db, await source(), { fetch: fast })).toMatchObject({ outcome: 'ok', new: 5 });
    const res = await get('/api/v1/sources', reader);
    expect(res.body).not.toContain(SECRET);
    s = byName(res.json() as ListBody, 'Loopback keyed feed')!;
    expect(s.credentials).toEqual({ header: 'Auth-Key', env: SECRET_ENV, set: true });
    expect(s.health.status).toBe('degraded');
    expect(s.health.reason).toMatch(/^2 of the last 3 runs failed, the latest \d+ s ago: 401 from Loopback keyed feed/);
    expect(s.last_run).toMatchObject({ outcome: 'ok', http_status: 200, new: 5, fetched: 5 });
    expect(t.logs.raw.join('\n')).not.toContain(SECRET);
  });

  it('shows a disabled source as disabled, and leaves out the sources of imported lists', async () => {
    await setSourceEnabled(store.db, 'CISA KEV', false);
    await importIocList(store.db, '203.0.113.200\n', { source: 'Pasted list' });
    const body = await list();
    expect(byName(body, 'CISA KEV')!.enabled).toBe(false);
    expect(byName(body, 'Pasted list')).toBeUndefined();
    expect(body.data.some((s) => s.kind === 'import')).toBe(false);
    expect(body.meta.total).toBe(body.data.length);
    await setSourceEnabled(store.db, 'CISA KEV', true);
    expect(byName(await list(), 'CISA KEV')!.enabled).toBe(true);
  });

  it('needs a key with the read:iocs scope, and answers errors in the envelope', async () => {
    const free = await t.key('free');
    const missing = expectEnvelope(await get('/api/v1/sources'), 401, 'missing_api_key');
    expect(missing.message).toContain('Bearer sk_live_');
    expectEnvelope(await get('/api/v1/sources', 'sk_live_' + 'x'.repeat(40)), 401, 'invalid_api_key');
    const statsOnly = await t.key('pro', ['read:stats']);
    const scope = expectEnvelope(await get('/api/v1/sources', statsOnly), 403, 'insufficient_scope');
    expect(scope.details).toMatchObject({ required_scope: 'read:iocs', your_scopes: ['read:stats'] });
    // The key as ?api_key= works too; any other parameter is refused, by name.
    expect((await get(`/api/v1/sources?api_key=${free}`)).statusCode).toBe(200);
    const unknown = expectEnvelope(await get('/api/v1/sources?health=error', free), 400, 'invalid_parameter');
    expect(unknown.message).toContain('health');
    // Authenticated responses carry the rate-limit headers.
    const ok = await get('/api/v1/sources', free);
    expect(ok.headers['x-ratelimit-limit']).toBe('10');
    expect(ok.headers['x-ratelimit-remaining']).toEqual(expect.any(String));
  });

  it('hides the cause of a 500 behind internal_error', async () => {
    const pro = await t.key('pro');
    await store.db.query('alter table source_runs rename to source_runs_away');
    try {
      const error = expectEnvelope(await get('/api/v1/sources', pro), 500, 'internal_error');
      expect(error.message).not.toMatch(/source_runs|relation|sql/i);
    } finally {
      await store.db.query('alter table source_runs_away rename to source_runs');
    }
    expect((await get('/api/v1/sources', pro)).statusCode).toBe(200);
  });
});
