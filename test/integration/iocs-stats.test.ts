// GET /api/v1/iocs/stats as a client reads it (../shared/spec/iocs-stats.md, README rule 1): Pro
// only; the OpenAPI example's shape plus byConfidence, last7d.direction and trendByType, and the
// techniques' names; counts that match what was stored; the cache headers and refresh interval;
// served from memory; the feeds' health as of the last re-read.
import { beforeAll, describe, expect, it } from 'vitest';
import { attackTechnique } from '../../src/ioc/attack.js';
import { importIocList } from '../../src/ingest/import-list.js';
import { startStatsCache, type StatsCache } from '../../src/api/stats-cache.js';
import { createLogger } from '../../src/logger.js';
import { readStats, refreshStats } from '../../src/store/stats.js';
import { appSuite, BACKENDS, openTestStore, readFixture, startTestApp } from '../helpers.js';
import {
  CISA_SOURCE,
  CSV_INJECTION_SOURCE,
  CSV_INJECTION_VALUES,
  IPV6_AGE_DAYS,
  countBy,
  expectError,
  expectInvalidParameter,
  expectTimeNear,
  get,
  instrument,
  seedStore,
  type ModelRecord,
  type Seeded,
} from './seed.js';

const IOC_TYPES = ['ipv4', 'ipv6', 'domain', 'url', 'md5', 'sha1', 'sha256', 'sha512', 'email', 'cve', 'mitre_attack'];
const CATEGORIES = ['news', 'research', 'threat-intel', 'vendor', 'government'];
const DATA_FIELDS = [
  'totalIOCs',
  'totalArticles',
  'byType',
  'bySource',
  'byCategory',
  'byConfidence',
  'last24h',
  'last7d',
  'feedHealth',
  'topMitreTechniques',
  'topCVEs',
  'lastUpdated',
];

interface StatsBody {
  meta: {
    generated_at: string;
    cache_updated_at: string;
    cache_age_seconds: number;
    refresh_interval_seconds: number;
    feed_version: string;
    source: string;
  };
  data: {
    totalIOCs: number;
    totalArticles: number;
    byType: Record<string, number>;
    bySource: Record<string, number>;
    byCategory: Record<string, number>;
    byConfidence: Record<string, number>;
    last24h: { newIOCs: number; newArticles: number; byType: Record<string, number> };
    last7d: { newIOCs: number; newArticles: number; trend: number[]; direction: string; trendByType: Record<string, number[]> };
    feedHealth: { total: number; healthy: number; degraded: number; error: number };
    topMitreTechniques: { id: string; name: string | null; count: number }[];
    topCVEs: { id: string; count: number }[];
    lastUpdated: string | null;
  };
}

/** Every value of `keys` counted in `records` (0 when none). */
function countAll(records: ModelRecord[], keys: string[], key: (record: ModelRecord) => string): Record<string, number> {
  const counts = countBy(records, key);
  return Object.fromEntries(keys.map((k) => [k, counts[k] ?? 0]));
}

/** Top techniques: those records name, and those reported as IOCs; most reported first. */
function topTechniques(records: ModelRecord[]): { id: string; name: string | null; count: number }[] {
  const named = records.flatMap((r) => (r.type === 'mitre_attack' ? [r.value] : r.mitreTechniques));
  return Object.entries(countBy(named, (id) => id))
    .map(([id, count]) => ({ id, name: attackTechnique(id)?.name ?? null, count }))
    .sort((a, b) => b.count - a.count || (a.id < b.id ? -1 : 1))
    .slice(0, 10);
}

/** The seven daily buckets of `records`: the recent ones in the last, the others IPV6_AGE_DAYS before. */
function week(records: ModelRecord[]): number[] {
  const trend = [0, 0, 0, 0, 0, 0, 0];
  for (const record of records) trend[record.recent ? 6 : 6 - IPV6_AGE_DAYS]! += 1;
  return trend;
}

/** The Feodo Tracker blocklist of 2026-07-24, as an operator would import it: its IPs, one a line. */
function feodoBlocklist(): string {
  const entries = JSON.parse(readFixture('feeds/feodotracker-ipblocklist-2026-07-24.json')) as { ip_address: string }[];
  return entries.map((entry) => entry.ip_address).join('\n');
}

