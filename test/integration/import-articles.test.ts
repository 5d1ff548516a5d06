// `socd import` keeps what a list says of its records' articles and dates (issue 10): a foreign
// article id (the reference page's `abc123`) and an article a CSV names by id alone keep their
// relation; the article is filled in when its title and URL arrive (a JSON import, the feed);
// dates are read as the feeds read them, no zone meaning UTC, whatever the host's time zone.
import { beforeAll, describe, expect, it } from 'vitest';
import { importIocList } from '../../src/ingest/import-list.js';
import { runSource } from '../../src/ingest/pipeline.js';
import { articleId, foreignArticleId } from '../../src/ioc/ids.js';
import { addSource } from '../../src/store/sources.js';
import { appSuite, BACKENDS } from '../helpers.js';
import { runSocd } from '../helpers/socd.js';

const CSV_HEADER = 'id,type,value,confidence,first_seen,last_seen,source_article,source_feed,category,tags\r\n';
const csvRow = (cells: string[]) => cells.join(',') + '\r\n';

interface ApiRecord {
  id: string;
  value: string;
  first_seen: string;
  last_seen: string;
  source: { article_id: string | null; article_title: string | null; article_url: string | null; reference_url: string | null; feed_name: string; origin: string };
}

/** The path of a record's article_url: the article's page on this service (decision 11). */
const pageOf = (record: ApiRecord) => record.source.article_url && new URL(record.source.article_url).pathname;

