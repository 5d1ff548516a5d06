// A feed whose items carry only a summary: the pipeline fetches each article's page, keeps its
// readable text as the article, and extracts the IOCs the page lists; a page that cannot be
// fetched leaves the article with its summary and says why in the run's rejected rows.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSource } from '../../src/ingest/pipeline.js';
import { BACKENDS, FIXTURES } from '../helpers.js';
import { fakeSource, type FakeUpstream, fastRun, serve, status, storeAndUpstream } from './ingest-upstream.js';

const ADVISORY = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'advisories', 'aa25-141a.expected.json'), 'utf8')) as {
  title: string;
  expected_iocs: { type: string; value: string }[];
};
const ADVISORY_PAGE = fs.readFileSync(path.join(FIXTURES, 'advisories', 'aa25-141a.html'), 'utf8');
const SUMMARY = 'The GRU 26165 unit targets Western logistics entities and technology companies.';

/** An RSS feed of two summary-only items: the advisory's page, and a page that is gone. */
function summaryOnlyFeed(upstream: FakeUpstream): string {
  const item = (title: string, link: string) =>
    `<item><title>${title}</title><link>${link}</link><description>${SUMMARY}</description>` +
    `<pubDate>Wed, 21 May 2025 12:00:00 GMT</pubDate></item>`;
  return `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Advisories</title><link>${upstream.url('/')}</link>
    ${item(ADVISORY.title, upstream.url('/advisories/aa25-141a'))}
    ${item('A retired advisory', upstream.url('/advisories/gone'))}
  </channel></rss>`;
}

describe.each(BACKENDS)('articles with only a summary in the feed, on %s', (backend) => {
  const bed = storeAndUpstream(backend);

  it('fetches the page, stores its readable text and the IOCs it lists', async () => {
    const source = await fakeSource(bed.store.db, bed.upstream, 'rss', { category: 'government' });
    bed.upstream.on(source.path, serve(summaryOnlyFeed(bed.upstream), { contentType: 'application/rss+xml' }));
    bed.upstream.on('/advisories/aa25-141a', serve(ADVISORY_PAGE, { contentType: 'text/html; charset=utf-8' }));
    bed.upstream.on('/advisories/gone', status(404));

    const summary = await runSource(bed.store.db, source, fastRun({ fetchArticlePages: true }));
    expect(summary.outcome).toBe('ok');
    expect(summary.articles).toBe(2);
    expect(bed.upstream.requestsTo('/advisories/aa25-141a')).toHaveLength(1);
    expect(summary.rejectedSamples).toEqual([
      expect.objectContaining({ at: bed.upstream.url('/advisories/gone'), reason: expect.stringMatching(/^article page not fetched: 404/) }),
    ]);

    const articles = await bed.store.db.query<{ title: string; url: string; summary: string; content: string }>(
      'select title, url, summary, content from articles where source_id = $1 order by title',
      [source.id],
    );
    expect(articles.map((a) => a.title)).toEqual(['A retired advisory', ADVISORY.title]);
    const [gone, advisory] = articles;
    expect(gone!.content).toBe(SUMMARY);
    expect(advisory!.summary).toBe(SUMMARY);
    // The page's text, not the summary: it holds the advisory's IOC tables.
    expect(advisory!.content.length).toBeGreaterThan(10 * SUMMARY.length);
    expect(advisory!.content).toContain('alfathdoor');

    const stored = await bed.store.db.query<{ type: string; value: string; origin: string; article_url: string }>(
      `select s.type, i.value, s.origin, a.url as article_url
       from sightings s join indicators i on i.id = s.indicator_id join articles a on a.id = s.article_id
       where s.source_id = $1`,
      [source.id],
    );
    expect(new Set(stored.map((r) => r.origin))).toEqual(new Set(['article']));
    expect(new Set(stored.map((r) => r.article_url))).toEqual(new Set([bed.upstream.url('/advisories/aa25-141a')]));
    const found = new Set(stored.map((r) => `${r.type} ${r.value}`));
    const listed = ADVISORY.expected_iocs.filter((ioc) => found.has(`${ioc.type} ${ioc.value}`));
    // Nearly every IOC the advisory lists (the extractor's recall is measured by npm run bench).
    expect(listed.length).toBeGreaterThanOrEqual(Math.floor(ADVISORY.expected_iocs.length * 0.9));

    // What the advisory cites rather than accuses is kept with it, and is no IOC record:
    // the agencies' contact address and its links to their pages.
    const references = await bed.store.db.query<{ type: string; value: string; reason: string }>(
      `select r.type, r.value, r.reason from article_references r join articles a on a.id = r.article_id where a.url = $1`,
      [bed.upstream.url('/advisories/aa25-141a')],
    );
    expect(references.length).toBeGreaterThan(0);
    expect(references.map((r) => r.type)).toEqual(expect.arrayContaining(['email']));
    const recorded = await bed.store.db.query<{ n: number }>(
      `select count(*)::int as n from indicators i join article_references r on r.type = i.type and r.value = i.value`,
    );
    expect(recorded[0]!.n).toBe(0);

    // Known articles are not fetched again.
    const again = await runSource(bed.store.db, source, fastRun({ fetchArticlePages: true }));
    expect(again.articles).toBe(0);
    expect(bed.upstream.requestsTo('/advisories/aa25-141a')).toHaveLength(1);
  });
});
