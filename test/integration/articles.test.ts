// GET /api/v1/articles and /api/v1/articles/{id} (issue 13), and decision 11: a record's
// source.article_url is the article's page here (/item/{id}, which leads to the article), its
// reference_url the publisher's. The store holds the seed's advisory (seed.ts), the five-item
// CISA advisories feed and the two-entry Haskell advisories Atom feed run through the real
// pipeline (the Haskell run moved three days back), and an article an imported CSV names by id
// alone. Every answer is checked against a model built here from the fixtures, in TypeScript.
import { beforeAll, describe, expect, it } from 'vitest';
import { importIocList } from '../../src/ingest/import-list.js';
import { parseRssOrAtom } from '../../src/ingest/parsers/rss.js';
import { runSource } from '../../src/ingest/pipeline.js';
import { articleId } from '../../src/ioc/ids.js';
import { parseIoc } from '../../src/ioc/index.js';
import { upsertArticle } from '../../src/store/articles.js';
import { addSource, findSource } from '../../src/store/sources.js';
import { upsertRecords } from '../../src/store/upsert.js';
import { appSuite, BACKENDS, readFixture } from '../helpers.js';
import {
  ADVISORY,
  CISA_SOURCE,
  DAY_MS,
  expectError,
  expectInvalidParameter,
  get,
  seedStore,
  type ApiRecord,
  type Seeded,
} from './seed.js';

const CISA_FEED = readFixture('feeds/cisa-cybersecurity-advisories-2025-07-24-subset.xml');
const HASKELL_FEED = readFixture('feeds/haskell-security-advisories-atom-2025-07-13-first2.xml');
const HASKELL_SOURCE = 'Haskell Security Advisories';
const VENDOR_SOURCE = 'Vendor research blog';
/** An article an imported CSV names by id alone: stored, never listed, read by id. */
const LISTED_ONLY = '7d3c1f0a-5b2e-4c8d-9e61-2a4b6c8d0e1f';

/** An article as the model knows it: what went in, and the order it must come out in. */
interface ModelArticle {
  id: string;
  title: string;
  url: string;
  source: string;
  category: string;
  publishedAt: Date | null;
  /** Text the article was stored with (title, summary, content), tags stripped. */
  text: string;
  /** Its place among stores: a later batch is newer; a batch is one transaction (one feed run). */
  batch: number;
}

interface ArticleItem {
  id: string;
  title: string;
  url: string;
  reference_url: string;
  source: { name: string; category: string };
  published_at: string | null;
  fetched_at: string;
  summary: string | null;
  ioc_count: number;
}
interface ListBody {
  meta: { generated_at: string; limit: number; filters: Record<string, string>; notices?: string[]; feed_version: string; source: string };
  data: ArticleItem[];
  links: { self: string; next?: string };
}
interface ArticleIoc {
  id: string;
  value: string;
  confidence: string;
  context: string | null;
  tags: string[];
  mitre_techniques: string[];
}
interface DetailBody {
  meta: { generated_at: string };
  data: Omit<ArticleItem, 'title' | 'reference_url'> & {
    title: string | null;
    reference_url: string | null;
    ioc_counts: Record<string, number>;
    iocs: Record<string, ArticleIoc[]>;
    mitre_techniques: { id: string; name: string | null }[];
    cves: string[];
    references: { type: string; value: string; reason: string }[];
  };
}

const pathOf = (link: string) => new URL(link).pathname + new URL(link).search;
const stripTags = (html: string) => html.replace(/<[^>]*>/g, ' ');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The model's order: newest batch first, within a batch newest published first (never after the store), then id. */
function inOrder(articles: ModelArticle[]): ModelArticle[] {
  const published = (a: ModelArticle) => a.publishedAt?.getTime() ?? Infinity;
  return [...articles].sort((a, b) => b.batch - a.batch || published(b) - published(a) || (a.id < b.id ? 1 : -1));
}

