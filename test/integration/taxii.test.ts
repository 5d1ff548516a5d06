// TAXII 2.1 under /api/taxii2/, walked as a client walks it (OASIS TAXII 2.1; the medallion and
// OpenCTI behaviours of ../shared/spec/formats.md): discovery, API root, collections; pages
// followed by `next` and resumed by `added_after` while IOCs arrive, also from a transaction that
// commits after a later one; versions only on material changes; TAXII's media type, headers and
// error body. Every object is checked against the official STIX 2.1 schemas and pattern grammar.
import { beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { importIocList } from '../../src/ingest/import-list.js';
import { publishChanges } from '../../src/ingest/publish.js';
import { COLLECTIONS } from '../../src/export/taxii.js';
import { parseIoc } from '../../src/ioc/index.js';
import { upsertRecords } from '../../src/store/upsert.js';
import { ensureImportSource } from '../../src/store/sources.js';
import { appSuite, BACKENDS } from '../helpers.js';
import { validateStixObject } from '../helpers/stix-validate.js';
import { get, seedStore } from './seed.js';

const TAXII = 'application/taxii+json;version=2.1';
const ROOT = '/api/taxii2/socd';
const ALL = COLLECTIONS.find((c) => c.alias === 'indicators')!.id;

interface StixObject {
  id: string;
  type: string;
  modified: string;
  created: string;
  confidence?: number;
  pattern?: string;
  source_ref?: string;
  target_ref?: string;
}
interface Envelope {
  more?: boolean;
  next?: string;
  objects?: StixObject[];
}
interface TaxiiErrorBody {
  title: string;
  description?: string;
  http_status?: string;
  error_code?: string;
  details?: Record<string, unknown>;
}

/** Values no seed holds (TEST-NET-2 is documentation space: the warning list holds it, so not those). */
const fresh = (n: number, third: number) => Array.from({ length: n }, (_, i) => `185.220.${third}.${i + 1}`);

describe.each(BACKENDS)('TAXII 2.1 on %s', (backend) => {
  const { store, t } = appSuite(backend, { seed: (db) => seedStore(db) });
  let pro: string;
  let free: string;

  beforeAll(async () => {
    pro = await t.key('pro');
    free = await t.key('free');
  });

  const taxii = (url: string, key: string | undefined = pro, headers: Record<string, string> = {}) =>
    get(t.app, url, key, { accept: TAXII, ...headers });

  function expectTaxiiError(res: LightMyRequestResponse, status: number): TaxiiErrorBody {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toBe(TAXII);
    const body = res.json() as TaxiiErrorBody;
    expect(body.title).toEqual(expect.any(String));
    expect(body.http_status).toBe(String(status));
    expect(body).not.toHaveProperty('error');
    return body;
  }

  /** Follows `next` from the start (or `added_after`); `between` runs after each page. */
  async function walk(collection: string, query: string, between?: (page: number) => Promise<void>) {
    const objects: StixObject[] = [];
    const lasts: string[] = [];
    let url = `${ROOT}/collections/${collection}/objects/?${query}`;
    for (let page = 0; ; page++) {
      const res = await taxii(url);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toBe(TAXII);
      const body = res.json() as Envelope;
      if (body.objects?.length) {
        expect(res.headers['x-taxii-date-added-first']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
        lasts.push(res.headers['x-taxii-date-added-last'] as string);
      }
      objects.push(...(body.objects ?? []));
      await between?.(page);
      if (!body.more) break;
      expect(body.next).toEqual(expect.any(String));
      url = `${ROOT}/collections/${collection}/objects/?${query}&next=${encodeURIComponent(body.next!)}`;
    }
    return { objects, lasts };
  }

  async function importValues(values: string[], source: string, confidence: 'high' | 'medium' | 'low' = 'medium') {
    await importIocList(store.db, values.join('\n'), { source, confidence });
  }

  it('answers discovery, the API root and the collections, with the TAXII media type', async () => {
    const discovery = await taxii('/api/taxii2/');
    expect(discovery.statusCode, discovery.body).toBe(200);
    expect(discovery.headers['content-type']).toBe(TAXII);
    const d = discovery.json() as { title: string; api_roots: string[]; default: string };
    expect(d.title).toEqual(expect.any(String));
    expect(d.api_roots).toHaveLength(1);
    expect(new URL(d.api_roots[0]!).pathname).toBe(`${ROOT}/`);

    const root = (await taxii(`${ROOT}/`)).json() as { versions: string[]; max_content_length: number; title: string };
    expect(root.versions).toEqual([TAXII]);
    expect(root.max_content_length).toBeGreaterThan(0);

    const { collections } = (await taxii(`${ROOT}/collections/`)).json() as { collections: Record<string, unknown>[] };
    const aliases = collections.map((c) => c.alias);
    expect(aliases).toEqual(expect.arrayContaining(['indicators', 'high-confidence', 'ipv4', 'domain', 'url', 'sha256', 'cve']));
    for (const c of collections) {
      expect(c.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(c).toMatchObject({ can_read: true, can_write: false, media_types: ['application/stix+json;version=2.1'] });
      expect(c.title).toEqual(expect.any(String));
    }
    const one = await taxii(`${ROOT}/collections/${ALL}/`);
    expect(one.json()).toMatchObject({ id: ALL, alias: 'indicators' });
  });

  it('takes the same keys, HTTP Basic with the key as password too, and answers errors in the TAXII body', async () => {
    const basic = `Basic ${Buffer.from(`analyst:${pro}`).toString('base64')}`;
    const res = await get(t.app, '/api/taxii2/', undefined, { accept: TAXII, authorization: basic });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['x-ratelimit-remaining']).toBeDefined();

    const missing = expectTaxiiError(await get(t.app, '/api/taxii2/', undefined, { accept: TAXII }), 401);
    expect(missing.error_code).toBe('missing_api_key');
    const wrong = await get(t.app, '/api/taxii2/', undefined, { accept: TAXII, authorization: `Basic ${Buffer.from('a:sk_live_nope').toString('base64')}` });
    expect(expectTaxiiError(wrong, 401).error_code).toBe('invalid_api_key');
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic /);
    // The free tier has no read:stix scope.
    expect(expectTaxiiError(await taxii('/api/taxii2/', free), 403).error_code).toBe('insufficient_scope');

    expectTaxiiError(await taxii(`${ROOT}/collections/nope/`), 404);
    expectTaxiiError(await taxii(`${ROOT}/nothing-here/`), 404);
    expectTaxiiError(await taxii(`${ROOT}/collections/${ALL}/objects/indicator--00000000-0000-4000-8000-000000000000/`), 404);
    const badTime = expectTaxiiError(await taxii(`${ROOT}/collections/${ALL}/objects/?added_after=yesterday`), 400);
    expect(badTime.details?.parameter).toBe('added_after');
    expect(expectTaxiiError(await taxii(`${ROOT}/collections/${ALL}/objects/?next=bm9wZQ`), 400).details?.parameter).toBe('next');
    expect(expectTaxiiError(await taxii(`${ROOT}/collections/${ALL}/objects/?limit=0`), 400).details?.parameter).toBe('limit');
    expect(expectTaxiiError(await taxii(`${ROOT}/collections/${ALL}/objects/?match[version]=newest`), 400).details?.parameter).toBe('match[version]');
  });

  it('negotiates: 406 when Accept admits no TAXII 2.1', async () => {
    for (const accept of ['application/json', 'application/taxii+json;version=2.0', 'text/html']) {
      expectTaxiiError(await taxii('/api/taxii2/', pro, { accept }), 406);
    }
    for (const accept of ['application/taxii+json', '*/*', 'application/json, application/taxii+json;version=2.1']) {
      expect((await taxii('/api/taxii2/', pro, { accept })).statusCode).toBe(200);
    }
  });

  it('serves every stored indicator once, valid STIX 2.1, attack-patterns once, relationships that resolve', async () => {
    const { objects, lasts } = await walk(ALL, 'limit=7');
    for (const object of objects) expect(validateStixObject(object, object.id)).toEqual([]);
    const ids = objects.map((o) => o.id);
    expect(new Set(ids).size).toBe(ids.length);
    // The oracle: the store's own indicators, each one object (techniques as attack-patterns).
    const stored = await store.db.query<{ id: string; type: string }>('select id, type from indicators');
    const expected = stored.filter((i) => i.type !== 'mitre_attack').map((i) => `${i.type === 'cve' ? 'vulnerability' : 'indicator'}--${i.id}`);
    expect(ids.filter((id) => /^(indicator|vulnerability)--/.test(id)).sort()).toEqual(expected.sort());
    const patterns = objects.filter((o) => o.type === 'attack-pattern').map((o) => o.id);
    expect(patterns.length).toBeGreaterThanOrEqual(2);
    const known = new Set(ids);
    for (const r of objects.filter((o) => o.type === 'relationship')) {
      expect(known.has(r.source_ref!)).toBe(true);
      expect(known.has(r.target_ref!)).toBe(true);
    }
    // date_added increases page after page.
    expect([...lasts].sort()).toEqual(lasts);
    expect(new Set(lasts).size).toBe(lasts.length);
  });

  it('pages while IOCs arrive: a `next` walk sees each object once, an added_after resumption misses nothing', async () => {
    const added = fresh(6, 1);
    const { objects, lasts } = await walk(ALL, 'limit=5', async (page) => {
      if (page < 3) await importValues(added.slice(page * 2, page * 2 + 2), 'TAXII walk');
    });
    const ids = objects.map((o) => o.id);
    expect(new Set(ids).size).toBe(ids.length);
    const patterns = objects.filter((o) => o.pattern).map((o) => o.pattern!);
    for (const value of added) expect(patterns).toContain(`[ipv4-addr:value = '${value}']`);

    // Resuming after the last date_added seen: exactly what came since.
    const later = fresh(3, 2);
    await importValues(later, 'TAXII resume');
    const resumed = await walk(ALL, `added_after=${encodeURIComponent(lasts.at(-1)!)}&limit=2`);
    expect(resumed.objects.map((o) => o.pattern).sort()).toEqual(later.map((v) => `[ipv4-addr:value = '${v}']`).sort());
  });

  it('misses nothing that a long transaction commits after a later one', async () => {
    const source = await ensureImportSource(store.db, 'TAXII long ingest', 'threat-intel');
    const slow = fresh(2, 3);
    const quick = fresh(2, 4);
    const { lasts: before } = await walk(ALL, 'limit=1000');
    let commit!: () => void;
    const held = new Promise<void>((resolve) => (commit = resolve));
    let written!: () => void;
    const wrote = new Promise<void>((resolve) => (written = resolve));
    // The slow transaction writes first, and commits last.
    const slowIngest = store.db.transaction(async (tx) => {
      const now = new Date();
      await upsertRecords(tx, source, 'import', slow.map((v) => ({ ioc: parse(v), confidence: 'medium', firstSeen: now, lastSeen: now })));
      written();
      await held;
    });
    await wrote;
    await importValues(quick, 'TAXII quick ingest');
    const first = await walk(ALL, `added_after=${encodeURIComponent(before.at(-1)!)}`);
    expect(first.objects.map((o) => o.pattern).sort()).toEqual(quick.map((v) => `[ipv4-addr:value = '${v}']`).sort());
    commit();
    await slowIngest;
    await publishChanges(store.db);
    const second = await walk(ALL, `added_after=${encodeURIComponent(first.lasts.at(-1)!)}`);
    expect(second.objects.map((o) => o.pattern).sort()).toEqual(slow.map((v) => `[ipv4-addr:value = '${v}']`).sort());
  });

  it('versions on material changes only: a re-sighting publishes nothing, a new confidence a new version', async () => {
    const [value] = fresh(1, 5);
    await importValues([value!], 'TAXII versions', 'medium');
    const { lasts } = await walk(ALL, '');
    const mark = lasts.at(-1)!;

    // The same list again, later: last_seen moves, nothing material does.
    await importIocList(store.db, value!, { source: 'TAXII versions', confidence: 'medium', now: new Date(Date.now() + 60_000) });
    expect((await walk(ALL, `added_after=${encodeURIComponent(mark)}`)).objects).toEqual([]);

    await importValues([value!], 'TAXII versions', 'high');
    const changed = await walk(ALL, `added_after=${encodeURIComponent(mark)}`);
    expect(changed.objects).toHaveLength(1);
    const latest = changed.objects[0]!;
    expect(latest.confidence).toBe(85);

    const versions = (await taxii(`${ROOT}/collections/${ALL}/objects/${latest.id}/versions/`)).json() as { versions: string[] };
    expect(versions.versions).toHaveLength(2);
    expect(versions.versions[1]).toBe(latest.modified);
    expect(versions.versions[0]! < versions.versions[1]!).toBe(true);

    const all = (await taxii(`${ROOT}/collections/${ALL}/objects/${latest.id}/?match[version]=all`)).json() as Envelope;
    expect(all.objects!.map((o) => o.confidence)).toEqual([50, 85]);
    expect(new Set(all.objects!.map((o) => o.created)).size).toBe(1);
    const first = (await taxii(`${ROOT}/collections/${ALL}/objects/${latest.id}/?match[version]=first`)).json() as Envelope;
    expect(first.objects!.map((o) => o.modified)).toEqual([versions.versions[0]]);
    const byStamp = (await taxii(`${ROOT}/collections/${ALL}/objects/${latest.id}/?match[version]=${versions.versions[0]}`)).json() as Envelope;
    expect(byStamp.objects!.map((o) => o.confidence)).toEqual([50]);
    const current = (await taxii(`${ROOT}/collections/${ALL}/objects/${latest.id}/`)).json() as Envelope;
    expect(current.objects!.map((o) => o.confidence)).toEqual([85]);

    // A high-confidence subscriber sees it now; a downgrade would reach it too.
    const high = await walk(COLLECTIONS.find((c) => c.alias === 'high-confidence')!.id, `match[id]=${latest.id}`);
    expect(high.objects.map((o) => o.id)).toEqual([latest.id]);
  });

  it('filters by match[type], match[id], match[spec_version] and collection, and lists the manifest', async () => {
    const patterns = await walk(ALL, 'match[type]=attack-pattern');
    expect(patterns.objects.length).toBeGreaterThan(0);
    expect(new Set(patterns.objects.map((o) => o.type))).toEqual(new Set(['attack-pattern']));
    const two = patterns.objects.slice(0, 2).map((o) => o.id);
    expect((await walk(ALL, `match[id]=${two.join(',')}`)).objects.map((o) => o.id).sort()).toEqual([...two].sort());
    expect((await walk(ALL, 'match[spec_version]=2.0')).objects).toEqual([]);
    // An empty match[version] is the default, the latest versions.
    expect((await walk(ALL, 'match[version]=&match[type]=attack-pattern')).objects).toEqual(patterns.objects);
    expect((await walk(ALL, 'match[spec_version]=2.0,2.1')).objects.length).toBeGreaterThan(0);

    const ipv4 = await walk(COLLECTIONS.find((c) => c.alias === 'ipv4')!.id, '');
    for (const o of ipv4.objects.filter((x) => x.type === 'indicator')) expect(o.pattern).toMatch(/^\[ipv4-addr:value = /);
    const high = await walk(COLLECTIONS.find((c) => c.alias === 'high-confidence')!.id, '');
    for (const o of high.objects.filter((x) => x.type === 'indicator')) expect(o.confidence).toBe(85);

    const res = await taxii(`${ROOT}/collections/${ALL}/manifest/?limit=3`);
    expect(res.statusCode).toBe(200);
    const manifest = res.json() as { more: boolean; next: string; objects: { id: string; date_added: string; version: string; media_type: string }[] };
    expect(manifest.objects).toHaveLength(3);
    expect(manifest.more).toBe(true);
    expect(res.headers['x-taxii-date-added-first']).toBe(manifest.objects[0]!.date_added);
    expect(res.headers['x-taxii-date-added-last']).toBe(manifest.objects[2]!.date_added);
    const objects = (await taxii(`${ROOT}/collections/${ALL}/objects/?limit=3`)).json() as Envelope;
    expect(manifest.objects.map((m) => [m.id, m.version, m.media_type])).toEqual(
      objects.objects!.map((o) => [o.id, o.modified, 'application/stix+json;version=2.1']),
    );
  });
});

function parse(value: string) {
  const parsed = parseIoc(value);
  if (!parsed.ok) throw new Error(`not an IOC: ${value}`);
  return parsed.ioc;
}
