// The incremental channels carry the lifecycle to subscribers that hold a value, with a
// controllable clock (explicit `now` for the publisher and the sweep): TAXII publishes a new
// version when validity moves and a revoked one when a value is withdrawn (never a version after
// it: a restored value is a new object); STIX with `since` carries the withdrawal, the full export
// leaves it out; the MISP feed's event and attribute timestamps move and the attribute says it
// (expired: to_ids false; revoked: deleted), while format=misp leaves it out. Every object and
// event is checked against the official STIX schemas and the MISP core format's checker.
import { beforeAll, describe, expect, it } from 'vitest';
import { mispEventUuid } from '../../src/export/misp.js';
import { COLLECTIONS } from '../../src/export/taxii.js';
import { expireAndPublish, publishStixVersions } from '../../src/ingest/publish.js';
import { parseIoc } from '../../src/ioc/index.js';
import type { IocType } from '../../src/ioc/types.js';
import { setRevoked } from '../../src/store/lifecycle.js';
import { ensureImportSource, type SourceRef } from '../../src/store/sources.js';
import { upsertRecords } from '../../src/store/upsert.js';
import { appSuite, BACKENDS } from '../helpers.js';
import { checkMispFeed, checkMispRestSearch } from '../helpers/misp.js';
import { validateStixBundle, validateStixObject } from '../helpers/stix-validate.js';
import { get } from './seed.js';

const TAXII = 'application/taxii+json;version=2.1';
const ROOT = '/api/taxii2/socd';
const ALL = COLLECTIONS.find((c) => c.alias === 'indicators')!.id;
const DAY = 86_400_000;
// Now, to the second: records are stored now (the lists' windows are the tier's lookback from
// now), and the lifecycle's clock runs from here into the future.
const T0 = new Date(Math.floor(Date.now() / 1000) * 1000);
const day = (n: number) => new Date(T0.getTime() + n * DAY);
const seconds = (date: Date) => String(Math.floor(date.getTime() / 1000));

interface StixObject {
  id: string;
  type: string;
  created: string;
  modified: string;
  name?: string;
  revoked?: boolean;
  valid_from?: string;
  valid_until?: string;
}
interface Attribute {
  uuid: string;
  value: string;
  to_ids: boolean;
  deleted: boolean;
  timestamp: string;
}
interface MispEvent {
  uuid: string;
  timestamp: string;
  Attribute: Attribute[];
}

function ioc(value: string, type: IocType) {
  const parsed = parseIoc(value, type);
  if (!parsed.ok) throw new Error(`${value}: ${parsed.reason}`);
  return parsed.ioc;
}

