// Sources over HTTP for admins: enable, disable and run now, on the embedded store and on
// PostgreSQL, against feeds served on loopback from the real fixture files.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncSourceCatalogue } from '../../src/ingest/setup.js';
import { importIocList } from '../../src/ingest/import-list.js';
import { addSource, dueSources } from '../../src/store/sources.js';
import { appSuite, BACKENDS } from '../helpers.js';
import { FakeUpstream, FEODO_JSON, fixture, serveFixture, status } from './ingest-upstream.js';
import { expectError, expectInvalidParameter } from './seed.js';

const FEED = 'Loopback Feodo';
/** The five C2 addresses of the Feodo Tracker fixture, read from the file itself. */
const FEODO_IPS = (JSON.parse(fixture(FEODO_JSON)) as { ip_address: string }[]).map((row) => row.ip_address).sort();

describe.each(BACKENDS)('sources over HTTP for admins on %s', (backend) => {
  const { store, t } = appSuite(backend, { seed: (db) => syncSourceCatalogue(db) });
  let upstream: FakeUpstream;
  let admin = '';
  let reader = '';

  beforeAll(async () => {
    upstream = await FakeUpstream.start();
    await addSource(store.db, {
      name: FEED,
      kind: 'feodo-json',
      url: upstream.url('/feodo.json'),
      category: 'threat-intel',
      intervalSeconds: 3600,
      staleAfterSeconds: null,
      auth: null,
    });
    admin = await t.key('pro', ['read:iocs', 'admin']);
    reader = await t.key('pro', ['read:iocs', 'read:stix', 'read:stats']);
  });
  afterAll(() => upstream?.close());

  const post = (url: string, key: string) => t.app.inject({ method: 'POST', url, headers: { 'x-api-key': key } });
  const source = async (name: string) => {
    const res = await t.app.inject({ url: '/api/v1/sources', headers: { 'x-api-key': reader } });
    return (res.json() as { data: { name: string; enabled: boolean; last_run: { outcome: string; new: number; error: string | null } | null }[] }).data.find((s) => s.name === name);
  };

  it('refuses a key without the admin scope, whatever its tier', async () => {
    const free = await t.key('free');
    for (const key of [reader, free]) {
      for (const action of ['enable', 'disable', 'run']) {
        const error = expectError(await post(`/api/v1/sources/URLhaus/${action}`, key), 403, 'insufficient_scope');
        expect(error.details).toMatchObject({ required_scope: 'admin' });
      }
    }
    expect((await source('URLhaus'))!.enabled).toBe(true);
  });

  it('disables and enables a source by name in any case: the scheduler follows, the listing says so', async () => {
    const res = await post('/api/v1/sources/urlhaus/disable', admin);
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toMatchObject({ name: 'URLhaus', enabled: false });
    expect((await source('URLhaus'))!.enabled).toBe(false);
    expect((await dueSources(store.db, new Date())).map((s) => s.name)).not.toContain('URLhaus');

    const back = await post('/api/v1/sources/URLhaus/enable', admin);
    expect(back.json().data).toMatchObject({ name: 'URLhaus', enabled: true });
    expect((await dueSources(store.db, new Date())).map((s) => s.name)).toContain('URLhaus');
  });

  it('answers 404 for a name no feed has, and for the source of an imported list', async () => {
    await importIocList(store.db, '203.0.113.77\n', { source: 'Pasted by hand' });
    for (const name of ['No%20such%20feed', 'Pasted%20by%20hand']) {
      for (const action of ['enable', 'disable', 'run']) expectError(await post(`/api/v1/sources/${name}/${action}`, admin), 404, 'not_found');
    }
  });

  it('runs a source now and answers with the run it made; its records are served at once', async () => {
    upstream.on('/feodo.json', serveFixture(FEODO_JSON, { contentType: 'application/json' }));
    const stats = async () => (await t.app.inject({ url: '/api/v1/iocs/stats', headers: { 'x-api-key': reader } })).json().data as { totalIOCs: number; bySource: Record<string, number> };
    expect((await stats()).bySource[FEED]).toBeUndefined();
    const res = await post(`/api/v1/sources/${encodeURIComponent(FEED)}/run`, admin);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.data.state).toBe('finished');
    expect(body.data.source).toMatchObject({ name: FEED, health: { status: 'healthy' }, last_run: { outcome: 'ok', new: FEODO_IPS.length, error: null } });
    // The fixture's C2s were last online in July 2026: past Feodo Tracker's lifetime, listed with the expired ones.
    const list = await t.app.inject({ url: '/api/v1/iocs?type=ipv4&include_expired=true&limit=100', headers: { 'x-api-key': reader } });
    const values = (list.json() as { data: { value: string; source: { feed_name: string } }[] }).data
      .filter((r) => r.source.feed_name === FEED)
      .map((r) => r.value)
      .sort();
    expect(values).toEqual(FEODO_IPS);
    // The stats this instance serves count them already, not at its next poll of the cache.
    const after = await stats();
    expect(after.bySource[FEED]).toBe(FEODO_IPS.length);
    expect(after.totalIOCs).toBe((await store.db.query<{ n: number }>('select count(*)::int as n from sightings'))[0]!.n);
  });

  it('reports a failed run in words, as a finished run', async () => {
    upstream.on('/feodo.json', status(503, 'down for maintenance'));
    const res = await post(`/api/v1/sources/${encodeURIComponent(FEED)}/run`, admin);
    expect(res.statusCode).toBe(200);
    expect(res.json().data.source.last_run).toMatchObject({ outcome: 'failed', error: expect.stringContaining('503') });
  });

  it('starts a run without waiting (202), and refuses a second run of the source while it holds the lock (409)', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const feed = fixture(FEODO_JSON);
    upstream.on('/feodo.json', (_req: IncomingMessage, res: ServerResponse) => {
      void released.then(() => res.writeHead(200, { 'content-type': 'application/json' }).end(feed));
    });
    const started = await post(`/api/v1/sources/${encodeURIComponent(FEED)}/run?wait=false`, admin);
    expect(started.statusCode).toBe(202);
    expect(started.json().data).toMatchObject({ state: 'started', source: { name: FEED } });

    const second = expectError(await post(`/api/v1/sources/${encodeURIComponent(FEED)}/run`, admin), 409, 'run_in_progress');
    expect(second.details).toEqual({ source: FEED });

    release();
    // The run not waited for finishes on its own and records its outcome.
    for (let i = 0; i < 100 && (await source(FEED))!.last_run!.outcome !== 'ok'; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await source(FEED))!.last_run).toMatchObject({ outcome: 'ok' });
  });

  it('names a bad parameter', async () => {
    expectInvalidParameter(await post(`/api/v1/sources/${encodeURIComponent(FEED)}/run?wait=maybe`, admin), 'wait');
  });
});
