// The lifecycle's core with a controllable clock (the `now` the publisher and the sweep are given):
// a value expires at last_seen + its lifetime and comes back when reported again; a source's
// lifetime overrides its type's; a revoked or allow-listed value stays out through re-ingestion;
// each change is one event, once, whatever runs at the same time; ingestion moves only last_seen.
import { beforeAll, describe, expect, it } from 'vitest';
import { expireAndPublish, publishStixVersions } from '../../src/ingest/publish.js';
import { parseIoc } from '../../src/ioc/index.js';
import type { IocType } from '../../src/ioc/types.js';
import { setAllowListed, setLifetime, setRevoked, sweepLifecycle } from '../../src/store/lifecycle.js';
import { ensureImportSource, type SourceRef } from '../../src/store/sources.js';
import { upsertRecords } from '../../src/store/upsert.js';
import { appSuite, BACKENDS } from '../helpers.js';
import { get } from './seed.js';

const DAY = 86_400_000;
const T0 = new Date('2026-06-01T00:00:00.000Z');
const day = (n: number) => new Date(T0.getTime() + n * DAY);

function ioc(value: string, type: IocType = 'ipv4') {
  const parsed = parseIoc(value, type);
  if (!parsed.ok) throw new Error(`${value}: ${parsed.reason}`);
  return parsed.ioc;
}

