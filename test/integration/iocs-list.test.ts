// GET /api/v1/iocs as a client reads it (../shared/spec/iocs-list.md): the JSON envelope, every
// filter, paging, the tier caps, every parameter error, and the csv and txt formats.
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importIocList } from '../../src/ingest/import-list.js';
import { BACKENDS, openTestStore, readFixture, startTestApp, type TestApp, type TestStore } from '../helpers.js';
import { checkCef, checkCefLine } from '../helpers/cef.js';
import { checkOpenIoc, openIocItems } from '../helpers/openioc.js';
import { checkSigma, sigmaDocuments } from '../helpers/sigma.js';
import {
  ADVISORY,
  ADVISORY_TAGS,
  CISA_SOURCE,
  CSV_INJECTION_SOURCE,
  CSV_INJECTION_VALUES,
  DAY_MS,
  IPV6_SOURCE,
  OPS_SOURCE,
  countBy,
  expectError,
  expectInvalidParameter,
  expectRecordAsModelled,
  expectTimeNear,
  get,
  instrument,
  isoAgo,
  seedStore,
  type ApiRecord,
  type ModelRecord,
  type Seeded,
} from './seed.js';

const IOC_TYPES = ['ipv4', 'ipv6', 'domain', 'url', 'md5', 'sha1', 'sha256', 'sha512', 'email', 'cve', 'mitre_attack'];
const CSV_HEADER = ['id', 'type', 'value', 'confidence', 'first_seen', 'last_seen', 'source_article', 'source_feed', 'category', 'tags'];

interface ListBody {
  meta: {
    total: number;
    total_exact: boolean;
    limit: number;
    offset: number;
    generated_at: string;
    feed_version: string;
    source: string;
    filters: Record<string, string>;
    notices?: string[];
  };
  data: ApiRecord[];
  links: { self: string; next?: string; prev?: string };
}

/** RFC 4180, strictly: CRLF record delimiters, every row 10 cells, quotes only as the RFC allows. */
function parseStrictCsv(body: string): string[][] {
  expect(body.endsWith('\r\n')).toBe(true);
  // No bare LF or CR outside quoted cells: every line break is CRLF.
  expect(body.replace(/\r\n/g, '').match(/[\r\n]/)).toBeNull();
  return parseCsv(body, {
    record_delimiter: '\r\n',
    relax_quotes: false,
    relax_column_count: false,
    skip_empty_lines: false,
    trim: false,
  }) as string[][];
}

const byFirstCell = (x: string[], y: string[]) => (x[0]! < y[0]! ? -1 : 1);
const byRecordId = (x: ApiRecord, y: ApiRecord) => (x.id < y.id ? -1 : 1);