describe.each(BACKENDS)('the Articles API on %s', (backend) => {
  let seeded: Seeded;
  const model: ModelArticle[] = [];
  /** Date.now() between the batches: `since` and `until` fall between them. */
  const marks: number[] = [];
  const { store, t } = appSuite(backend, {
    seed: async (db) => {
      seeded = await seedStore(db);
      model.push({
        id: seeded.article.id,
        title: seeded.article.title,
        url: seeded.article.url,
        source: CISA_SOURCE,
        category: 'government',
        publishedAt: new Date(ADVISORY.published),
        text: seeded.article.title,
        batch: 1,
      });
      await sleep(20);
      marks.push(Date.now());
      await sleep(20);
      // The advisories feed: its aa25-141a is the seed's article (known by URL), the other four are new.
      const cisa = (await findSource(db, CISA_SOURCE))!;
      const run = await runSource(db, cisa, { body: CISA_FEED, fetchArticlePages: false, scheduled: false });
      if (run.outcome !== 'ok' || run.articles !== 4) throw new Error(`the CISA run: ${JSON.stringify(run)}`);
      for (const item of parseRssOrAtom(CISA_FEED).articles) {
        if (item.url === seeded.article.url) continue;
        const text = stripTags(`${item.title} ${item.content ?? item.summary ?? ''}`);
        model.push({ id: articleId(item.url), title: item.title, url: item.url, source: CISA_SOURCE, category: 'government', publishedAt: item.publishedAt ?? null, text, batch: 2 });
      }
      // The Haskell advisories, stored three days ago (older than a free key's lookback).
      const haskell = await addSource(db, {
        name: HASKELL_SOURCE,
        kind: 'rss',
        url: 'https://haskell.github.io/security-advisories/atom.xml',
        category: 'research',
        intervalSeconds: 3600,
        staleAfterSeconds: null,
        auth: null,
      });
      await runSource(db, haskell, { body: HASKELL_FEED, fetchArticlePages: false, scheduled: false });
      await db.query(`update articles set fetched_at = fetched_at - interval '3 days' where source_id = $1`, [haskell.id]);
      for (const item of parseRssOrAtom(HASKELL_FEED).articles) {
        const text = stripTags(`${item.title} ${item.content ?? item.summary ?? ''}`);
        model.push({ id: articleId(item.url), title: item.title, url: item.url, source: HASKELL_SOURCE, category: 'research', publishedAt: item.publishedAt ?? null, text, batch: 0 });
      }
      // A CSV names an article by id alone: not listed (no title, no URL).
      const csv =
        'id,type,value,confidence,first_seen,last_seen,source_article,source_feed,category,tags\n' +
        `x,domain,listed-only.example-bad.org,high,,,${LISTED_ONLY},Vendor intel list,vendor,\n`;
      await importIocList(db, csv);
    },
  });
  let pro = '';
  let free = '';
  beforeAll(async () => {
    pro = await t.key('pro');
    free = await t.key('free');
  });

  async function list(query: string, key = pro): Promise<ListBody> {
    const res = await get(t.app, `/api/v1/articles${query ? `?${query}` : ''}`, key);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as ListBody;
  }
  /** Every page of a walk by links.next: the articles' ids in order, calling `between` after each page. */
  async function walk(query: string, between?: (page: number) => Promise<void>, key = pro): Promise<string[]> {
    const ids: string[] = [];
    let url: string | undefined = `/api/v1/articles?${query}`;
    for (let page = 0; url; page++) {
      const res = await get(t.app, url, key);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json() as ListBody;
      ids.push(...body.data.map((a) => a.id));
      await between?.(page);
      url = body.links.next && pathOf(body.links.next);
      expect(page).toBeLessThan(100);
    }
    return ids;
  }
  const ids = (articles: ModelArticle[]) => inOrder(articles).map((a) => a.id);
  /** The records /api/v1/iocs gives: an independent read of what each article holds. */
  async function allRecords(): Promise<ApiRecord[]> {
    const res = await get(t.app, '/api/v1/iocs?limit=10000', pro);
    expect(res.statusCode).toBe(200);
    return (res.json() as { data: ApiRecord[] }).data;
  }

  it('lists the described articles newest first, each as documented', async () => {
    const body = await list('');
    expect(body.meta).toEqual({
      generated_at: expect.any(String),
      feed_version: '1.0',
      source: 'SOC Defenders',
      limit: 20,
      filters: { source: 'all', category: 'all', since: expect.any(String), until: expect.any(String) },
    });
    expect(body.data.map((a) => a.id)).toEqual(ids(model));
    expect(body.data.map((a) => a.id)).not.toContain(LISTED_ONLY);
    expect(body.links.next).toBeUndefined();
    const base = new URL(body.links.self).origin;
    expect(Object.fromEntries(new URL(body.links.self).searchParams)).toEqual({ limit: '20' });
    const records = await allRecords();
    for (const article of body.data) {
      const known = model.find((m) => m.id === article.id)!;
      expect(Object.keys(article)).toEqual(['id', 'title', 'url', 'reference_url', 'source', 'published_at', 'fetched_at', 'summary', 'ioc_count']);
      expect(article).toMatchObject({
        title: known.title,
        url: `${base}/item/${known.id}`,
        reference_url: known.url,
        source: { name: known.source, category: known.category },
        published_at: known.publishedAt && known.publishedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      });
      expect(article.fetched_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(article.ioc_count).toBe(records.filter((r) => r.source.article_id === article.id).length);
    }
    // The seed's advisory holds its 81 records; the feed's articles what the extractor found.
    expect(body.data.find((a) => a.id === seeded.article.id)!.ioc_count).toBe(seeded.records.filter((r) => r.articleId).length);
    expect(body.data.filter((a) => a.ioc_count > 0).length).toBeGreaterThan(2);
  });

  it('filters by source (any case), category, since and until, as the model does', async () => {
    const cases: [string, (a: ModelArticle) => boolean][] = [
      [`source=${encodeURIComponent(CISA_SOURCE.toUpperCase())}`, (a) => a.source === CISA_SOURCE],
      [`source=${encodeURIComponent(HASKELL_SOURCE)}`, (a) => a.source === HASKELL_SOURCE],
      ['category=research', (a) => a.category === 'research'],
      ['category=vendor', () => false],
      [`since=${new Date(marks[0]!).toISOString()}`, (a) => a.batch >= 2],
      [`until=${new Date(marks[0]!).toISOString()}`, (a) => a.batch < 2],
      [`since=${new Date(Date.now() - 2 * DAY_MS).toISOString()}&until=${new Date(marks[0]!).toISOString()}`, (a) => a.batch === 1],
      [`category=government&since=${new Date(marks[0]!).toISOString()}`, (a) => a.category === 'government' && a.batch >= 2],
    ];
    for (const [query, keep] of cases) expect((await list(query)).data.map((a) => a.id), query).toEqual(ids(model.filter(keep)));
    // A source with no articles is an empty page; a name no source has is a 400 listing the names.
    expect((await list(`source=${encodeURIComponent('Ops blocklist')}`)).data).toEqual([]);
    const details = expectInvalidParameter(await get(t.app, '/api/v1/articles?source=No%20such%20feed', pro), 'source');
    expect(details.allowed).toEqual(expect.arrayContaining([CISA_SOURCE, HASKELL_SOURCE]));
  });

  it('searches the title and text (q: English stems, phrases, exclusions) as the model does', async () => {
    const has = (pattern: RegExp) => (a: ModelArticle) => pattern.test(a.text);
    const cases: [string, (a: ModelArticle) => boolean][] = [
      ['q=SimpleHelp', has(/\bsimplehelp\b/i)],
      [`q=${encodeURIComponent('"fast flux"')}`, has(/\bfast[\s-]+flux\b/i)],
      // `exploited` is stemmed: it finds exploit, exploits, exploitation...
      ['q=exploited', has(/\bexploit(s|ed|ing|ation|ations)?\b/i)],
      [`q=${encodeURIComponent('exploited -simplehelp')}`, (a) => has(/\bexploit(s|ed|ing|ation|ations)?\b/i)(a) && !has(/\bsimplehelp\b/i)(a)],
      // (A word inside a URL or host name is no word of its own: `haskell` in github.com/haskell-tls is not found.)
      ['q=pathLenConstraint', has(/\bpathlenconstraint\b/i)],
      [`q=GRU&source=${encodeURIComponent(CISA_SOURCE)}`, (a) => a.source === CISA_SOURCE && has(/\bgru\b/i)(a)],
    ];
    for (const [query, keep] of cases) {
      const expected = ids(model.filter(keep));
      expect(expected.length, `${query} finds something`).toBeGreaterThan(0);
      expect((await list(query)).data.map((a) => a.id), query).toEqual(expected);
    }
    expect((await list('q=SimpleHelp')).meta.filters.q).toBe('SimpleHelp');
    // Stop words alone search for nothing: a 400 naming q, not an empty page.
    expectInvalidParameter(await get(t.app, '/api/v1/articles?q=the', pro), 'q');
    expectInvalidParameter(await get(t.app, '/api/v1/articles?q=%20%20', pro), 'q');
  });

  it('finds the articles that name a CVE (cve_text_search): its records, or its text', async () => {
    const records = await allRecords();
    const withRecord = (cve: string) => new Set(records.filter((r) => r.type === 'cve' && r.value === cve && r.source.article_id).map((r) => r.source.article_id));
    for (const [given, cve] of [
      ['CVE-2023-23397', 'CVE-2023-23397'], // the seed's article: a record, no text
      ['cve-2024-57727', 'CVE-2024-57727'], // SimpleHelp: aa25-163a
      ['CVE-2021-44228', 'CVE-2021-44228'], // Log4Shell, among the routinely exploited (aa24-317a)
      ['CVE-2013-0243', 'CVE-2013-0243'], // a Haskell advisory
    ] as const) {
      const named = new RegExp(`\\b${cve}\\b`, 'i');
      const expected = ids(model.filter((a) => named.test(a.text) || withRecord(cve).has(a.id)));
      expect(expected.length, cve).toBeGreaterThan(0);
      const body = await list(`cve_text_search=${given}`);
      expect(body.data.map((a) => a.id), cve).toEqual(expected);
      expect(body.meta.filters.cve_text_search).toBe(cve);
    }
    expect(ids(model.filter((a) => /CVE-2023-23397/i.test(a.text)))).not.toContain(seeded.article.id);
    expect((await list('cve_text_search=CVE-2024-3400')).data).toEqual([]);
    for (const bad of ['CVE-99', 'CVE-2024-03400', 'T1059', 'log4shell']) {
      expectInvalidParameter(await get(t.app, `/api/v1/articles?cve_text_search=${bad}`, pro), 'cve_text_search');
    }
  });

  it('gives one article with its IOCs by type, equal to its records in /api/v1/iocs, its techniques, CVEs and references', async () => {
    const records = await allRecords();
    for (const article of model) {
      const res = await get(t.app, `/api/v1/articles/${article.id}`, pro);
      expect(res.statusCode, res.body).toBe(200);
      const { data } = res.json() as DetailBody;
      const own = records.filter((r) => r.source.article_id === article.id);
      expect(data).toMatchObject({ id: article.id, title: article.title, reference_url: article.url, source: { name: article.source, category: article.category } });
      expect(new URL(data.url).pathname).toBe(`/item/${article.id}`);
      expect(data.ioc_count).toBe(own.length);
      const byType: Record<string, ArticleIoc[]> = {};
      for (const r of own) (byType[r.type] ??= []).push({ id: r.id, value: r.value, confidence: r.confidence, context: r.context ?? null, tags: r.tags, mitre_techniques: r.mitre_techniques });
      const sorted = (group: Record<string, ArticleIoc[]>) =>
        Object.fromEntries(Object.entries(group).map(([type, list]) => [type, [...list].sort((a, b) => (a.id < b.id ? -1 : 1))]));
      expect(sorted(data.iocs), article.title).toEqual(sorted(byType));
      expect(data.ioc_counts).toEqual(Object.fromEntries(Object.entries(byType).map(([type, list]) => [type, list.length])));
      // Each type's best first: high before medium before low.
      const rank = { high: 0, medium: 1, low: 2 } as Record<string, number>;
      for (const list of Object.values(data.iocs)) expect(list.map((r) => rank[r.confidence])).toEqual(list.map((r) => rank[r.confidence]!).sort());
      expect(data.cves).toEqual(own.filter((r) => r.type === 'cve').map((r) => r.value).sort());
      const techniques = new Set([...own.filter((r) => r.type === 'mitre_attack').map((r) => r.value), ...own.flatMap((r) => r.mitre_techniques)]);
      expect(data.mitre_techniques.map((m) => m.id)).toEqual([...techniques].sort());
      // References: what the article cites, as the pipeline stored them, and none of its IOCs.
      const stored = await store.db.query<{ type: string; value: string; reason: string }>(
        'select type, value, reason from article_references where article_id = $1',
        [article.id],
      );
      const key = (r: { type: string; value: string }) => `${r.type} ${r.value}`;
      expect(data.references.map(key).sort()).toEqual(stored.map(key).sort());
      expect(data.references.every((r) => r.reason.length > 0)).toBe(true);
      const iocKeys = new Set(own.map(key));
      expect(data.references.filter((r) => iocKeys.has(key(r)))).toEqual([]);
    }
    // The seed's advisory: its CVE, and its techniques by their ATT&CK names.
    const advisory = ((await get(t.app, `/api/v1/articles/${seeded.article.id}`, pro)).json() as DetailBody).data;
    expect(advisory.cves).toEqual(['CVE-2023-23397']);
    expect(advisory.mitre_techniques).toEqual([
      { id: 'T1110.003', name: 'Password Spraying' },
      { id: 'T1187', name: 'Forced Authentication' },
      { id: 'T1566.002', name: 'Spearphishing Link' },
    ]);
    expect(advisory.ioc_counts).toEqual({ cve: 1, email: 13, ipv4: 65, mitre_attack: 2 });
    // Some article of the feed cites sources, apart from its IOCs.
    const cited = await Promise.all(model.map(async (a) => ((await get(t.app, `/api/v1/articles/${a.id}`, pro)).json() as DetailBody).data.references.length));
    expect(cited.some((n) => n > 0)).toBe(true);
  });

  it('reads an article an import knows by id alone, and answers 404 for an unknown id and 400 naming a malformed one', async () => {
    const res = await get(t.app, `/api/v1/articles/${LISTED_ONLY.toUpperCase()}`, pro);
    expect(res.statusCode, res.body).toBe(200);
    const { data } = res.json() as DetailBody;
    expect(data).toMatchObject({ id: LISTED_ONLY, title: null, reference_url: null, ioc_count: 1, source: { name: 'Vendor intel list' } });
    expect(data.iocs.domain!.map((r) => r.value)).toEqual(['listed-only.example-bad.org']);
    expectError(await get(t.app, '/api/v1/articles/4f6b7c1e-0000-4000-8000-000000000000', pro), 404, 'not_found');
    for (const bad of ['abc123', '4f6b7c1e-0000-4000-8000-00000000000g', '1']) {
      expectInvalidParameter(await get(t.app, `/api/v1/articles/${bad}`, pro), 'id');
      expectInvalidParameter(await get(t.app, `/item/${bad}`), 'id');
    }
  });

  it('names each bad parameter of the list in a 400', async () => {
    const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const cases: [string, string][] = [
      ['limit=0', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=1.5', 'limit'],
      ['cursor=garbage!', 'cursor'],
      // The IOC list's cursor is no place in this list; nor is a time that does not exist.
      [`cursor=${cursorOf(['2026-01-01T00:00:00.000000Z', '4f6b7c1e-0000-4000-8000-000000000000'])}`, 'cursor'],
      [`cursor=${cursorOf(['2026-02-30T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z', '4f6b7c1e-0000-4000-8000-000000000000'])}`, 'cursor'],
      ['since=yesterday', 'since'],
      ['until=2026-13-01', 'until'],
      ['since=2026-06-02&until=2026-06-01', 'until'],
      ['category=blogs', 'category'],
      ['cve_text_search=CVE-2024', 'cve_text_search'],
      ['q=', 'q'],
      ['source=', 'source'],
      ['sort=asc', 'sort'],
    ];
    for (const [query, parameter] of cases) expectInvalidParameter(await get(t.app, `/api/v1/articles?${query}`, pro), parameter);
  });

  it('needs a key with read:iocs; a free key sees its lookback, its limit capped, and reads any article by id', async () => {
    expectError(await get(t.app, '/api/v1/articles'), 401, 'missing_api_key');
    expectError(await get(t.app, `/api/v1/articles/${seeded.article.id}`), 401, 'missing_api_key');
    const stix = await t.key('pro', ['read:stix']);
    expectError(await get(t.app, '/api/v1/articles', stix), 403, 'insufficient_scope');
    expectError(await get(t.app, `/api/v1/articles/${seeded.article.id}`, stix), 403, 'insufficient_scope');

    const recent = model.filter((a) => a.batch > 0);
    expect((await list('', free)).data.map((a) => a.id)).toEqual(ids(recent));
    // `since` before the lookback is raised to it, and said so; the Haskell articles stay out.
    const clamped = await list(`since=${new Date(Date.now() - 10 * DAY_MS).toISOString()}&limit=500`, free);
    expect(clamped.data.map((a) => a.id)).toEqual(ids(recent));
    expect(clamped.meta.limit).toBe(100);
    expect(clamped.meta.notices).toEqual([expect.stringMatching(/^since raised from .* free tier looks back 1 day/), expect.stringMatching(/^limit reduced from 500 to 100/)]);
    expect(Date.parse(clamped.meta.filters.since!)).toBeGreaterThan(Date.now() - DAY_MS - 60_000);
    // Pro: every article, its limit capped at 100 all the same (an article is a large row).
    const proPage = await list(`since=${new Date(Date.now() - 10 * DAY_MS).toISOString()}&limit=500`);
    expect(proPage.data.map((a) => a.id)).toEqual(ids(model));
    expect(proPage.meta.notices).toEqual([expect.stringMatching(/^limit reduced from 500 to 100/)]);
    // An article older than the lookback is read by its id: a record's article_url leads somewhere on every tier.
    const old = model.find((a) => a.batch === 0)!;
    const res = await get(t.app, `/api/v1/articles/${old.id}`, free);
    expect(res.statusCode, res.body).toBe(200);
    expect((res.json() as DetailBody).data.id).toBe(old.id);
  });

  it("serves each record's article_url as the article's page here, which leads to the article; reference_url is the publisher's", async () => {
    const listed = (await get(t.app, '/api/v1/iocs?limit=10000', pro)).json() as { data: ApiRecord[]; links: { self: string } };
    const base = new URL(listed.links.self).origin;
    const search = (await get(t.app, '/api/v1/iocs/search?q=CVE-2023-23397', pro)).json() as { data: { matches: ApiRecord[]; relatedIOCs: ApiRecord[] } };
    expect(search.data.relatedIOCs.length).toBeGreaterThan(0);
    for (const record of [...listed.data, ...search.data.matches, ...search.data.relatedIOCs]) {
      const article = model.find((a) => a.id === record.source.article_id);
      if (record.source.article_id === null) {
        expect(record.source.article_url).toBeNull();
        continue;
      }
      expect(record.source.article_url).toBe(`${base}/item/${record.source.article_id}`);
      expect(record.source.reference_url).toBe(article ? article.url : null);
    }
    // Following it: /item/{id} (no key) redirects to the article, which the key reads.
    const record = search.data.matches.find((r) => r.source.article_id === seeded.article.id);
    const page = await get(t.app, pathOf(record!.source.article_url!));
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe(`${base}/api/v1/articles/${seeded.article.id}`);
    const res = await get(t.app, pathOf(page.headers.location as string), pro);
    expect(res.statusCode).toBe(200);
    expect((res.json() as DetailBody).data).toMatchObject({ id: seeded.article.id, title: ADVISORY.title, reference_url: ADVISORY.advisory_url });
    // CEF names the publisher's page, not ours.
    const cef = (await get(t.app, '/api/v1/iocs?format=cef&type=cve&limit=10000', pro)).body;
    expect(cef).toContain(`flexString1=${ADVISORY.advisory_url.replace(/=/g, '\\=')} flexString1Label=Reference`);
    expect(cef).not.toContain('/item/');
  });

  it('walks the list by cursor, seeing each article once and in order while articles arrive', async () => {
    const vendor = await addSource(store.db, {
      name: VENDOR_SOURCE,
      kind: 'rss',
      url: 'https://vendor.example/feed.xml',
      category: 'vendor',
      intervalSeconds: 3600,
      staleAfterSeconds: null,
      auth: null,
    });
    const before = inOrder(model);
    let added = 0;
    /** An article stored now, as the pipeline stores one (its title and URL; published a year ago or in the future). */
    const arrive = async () => {
      const url = `https://vendor.example/research/${++added}`;
      const publishedAt = added % 2 ? new Date(Date.now() - 365 * DAY_MS) : new Date(Date.now() + 30 * DAY_MS);
      const id = await upsertArticle(store.db, { id: articleId(url), sourceId: vendor.id, title: `Research note ${added}`, url, publishedAt, summary: 'A note.' });
      const ioc = parseIoc(`evil-${added}.example-bad.net`);
      if (!ioc.ok) throw new Error(ioc.reason);
      await upsertRecords(store.db, vendor, 'article', [{ ioc: ioc.ioc, confidence: 'high', firstSeen: new Date(), lastSeen: new Date(), articleId: id }]);
      model.push({ id, title: `Research note ${added}`, url, source: VENDOR_SOURCE, category: 'vendor', publishedAt, text: `Research note ${added}`, batch: 10 + added });
      await sleep(2);
    };
    // Two articles a page, and one or two arriving after each page: they are newer, at the head,
    // and never shift the walk already under way.
    const walked = await walk('limit=2', async (page) => {
      await arrive();
      if (page % 2 === 0) await arrive();
    });
    expect(walked).toEqual(before.map((a) => a.id));
    expect(new Set(walked).size).toBe(walked.length);
    // A walk from the start now sees the new ones first, newest first, then the rest, once each.
    const again = await walk('limit=3');
    expect(again).toEqual(ids(model));
    expect(again.slice(0, added)).toEqual(model.filter((a) => a.source === VENDOR_SOURCE).reverse().map((a) => a.id));
    // The same walk within one source follows that source's order.
    expect(await walk(`limit=1&source=${encodeURIComponent(VENDOR_SOURCE)}`)).toEqual(ids(model.filter((a) => a.source === VENDOR_SOURCE)));
    expect(await walk(`limit=2&category=government&q=exploited`)).toEqual(ids(model.filter((a) => a.category === 'government' && /\bexploit/i.test(a.text))));
    // A full last page is followed by an empty one, without a next link.
    const all = await list(`limit=${model.length}`);
    expect(all.links.next).toBeDefined();
    const empty = await list(pathOf(all.links.next!).split('?')[1]!);
    expect(empty.data).toEqual([]);
    expect(empty.links.next).toBeUndefined();
    expect(Object.fromEntries(new URL(all.links.next!).searchParams)).toEqual({ limit: String(model.length), cursor: expect.any(String) });
  });
});

describe('article pages under PUBLIC_URL', () => {
  const PUBLIC_URL = 'https://intel.example/socd';
  const ARTICLE_URL = 'https://vendor.example/blog/"quoted"?a=1&b=2';
  // A context full of what the replace looks for: quotes, backslashes, the member's own text.
  const CONTEXT = 'He wrote "article_url":"/item/x" and {\\"article_url\\":\\"/item/\\"} then ","article_url":"/item/ \\ " end';
  let article = '';
  const { t } = appSuite('embedded', {
    env: { PUBLIC_URL },
    seed: async (db) => {
      const source = await addSource(db, { name: 'Quoting blog', kind: 'rss', url: 'https://vendor.example/rss', category: 'vendor', intervalSeconds: 3600, staleAfterSeconds: null, auth: null });
      article = await upsertArticle(db, { id: articleId(ARTICLE_URL), sourceId: source.id, title: 'A "quoted" title', url: ARTICLE_URL, summary: CONTEXT });
      const ioc = parseIoc('quoted-c2.example-bad.net');
      if (!ioc.ok) throw new Error(ioc.reason);
      const related = parseIoc('203.0.113.77');
      if (!related.ok) throw new Error(related.reason);
      await upsertRecords(db, source, 'article', [
        { ioc: ioc.ioc, confidence: 'high', firstSeen: new Date(), lastSeen: new Date(), context: CONTEXT, articleId: article },
        { ioc: related.ioc, confidence: 'medium', firstSeen: new Date(), lastSeen: new Date(), context: CONTEXT, articleId: article },
      ]);
    },
  });

  it('writes article_url under PUBLIC_URL, leaving a context full of quotes as it was', async () => {
    const key = await t.key('pro');
    const search = await get(t.app, '/api/v1/iocs/search?q=quoted-c2.example-bad.net', key);
    expect(search.statusCode).toBe(200);
    const { matches, relatedIOCs } = (search.json() as { data: { matches: ApiRecord[]; relatedIOCs: ApiRecord[] } }).data;
    const listed = ((await get(t.app, '/api/v1/iocs', key)).json() as { data: ApiRecord[] }).data;
    expect(matches).toHaveLength(1);
    expect(relatedIOCs).toHaveLength(1);
    expect(listed).toHaveLength(2);
    for (const record of [...matches, ...relatedIOCs, ...listed]) {
      expect(record.context).toBe(CONTEXT);
      expect(record.source).toMatchObject({ article_url: `${PUBLIC_URL}/item/${article}`, reference_url: ARTICLE_URL, article_title: 'A "quoted" title' });
    }
    const page = await get(t.app, `/item/${article}`);
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe(`${PUBLIC_URL}/api/v1/articles/${article}`);
    const articles = (await get(t.app, '/api/v1/articles', key)).json() as ListBody;
    expect(articles.data.map((a) => [a.url, a.reference_url, a.summary])).toEqual([[`${PUBLIC_URL}/item/${article}`, ARTICLE_URL, CONTEXT]]);
    expect(articles.links.self).toBe(`${PUBLIC_URL}/api/v1/articles?limit=20`);
  });
});
