// runSource against a fake upstream serving the real feed files: what a run stores and
// reports, conditional requests (ETag / Last-Modified, 304), idempotent re-ingestion, and a
// ThreatFox ip:port kept as an ipv4 record with its port.
import { describe, expect, it } from 'vitest';
import { runSource } from '../../src/ingest/pipeline.js';
import { listSourceStatus } from '../../src/store/sources.js';
import { BACKENDS } from '../helpers.js';
import {
  CISA_RSS,
  fakeSource,
  fastRun,
  FEODO_JSON,
  fixture,
  reload,
  runsOf,
  serve,
  serveFixture,
  sourceCounts,
  status,
  storeAndUpstream,
  storedState,
  THREATFOX_JSON,
  URLHAUS_CSV,
} from './ingest-upstream.js';

interface SightingRow {
  id: string;
  indicator_id: string;
  value: string;
  type: string;
  confidence: string;
  first_seen: Date;
  last_seen: Date;
  extracted_at: Date;
  tags: string[];
  ports: number[];
  context: string | null;
  reference_url: string | null;
  origin: string;
  article_id: string | null;
}

describe.each(BACKENDS)('ingestion pipeline on %s', (backend) => {
  const bed = storeAndUpstream(backend);

  const sightingsOf = (sourceId: number) =>
    bed.store.db.query<SightingRow>(
      `select s.id, s.indicator_id, i.value, s.type, s.confidence, s.first_seen, s.last_seen, s.extracted_at, s.tags,
         s.ports, s.context, s.reference_url, s.origin, s.article_id
       from sightings s join indicators i on i.id = s.indicator_id where s.source_id = $1 order by s.id`,
      [sourceId],
    );

  const indicatorsOf = (sourceId: number) =>
    bed.store.db.query<Record<string, unknown>>(
      `select i.* from indicators i where i.id in (select indicator_id from sightings where source_id = $1) order by i.id`,
      [sourceId],
    );

  describe('a run and its summary', () => {
    it('stores each row of a feed and reports the counts in the summary, the run record and the source status', async () => {
      const source = await fakeSource(bed.store.db, bed.upstream, 'feodo-json');
      bed.upstream.on(source.path, serveFixture(FEODO_JSON, { contentType: 'application/json' }));
      const summary = await runSource(bed.store.db, source, fastRun());
      expect(summary).toMatchObject({
        source: source.name,
        outcome: 'ok',
        httpStatus: 200,
        bytes: Buffer.byteLength(fixture(FEODO_JSON)),
        fetched: 5,
        parsed: 5,
        new: 5,
        updated: 0,
        suppressed: 0,
        rejected: 0,
        articles: 0,
        health: 'healthy',
        healthReason: null,
      });
      expect(await runsOf(bed.store.db, source.id)).toEqual([
        { outcome: 'ok', http_status: 200, error: null, fetched: 5, parsed: 5, new: 5, updated: 0, suppressed: 0, rejected: 0, articles: 0, bytes: summary.bytes },
      ]);
      const rows = await sightingsOf(source.id);
      expect(rows.map((r) => r.value).sort()).toEqual(['162.243.103.246', '178.62.3.223', '27.133.154.218', '34.204.119.63', '50.16.16.211']);
      const qakbot = rows.find((r) => r.value === '50.16.16.211')!;
      expect(qakbot).toMatchObject({ type: 'ipv4', confidence: 'high', origin: 'feed', ports: [443], article_id: null });
      expect(qakbot.tags).toEqual(expect.arrayContaining(['qakbot', 'botnet_cc']));
      expect(qakbot.first_seen.toISOString()).toBe('2025-12-30T13:56:31.000Z');

      const status = (await listSourceStatus(bed.store.db)).find((s) => s.id === source.id)!;
      expect(status).toMatchObject({ health: 'healthy', health_reason: null, consecutive_failures: 0 });
      expect(status.last_run).toMatchObject({ outcome: 'ok', http_status: 200, fetched: 5, parsed: 5, new: 5, updated: 0, rejected: 0 });
      expect(status.last_success_at).toBeInstanceOf(Date);
      expect(status.last_new_at).toBeInstanceOf(Date);
    });

    it('counts a URLhaus CSV with its comment banner: every row one url record', async () => {
      const source = await fakeSource(bed.store.db, bed.upstream, 'urlhaus-csv');
      bed.upstream.on(source.path, serveFixture(URLHAUS_CSV, { contentType: 'text/csv' }));
      const summary = await runSource(bed.store.db, source, fastRun());
      expect(summary).toMatchObject({ outcome: 'ok', fetched: 78, parsed: 78, rejected: 0 });
      expect(summary.new).toBe((await sourceCounts(bed.store.db, source.id)).sightings);
      const [row] = await bed.store.db.query<{ n: number; types: string[] }>(
        'select count(*)::int as n, array_agg(distinct type) as types from sightings where source_id = $1',
        [source.id],
      );
      expect(row).toEqual({ n: summary.new, types: ['url'] });
    });
  });

  describe('a ThreatFox ip:port', () => {
    it('becomes an ipv4 record whose port is kept in sightings.ports; several ports of one address are merged', async () => {
      const source = await fakeSource(bed.store.db, bed.upstream, 'threatfox-json');
      bed.upstream.on(source.path, serveFixture(THREATFOX_JSON, { contentType: 'application/json' }));
      const summary = await runSource(bed.store.db, source, fastRun());
      expect(summary).toMatchObject({ outcome: 'ok', fetched: 1000 });
      const rows = await sightingsOf(source.id);
      expect(rows).toHaveLength(summary.new!);
      // "221.132.16.23:8000" (ThreatFox id 1856781).
      const single = rows.filter((r) => r.value === '221.132.16.23');
      expect(single).toHaveLength(1);
      expect(single[0]).toMatchObject({ type: 'ipv4', ports: [8000], reference_url: 'https://threatfox.abuse.ch/ioc/1856781/' });
      expect(single[0]!.tags).toContain('viper');
      // 200.234.219.26 is listed on ports 443, 22, 80 and 3389 (four ThreatFox ids): one record.
      const multi = rows.filter((r) => r.value === '200.234.219.26');
      expect(multi).toHaveLength(1);
      expect(multi[0]!.ports).toEqual([22, 80, 443, 3389]);
      // No value keeps its ":port", and no record has the type ip:port.
      expect(rows.filter((r) => r.type === 'ipv4' && r.value.includes(':'))).toEqual([]);
      const [ipPortRecords] = await bed.store.db.query<{ n: number }>(
        `select count(*)::int as n from sightings where source_id = $1 and type = 'ipv4' and cardinality(ports) > 0`,
        [source.id],
      );
      // 167 ip:port entries on 109 distinct addresses.
      expect(ipPortRecords!.n).toBe(109);
    });
  });

  describe('conditional requests', () => {
    it('sends If-None-Match and If-Modified-Since on the next run; a 304 is not_modified and changes nothing', async () => {
      const lastModified = 'Fri, 24 Jul 2026 13:50:06 GMT';
      const source = await fakeSource(bed.store.db, bed.upstream, 'feodo-json');
      bed.upstream.on(source.path, serveFixture(FEODO_JSON, { etag: '"feodo-20260724"', lastModified }));

      const first = await runSource(bed.store.db, source, fastRun());
      expect(first).toMatchObject({ outcome: 'ok', new: 5 });
      const afterFirst = await reload(bed.store.db, source);
      expect(afterFirst).toMatchObject({ etag: '"feodo-20260724"', last_modified: lastModified });
      expect(bed.upstream.requestsTo(source.path)[0]!.headers['if-none-match']).toBeUndefined();
      const before = await storedState(bed.store.db);

      const second = await runSource(bed.store.db, afterFirst, fastRun());
      const request = bed.upstream.requestsTo(source.path)[1]!;
      expect(request.headers['if-none-match']).toBe('"feodo-20260724"');
      expect(request.headers['if-modified-since']).toBe(lastModified);
      expect(second).toMatchObject({ outcome: 'not_modified', httpStatus: 304, health: 'healthy' });
      expect(second.new ?? 0).toBe(0);
      expect(await storedState(bed.store.db)).toEqual(before);
      expect((await runsOf(bed.store.db, source.id)).map((r) => [r.outcome, r.http_status, r.new, r.updated])).toEqual([
        ['ok', 200, 5, 0],
        ['not_modified', 304, 0, 0],
      ]);
      const afterSecond = await reload(bed.store.db, source);
      expect(afterSecond).toMatchObject({ etag: '"feodo-20260724"', last_modified: lastModified, health: 'healthy', consecutive_failures: 0 });
      expect(afterSecond.last_run_at!.getTime()).toBeGreaterThanOrEqual(afterFirst.last_run_at!.getTime());
    });

    it('uses Last-Modified alone when the server sends no ETag', async () => {
      const lastModified = 'Mon, 18 Aug 2026 16:17:08 GMT';
      const source = await fakeSource(bed.store.db, bed.upstream, 'urlhaus-csv');
      bed.upstream.on(source.path, serveFixture(URLHAUS_CSV, { lastModified }));
      await runSource(bed.store.db, source, fastRun());
      const second = await runSource(bed.store.db, await reload(bed.store.db, source), fastRun());
      const request = bed.upstream.requestsTo(source.path)[1]!;
      expect(request.headers['if-none-match']).toBeUndefined();
      expect(request.headers['if-modified-since']).toBe(lastModified);
      expect(second.outcome).toBe('not_modified');
    });

    it('keeps the old validators when a run fails, so a changed feed that failed is fetched again in full', async () => {
      const source = await fakeSource(bed.store.db, bed.upstream, 'feodo-json');
      const full = fixture(FEODO_JSON);
      const firstThree = JSON.stringify((JSON.parse(full) as unknown[]).slice(0, 3), null, 4);
      // Version 1 (the first three entries); then version 2 comes out, first cut short, then whole.
      bed.upstream.on(
        source.path,
        serve(firstThree, { etag: '"v1"' }),
        serve(full.slice(0, 700), { etag: '"v2"' }),
        serve(full, { etag: '"v2"' }),
      );
      expect(await runSource(bed.store.db, source, fastRun())).toMatchObject({ outcome: 'ok', new: 3 });
      const failed = await runSource(bed.store.db, await reload(bed.store.db, source), fastRun());
      expect(failed.outcome).toBe('failed');
      expect(await reload(bed.store.db, source)).toMatchObject({ etag: '"v1"' });
      const third = await runSource(bed.store.db, await reload(bed.store.db, source), fastRun());
      expect(bed.upstream.requestsTo(source.path)[2]!.headers['if-none-match']).toBe('"v1"');
      expect(third).toMatchObject({ outcome: 'ok', new: 2, updated: 3 });
      expect(await reload(bed.store.db, source)).toMatchObject({ etag: '"v2"' });
      expect(await sourceCounts(bed.store.db, source.id)).toEqual({ sightings: 5, articles: 0 });
    });

    it('a 304 after a failure still counts as a success for health', async () => {
      const source = await fakeSource(bed.store.db, bed.upstream, 'feodo-json');
      bed.upstream.on(source.path, serveFixture(FEODO_JSON, { etag: '"e"' }), status(500), serveFixture(FEODO_JSON, { etag: '"e"' }));
      await runSource(bed.store.db, source, fastRun());
      expect((await runSource(bed.store.db, await reload(bed.store.db, source), fastRun())).outcome).toBe('failed');
      const third = await runSource(bed.store.db, await reload(bed.store.db, source), fastRun());
      expect(third.outcome).toBe('not_modified');
      expect(await reload(bed.store.db, source)).toMatchObject({ consecutive_failures: 0 });
      expect(third.health).not.toBe('error');
    });
  });

  describe('idempotency', () => {
    it.each([
      ['threatfox-json', THREATFOX_JSON],
      ['urlhaus-csv', URLHAUS_CSV],
      ['feodo-json', FEODO_JSON],
    ])('the same %s file ingested twice changes nothing but last_seen, and the second run reports 0 new', async (kind, file) => {
      const source = await fakeSource(bed.store.db, bed.upstream, kind);
      bed.upstream.on(source.path, serveFixture(file));
      const first = await runSource(bed.store.db, source, fastRun());
      expect(first.outcome).toBe('ok');
      expect(first.new).toBeGreaterThan(0);
      const rowsBefore = await sightingsOf(source.id);
      const indicatorsBefore = await indicatorsOf(source.id);
      const countsBefore = await storedState(bed.store.db);

      const second = await runSource(bed.store.db, await reload(bed.store.db, source), fastRun());
      expect(second).toMatchObject({ outcome: 'ok', new: 0, updated: first.new, fetched: first.fetched, parsed: first.parsed });
      const rowsAfter = await sightingsOf(source.id);
      const countsAfter = await storedState(bed.store.db);
      expect(countsAfter.indicators.rows).toBe(countsBefore.indicators.rows);
      expect(countsAfter.sightings.rows).toBe(countsBefore.sightings.rows);
      // Every column as it was, but last_seen, which may only move forward.
      const withoutLastSeen = (rows: SightingRow[]) => rows.map(({ last_seen: _lastSeen, ...rest }) => rest);
      expect(withoutLastSeen(rowsAfter)).toEqual(withoutLastSeen(rowsBefore));
      rowsAfter.forEach((row, i) => expect(row.last_seen.getTime()).toBeGreaterThanOrEqual(rowsBefore[i]!.last_seen.getTime()));
      const indicatorsAfter = await indicatorsOf(source.id);
      const withoutIndicatorLastSeen = (rows: Record<string, unknown>[]) => rows.map(({ last_seen: _lastSeen, ...rest }) => rest);
      expect(withoutIndicatorLastSeen(indicatorsAfter)).toEqual(withoutIndicatorLastSeen(indicatorsBefore));
    });

    it('an RSS feed read twice stores each article and its IOCs once', async () => {
      const source = await fakeSource(bed.store.db, bed.upstream, 'rss', { category: 'government' });
      bed.upstream.on(source.path, serveFixture(CISA_RSS, { contentType: 'application/rss+xml' }));
      const first = await runSource(bed.store.db, source, fastRun());
      expect(first).toMatchObject({ outcome: 'ok', articles: 5, fetched: 5 });
      expect(first.new).toBeGreaterThan(0);
      const countsBefore = await sourceCounts(bed.store.db, source.id);
      expect(countsBefore.articles).toBe(5);
      const articleRows = await bed.store.db.query<{ origin: string; n: number }>(
        `select origin, count(*)::int as n from sightings where source_id = $1 group by origin`,
        [source.id],
      );
      expect(articleRows).toEqual([{ origin: 'article', n: first.new }]);
      const before = await storedState(bed.store.db);

      const second = await runSource(bed.store.db, await reload(bed.store.db, source), fastRun());
      expect(second).toMatchObject({ outcome: 'ok', articles: 0, new: 0 });
      expect(await sourceCounts(bed.store.db, source.id)).toEqual(countsBefore);
      expect(await storedState(bed.store.db)).toEqual(before);
    });
  });
});