describe.each(BACKENDS)('GET /api/v1/iocs on %s', (backend) => {
  let store: TestStore;
  let t: TestApp;
  let seeded: Seeded;
  let seededFrom: number;
  let pro: string;
  let free: string;
  const byId = new Map<string, ModelRecord>();

  beforeAll(async () => {
    store = await openTestStore(backend);
    seededFrom = Date.now();
    seeded = await seedStore(store.db);
    for (const record of seeded.records) byId.set(record.id, record);
    t = await startTestApp(store);
    pro = await t.key('pro');
    free = await t.key('free');
  });
  afterAll(async () => {
    await t?.close();
    await store?.close();
  });

  async function list(query: string, key = pro): Promise<ListBody> {
    const res = await get(t.app, `/api/v1/iocs?${query}`, key);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    return res.json() as ListBody;
  }

  /** The ids a query returns (all pages it has, in one request). */
  async function ids(query: string, key = pro): Promise<string[]> {
    const body = await list(`limit=10000&${query}`, key);
    expect(body.data).toHaveLength(body.meta.total);
    return body.data.map((record) => record.id).sort();
  }

  const modelIds = (keep: (record: ModelRecord) => boolean) =>
    seeded.records
      .filter(keep)
      .map((record) => record.id)
      .sort();

  describe('json', () => {
    it('answers with the documented envelope: meta, data and links', async () => {
      const res = await get(t.app, '/api/v1/iocs', pro);
      expect(res.statusCode).toBe(200);
      for (const header of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']) {
        expect(res.headers[header]).toMatch(/^\d+$/);
      }
      const body = res.json() as ListBody;
      expect(Object.keys(body).sort()).toEqual(['data', 'links', 'meta']);
      const now = Date.now();
      expect(body.meta).toEqual({
        total: seeded.records.length,
        total_exact: true,
        limit: 100,
        offset: 0,
        generated_at: expect.any(String),
        feed_version: '1.0',
        source: 'SOC Defenders',
        filters: { type: 'all', category: 'all', confidence: 'all', industry: 'all', since: expect.any(String), until: expect.any(String), include_expired: 'false' },
      });
      expectTimeNear(body.meta.generated_at, now, 10_000);
      // No since given: the pro tier's 365-day lookback.
      expectTimeNear(body.meta.filters.since, now - 365 * DAY_MS, 10_000);
      expectTimeNear(body.meta.filters.until, now, 10_000);
      expect(body.data).toHaveLength(100);
      const self = new URL(body.links.self);
      expect(self.pathname).toBe('/api/v1/iocs');
      expect(Object.fromEntries(self.searchParams)).toEqual({ limit: '100', offset: '0' });
      // The next page starts after this one's last record (a keyset cursor, iocs-list-paging.test.ts).
      expect(Object.fromEntries(new URL(body.links.next!).searchParams)).toEqual({ limit: '100', cursor: expect.any(String) });
      expect(body.links.prev).toBeUndefined();
    });

    it('gives every record with each documented field as its source reported it', async () => {
      const body = await list('limit=10000');
      expect(body.meta.total).toBe(seeded.records.length);
      expect(body.data.map((record) => record.id).sort()).toEqual([...byId.keys()].sort());
      for (const record of body.data) expectRecordAsModelled(record, byId.get(record.id)!, seeded, seededFrom);
      // One record per value per source: a value two sources report is two records.
      const twice = body.data.filter((record) => record.value === '213.32.252.221');
      expect(twice.map((record) => record.source.feed_name).sort()).toEqual([CISA_SOURCE, OPS_SOURCE]);
      const fromArticle = twice.find((record) => record.source.origin === 'article')!;
      // article_url is the article's page here, under the links' base (decision 11); reference_url the publisher's.
      expect(fromArticle.source).toEqual({
        article_id: seeded.article.id,
        article_title: ADVISORY.title,
        article_url: `${new URL(body.links.self).origin}/item/${seeded.article.id}`,
        reference_url: ADVISORY.advisory_url,
        feed_name: CISA_SOURCE,
        category: 'government',
        origin: 'article',
      });
    });

    it('filters by each type, mitre-attack being an alias of mitre_attack', async () => {
      for (const type of IOC_TYPES) {
        expect(await ids(`type=${type}`), type).toEqual(modelIds((r) => r.type === type));
      }
      const alias = await list('type=mitre-attack');
      expect(alias.meta.filters.type).toBe('mitre_attack');
      expect(alias.data.map((r) => r.value).sort()).toEqual(['T1110.003', 'T1566.002', 'T1566.002']);
      expect((await list('type=ipv6')).data.every((r) => r.type === 'ipv6')).toBe(true);
    });

    it('filters by category, confidence and industry (CISA sector names accepted)', async () => {
      for (const category of ['news', 'research', 'threat-intel', 'vendor', 'government']) {
        expect(await ids(`category=${category}`), category).toEqual(modelIds((r) => r.category === category));
      }
      expect((await ids('category=government')).length).toBe(81);
      for (const confidence of ['high', 'medium', 'low']) {
        expect(await ids(`confidence=${confidence}`), confidence).toEqual(modelIds((r) => r.confidence === confidence));
      }
      const advisoryIds = modelIds((r) => r.source === CISA_SOURCE);
      expect(await ids('industry=transportation')).toEqual(advisoryIds);
      expect(await ids('industry=technology')).toEqual(advisoryIds);
      expect(await ids('industry=finance')).toEqual([]);
      const alias = await list('industry=transportation-systems&limit=10000');
      expect(alias.meta.filters.industry).toBe('transportation');
      expect(alias.data.map((r) => r.id).sort()).toEqual(advisoryIds);
      expect(await ids('industry=information-technology')).toEqual(advisoryIds);
      // Filters combine: the advisory's four Outlook-exploitation IPs.
      const combined = await list('type=ipv4&category=government&confidence=high&industry=transportation');
      expect(combined.meta.filters).toMatchObject({ type: 'ipv4', category: 'government', confidence: 'high', industry: 'transportation' });
      expect(combined.data.map((r) => r.value).sort()).toEqual(['124.168.91.178', '159.196.128.120', '194.126.178.8', '213.32.252.221']);
    });

    it('bounds the time a record was stored with since (inclusive) and until (exclusive)', async () => {
      const twoDaysAgo = isoAgo(2 * DAY_MS);
      const recent = modelIds((r) => r.recent);
      const older = modelIds((r) => !r.recent);
      expect(older).toHaveLength(3);
      const since = await list(`since=${twoDaysAgo}&limit=10000`);
      expect(since.meta.filters.since).toBe(twoDaysAgo.replace(/\.\d{3}Z$/, 'Z'));
      expect(since.data.map((r) => r.id).sort()).toEqual(recent);
      expect(await ids(`until=${twoDaysAgo}`)).toEqual(older);
      expect(await ids(`since=${isoAgo(4 * DAY_MS)}&until=${twoDaysAgo}`)).toEqual(older);
      // A date alone is midnight UTC.
      const today = new Date().toISOString().slice(0, 10);
      const fromToday = await list(`since=${today}`);
      expect(fromToday.meta.filters.since).toBe(`${today}T00:00:00Z`);
      expect(await ids(`since=${isoAgo(-DAY_MS)}`)).toEqual([]);
      expect(await ids(`until=${isoAgo(-DAY_MS)}`)).toEqual(modelIds(() => true));
    });

    it('pages through every record with offset and limit, without gaps or repeats', async () => {
      const seen: string[] = [];
      let url: string | undefined = '/api/v1/iocs?limit=13&offset=0';
      let pages = 0;
      while (url) {
        const res = await get(t.app, url, pro);
        const body = res.json() as ListBody;
        expect(body.meta).toMatchObject({ total: seeded.records.length, limit: 13, offset: pages * 13 });
        expect(body.data.length).toBe(Math.min(13, seeded.records.length - pages * 13));
        if (pages > 0) expect(new URL(body.links.prev!).searchParams.get('offset')).toBe(String((pages - 1) * 13));
        // A full page has a next one (by cursor), whatever the total.
        expect(body.links.next !== undefined).toBe(body.data.length === 13);
        seen.push(...body.data.map((r) => r.id));
        pages++;
        url = body.links.next && `/api/v1/iocs?limit=13&offset=${pages * 13}`;
      }
      expect(pages).toBe(Math.ceil(seeded.records.length / 13));
      expect(new Set(seen).size).toBe(seen.length);
      expect([...seen].sort()).toEqual([...byId.keys()].sort());
      // The pages are the one full listing, cut in order.
      expect(seen).toEqual((await list('limit=10000')).data.map((r) => r.id));
    });

    it('gives an empty page past the end, with a prev link', async () => {
      const body = await list('offset=500&limit=50');
      expect(body.meta).toMatchObject({ total: seeded.records.length, offset: 500, limit: 50 });
      expect(body.data).toEqual([]);
      expect(body.links.next).toBeUndefined();
      expect(new URL(body.links.prev!).searchParams.get('offset')).toBe('450');
    });

    it('omits context when include_context=false', async () => {
      const without = await list('include_context=false&category=government&limit=10000');
      expect(without.data).toHaveLength(81);
      for (const record of without.data) {
        expect(record).not.toHaveProperty('context');
        expectRecordAsModelled(record, byId.get(record.id)!, seeded, seededFrom, false);
      }
      const withContext = await list('include_context=true&category=government&limit=10000');
      expect(withContext.data.every((r) => typeof r.context === 'string' && r.context.length > 0)).toBe(true);
    });

    it('never puts the api_key in links', async () => {
      const res = await get(t.app, `/api/v1/iocs?api_key=${pro}&limit=5&offset=5&type=ipv4`);
      expect(res.statusCode).toBe(200);
      const body = res.json() as ListBody;
      for (const link of [body.links.self, body.links.next!, body.links.prev!]) {
        expect(link).not.toContain('api_key');
        expect(link).not.toContain(pro);
        expect(new URL(link).searchParams.get('type')).toBe('ipv4');
      }
    });

    it('caps limit at the tier cap and says so in meta.notices', async () => {
      const freeBody = await list('limit=500', free);
      expect(freeBody.meta.limit).toBe(100);
      expect(freeBody.data).toHaveLength(100);
      expect(freeBody.meta.notices).toEqual([expect.stringMatching(/limit.*500.*100/)]);
      expect(new URL(freeBody.links.next!).searchParams.get('limit')).toBe('100');
      const proBody = await list('limit=20000', pro);
      expect(proBody.meta.limit).toBe(10000);
      expect(proBody.meta.notices).toEqual([expect.stringMatching(/limit.*20000.*10000/)]);
      expect((await list('limit=100', free)).meta.notices).toBeUndefined();
    });

    it("clamps since to a free key's one-day lookback, with a notice", async () => {
      const body = await list('since=2026-01-01T00:00:00Z&limit=100', free);
      const now = Date.now();
      expectTimeNear(body.meta.filters.since, now - DAY_MS, 10_000);
      expect(body.meta.notices).toEqual([expect.stringMatching(/since.*2026-01-01T00:00:00Z/)]);
      expect(body.meta.total).toBe(seeded.records.filter((r) => r.recent).length);
      // Without since, the lookback applies silently.
      const silent = await list('limit=100', free);
      expect(silent.meta.notices).toBeUndefined();
      expect(silent.meta.total).toBe(body.meta.total);
      expectTimeNear(silent.meta.filters.since, now - DAY_MS, 10_000);
      const ipv6 = await list('type=ipv6', free);
      expect(ipv6.meta.total).toBe(0);
      // A pro key reaches back further.
      expect((await list('type=ipv6', pro)).meta.total).toBe(3);
    });

    it('answers an empty page, not an error, for a window that ends before the lookback', async () => {
      const twoDaysAgo = isoAgo(2 * DAY_MS);
      for (const query of [`until=${twoDaysAgo}`, `since=${isoAgo(3.5 * DAY_MS)}&until=${twoDaysAgo}`]) {
        const body = await list(query, free);
        expect(body.meta.total, query).toBe(0);
        expect(body.data).toEqual([]);
        expect(body.meta.notices).toContainEqual(expect.stringMatching(/^until .* lookback/));
      }
      // The same window is within a pro key's lookback.
      expect((await list(`since=${isoAgo(3.5 * DAY_MS)}&until=${twoDaysAgo}`, pro)).meta.total).toBe(3);
      expect((await list('until=2020-01-01', pro)).meta).toMatchObject({ total: 0, notices: [expect.stringContaining('lookback')] });
    });

    it('refuses csv, cef and openioc to a free key: 403 insufficient_scope naming the format', async () => {
      // (Three requests: the free key's minute allows no more in this block; txt is refused by the same rule.)
      for (const format of ['csv', 'cef', 'openioc']) {
        const error = expectError(await get(t.app, `/api/v1/iocs?format=${format}`, free), 403, 'insufficient_scope');
        expect(error.message).toContain(format);
        expect(error.details).toMatchObject({ parameter: 'format', allowed_formats: ['json'], tier: 'free' });
      }
    });

    it('rejects each bad parameter with 400 invalid_parameter naming it', async () => {
      const cases: [string, string, Record<string, unknown>?][] = [
        ['type=ip', 'type', { allowed: expect.arrayContaining(IOC_TYPES), valid_types: expect.arrayContaining(IOC_TYPES) }],
        ['category=blog', 'category', { allowed: ['news', 'research', 'threat-intel', 'vendor', 'government'] }],
        ['confidence=certain', 'confidence', { allowed: ['high', 'medium', 'low'] }],
        ['format=xml', 'format', { allowed: ['json', 'csv', 'txt', 'cef', 'openioc', 'misp'] }],
        ['industry=nope', 'industry', { allowed: expect.arrayContaining(['finance', 'transportation', 'water']) }],
        ['limit=0', 'limit'],
        ['limit=abc', 'limit'],
        ['limit=1.5', 'limit'],
        ['offset=-1', 'offset'],
        ['offset=x', 'offset'],
        // Past what PostgreSQL's OFFSET takes.
        ['offset=100000000000000000000', 'offset'],
        ['offset=9223372036854775807', 'offset'],
        ['since=yesterday', 'since'],
        ['since=1', 'since'],
        ['until=2026-13-45', 'until'],
        // No such days: not rolled over into March.
        ['since=2026-02-30', 'since'],
        ['until=2026-02-29T10:00:00Z', 'until'],
        ['since=2026-11-20T00:00:00Z&until=2026-11-19T00:00:00Z', 'until'],
        ['since=2026-11-20&until=2026-11-20', 'until'],
        ['include_context=maybe', 'include_context'],
        ['type=ipv4&type=url', 'type'],
        ['colour=red', 'colour', { allowed_parameters: expect.arrayContaining(['type', 'limit', 'format']) }],
      ];
      for (const [query, parameter, details] of cases) {
        const res = await get(t.app, `/api/v1/iocs?${query}`, pro);
        const got = expectInvalidParameter(res, parameter);
        if (details) expect(got, query).toMatchObject(details);
      }
      expect((await get(t.app, '/api/v1/iocs?type=ip', pro)).json().error.details.valid_types).toHaveLength(12);
      // The edges themselves are fine: a leap day, and the largest offset.
      expect((await list('since=2024-02-29&limit=1')).meta.notices).toEqual([expect.stringContaining('2024-02-29')]);
      expect((await list(`offset=${Number.MAX_SAFE_INTEGER}`)).data).toEqual([]);
      const unknown = expectError(await get(t.app, '/api/v1/iocs?colour=red', pro), 400, 'invalid_parameter');
      expect(unknown.message).toContain('colour');
    });

    it('answers 500 internal_error, never a truncated 200, when the database fails', async () => {
      const probe = instrument(store.db);
      const app = await startTestApp({ ...store, db: probe.db }, { keyCacheTtlMs: 60_000 });
      try {
        const key = await app.key('pro');
        expect((await get(app.app, '/api/v1/iocs?limit=1', key)).statusCode).toBe(200); // the key is cached now
        // Failing at the first query, and (json counts first) at the first page of records.
        for (const [format, okBeforeFailing] of [['json', 0], ['json', 1], ['csv', 0], ['txt', 0]] as const) {
          probe.state.okBeforeFailing = okBeforeFailing;
          const error = expectError(await get(app.app, `/api/v1/iocs?format=${format}`, key), 500, 'internal_error');
          expect(error.message, format).not.toContain('unreachable');
          expect(error).not.toHaveProperty('details');
        }
      } finally {
        probe.state.okBeforeFailing = Infinity;
        await app.close();
      }
    });

    it("puts the request id in every error, the client's own when it sends one", async () => {
      const res = await get(t.app, '/api/v1/iocs?limit=0', pro, { 'x-request-id': 'siem-poll-42' });
      expect(res.headers['x-request-id']).toBe('siem-poll-42');
      expect(expectError(res, 400, 'invalid_parameter').request_id).toBe('siem-poll-42');
      const generated = await get(t.app, '/api/v1/iocs?limit=0', pro);
      expect(generated.headers['x-request-id']).toMatch(/^req_/);
      expectError(generated, 400, 'invalid_parameter');
    });
  });

  describe('csv', () => {
    it('has exactly the 10 documented columns, in RFC 4180 with CRLF line ends', async () => {
      const res = await get(t.app, '/api/v1/iocs?format=csv&limit=10000', pro);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      const rows = parseStrictCsv(res.body);
      expect(rows[0]).toEqual(CSV_HEADER);
      expect(rows).toHaveLength(seeded.records.length + 1);
      const json = await list('limit=10000');
      // The same records, in the same order, as the JSON listing.
      rows.slice(1).forEach((row, i) => {
        const record = json.data[i]!;
        expect(row).toHaveLength(10);
        expect(row.slice(0, 6)).toEqual([record.id, record.type, record.value, record.confidence, record.first_seen, record.last_seen]);
        expect(row[6]).toBe(record.source.article_id ?? '');
        expect(row[8]).toBe(record.source.category);
      });
    });

    it('neutralizes cells a spreadsheet would run as formulas', async () => {
      const rows = parseStrictCsv((await get(t.app, '/api/v1/iocs?format=csv&limit=10000', pro)).body);
      const injected = rows.filter((row) => CSV_INJECTION_VALUES.includes(row[2]!) && row[7] !== OPS_SOURCE);
      expect(injected).toHaveLength(2);
      for (const row of injected) expect(row[7]).toBe(`'${CSV_INJECTION_SOURCE}`);
      for (const row of rows) for (const cell of row) expect(cell, row.join(',')).not.toMatch(/^[=+\-@\t\r]/);
    });

    it('joins tags with commas in one quoted cell', async () => {
      const body = (await get(t.app, '/api/v1/iocs?format=csv&category=government&limit=3', pro)).body;
      const rows = parseStrictCsv(body);
      expect(rows).toHaveLength(4);
      for (const row of rows.slice(1)) {
        expect(row[9]).toBe(ADVISORY_TAGS.join(','));
        expect(row[7]).toBe(CISA_SOURCE);
      }
      expect(body.split('\r\n')[1]).toMatch(new RegExp(`,"${ADVISORY_TAGS.join(',')}"$`));
      // No tags: an empty cell.
      const ops = parseStrictCsv((await get(t.app, '/api/v1/iocs?format=csv&category=threat-intel&limit=3', pro)).body);
      for (const row of ops.slice(1)) expect(row[9]).toBe('');
    });

    it('honours the filters, limit and offset', async () => {
      const rows = parseStrictCsv((await get(t.app, '/api/v1/iocs?format=csv&type=email&confidence=high', pro)).body).slice(1);
      expect(rows.map((row) => row[0]).sort()).toEqual(modelIds((r) => r.type === 'email' && r.confidence === 'high'));
      const page = parseStrictCsv((await get(t.app, '/api/v1/iocs?format=csv&limit=5&offset=10', pro)).body).slice(1);
      expect(page.map((row) => row[0])).toEqual((await list('limit=5&offset=10')).data.map((r) => r.id));
      expect(parseStrictCsv((await get(t.app, '/api/v1/iocs?format=csv&industry=finance', pro)).body)).toEqual([CSV_HEADER]);
    });

    it('imports back into a fresh store unchanged (json whole; csv whole but for the articles\' title and URL)', async () => {
      const csv = (await get(t.app, '/api/v1/iocs?format=csv&limit=10000', pro)).body;
      const json = (await get(t.app, '/api/v1/iocs?limit=10000', pro)).body;
      const originalRows = parseStrictCsv(csv).slice(1).sort(byFirstCell);
      const originalRecords = (JSON.parse(json) as ListBody).data.sort(byRecordId);
      const articleRecords = seeded.records.filter((r) => r.articleId).length;
      expect(articleRecords).toBeGreaterThan(0);

      // One fresh store for the three imports (a store costs seconds to open).
      const fresh = await openTestStore(backend);
      // The seed's values do not expire (seed.ts): neither do they once imported here.
      await fresh.db.query('update lifetimes set lifetime_days = null');
      const t2 = await startTestApp(fresh);
      const key = await t2.key('pro');
      /** Imports `text`, checks the summary, and reads back what a client would export. */
      async function reimport(text: string, format: 'csv' | 'json', unlinked: number) {
        const summary = await importIocList(fresh.db, text);
        expect(summary, format).toMatchObject({ format, read: seeded.records.length, inserted: seeded.records.length, unlinked, rejected: [] });
        return {
          rows: parseStrictCsv((await get(t2.app, '/api/v1/iocs?format=csv&limit=10000', key)).body).slice(1).sort(byFirstCell),
          records: ((await get(t2.app, '/api/v1/iocs?limit=10000', key)).json() as ListBody).data.sort(byRecordId),
        };
      }
      try {
        // A CSV names an article by id only: into an empty store, its records come back with it,
        // an article known by its id alone (no title, no URL yet); every cell is the same.
        const fromCsv = await reimport(csv, 'csv', 0);
        expect(fromCsv.rows).toEqual(originalRows);
        expect(fromCsv.records.filter((r) => r.source.article_id !== null)).toHaveLength(articleRecords);
        for (const r of fromCsv.records) {
          // The article's page here is known by its id; its title and the publisher's URL are not.
          expect(r.source).toMatchObject({ article_title: null, reference_url: null });
          expect(r.source.article_url && new URL(r.source.article_url).pathname).toBe(r.source.article_id && `/item/${r.source.article_id}`);
        }

        // The JSON export carries each article (id, title, and its URL as reference_url beside the
        // service's article_url: decision 11) and each record's origin: all of it comes back.
        await fresh.db.query('truncate sightings, indicators, articles, sources restart identity cascade');
        const fromJson = await reimport(json, 'json', 0);
        expect(fromJson.records).toEqual(originalRecords);
        expect(fromJson.rows).toEqual(originalRows);

        // The same CSV into a store that has those articles: they keep their title and URL.
        await fresh.db.query('truncate sightings, indicators restart identity cascade');
        const again = await reimport(csv, 'csv', 0);
        expect(again.rows).toEqual(originalRows);
        expect(again.records.map((r) => r.source)).toEqual(originalRecords.map((r) => r.source));
      } finally {
        await t2.close();
        await fresh.close();
      }
    });

    it('imports an article only with its own source, keeps a foreign article id, and rejects a malformed origin', async () => {
      const fresh = await openTestStore(backend);
      try {
        const [record] = (await list('limit=1&type=cve')).data;
        expect(record!.source.article_id).toBe(seeded.article.id);
        // Filed under another source (--source), the article is stored there and linked.
        const moved = await importIocList(fresh.db, JSON.stringify([record]), { source: 'Moved', category: 'government' });
        expect(moved).toMatchObject({ inserted: 1, unlinked: 0, rejected: [] });
        // The same article id from a third source is not that source's: the record is kept, unlinked.
        const other = await importIocList(fresh.db, JSON.stringify([record]), { source: 'Other', category: 'government' });
        expect(other).toMatchObject({ inserted: 1, unlinked: 1, rejected: [] });
        // A feed's record keeps its origin (the seed has none: each of its records is an import or an article's).
        const ops = (await list('limit=10000')).data.find((r) => r.source.feed_name === OPS_SOURCE);
        const feed = { ...ops!, source: { ...ops!.source, feed_name: 'A feed', origin: 'feed' } };
        expect(await importIocList(fresh.db, JSON.stringify([feed]))).toMatchObject({ inserted: 1, rejected: [] });
        const rows = await fresh.db.query<{ name: string; article_id: string | null; origin: string }>(
          `select src.name, s.article_id, s.origin from sightings s join sources src on src.id = s.source_id order by src.name`,
        );
        expect(rows).toEqual([
          { name: 'A feed', article_id: null, origin: 'feed' },
          { name: 'Moved', article_id: seeded.article.id, origin: 'article' },
          { name: 'Other', article_id: null, origin: 'import' },
        ]);
        const bad = [
          { ...record, source: { ...record!.source, article_id: 'not-a-uuid' } },
          { ...record, source: { ...record!.source, origin: 'rumour' } },
        ];
        // An article id that is not a UUID is another service's: kept, as a stable id of ours.
        expect((await importIocList(fresh.db, JSON.stringify(bad))).rejected).toEqual([
          { at: 2, value: record!.value, reason: 'origin "rumour" is not one of feed, article, import' },
        ]);
      } finally {
        await fresh.close();
      }
    });
  });

  describe('cef', () => {
    it('gives one valid CEF event a record, the value in its field, with the filters, limit and offset', async () => {
      const res = await get(t.app, '/api/v1/iocs?format=cef&limit=10000', pro);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(checkCef(res.body)).toEqual([]);
      const events = res.body.slice(0, -1).split('\n').map((line) => checkCefLine(line).event!);
      expect(events).toHaveLength(seeded.records.length);
      expect(new Set(events.map((event) => event.extension.get('externalId')))).toEqual(new Set(seeded.records.map((r) => r.id)));
      const dst = events.filter((event) => event.header[4] === 'ipv4' && event.extension.has('dst')).map((event) => event.extension.get('dst'));
      expect(new Set(dst)).toEqual(new Set(seeded.records.filter((r) => r.type === 'ipv4' && !r.value.includes('/')).map((r) => r.value)));
      const page = (await get(t.app, '/api/v1/iocs?format=cef&type=domain&limit=3&offset=1', pro)).body.slice(0, -1).split('\n');
      expect(page).toHaveLength(3);
      expect(page.every((line) => checkCefLine(line).event?.header[4] === 'domain')).toBe(true);
    });
  });

  describe('openioc', () => {
    it('gives one OpenIOC 1.1 document that its schema accepts: an item a distinct value of a type with a term', async () => {
      const res = await get(t.app, '/api/v1/iocs?format=openioc&limit=10000', pro);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/xml; charset=utf-8');
      expect(await checkOpenIoc(res.body)).toEqual([]);
      const items = openIocItems(res.body).map((item) => item.value);
      const withTerms = new Set(['ipv4', 'ipv6', 'domain', 'url', 'md5', 'sha1', 'sha256', 'email']);
      const expected = [...seeded.indicators.values()].map((records) => records[0]!).filter((r) => withTerms.has(r.type)).map((r) => r.value);
      expect([...items].sort()).toEqual([...expected].sort());
      const md5 = openIocItems((await get(t.app, '/api/v1/iocs?format=openioc&type=md5', pro)).body);
      expect(md5.every((item) => item.search === 'FileItem/Md5sum')).toBe(true);
    });
  });

  describe('sigma rules', () => {
    it('GET /api/v1/rules/sigma gives valid Sigma rules holding each distinct value of a type with a log, with the filters', async () => {
      const res = await get(t.app, '/api/v1/rules/sigma?limit=10000', pro);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/yaml; charset=utf-8');
      expect(checkSigma(res.body)).toEqual([]);
      const values = (sigmaDocuments(res.body) as { detection: Record<string, Record<string, string[]> | string> }[]).flatMap((rule) =>
        Object.entries(rule.detection).flatMap(([key, selection]) => (key === 'condition' ? [] : Object.values(selection as Record<string, string[]>).flat())),
      );
      const withLogs = new Set(['ipv4', 'ipv6', 'domain', 'url', 'md5', 'sha1', 'sha256']);
      const expected = [...seeded.indicators.values()].map((records) => records[0]!).filter((r) => withLogs.has(r.type)).map((r) => r.value);
      expect([...values].sort()).toEqual([...expected].sort());
      const dns = sigmaDocuments((await get(t.app, '/api/v1/rules/sigma?type=domain', pro)).body) as { logsource: { category: string } }[];
      expect(dns.length).toBeGreaterThan(0);
      expect(dns.every((rule) => rule.logsource.category === 'dns')).toBe(true);
    });
  });

  describe('txt', () => {
    it('gives each distinct value once, one a line, LF line ends', async () => {
      const res = await get(t.app, '/api/v1/iocs?format=txt&limit=10000', pro);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(res.body).not.toContain('\r');
      expect(res.body.endsWith('\n')).toBe(true);
      const lines = res.body.slice(0, -1).split('\n');
      expect(new Set(lines).size).toBe(lines.length);
      const distinct = [...seeded.indicators.values()].map((records) => records[0]!.value);
      expect([...lines].sort()).toEqual([...distinct].sort());
      // Reported by two sources, listed once.
      for (const value of [...CSV_INJECTION_VALUES, '213.32.252.221', 'CVE-2023-23397']) {
        expect(lines.filter((line) => line === value)).toHaveLength(1);
      }
    });

    it('honours the filters, limit and offset', async () => {
      const txt = async (query: string) => {
        const body = (await get(t.app, `/api/v1/iocs?format=txt&${query}`, pro)).body;
        return body === '' ? [] : body.slice(0, -1).split('\n');
      };
      const ipv4 = await txt('type=ipv4&limit=10000');
      expect(new Set(ipv4)).toEqual(new Set(seeded.records.filter((r) => r.type === 'ipv4').map((r) => r.value)));
      expect(await txt('type=ipv6&confidence=low')).toEqual(expect.arrayContaining(['2a09:bac5:505c:1eb::31:105']));
      expect(await txt(`type=ipv6&since=${isoAgo(2 * DAY_MS)}`)).toEqual([]);
      const five = await txt('type=ipv4&limit=5');
      expect(five).toHaveLength(5);
      expect(await txt('type=ipv4&limit=5&offset=5')).toEqual(ipv4.slice(5, 10));
      expect(five).toEqual(ipv4.slice(0, 5));
      expect(await txt('industry=finance')).toEqual([]);
      expect((await txt('industry=transportation-systems&limit=10000')).sort()).toEqual(
        [...new Set(seeded.records.filter((r) => r.source === CISA_SOURCE).map((r) => r.value))].sort(),
      );
      expect((await txt('type=ipv6&limit=10000')).length).toBe(seeded.records.filter((r) => r.source === IPV6_SOURCE).length);
    });
  });

  describe('beyond one batch (more than 1,000 records)', () => {
    // The ThreatFox export imported by two teams: 1,868 records of 934 distinct values.
    let big: TestStore;
    let tb: TestApp;
    let key: string;
    beforeAll(async () => {
      big = await openTestStore(backend);
      const text = readFixture('import/threatfox-2026-07-24-values.txt');
      for (const source of ['ThreatFox', 'ThreatFox (SOC mirror)']) {
        expect((await importIocList(big.db, text, { source })).inserted).toBe(934);
      }
      tb = await startTestApp(big);
      key = await tb.key('pro');
    });
    afterAll(async () => {
      await tb?.close();
      await big?.close();
    });

    it('streams every record once in json and csv, and pages across batches', async () => {
      const all = (await get(tb.app, '/api/v1/iocs?limit=10000', key)).json() as ListBody;
      expect(all.meta.total).toBe(1868);
      const ids = all.data.map((r) => r.id);
      expect(new Set(ids).size).toBe(1868);
      const page = (await get(tb.app, '/api/v1/iocs?limit=1500&offset=300', key)).json() as ListBody;
      expect(page.data.map((r) => r.id)).toEqual(ids.slice(300, 1800));
      const rows = parseStrictCsv((await get(tb.app, '/api/v1/iocs?format=csv&limit=10000', key)).body).slice(1);
      expect(rows.map((row) => row[0])).toEqual(ids);
    });

    it('lists each distinct value once in txt, whatever the page', async () => {
      const lines = (await get(tb.app, '/api/v1/iocs?format=txt&limit=10000', key)).body.slice(0, -1).split('\n');
      expect(lines).toHaveLength(934);
      expect(new Set(lines).size).toBe(934);
      const page = (await get(tb.app, '/api/v1/iocs?format=txt&limit=500&offset=800', key)).body.slice(0, -1).split('\n');
      expect(page).toEqual(lines.slice(800));
    });
  });

  it('is run on the seed it expects (records per source)', () => {
    // A guard on the seed itself, so that a fixture change shows up here first.
    expect(countBy(seeded.records, (r) => r.source)).toEqual({
      [OPS_SOURCE]: 55,
      [CISA_SOURCE]: 81,
      [IPV6_SOURCE]: 3,
      [CSV_INJECTION_SOURCE]: 2,
    });
  });
});