describe.each(BACKENDS)('importing articles and dates on %s', (backend) => {
  const { store, t } = appSuite(backend);
  let pro = '';
  beforeAll(async () => {
    pro = await t.key('pro');
  });

  const getJson = async <T>(url: string): Promise<T> => {
    const res = await t.app.inject({ url, headers: { 'x-api-key': pro } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as T;
  };
  /** What a client's search says of a value: its records, and the related IOCs of their articles. */
  const search = async (value: string) =>
    (await getJson<{ data: { matches: ApiRecord[]; relatedIOCs: ApiRecord[] } }>(`/api/v1/iocs/search?q=${encodeURIComponent(value)}`)).data;
  const record = async (value: string) => {
    const { matches } = await search(value);
    expect(matches, value).toHaveLength(1);
    return matches[0]!;
  };
  const related = async (value: string) => (await search(value)).relatedIOCs.map((r) => r.value);

  it("imports the reference service's own export: a foreign article id is kept as a stable article of ours", async () => {
    // iocs-list.md's example record, its article named `abc123`.
    const exported = {
      data: [
        {
          id: '123e4567-e89b-12d3-a456-426614174000',
          type: 'domain',
          value: 'apt28-c2.example-bad.net',
          confidence: 'high',
          first_seen: '2024-12-08T14:30:00Z',
          last_seen: '2024-12-09T08:15:00Z',
          source: {
            article_id: 'abc123',
            article_title: 'New APT Campaign Targeting Financial Sector',
            article_url: 'https://socdefenders.ai/item/abc123',
            feed_name: 'Krebs on Security',
            category: 'news',
          },
          context: 'C2 server used in APT28 campaign',
          tags: ['apt28', 'c2', 'financial'],
          mitre_techniques: ['T1071', 'T1059'],
        },
      ],
    };
    const first = await importIocList(store.db, JSON.stringify(exported));
    expect(first).toMatchObject({ format: 'json', inserted: 1, unlinked: 0, rejected: [] });
    // Again, and from another file (its CSV) naming the same article: the same local article.
    expect(await importIocList(store.db, JSON.stringify(exported))).toMatchObject({ inserted: 0, updated: 1, rejected: [] });
    const csv = CSV_HEADER + csvRow(['x', 'domain', 'apt28-stage2.example-bad.net', 'high', '2024-12-08T15:00:00Z', '2024-12-09T08:15:00Z', 'abc123', 'Krebs on Security', 'news', 'apt28']);
    expect(await importIocList(store.db, csv)).toMatchObject({ format: 'csv', inserted: 1, unlinked: 0, rejected: [] });

    for (const value of ['apt28-c2.example-bad.net', 'apt28-stage2.example-bad.net']) {
      const found = await record(value);
      // Its page on the reference service is the one link to the article there is: kept as the
      // article's URL (reference_url), our own page for it being article_url.
      expect(found.source).toMatchObject({
        article_id: foreignArticleId('abc123'),
        article_title: 'New APT Campaign Targeting Financial Sector',
        reference_url: 'https://socdefenders.ai/item/abc123',
        origin: 'article',
      });
      expect(pageOf(found)).toBe(`/item/${foreignArticleId('abc123')}`);
    }
    expect(await related('apt28-c2.example-bad.net')).toEqual(['apt28-stage2.example-bad.net']);
  });

  it('keeps the article a CSV names by id alone, and fills it in when a JSON import describes it', async () => {
    const article = '0b6f3a8e-2f4c-4c1e-9a57-3f1d2e4c5b6a';
    const csv =
      CSV_HEADER +
      csvRow(['a', 'domain', 'loader-one.example-bad.org', 'high', '2026-03-01T00:00:00Z', '2026-03-02T00:00:00Z', article, 'Vendor blog', 'vendor', 'loader']) +
      csvRow(['b', 'ipv4', '45.153.34.201', 'medium', '2026-03-01T00:00:00Z', '2026-03-02T00:00:00Z', article, 'Vendor blog', 'vendor', '']) +
      csvRow(['c', 'domain', 'unrelated.example-bad.org', 'low', '2026-03-01T00:00:00Z', '2026-03-02T00:00:00Z', '', 'Vendor blog', 'vendor', '']);
    expect(await importIocList(store.db, csv)).toMatchObject({ format: 'csv', inserted: 3, unlinked: 0, rejected: [] });

    // The records that share the article are related, as the CSV says.
    expect(await related('loader-one.example-bad.org')).toEqual(['45.153.34.201']);
    expect(await related('45.153.34.201')).toEqual(['loader-one.example-bad.org']);
    const values = ['loader-one.example-bad.org', '45.153.34.201'];
    for (const value of values) {
      const found = await record(value);
      expect(found.source).toMatchObject({ article_id: article, article_title: null, reference_url: null, origin: 'article' });
      expect(pageOf(found)).toBe(`/item/${article}`);
    }

    // Its title and URL arrive with a JSON export of one of its records (article_url our page for
    // it, reference_url the publisher's: decision 11).
    const one = await record(values[0]!);
    const described = { ...one, source: { ...one.source, article_title: 'Loader campaign', reference_url: 'https://vendor.example/blog/loader' } };
    expect(await importIocList(store.db, JSON.stringify([described]))).toMatchObject({ inserted: 0, updated: 1, unlinked: 0, rejected: [] });
    // Neither a later description nor the CSV again (no title, no URL) changes a described article.
    const other = { ...described, source: { ...described.source, article_title: 'Another title', reference_url: 'https://vendor.example/other' } };
    await importIocList(store.db, JSON.stringify([other]));
    await importIocList(store.db, csv);
    for (const value of values) {
      const found = await record(value);
      expect(found.source).toMatchObject({ article_id: article, article_title: 'Loader campaign', reference_url: 'https://vendor.example/blog/loader' });
      expect(pageOf(found)).toBe(`/item/${article}`);
    }
  });

  it('fills in the article a CSV named when the feed brings it', async () => {
    const url = 'https://advisories.example/aa26-001a';
    const source = await addSource(store.db, {
      name: 'Advisory feed',
      kind: 'rss',
      url: 'https://advisories.example/rss.xml',
      category: 'government',
      intervalSeconds: 3600,
      staleAfterSeconds: null,
      auth: null,
    });
    // Our own CSV export names the feed's article by its id (the UUID of its URL).
    const csv =
      CSV_HEADER +
      csvRow(['a', 'domain', 'gru-relay.example-bad.com', 'high', '2026-01-05T00:00:00Z', '2026-01-05T00:00:00Z', articleId(url), 'Advisory feed', 'government', '']) +
      csvRow(['b', 'ipv4', '91.215.85.14', 'high', '2026-01-05T00:00:00Z', '2026-01-05T00:00:00Z', articleId(url), 'Advisory feed', 'government', '']);
    expect(await importIocList(store.db, csv)).toMatchObject({ inserted: 2, unlinked: 0, rejected: [] });

    const rss =
      '<?xml version="1.0"?><rss version="2.0"><channel><title>Advisories</title><link>https://advisories.example/</link>' +
      `<item><title>AA26-001A: Relays</title><link>${url}</link><pubDate>Mon, 05 Jan 2026 12:00:00 GMT</pubDate>` +
      '<description>The actors used gru-relay[.]example-bad[.]com and 91.215.85[.]14 for relaying.</description></item></channel></rss>';
    const run = await runSource(store.db, source, { body: rss, fetchArticlePages: false, scheduled: false });
    expect(run).toMatchObject({ outcome: 'ok', articles: 1 });

    for (const value of ['gru-relay.example-bad.com', '91.215.85.14']) {
      const { matches } = await search(value);
      // The CSV's record and the feed's are one record: the same value, source and article.
      expect(matches, value).toHaveLength(1);
      expect(matches[0]!.source).toMatchObject({ article_id: articleId(url), article_title: 'AA26-001A: Relays', reference_url: url });
      expect(pageOf(matches[0]!)).toBe(`/item/${articleId(url)}`);
    }
    expect(await related('gru-relay.example-bad.com')).toEqual(['91.215.85.14']);
  });

  it('reads dates with no zone as UTC whatever the time zone of the host, and reports a row whose date is not one', async () => {
    const csv =
      CSV_HEADER +
      csvRow(['a', 'domain', 'dated-one.example-bad.net', 'high', '2026-01-01 10:00', '2026-01-02 10:00', '', 'Dated list', 'threat-intel', '']) +
      csvRow(['b', 'domain', 'dated-two.example-bad.net', 'high', '1', '', '', 'Dated list', 'threat-intel', '']) +
      csvRow(['c', 'domain', 'dated-three.example-bad.net', 'high', '2026-02-30', '', '', 'Dated list', 'threat-intel', '']) +
      csvRow(['d', 'domain', 'dated-four.example-bad.net', 'high', '2026-01-03T10:00:00+02:00', '', '', 'Dated list', 'threat-intel', '']);
    // `socd import` as an operator in Tokyo runs it.
    const result = await runSocd(['import', '-', '--json'], { DATABASE_URL: store.config.databaseUrl!, DATA_DIR: store.config.dataDir, LOG_LEVEL: 'silent', TZ: 'Asia/Tokyo' }, csv);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ format: 'csv', read: 4, inserted: 2 });
    expect(summary.rejected).toEqual([
      { at: 3, value: 'dated-two.example-bad.net', reason: expect.stringMatching(/^first_seen "1" is not a date/) },
      { at: 4, value: 'dated-three.example-bad.net', reason: expect.stringMatching(/^first_seen "2026-02-30" is not a date/) },
    ]);
    expect(await record('dated-one.example-bad.net')).toMatchObject({ first_seen: '2026-01-01T10:00:00Z', last_seen: '2026-01-02T10:00:00Z' });
    expect(await record('dated-four.example-bad.net')).toMatchObject({ first_seen: '2026-01-03T08:00:00Z', last_seen: '2026-01-03T08:00:00Z' });
  });

  it('reads query parameters with the same reader: no zone means UTC, a bad date is a 400 naming it', async () => {
    // (test/unit/api/filters.test.ts checks the instants; here the routes' answers.)
    await getJson(`/api/v1/iocs/stix?until=${encodeURIComponent('2026-01-01 10:00')}`);
    for (const [query, parameter] of [
      ['since=1', 'since'],
      ['until=2026-02-30', 'until'],
    ]) {
      const res = await t.app.inject({ url: `/api/v1/iocs/stix?${query}`, headers: { 'x-api-key': pro } });
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'invalid_parameter', details: { parameter } });
    }
  });
});