describe.each(BACKENDS)('the lifecycle on the incremental channels on %s', (backend) => {
  // A store of its own, with the default lifetimes (ipv4 30 days, domain 90 days).
  const { store, t } = appSuite(backend);
  let pro: string;
  let feed: SourceRef;

  beforeAll(async () => {
    pro = await t.key('pro');
    feed = await ensureImportSource(store.db, 'Lifecycle channels', 'threat-intel');
  });

  const report = (values: string[], seen: Date, type: IocType = 'ipv4') =>
    upsertRecords(store.db, feed, 'import', values.map((v) => ({ ioc: ioc(v, type), confidence: 'high' as const, firstSeen: seen, lastSeen: seen })));
  const indicatorOf = async (value: string) => (await store.db.query<{ id: string }>('select id from indicators where value = $1', [value]))[0]!.id;

  const taxii = async (url: string) => {
    const res = await get(t.app, url, pro, { accept: TAXII });
    expect(res.statusCode, res.body).toBe(200);
    return res;
  };
  /** Every object added after `mark` (all when none), following `next`; and the last date_added seen. */
  async function poll(mark?: string): Promise<{ objects: StixObject[]; last?: string }> {
    const objects: StixObject[] = [];
    let last = mark;
    const query = mark ? `added_after=${encodeURIComponent(mark)}&` : '';
    let url = `${ROOT}/collections/${ALL}/objects/?${query}limit=50`;
    for (;;) {
      const res = await taxii(url);
      const body = res.json() as { more: boolean; next?: string; objects?: StixObject[] };
      objects.push(...(body.objects ?? []));
      if (body.objects?.length) last = res.headers['x-taxii-date-added-last'] as string;
      if (!body.more) return { objects, last };
      url = `${ROOT}/collections/${ALL}/objects/?${query}limit=50&next=${encodeURIComponent(body.next!)}`;
    }
  }
  /** Every version of an object, oldest first. */
  async function versionsOf(id: string): Promise<StixObject[]> {
    const body = (await taxii(`${ROOT}/collections/${ALL}/objects/${id}/?match[version]=all`)).json() as { objects: StixObject[] };
    for (const object of body.objects) expect(validateStixObject(object, object.id)).toEqual([]);
    return body.objects;
  }
  async function stixExport(query = '') {
    const res = await get(t.app, `/api/v1/iocs/stix?limit=1000${query}`, pro);
    expect(res.statusCode, res.body).toBe(200);
    const bundle = res.json() as { objects: StixObject[] };
    expect(validateStixBundle(bundle)).toEqual([]);
    return bundle.objects.filter((o) => o.type === 'indicator');
  }
  const since = `&since=${encodeURIComponent(new Date(T0.getTime() - 60_000).toISOString())}`;

  it('publishes a new TAXII version when validity moves, none when a value expires at the validity it had', async () => {
    const value = '185.233.1.1';
    await report([value], T0);
    await publishStixVersions(store.db, () => T0);
    const id = `indicator--${await indicatorOf(value)}`;
    const [first] = await versionsOf(id);
    expect(first).toMatchObject({ valid_from: T0.toISOString(), valid_until: day(30).toISOString() });
    const { last: mark } = await poll();

    // Expired at the valid_until its version already says: nothing new for a subscriber.
    await expireAndPublish(store.db, day(31));
    expect((await poll(mark)).objects).toEqual([]);
    expect(await versionsOf(id)).toHaveLength(1);
    // The full export leaves it out.
    expect((await stixExport()).map((o) => o.name)).not.toContain(value);

    // Reported again: the validity moves on, and the subscriber polling added_after sees the version.
    await report([value], day(40));
    await publishStixVersions(store.db, () => day(40));
    const { objects } = await poll(mark);
    expect(objects.map((o) => o.id)).toEqual([id]);
    expect(objects[0]).toMatchObject({ created: first!.created, valid_until: day(70).toISOString() });
    expect(objects[0]!.modified > first!.modified).toBe(true);
    expect((await versionsOf(id)).map((v) => v.valid_until)).toEqual([day(30).toISOString(), day(70).toISOString()]);
    expect((await stixExport()).map((o) => o.name)).toContain(value);
  });

  it('publishes a revocation as a revoked version, then nothing more of that object; a restored value is a new object', async () => {
    const value = '185.233.2.1';
    await report([value], T0);
    await publishStixVersions(store.db, () => T0);
    const id = `indicator--${await indicatorOf(value)}`;
    const { last: mark } = await poll();

    const key = { type: 'ipv4' as const, normalized: value };
    await setRevoked(store.db, key, { revoked: true, reason: 'our own scanner', by: 'test' }, day(1));
    await publishStixVersions(store.db, () => day(1));
    const { objects, last: revokedMark } = await poll(mark);
    expect(objects.map((o) => [o.id, o.revoked])).toEqual([[id, true]]);
    const versions = await versionsOf(id);
    expect(versions.map((v) => v.revoked ?? false)).toEqual([false, true]);
    expect(versions[1]!.modified > versions[0]!.modified).toBe(true);
    expect(versions[1]!.created).toBe(versions[0]!.created);

    // Reported again while revoked: it stays out, and a revoked object gets no later version.
    await report([value], day(2));
    await publishStixVersions(store.db, () => day(2));
    expect((await poll(revokedMark)).objects).toEqual([]);

    // Restored: the revoked object stays revoked; the value is published again as a new object.
    await setRevoked(store.db, key, { revoked: false, reason: 'not ours after all', by: 'test' }, day(3));
    await publishStixVersions(store.db, () => day(3));
    const restored = await poll(revokedMark);
    expect(restored.objects).toHaveLength(1);
    const [again] = restored.objects;
    expect(again!.id).not.toBe(id);
    expect(again).toMatchObject({ type: 'indicator', name: value });
    expect(again).not.toHaveProperty('revoked');
    expect(await versionsOf(again!.id)).toHaveLength(1);
    expect((await versionsOf(id)).at(-1)!.revoked).toBe(true);
    // Reported again, its validity is extended when the sweep finds it due: a version of the new object.
    await report([value], day(20));
    await publishStixVersions(store.db, () => day(20));
    expect(await versionsOf(again!.id)).toHaveLength(1);
    await expireAndPublish(store.db, day(33));
    expect((await versionsOf(again!.id)).map((v) => v.valid_until)).toEqual([day(32).toISOString(), day(50).toISOString()]);
  });

  it('leaves a revoked value out of the full STIX export', async () => {
    const value = '185.233.3.1';
    await report([value], T0);
    await publishStixVersions(store.db, () => T0);
    expect((await stixExport()).map((o) => o.name)).toContain(value);
    await setRevoked(store.db, { type: 'ipv4', normalized: value }, { revoked: true, reason: 'a sinkhole', by: 'test' }, day(1));
    await publishStixVersions(store.db, () => day(1));
    expect((await stixExport()).map((o) => o.name)).not.toContain(value);
  });

  // STIX with `since` is an incremental channel: it reads every lifecycle (api/filters.ts resolveQuery).
  it('carries a revocation and an expiry on STIX with `since`, as a later version of the object', async () => {
    const [revoked, expired] = ['185.233.4.1', '185.233.4.2'];
    await report([revoked, expired], T0);
    await publishStixVersions(store.db, () => T0);
    const before = await stixExport(since);
    const held = before.find((o) => o.name === revoked)!;
    expect(held).toBeDefined();
    await setRevoked(store.db, { type: 'ipv4', normalized: revoked }, { revoked: true, reason: 'a sinkhole', by: 'test' }, day(1));
    await publishStixVersions(store.db, () => day(1));
    await expireAndPublish(store.db, day(31));
    const after = await stixExport(since);
    const withdrawn = after.find((o) => o.name === revoked);
    expect(withdrawn).toMatchObject({ id: held.id, revoked: true });
    expect(withdrawn!.modified > held.modified).toBe(true);
    expect(after.find((o) => o.name === expired)).toMatchObject({ valid_until: day(30).toISOString() });
  });

  // The summaries the exports read carry the current object (StixSummary.stix_chain, store/iocs.ts).
  it('names a restored value by its new object in the STIX exports, as TAXII does', async () => {
    const value = '185.233.6.1';
    await report([value], T0);
    await publishStixVersions(store.db, () => T0);
    const key = { type: 'ipv4' as const, normalized: value };
    await setRevoked(store.db, key, { revoked: true, reason: 'a sinkhole', by: 'test' }, day(1));
    await publishStixVersions(store.db, () => day(1));
    await setRevoked(store.db, key, { revoked: false, reason: 'not a sinkhole', by: 'test' }, day(2));
    await publishStixVersions(store.db, () => day(2));
    const objects = (await poll()).objects.filter((o) => o.name === value);
    expect(objects.map((o) => o.revoked ?? false).sort()).toEqual([false, true]);
    const current = objects.find((o) => !o.revoked)!;
    expect((await stixExport()).find((o) => o.name === value)?.id).toBe(current.id);
    expect((await stixExport(since)).filter((o) => o.name === value).map((o) => o.id)).toEqual([current.id]);
  });

  it('moves the MISP feed event\'s timestamp when a value expires or is revoked, and its attribute says so; format=misp leaves them out', async () => {
    const source = await ensureImportSource(store.db, 'Lifecycle MISP', 'threat-intel');
    const [ip, domain, kept] = ['185.233.5.1', 'lifecycle-channels.example-c2.net', 'kept.example-c2.net'];
    const write = (values: string[], type: IocType) =>
      upsertRecords(store.db, source, 'import', values.map((v) => ({ ioc: ioc(v, type), confidence: 'high' as const, firstSeen: T0, lastSeen: T0 })));
    await write([ip], 'ipv4');
    await write([domain, kept], 'domain');
    await publishStixVersions(store.db, () => T0);
    const [{ day: stored }] = (await store.db.query<{ day: string }>(
      `select to_char(s.extracted_at at time zone 'UTC', 'YYYY-MM-DD') as day from sightings s join indicators i on i.id = s.indicator_id where i.value = $1`,
      [ip],
    )) as [{ day: string }];
    const uuid = mispEventUuid({ source: source.name, article: null, day: stored });

    async function feedNow() {
      const manifestRes = await get(t.app, '/api/v1/misp/feed/manifest.json', pro);
      expect(manifestRes.statusCode, manifestRes.body).toBe(200);
      const manifest = manifestRes.json() as Record<string, { timestamp: string }>;
      const events = new Map<string, unknown>();
      for (const event of Object.keys(manifest)) events.set(event, (await get(t.app, `/api/v1/misp/feed/${event}.json`, pro)).json());
      const hashes = await get(t.app, '/api/v1/misp/feed/hashes.csv', pro);
      expect(checkMispFeed({ manifest, hashesCsv: hashes.body, events })).toEqual([]);
      const event = (events.get(uuid) as { Event: MispEvent }).Event;
      const attribute = (value: string) => event.Attribute.find((a) => a.value === value)!;
      return { etag: manifestRes.headers.etag, timestamp: manifest[uuid]!.timestamp, attribute };
    }
    async function listed() {
      const res = await get(t.app, '/api/v1/iocs?format=misp&limit=1000', pro);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json() as { response: { Event: MispEvent }[] };
      expect(checkMispRestSearch(body)).toEqual([]);
      return body.response.flatMap((r) => r.Event.Attribute.map((a) => a.value));
    }

    const first = await feedNow();
    expect(first.attribute(ip)).toMatchObject({ to_ids: true, deleted: false });
    expect(await listed()).toEqual(expect.arrayContaining([ip, domain, kept]));

    // The IP expires at day 30 (the domains live 90 days).
    await expireAndPublish(store.db, day(31));
    const expired = await feedNow();
    expect(expired.etag).not.toBe(first.etag);
    expect(expired.timestamp).toBe(seconds(day(31)));
    expect(expired.attribute(ip)).toMatchObject({ to_ids: false, deleted: false, timestamp: seconds(day(31)) });
    expect(expired.attribute(domain)).toMatchObject({ to_ids: true, deleted: false });
    expect(await listed()).not.toContain(ip);

    await setRevoked(store.db, { type: 'domain', normalized: domain }, { revoked: true, reason: 'a parked domain', by: 'test' }, day(32));
    await publishStixVersions(store.db, () => day(32));
    const revoked = await feedNow();
    expect(revoked.timestamp).toBe(seconds(day(32)));
    expect(revoked.attribute(domain)).toMatchObject({ to_ids: false, deleted: true, timestamp: seconds(day(32)) });
    expect(revoked.attribute(kept)).toMatchObject({ to_ids: true, deleted: false });
    const now = await listed();
    expect(now).toContain(kept);
    expect(now).not.toContain(domain);
    expect(now).not.toContain(ip);
  });
});