describe.each(BACKENDS)('GET /api/v1/iocs/stats on %s', (backend) => {
  let seeded: Seeded;
  const { store, t } = appSuite(backend, {
    seed: async (db) => {
      seeded = await seedStore(db);
    },
  });
  let pro: string;
  let free: string;

  beforeAll(async () => {
    pro = await t.key('pro');
    free = await t.key('free');
  });

  async function stats(): Promise<{ body: StatsBody; headers: Record<string, unknown> }> {
    const res = await get(t.app, '/api/v1/iocs/stats', pro);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    return { body: res.json() as StatsBody, headers: res.headers };
  }

  function expected(records: ModelRecord[], articles = 1, feeds = { total: 1, healthy: 1, degraded: 0, error: 0 }) {
    const recent = records.filter((r) => r.recent);
    const trendByType = Object.fromEntries(IOC_TYPES.map((type) => [type, week(records.filter((r) => r.type === type))]));
    return {
      totalIOCs: records.length,
      totalArticles: articles,
      byType: countAll(records, IOC_TYPES, (r) => r.type),
      bySource: countBy(records, (r) => r.source),
      byCategory: countAll(records, CATEGORIES, (r) => r.category),
      byConfidence: countAll(records, ['high', 'medium', 'low'], (r) => r.confidence),
      last24h: { newIOCs: recent.length, newArticles: articles, byType: countBy(recent, (r) => r.type) },
      // Nothing was stored the week before: up.
      last7d: { newIOCs: records.length, newArticles: articles, trend: week(records), direction: 'up', trendByType },
      feedHealth: feeds,
      topMitreTechniques: topTechniques(records),
      topCVEs: [{ id: 'CVE-2023-23397', count: records.filter((r) => r.type === 'cve').length }],
      lastUpdated: expect.any(String),
    };
  }

  it('refuses a free key: 403 insufficient_scope, read:stats required', async () => {
    const error = expectError(await get(t.app, '/api/v1/iocs/stats', free), 403, 'insufficient_scope');
    expect(error.details).toMatchObject({ required_scope: 'read:stats', your_scopes: ['read:iocs'] });
  });

  it('answers the documented shape with counts that match what was stored', async () => {
    const { body, headers } = await stats();
    expect(Object.keys(body)).toEqual(['meta', 'data']);
    expect(Object.keys(body.meta).sort()).toEqual([
      'cache_age_seconds',
      'cache_updated_at',
      'feed_version',
      'generated_at',
      'refresh_interval_seconds',
      'source',
    ]);
    expect(body.meta).toMatchObject({ feed_version: '1.0', source: 'SOC Defenders' });
    expectTimeNear(body.meta.generated_at, Date.now(), 10_000);
    expect(Object.keys(body.data)).toEqual(DATA_FIELDS);
    expect(Object.keys(body.data.byType).sort()).toEqual([...IOC_TYPES].sort());
    expect(Object.keys(body.data.byCategory).sort()).toEqual([...CATEGORIES].sort());
    expect(body.data.last7d.trend).toHaveLength(7);
    expect(body.data).toEqual(expected(seeded.records));
    // Spot checks, by hand: 141 records of four sources, the advisory's 81 among them.
    expect(body.data.totalIOCs).toBe(141);
    expect(body.data.byCategory.government).toBe(81);
    expect(body.data.topMitreTechniques).toEqual([
      { id: 'T1110.003', name: 'Password Spraying', count: 62 },
      { id: 'T1187', name: 'Forced Authentication', count: 17 },
      { id: 'T1566.002', name: 'Spearphishing Link', count: 2 },
    ]);
    expectTimeNear(body.data.lastUpdated, Date.now(), 120_000);
    expect(body.data.lastUpdated).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    // The cache headers say how fresh the document is.
    expect(headers['x-cache-updated-at']).toBe(body.meta.cache_updated_at);
    expectTimeNear(headers['x-cache-updated-at'], Date.now(), 120_000);
    expect(headers['x-cache-age-seconds']).toMatch(/^\d+$/);
    expect(Number(headers['x-cache-age-seconds'])).toBe(body.meta.cache_age_seconds);
    expect(Number(headers['x-cache-age-seconds'])).toBeLessThan(120);
    expect(headers['x-cache-stale']).toBeUndefined();

    // The refresh interval (STATS_REFRESH_SECONDS): when the next document is due.
    expect(body.meta.refresh_interval_seconds).toBe(store.config.statsRefreshSeconds);
    expect(headers['x-cache-refresh-seconds']).toBe(String(store.config.statsRefreshSeconds));
  });

  it('splits the trend by type: each day the types add up to it, each record in its 24-hour bucket', async () => {
    const sumsToTrend = (last7d: StatsBody['data']['last7d']) => {
      expect(Object.keys(last7d.trendByType).sort()).toEqual([...IOC_TYPES].sort());
      for (const counts of Object.values(last7d.trendByType)) expect(counts).toHaveLength(7);
      const daily = last7d.trend.map((_, day) => Object.values(last7d.trendByType).reduce((sum, counts) => sum + counts[day]!, 0));
      expect(daily).toEqual(last7d.trend);
    };
    const before = (await stats()).body.data.last7d;
    sumsToTrend(before);
    // By hand: the IPv6 list's three records, stored three days ago, are bucket 3 of 0..6; today's are in 6.
    expect(before.trendByType.ipv6).toEqual([0, 0, 0, 3, 0, 0, 0]);
    expect(before.trendByType.cve).toEqual([0, 0, 0, 0, 0, 0, 2]);

    // The CSV-injection list's two IPv4 records moved to just inside the oldest bucket, and to just
    // past the first day: buckets 0 and 5, out of 6; a third moved past the week counts in none.
    const move = (value: string, age: string) =>
      store.db.query(
        `update sightings set extracted_at = now() - $3::interval
         where source_id = (select id from sources where name = $1) and indicator_id = (select id from indicators where value = $2)`,
        [CSV_INJECTION_SOURCE, value, age],
      );
    // As text, to be put back to the microsecond.
    const stored = await store.db.query<{ id: string; at: string }>(
      `select id, extracted_at::text as at from sightings where source_id = (select id from sources where name = $1)`,
      [CSV_INJECTION_SOURCE],
    );
    try {
      await move(CSV_INJECTION_VALUES[0]!, '6 days 23 hours');
      await move(CSV_INJECTION_VALUES[1]!, '1 day 1 minute');
      await refreshStats(store.db);
      await t.stats.reload();
      let after = (await stats()).body.data.last7d;
      sumsToTrend(after);
      const ipv4 = [...before.trendByType.ipv4!];
      expect(ipv4[6]).toBeGreaterThanOrEqual(2);
      expect(after.trendByType.ipv4).toEqual([ipv4[0]! + 1, ipv4[1], ipv4[2], ipv4[3], ipv4[4], ipv4[5]! + 1, ipv4[6]! - 2]);
      expect(after.trend).toEqual(before.trend.map((n, day) => n + (day === 0 || day === 5 ? 1 : day === 6 ? -2 : 0)));

      await move(CSV_INJECTION_VALUES[0]!, '7 days 1 hour');
      await refreshStats(store.db);
      await t.stats.reload();
      after = (await stats()).body.data.last7d;
      sumsToTrend(after);
      expect(after.trendByType.ipv4![0]).toBe(ipv4[0]);
      expect(after.newIOCs).toBe(before.newIOCs - 1);
    } finally {
      for (const { id, at } of stored) await store.db.query(`update sightings set extracted_at = $2::timestamptz where id = $1`, [id, at]);
      await refreshStats(store.db);
      await t.stats.reload();
    }
    expect((await stats()).body.data.last7d).toEqual(before);
  });

  it('says X-Cache-Stale: true when the cache has missed its refresh window', async () => {
    try {
      await store.db.query(`update stats_cache set updated_at = updated_at - interval '2 hours'`);
      await t.stats.reload();
      const { body, headers } = await stats();
      expect(headers['x-cache-stale']).toBe('true');
      expect(Number(headers['x-cache-age-seconds'])).toBeGreaterThanOrEqual(7200);
      expect(body.meta.cache_age_seconds).toBe(Number(headers['x-cache-age-seconds']));
      expect(Date.parse(body.meta.cache_updated_at)).toBeLessThanOrEqual(Date.now() - 7200_000);
    } finally {
      await refreshStats(store.db);
      await t.stats.reload();
    }
    expect((await stats()).headers['x-cache-stale']).toBeUndefined();
  });

  it('moves when records are added, once the cache is refreshed and re-read', async () => {
    const before = (await stats()).body.data;
    const added = await importIocList(store.db, feodoBlocklist(), { source: 'Feodo Tracker', confidence: 'high' });
    expect(added.inserted).toBe(5);
    await store.db.query(`update sources set health = 'degraded', health_reason = 'HTTP 503' where name = $1`, [CISA_SOURCE]);
    try {
      // Served from memory: the same numbers until the cache is re-read.
      expect((await stats()).body.data).toEqual(before);
      await refreshStats(store.db);
      await t.stats.reload();
      const after = (await stats()).body.data;
      const feodo: ModelRecord[] = feodoBlocklist()
        .split('\n')
        .map((ip) => ({ ...seeded.records.find((r) => r.value === ip)!, source: 'Feodo Tracker', confidence: 'high' as const }));
      expect(after).toEqual(expected([...seeded.records, ...feodo], 1, { total: 1, healthy: 0, degraded: 1, error: 0 }));
      expect(after.totalIOCs).toBe(before.totalIOCs + 5);
      expect(after.byType.ipv4).toBe(before.byType.ipv4! + 5);
      expect(after.bySource['Feodo Tracker']).toBe(5);
    } finally {
      await store.db.query(`delete from sightings where source_id = (select id from sources where name = 'Feodo Tracker')`);
      await store.db.query(`delete from sources where name = 'Feodo Tracker'`);
      await store.db.query(`update sources set health = 'healthy', health_reason = null where name = $1`, [CISA_SOURCE]);
      await refreshStats(store.db);
      await t.stats.reload();
    }
    expect((await stats()).body.data).toEqual(before);
  });

  it("tells a feed's new health at the next re-read of the cache, without waiting for its refresh", async () => {
    const before = await stats();
    await store.db.query(`update sources set health = 'error', health_reason = 'HTTP 503' where name = $1`, [CISA_SOURCE]);
    try {
      await t.stats.reload();
      const after = await stats();
      expect(after.body.data.feedHealth).toEqual({ total: 1, healthy: 0, degraded: 0, error: 1 });
      // The rest is the same document: nothing was recomputed.
      expect(after.headers['x-cache-updated-at']).toBe(before.headers['x-cache-updated-at']);
      expect({ ...after.body.data, feedHealth: before.body.data.feedHealth }).toEqual(before.body.data);
    } finally {
      await store.db.query(`update sources set health = 'healthy', health_reason = null where name = $1`, [CISA_SOURCE]);
      await t.stats.reload();
    }
    expect((await stats()).body.data).toEqual(before.body.data);
  });

  it('is served from memory: no query, and an answer while the database is down', async () => {
    const probe = instrument(store.db);
    const app = await startTestApp({ ...store, db: probe.db }, { keyCacheTtlMs: 60_000 });
    try {
      const key = await app.key('pro');
      // The first request looks the key up; after that it is cached.
      expect((await get(app.app, '/api/v1/iocs/stats', key)).statusCode).toBe(200);
      probe.state.queries = 0;
      const res = await get(app.app, '/api/v1/iocs/stats', key);
      expect(res.statusCode).toBe(200);
      expect(probe.state.queries).toBe(0);
      probe.state.okBeforeFailing = 0;
      const down = await get(app.app, '/api/v1/iocs/stats', key);
      expect(down.statusCode).toBe(200);
      expect(down.json().data).toEqual(res.json().data);
      // The same key on a route that needs the database: the documented 500, internals hidden.
      const list = await get(app.app, '/api/v1/iocs', key);
      const error = expectError(list, 500, 'internal_error');
      expect(error.message).not.toContain('unreachable');
    } finally {
      probe.state.okBeforeFailing = Infinity;
      await app.close();
    }
  });

  it('rejects an unknown parameter with 400 naming it', async () => {
    const details = expectInvalidParameter(await get(t.app, '/api/v1/iocs/stats?window=7d', pro), 'window');
    expect(details.allowed_parameters).toEqual(['api_key']);
  });
});

describe.each(BACKENDS)('the stats cache across a restart on %s', (backend) => {
  it('refreshes when the snapshot falls due, not a whole interval after the start', async () => {
    const store = await openTestStore(backend);
    const interval = 4;
    let cache: StatsCache | undefined;
    try {
      await refreshStats(store.db);
      // Three of its four seconds old: not due at the start, due a second later.
      await store.db.query(`update stats_cache set updated_at = now() - interval '3 seconds'`);
      const before = await readStats(store.db);
      cache = await startStatsCache(store.db, interval, createLogger({ logLevel: 'silent' }));
      expect(cache.current()?.updatedAt).toEqual(before?.updatedAt);
      // Well before the interval (4 s) has passed since the start, a refresh has happened.
      const deadline = Date.now() + 2500;
      let refreshed = false;
      while (!refreshed && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        refreshed = (await readStats(store.db))!.updatedAt > before!.updatedAt;
      }
      expect(refreshed).toBe(true);
    } finally {
      cache?.stop();
      await store.close();
    }
  });
});