describe.each(BACKENDS)('the IOC lifecycle on %s', (backend) => {
  const { store, t } = appSuite(backend);
  let admin: string;
  let feedA: SourceRef;
  let feedB: SourceRef;

  beforeAll(async () => {
    admin = await t.key('pro');
    feedA = await ensureImportSource(store.db, 'Lifecycle feed A', 'threat-intel');
    feedB = await ensureImportSource(store.db, 'Lifecycle feed B', 'threat-intel');
  });

  const report = (source: SourceRef, values: string[], seen: Date, type: IocType = 'ipv4') =>
    upsertRecords(store.db, source, 'import', values.map((v) => ({ ioc: ioc(v, type), confidence: 'medium' as const, firstSeen: seen, lastSeen: seen })));
  const listed = async () => {
    const res = await get(t.app, '/api/v1/iocs?format=txt&limit=10000', admin);
    expect(res.statusCode).toBe(200);
    return new Set(res.body.split('\n').filter(Boolean));
  };
  const indicator = async (value: string) =>
    (
      await store.db.query<{ status: string; valid_until: Date | null; last_seen: Date }>(
        'select status, valid_until, last_seen from indicators where value = $1',
        [value],
      )
    )[0]!;
  const events = async (value: string) =>
    (await store.db.query<{ kind: string; reason: string }>('select kind, reason from ioc_changes where value = $1 order by at', [value])).map(
      (e) => e.kind,
    );

  it('expires a value seen once at last_seen + its type lifetime, and brings it back when it is reported again', async () => {
    const value = '185.231.7.1';
    await report(feedA, [value], T0);
    // Listed from the write; its validity is computed by the publisher that follows each write.
    expect(await listed()).toContain(value);
    await publishStixVersions(store.db, () => T0);
    expect(await indicator(value)).toMatchObject({ status: 'active', valid_until: day(30) });
    expect(await events(value)).toEqual(['added']);

    await expireAndPublish(store.db, day(29));
    expect(await listed()).toContain(value);
    await expireAndPublish(store.db, day(31));
    expect(await indicator(value)).toMatchObject({ status: 'expired', valid_until: day(30) });
    expect(await listed()).not.toContain(value);
    // The search still finds it.
    const found = await get(t.app, `/api/v1/iocs/search?q=${value}`, admin);
    expect(found.json().data.found).toBe(true);

    // Reported again: the write moves last_seen only; the publisher brings it back.
    await report(feedA, [value], day(40));
    expect(await indicator(value)).toMatchObject({ status: 'expired', valid_until: day(30), last_seen: day(40) });
    expect(await listed()).not.toContain(value);
    await publishStixVersions(store.db, () => day(40));
    expect(await indicator(value)).toMatchObject({ status: 'active', valid_until: day(70) });
    expect(await listed()).toContain(value);
    expect(await events(value)).toEqual(['added', 'expired', 'added']);
  });

  it("lets a source's lifetime override its type's, and one for the type override the source's", async () => {
    await setLifetime(store.db, { sourceId: feedB.id, type: null, lifetimeDays: 5, reason: 'a list of what is up now', by: 'test' });
    await setLifetime(store.db, { sourceId: feedB.id, type: 'domain', lifetimeDays: 2, reason: 'domains die faster there', by: 'test' });
    const [onlyB, alsoA] = ['185.231.8.1', '185.231.8.2'];
    const domain = 'lifecycle-override.example-c2.net';
    await report(feedB, [onlyB, alsoA], T0);
    await report(feedA, [alsoA], T0);
    await report(feedB, [domain], T0, 'domain');
    await publishStixVersions(store.db, () => T0);
    expect(await indicator(onlyB)).toMatchObject({ valid_until: day(5) });
    // The latest over its sources: feed A's 30 days.
    expect(await indicator(alsoA)).toMatchObject({ valid_until: day(30) });
    expect(await indicator(domain)).toMatchObject({ valid_until: day(2) });

    await expireAndPublish(store.db, day(6));
    const now = await listed();
    expect(now).not.toContain(onlyB);
    expect(now).not.toContain(domain);
    expect(now).toContain(alsoA);
  });

  it('keeps a revoked value out through re-ingestion, by any source, until it is restored', async () => {
    const value = '185.231.9.1';
    await report(feedA, [value], T0);
    await publishStixVersions(store.db, () => T0);
    const key = { type: 'ipv4' as const, normalized: value };
    const revoked = await setRevoked(store.db, key, { revoked: true, reason: 'our own scanner', by: 'test' }, T0);
    expect(revoked?.changed).toBe(true);
    expect(await listed()).not.toContain(value);

    await report(feedA, [value], day(1));
    await report(feedB, [value], day(1));
    await publishStixVersions(store.db, () => day(1));
    expect(await listed()).not.toContain(value);
    // Revoking again changes nothing.
    expect((await setRevoked(store.db, key, { revoked: true, reason: 'again', by: 'test' }, day(1)))?.changed).toBe(false);

    await setRevoked(store.db, key, { revoked: false, reason: 'not ours after all', by: 'test' }, day(2));
    expect(await listed()).toContain(value);
    expect(await events(value)).toEqual(['added', 'revoked', 'restored']);
  });

  it('stores a value allow-listed before any source reports it revoked, and lists it once it is removed', async () => {
    const value = '185.231.10.1';
    const allowed = ioc(value);
    await setAllowListed(store.db, allowed, { listed: true, reason: 'our VPN gateway', by: 'test' }, T0);
    await report(feedA, [value], T0);
    await publishStixVersions(store.db, () => T0);
    expect(await listed()).not.toContain(value);
    const [row] = await store.db.query<{ revoked_reason: string }>('select revoked_reason from indicators where value = $1', [value]);
    expect(row!.revoked_reason).toBe('allow-listed: our VPN gateway');

    await setAllowListed(store.db, allowed, { listed: false, reason: 'moved elsewhere', by: 'test' }, T0);
    expect(await listed()).toContain(value);
  });

  it('keeps an expired value out when a write adds a record of it while the sweep expires it', async () => {
    const value = '185.231.12.1';
    await report(feedA, [value], T0);
    await publishStixVersions(store.db, () => T0);
    // Feed B reports it too, as seen long ago, in a transaction still open when the sweep runs.
    let commit!: () => void;
    let written!: () => void;
    const wrote = new Promise<void>((resolve) => (written = resolve));
    const ingest = store.db.transaction(async (tx) => {
      await upsertRecords(tx, feedB, 'import', [{ ioc: ioc(value), confidence: 'medium', firstSeen: T0, lastSeen: T0 }]);
      written();
      await new Promise<void>((resolve) => (commit = resolve));
    });
    await wrote;
    const sweeping = sweepLifecycle(store.db, day(45));
    await new Promise((resolve) => setTimeout(resolve, 200));
    commit();
    await ingest;
    await sweeping;
    // The write's mark brings the value to the publisher, which sets its every record straight.
    await publishStixVersions(store.db, () => day(45));
    expect(await indicator(value)).toMatchObject({ status: 'expired' });
    expect(await listed()).not.toContain(value);
    const withdrawn = await store.db.query<{ withdrawn: string | null }>(
      'select s.withdrawn from sightings s join indicators i on i.id = s.indicator_id where i.value = $1',
      [value],
    );
    expect(withdrawn.map((row) => row.withdrawn)).toEqual(['expired', 'expired']);
  });

  it('writes each expiry once, however many sweeps run at the same time, and a sweep with nothing due looks at nothing', async () => {
    const values = Array.from({ length: 40 }, (_, i) => `185.231.11.${i + 1}`);
    await report(feedA, values, T0);
    await publishStixVersions(store.db, () => T0);
    const swept = await Promise.all([sweepLifecycle(store.db, day(45)), sweepLifecycle(store.db, day(45)), sweepLifecycle(store.db, day(45))]);
    const [{ n }] = (await store.db.query<{ n: number }>(
      "select count(*)::int as n from ioc_changes where kind = 'expired' and value = any($1::text[])",
      [values],
    )) as [{ n: number }];
    expect(n).toBe(values.length);
    expect(swept.reduce((sum, s) => sum + s.expired, 0)).toBeGreaterThanOrEqual(values.length);
    // Nothing is due any more: the next sweep reads no indicator.
    expect((await sweepLifecycle(store.db, day(45))).checked).toBe(0);
  });

  it("queues for the sweep exactly the values that will expire, at their validity's end, and writes no indexed column of indicators", async () => {
    // The queue is the sweep's only way to what is due: checked against the indicators themselves.
    const queueMismatches = async () => {
      const [{ n }] = (await store.db.query<{ n: number }>(`with due as (select id, valid_until from indicators where status = 'active' and valid_until < 'infinity')
        select count(*)::int as n from (
          (select * from due except select indicator_id, due_at from lifecycle_due)
          union all (select indicator_id, due_at from lifecycle_due except select * from due)) d`)) as [{ n: number }];
      return n;
    };
    await report(feedA, ['185.231.13.1', '185.231.13.2'], T0);
    await report(feedA, ['lifecycle-queue.net'], T0, 'domain');
    await report(feedA, ['T1059'], T0, 'mitre_attack');
    await publishStixVersions(store.db, () => T0);
    const queued = async (value: string) =>
      (await store.db.query<{ due_at: Date }>('select q.due_at from lifecycle_due q join indicators i on i.id = q.indicator_id where i.value = $1', [value]))[0]?.due_at;
    expect(await queued('185.231.13.1')).toEqual(day(30));
    expect(await queued('lifecycle-queue.net')).toEqual(day(90));
    expect(await queued('T1059')).toBeUndefined(); // never expires
    expect(await queueMismatches()).toBe(0);

    // An upgraded store's indicators are queued as not computed yet: the sweep computes them.
    await store.db.query(
      `with reset as (update indicators set status = 'new', valid_until = null where value = '185.231.13.2' returning id)
       update lifecycle_due set due_at = '-infinity' where indicator_id in (select id from reset)`,
    );
    expect((await sweepLifecycle(store.db, day(10))).added).toBe(1);
    expect(await indicator('185.231.13.2')).toMatchObject({ status: 'active', valid_until: day(30) });
    await sweepLifecycle(store.db, day(45));
    expect(await queued('185.231.13.1')).toBeUndefined();
    expect(await queued('lifecycle-queue.net')).toEqual(day(90));
    expect(await queueMismatches()).toBe(0);
    // One whose records are all gone cannot be computed: it leaves the queue rather than stay due.
    await store.db.query(
      `with orphan as (insert into indicators (id, type, value, value_normalized, confidence, first_seen, last_seen)
         values (gen_random_uuid(), 'ipv4', '185.231.13.3', '185.231.13.3', 'low', $1, $1) returning id)
       insert into lifecycle_due (indicator_id, due_at) select id, '-infinity' from orphan`,
      [T0],
    );
    expect((await sweepLifecycle(store.db, day(45))).checked).toBe(0);
    expect(await store.db.query('select 1 from lifecycle_due where due_at <= $1', [day(45)])).toEqual([]);

    // With no index on what the sweep writes, its updates of indicators are HOT: no index entry each.
    const indexed = await store.db.query<{ index: string }>(
      `select indexrelid::regclass::text as index from pg_index
       where indrelid = 'indicators'::regclass and pg_get_indexdef(indexrelid) ~ '\\m(status|valid_until|lifecycle_at)\\M'`,
    );
    expect(indexed).toEqual([]);
  });
});
