// GET /api/v1/iocs at scale, on a small store with the count threshold lowered to 50: the total
// is counted in full once per filter, not on every request (meta.total_exact says when it is a
// lower bound); links.next comes from the page, not the total, and carries a keyset cursor that
// walks every record once, records stored meanwhile or not; offset still works.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importIocList } from '../../src/ingest/import-list.js';
import { createListTotals } from '../../src/api/list-total.js';
import { BACKENDS, openTestStore, startTestApp, type TestApp, type TestStore } from '../helpers.js';
import { expectInvalidParameter, get, instrument, seedStore, type ApiRecord, type Seeded } from './seed.js';

const EXACT_UP_TO = 50;

interface ListBody {
  meta: { total: number; total_exact: boolean; limit: number; offset: number };
  data: ApiRecord[];
  links: { self: string; next?: string; prev?: string };
}

/** A link as a path to inject. */
const pathOf = (link: string) => new URL(link).pathname + new URL(link).search;
const cursorOf = (link: string) => new URL(link).searchParams.get('cursor')!;
const cursorText = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe.each(BACKENDS)('GET /api/v1/iocs paging and totals on %s', (backend) => {
  let store: TestStore;
  let t: TestApp;
  let seeded: Seeded;
  let pro: string;
  /** The app's store, its statements recorded. */
  let probe: ReturnType<typeof instrument>;
  const isFullCount = (sql: string) => /count\(\*\)/.test(sql) && !sql.includes('as capped');
  const fullCounts = () => probe.state.statements.filter((s) => isFullCount(s.sql)).length;
  const cappedCounts = () => probe.state.statements.filter((s) => s.sql.includes('as capped')).length;

  beforeAll(async () => {
    store = await openTestStore(backend, { LIST_TOTAL_EXACT_UP_TO: String(EXACT_UP_TO) });
    seeded = await seedStore(store.db);
    probe = instrument(store.db);
    t = await startTestApp({ ...store, db: probe.db });
    pro = await t.key('pro');
  });
  afterAll(async () => {
    await t?.close();
    await store?.close();
  });

  async function list(query: string): Promise<ListBody> {
    const res = await get(t.app, `/api/v1/iocs?${query}`, pro);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as ListBody;
  }

  /** Requests the list until its total is exact (the full count runs after the first answer). */
  async function exactly(query: string): Promise<ListBody> {
    for (let i = 0; i < 200; i++) {
      const body = await list(query);
      if (body.meta.total_exact) return body;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`${query}: the total never became exact`);
  }

  /** Every page of a walk by links.next: the records' ids, in order. */
  async function walk(first: string, between?: (page: number) => Promise<void>): Promise<string[]> {
    const ids: string[] = [];
    let url: string | undefined = `/api/v1/iocs?${first}`;
    for (let page = 0; url; page++) {
      const res = await get(t.app, url, pro);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json() as ListBody;
      ids.push(...body.data.map((r) => r.id));
      await between?.(page);
      url = body.links.next && pathOf(body.links.next);
      expect(page).toBeLessThan(1000);
    }
    return ids;
  }

  it('counts a large total again once it is older than its time to live, once, off the request path', async () => {
    const own = instrument(store.db);
    const full = () => own.state.statements.filter((s) => isFullCount(s.sql)).length;
    const totals = createListTotals(own.db, { exactUpTo: EXACT_UP_TO, ttlMs: 100 });
    const filters = { since: new Date(0) };
    expect((await totals.count(filters, false)).exact).toBe(false); // the capped figure; the full count starts
    let counted = await totals.count(filters, false);
    while (!counted.exact) counted = await totals.count(filters, false);
    expect(counted.total).toBe(seeded.records.length);
    expect(full()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    // Stale: answered at once from memory, and counted again once however many ask meanwhile.
    const answers = await Promise.all(Array.from({ length: 5 }, () => totals.count(filters, false)));
    expect(answers).toEqual(Array.from({ length: 5 }, () => ({ total: seeded.records.length, exact: true })));
    expect(full()).toBe(2);
  });

  it('counts a total above the threshold once per filter: a lower bound at first, then the full count', async () => {
    const before = fullCounts();
    const first = await list('limit=10');
    // More than 50 records: the capped count says "at least 51" and the full count starts.
    expect(first.meta).toMatchObject({ total: EXACT_UP_TO + 1, total_exact: false });
    const exact = await exactly('limit=10');
    expect(exact.meta.total).toBe(seeded.records.length);
    expect(fullCounts() - before).toBe(1);
    // From now on the same filter (its `since`, the lookback, moving every request) costs no count at all.
    const warm = { full: fullCounts(), capped: cappedCounts() };
    for (const limit of [1, 10, 100]) {
      expect((await list(`limit=${limit}`)).meta).toMatchObject({ total: seeded.records.length, total_exact: true, limit });
    }
    expect({ full: fullCounts(), capped: cappedCounts() }).toEqual(warm);
  });

  it('runs one full count for concurrent requests of a new filter', async () => {
    const government = seeded.records.filter((r) => r.category === 'government').length;
    expect(government).toBeGreaterThan(EXACT_UP_TO);
    const before = fullCounts();
    const bodies = await Promise.all(Array.from({ length: 8 }, () => list('category=government&limit=5')));
    // Each is either the lower bound or the count.
    for (const body of bodies) expect(body.meta.total).toBe(body.meta.total_exact ? government : EXACT_UP_TO + 1);
    expect((await exactly('category=government&limit=5')).meta.total).toBe(government);
    expect(fullCounts() - before).toBe(1);
  });

  it('keys an explicit since by the minute, and another filter apart', async () => {
    const since = new Date(Date.now() - 2 * 86_400_000).toISOString();
    const recent = seeded.records.filter((r) => r.recent).length;
    expect(recent).toBeGreaterThan(EXACT_UP_TO);
    const before = fullCounts();
    expect((await exactly(`since=${since}&limit=1`)).meta.total).toBe(recent);
    expect((await list(`since=${since}&limit=7`)).meta).toMatchObject({ total: recent, total_exact: true });
    expect(fullCounts() - before).toBe(1);
  });

  it('counts a total up to the threshold exactly on every request, with no full count', async () => {
    const ipv6 = seeded.records.filter((r) => r.type === 'ipv6').length;
    expect(ipv6).toBeLessThanOrEqual(EXACT_UP_TO);
    const before = { full: fullCounts(), capped: cappedCounts() };
    for (let i = 0; i < 3; i++) expect((await list('type=ipv6')).meta).toMatchObject({ total: ipv6, total_exact: true });
    expect(fullCounts()).toBe(before.full);
    expect(cappedCounts() - before.capped).toBe(3);
  });

  it('gives links.next for a full page, whatever the total says', async () => {
    // A new filter: its total is the lower bound 51, yet the page of 100 has a next page.
    const first = await list('limit=100&confidence=medium');
    const medium = seeded.records.filter((r) => r.confidence === 'medium').length;
    expect(medium).toBeGreaterThan(100);
    expect(first.meta).toMatchObject({ total: EXACT_UP_TO + 1, total_exact: false });
    expect(first.data).toHaveLength(100);
    expect(first.links.next).toBeDefined();
    const second = await list(pathOf(first.links.next!).split('?')[1]!);
    expect(second.data).toHaveLength(medium - 100);
    expect(second.links.next).toBeUndefined();
    // A page that ends exactly at the last record is full: its next page is empty, and has no next.
    const whole = await list(`limit=${medium}&confidence=medium`);
    expect(whole.data).toHaveLength(medium);
    const empty = await list(pathOf(whole.links.next!).split('?')[1]!);
    expect(empty.data).toEqual([]);
    expect(empty.links.next).toBeUndefined();
  });

  it('walks every record once by links.next, its cursor pages costing no offset', async () => {
    const all = (await list('limit=10000')).data.map((r) => r.id);
    expect(all).toHaveLength(seeded.records.length);
    const first = await list('limit=13');
    const next = new URL(first.links.next!);
    expect(Object.fromEntries(next.searchParams)).toEqual({ limit: '13', cursor: expect.stringMatching(/^[A-Za-z0-9_-]+$/) });
    const second = await list(`limit=13&cursor=${cursorOf(first.links.next!)}`);
    expect(second.data.map((r) => r.id)).toEqual(all.slice(13, 26));
    // A cursor page: offset 0, no prev, its self link names its cursor.
    expect(second.meta.offset).toBe(0);
    expect(second.links.prev).toBeUndefined();
    expect(new URL(second.links.self).searchParams.get('cursor')).toBe(cursorOf(first.links.next!));
    expect(await walk('limit=13')).toEqual(all);
    // Filters travel with the cursor.
    const ipv4 = (await list('type=ipv4&limit=10000')).data.map((r) => r.id);
    expect(await walk('type=ipv4&limit=7')).toEqual(ipv4);
    // The CSV takes the same cursor.
    const csv = (await get(t.app, `/api/v1/iocs?format=csv&limit=13&cursor=${cursorOf(first.links.next!)}`, pro)).body;
    expect(csv.split('\r\n').slice(1, -1).map((line) => line.split(',')[0])).toEqual(all.slice(13, 26));
  });

  it('is stable under inserts: newer records stored during a walk shift no page', async () => {
    const fresh = await openTestStore(backend, { LIST_TOTAL_EXACT_UP_TO: String(EXACT_UP_TO) });
    const app = await startTestApp(fresh);
    try {
      const key = await app.key('pro');
      const values = (n: number, from: number) => Array.from({ length: n }, (_, i) => `198.51.100.${from + i}`).join('\n');
      await importIocList(fresh.db, values(60, 1), { source: 'Original' });
      const original = ((await get(app.app, '/api/v1/iocs?limit=10000', key)).json() as ListBody).data.map((r) => r.id);
      expect(original).toHaveLength(60);
      const seen: string[] = [];
      let url: string | undefined = '/api/v1/iocs?limit=7';
      for (let page = 0; url; page++) {
        const body = (await get(app.app, url, key)).json() as ListBody;
        seen.push(...body.data.map((r) => r.id));
        // Between two pages, newer records arrive (at the head of the list).
        await importIocList(fresh.db, values(3, 100 + page * 3), { source: `Later ${page}` });
        url = body.links.next && pathOf(body.links.next);
      }
      expect(seen).toEqual(original);
    } finally {
      await app.close();
      await fresh.close();
    }
  });

  it('keeps the microseconds of the keyset: records a microsecond apart are each walked once', async () => {
    const fresh = await openTestStore(backend);
    const app = await startTestApp(fresh);
    try {
      const key = await app.key('pro');
      await importIocList(fresh.db, Array.from({ length: 9 }, (_, i) => `203.0.113.${i + 1}`).join('\n'), { source: 'Micro' });
      // Nine records within one millisecond, in an order their ids do not give.
      await fresh.db.query(
        `update sightings s set extracted_at = date_trunc('milliseconds', now()) + make_interval(secs => n.k / 1e6)
           from (select id, (row_number() over (order by id) * 2 % 9)::int as k from sightings) n where n.id = s.id`,
      );
      const all = ((await get(app.app, '/api/v1/iocs?limit=100', key)).json() as ListBody).data.map((r) => r.id);
      expect(all).toHaveLength(9);
      const ids: string[] = [];
      let url: string | undefined = '/api/v1/iocs?limit=2';
      while (url) {
        const body = (await get(app.app, url, key)).json() as ListBody;
        ids.push(...body.data.map((r) => r.id));
        url = body.links.next && pathOf(body.links.next);
      }
      expect(ids).toEqual(all);
    } finally {
      await app.close();
      await fresh.close();
    }
  });

  it('still pages by offset, with prev links', async () => {
    const all = (await list('limit=10000')).data.map((r) => r.id);
    const page = await list('limit=10&offset=20');
    expect(page.meta).toMatchObject({ limit: 10, offset: 20 });
    expect(page.data.map((r) => r.id)).toEqual(all.slice(20, 30));
    expect(new URL(page.links.self).searchParams.get('offset')).toBe('20');
    expect(new URL(page.links.prev!).searchParams.get('offset')).toBe('10');
    // Its next page is by cursor, and is the page at offset 30.
    expect((await list(pathOf(page.links.next!).split('?')[1]!)).data.map((r) => r.id)).toEqual(all.slice(30, 40));
    // cursor with offset=0 is the cursor alone.
    const cursor = cursorOf(page.links.next!);
    expect((await list(`limit=10&offset=0&cursor=${cursor}`)).data.map((r) => r.id)).toEqual(all.slice(30, 40));
  });

  it('rejects a bad cursor with 400 invalid_parameter naming cursor', async () => {
    const good = cursorOf((await list('limit=5')).links.next!);
    const [at, id] = JSON.parse(Buffer.from(good, 'base64url').toString('utf8')) as [string, string];
    const bad = [
      'x',
      '!!!!',
      good.slice(0, -3),
      `${good}=`,
      cursorText('not an array'),
      cursorText([at]),
      cursorText([at, id, 'more']),
      cursorText([at, 'not-a-uuid']),
      cursorText(['2026-02-30T10:00:00.000000Z', id]),
      cursorText(['2026-05-16T24:00:00.000000Z', id]),
      cursorText([at.replace(/\.\d+Z$/, 'Z'), id]),
      cursorText([at, id.toUpperCase()]),
      cursorText([1, 2]),
      encodeURIComponent(Buffer.from(JSON.stringify([at, id])).toString('base64')),
    ];
    for (const cursor of bad) expectInvalidParameter(await get(t.app, `/api/v1/iocs?cursor=${cursor}`, pro), 'cursor');
    expectInvalidParameter(await get(t.app, '/api/v1/iocs?cursor=', pro), 'cursor');
    // Not with an offset, and not for the distinct values of txt.
    expectInvalidParameter(await get(t.app, `/api/v1/iocs?cursor=${good}&offset=5`, pro), 'offset');
    expectInvalidParameter(await get(t.app, `/api/v1/iocs?cursor=${good}&format=txt`, pro), 'cursor');
    // The good one, for contrast.
    expect((await get(t.app, `/api/v1/iocs?cursor=${good}&limit=5`, pro)).statusCode).toBe(200);
  });
});
