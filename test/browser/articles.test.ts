// The articles list and an article's page: the list is the API's first page; a full-text search
// and the next page (by the API's cursor) are in the URL, so back returns to the page before; an
// article opens at /item/{id}, which serves the dashboard to a browser and redirects any other
// client to the API. A feed summary carrying markup shows as text and runs nothing.
import type { Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { runSource } from '../../src/ingest/pipeline.js';
import { addSource, findSource } from '../../src/store/sources.js';
import { apiGet, axeViolations, dashboard, describeBrowser, screenshot, signIn } from './harness.js';

interface ArticleList {
  data: { id: string; title: string; ioc_count: number }[];
  links: { next?: string };
}

/** What the page asks for: the API's default page size, said explicitly. */
const PAGE_SIZE = 20;
const FEED = 'Paging Test Research';
/** Markup in a summary (an element, dropped with what it holds), and markup written as text (shown as text). */
const MARKUP = '<img src=x onerror="window.__xss=4"><script>window.__xss=5</script>';
const LITERAL = '<b onmouseover="window.__xss=6">not bold</b>';
/** Markup in the newest article's title, which the feed gives as text. */
const TITLE_MARKUP = '<img src=x onerror="window.__xss=7">';

const escape = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** An RSS feed of 25 articles (the snapshot has too few to fill two pages); the newest has markup in its summary. */
function feed(): string {
  const items = Array.from({ length: 25 }, (_, i) => {
    const summary = i === 24 ? `<p>Markup test: ${MARKUP}${escape(LITERAL)}</p>` : `<p>Paging test article ${i} about loaders.</p>`;
    return (
      `<item><title>Paging test article ${i}${i === 24 ? ` ${escape(TITLE_MARKUP)}` : ''}</title><link>https://research.invalid/paging/${i}</link>` +
      `<guid>paging-${i}</guid><pubDate>${new Date(Date.UTC(2026, 0, 1 + i)).toUTCString()}</pubDate>` +
      `<description>${escape(summary)}</description></item>`
    );
  }).join('');
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>${FEED}</title><link>https://research.invalid/</link>${items}</channel></rss>`;
}

async function titles(page: Page): Promise<string[]> {
  return page.getByRole('list', { name: 'Articles, newest first' }).getByRole('heading').allTextContents();
}

describeBrowser('dashboard: articles', () => {
  const bed = dashboard();
  const list = (query: string) => apiGet<ArticleList>(bed.url, bed.adminKey, `/api/v1/articles?limit=${PAGE_SIZE}${query}`);

  beforeAll(async () => {
    const db = bed.service.db;
    await addSource(db, {
      name: FEED,
      kind: 'rss',
      url: 'https://research.invalid/feed.xml',
      category: 'research',
      intervalSeconds: 3600,
      staleAfterSeconds: null,
      auth: null,
    });
    await runSource(db, (await findSource(db, FEED))!, { body: feed(), fetchArticlePages: false, scheduled: false });
  });

  it('lists the first page, searches the text, pages by cursor and back, and opens an article', async () => {
    const first = await list('');
    expect(first.data.length).toBe(PAGE_SIZE);

    const { page, context, problems } = await bed.page();
    await signIn(page, bed.url, bed.adminKey);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Articles' }).click();
    await page.waitForURL('**/articles');
    await expect.poll(() => titles(page)).toEqual(first.data.map((a) => a.title));
    const entries = await page.getByRole('list', { name: 'Articles, newest first' }).getByRole('listitem').allTextContents();
    first.data.forEach((a, i) => expect(entries[i]).toContain(`${a.ioc_count} IOC`));
    // The summary's markup is gone, what it wrote as text shows as text, and none of it ran.
    const text = (await page.locator('main').textContent())!;
    expect(text).toContain(`Markup test: ${LITERAL}`);
    // The title's markup is the API's title, shown as text.
    expect(first.data[0]!.title).toBe(`Paging test article 24 ${TITLE_MARKUP}`);
    expect(text).toContain(TITLE_MARKUP);
    expect(text).not.toContain('window.__xss=5');
    expect(await page.evaluate('document.querySelectorAll("img[onerror], b[onmouseover], main script").length')).toBe(0);
    expect(await page.evaluate('typeof window.__xss')).toBe('undefined');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'articles');

    // The next page, by the API's cursor, kept in the URL; back returns to the first.
    const second = await apiGet<ArticleList>(bed.url, bed.adminKey, new URL(first.links.next!).pathname + new URL(first.links.next!).search);
    await page.getByRole('link', { name: 'Next page' }).click();
    await expect.poll(() => titles(page)).toEqual(second.data.map((a) => a.title));
    expect(new URL(page.url()).searchParams.get('cursor')).toBe(new URL(first.links.next!).searchParams.get('cursor'));
    await page.goBack();
    await expect.poll(() => titles(page)).toEqual(first.data.map((a) => a.title));
    await page.goForward();
    await expect.poll(() => titles(page)).toEqual(second.data.map((a) => a.title));
    await page.reload();
    await expect.poll(() => titles(page)).toEqual(second.data.map((a) => a.title));

    // Full-text search: q in the URL, the API's answer on the page, and the form keeps it.
    const ransomware = await list('&q=ransomware');
    expect(ransomware.data.length).toBeGreaterThan(0);
    await page.getByLabel('Search the text').fill('ransomware');
    await page.getByLabel('Search the text').press('Enter');
    await expect.poll(() => titles(page)).toEqual(ransomware.data.map((a) => a.title));
    const url = new URL(page.url());
    expect(url.searchParams.get('q')).toBe('ransomware');
    expect(url.searchParams.get('cursor')).toBeNull();
    await page.goBack();
    await expect.poll(() => titles(page)).toEqual(second.data.map((a) => a.title));
    expect(await page.getByLabel('Search the text').inputValue()).toBe('');
    await page.goForward();
    await expect.poll(() => page.getByLabel('Search the text').inputValue()).toBe('ransomware');

    // An article from the list.
    const article = ransomware.data[0]!;
    await page.getByRole('link', { name: article.title, exact: true }).click();
    await page.waitForURL(`**/item/${article.id}`);
    await expect.poll(() => page.locator('main h1').textContent()).toBe(article.title);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('filters by source', async () => {
    const own = await list(`&source=${encodeURIComponent(FEED)}`);
    const { page, context, problems } = await bed.page();
    await signIn(page, bed.url, bed.adminKey);
    await page.goto(`${bed.url}/articles`);
    await page.getByLabel('Source').selectOption(FEED);
    await page.getByRole('search', { name: 'Filter the articles' }).getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => titles(page)).toEqual(own.data.map((a) => a.title));
    expect(new URL(page.url()).searchParams.get('source')).toBe(FEED);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("serves /item/{id} to a browser, and redirects any other client to the API", async () => {
    const { id, title } = (await list('')).data[0]!;
    const asBrowser = await fetch(`${bed.url}/item/${id}`, { headers: { Accept: 'text/html,application/xhtml+xml' }, redirect: 'manual' });
    expect(asBrowser.status).toBe(200);
    expect(asBrowser.headers.get('content-type')).toContain('text/html');
    const asCurl = await fetch(`${bed.url}/item/${id}`, { redirect: 'manual' });
    expect(asCurl.status).toBe(303);
    expect(new URL(asCurl.headers.get('location')!, bed.url).pathname).toBe(`/api/v1/articles/${id}`);

    // Loaded straight from its URL (a record's article_url), the page shows the article.
    const { page, context, problems } = await bed.page();
    await signIn(page, bed.url, bed.adminKey);
    await page.goto(`${bed.url}/item/${id}`);
    await expect.poll(() => page.locator('main h1').textContent()).toBe(title);
    // An id no article has.
    await page.goto(`${bed.url}/item/00000000-0000-4000-8000-000000000000`);
    await expect.poll(() => page.locator('main h1').textContent()).toBe('No such article');
    expect(problems.filter((p) => !p.includes('status of 404'))).toEqual([]);
    await context.close();
  });
});
