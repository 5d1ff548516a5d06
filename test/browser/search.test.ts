// Search and pivot: a defanged value pasted into the header's box answers with its verdict and
// records; its article, the article's other IOCs and a related value are each one click away, and
// the back button walks the way back. Feed text (a source name, a malware name, a reporter) shows
// as text and never runs; a non-IOC gets the server's reason; a long value fits a phone's width.
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import {
  apiGet,
  axeViolations,
  dashboard,
  describeBrowser,
  PROBE_DOMAIN,
  PROBE_MALWARE,
  PROBE_REPORTER,
  PROBE_SOURCE,
  screenshot,
  signIn,
} from './harness.js';

interface Lookup {
  data: {
    value: string;
    known: boolean;
    sources: { source: string; context: string | null; article: { id: string; title: string | null } | null }[];
    related: { same_article: { type: string; value: string }[]; same_entry: { type: string; value: string }[] };
    lifecycle: { status: string; summary: string } | null;
  };
}

interface Article {
  data: { title: string; iocs: Record<string, { value: string }[]> };
}

interface IocList {
  data: { value: string }[];
}

const DEFANGED = '79[.]184[.]25[.]198';
const IP = '79.184.25.198';

/** The page's one h1, once it reads `text` (the answer has loaded). */
async function heading(page: Page, text: string): Promise<void> {
  await expect.poll(() => page.locator('main h1').textContent()).toContain(text);
}

async function searchFor(page: Page, value: string): Promise<void> {
  const box = page.getByRole('searchbox', { name: 'Search an IOC' });
  await box.fill(value);
  await box.press('Enter');
}

describeBrowser('dashboard: search and pivot', () => {
  const bed = dashboard();
  const lookup = (value: string) => apiGet<Lookup>(bed.url, bed.adminKey, `/api/v1/lookup?value=${encodeURIComponent(value)}&include_hunting=false`);

  it('answers a defanged value, pivots to its article, an IOC of it and a related value, and goes back', async () => {
    const answer = (await lookup(DEFANGED)).data;
    expect(answer.value).toBe(IP);
    const record = answer.sources.find((s) => s.article !== null)!;
    const article = record.article!;
    const articleBody = (await apiGet<Article>(bed.url, bed.adminKey, `/api/v1/articles/${article.id}`)).data;
    const other = articleBody.iocs.ipv4!.find((ioc) => ioc.value !== IP)!.value;
    const related = (await lookup(other)).data.related.same_article.find((r) => r.type === 'ipv4' && r.value !== IP && r.value !== other)!.value;

    const { page, context, problems } = await bed.page();
    await signIn(page, bed.url, bed.adminKey);
    await searchFor(page, DEFANGED);
    await heading(page, IP);
    expect(new URL(page.url()).searchParams.get('value')).toBe(DEFANGED);
    const main = page.locator('main');
    await main.getByText('Defanged input, refanged').waitFor();
    expect(await main.textContent()).toContain(DEFANGED);
    const records = page.getByRole('region', { name: /^Records/ });
    expect(await records.textContent()).toContain(record.source);
    expect(await records.textContent()).toContain(record.context);
    const verdict = await page.getByRole('region', { name: 'Verdict' }).textContent();
    expect(verdict).toContain(record.source);
    // Where it stands in its lifecycle (valid until, or expired or revoked: when and why), in the server's words.
    expect(answer.lifecycle).not.toBeNull();
    expect(verdict).toContain(answer.lifecycle!.summary);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'search');

    // The record's article.
    await records.getByRole('link', { name: article.title! }).click();
    await page.waitForURL(`**/item/${article.id}`);
    await heading(page, article.title!);
    const iocs = page.getByRole('region', { name: 'IOCs' });
    await iocs.getByRole('link', { name: other, exact: true }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'article');

    // One of the article's other IOCs, then a value related to it.
    await iocs.getByRole('link', { name: other, exact: true }).click();
    await heading(page, other);
    expect(new URL(page.url()).searchParams.get('value')).toBe(other);
    await page.getByRole('region', { name: 'Related IOCs' }).getByRole('link', { name: related, exact: true }).click();
    await heading(page, related);

    // Back, step by step, and forward once.
    await page.goBack();
    await heading(page, other);
    await page.goBack();
    await heading(page, article.title!);
    expect(new URL(page.url()).pathname).toBe(`/item/${article.id}`);
    await page.goBack();
    await heading(page, IP);
    expect(new URL(page.url()).searchParams.get('value')).toBe(DEFANGED);
    await page.goForward();
    await heading(page, article.title!);
    await page.getByRole('region', { name: 'IOCs' }).getByRole('link', { name: other, exact: true }).waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });

  it('relates the values of one ThreatFox entry, both ways', async () => {
    const c2 = '198.46.243.188';
    const domain = 'panel.munchyyyyyscpann.live';
    expect((await lookup(c2)).data.related.same_entry.map((r) => r.value)).toContain(domain);

    const { page, context, problems } = await bed.page();
    await signIn(page, bed.url, bed.adminKey);
    await searchFor(page, c2);
    await heading(page, c2);
    expect(await page.getByRole('region', { name: /^Records/ }).textContent()).toContain('ThreatFox');
    const entry = page.getByRole('group', { name: /^Same feed entry/ });
    await entry.getByRole('link', { name: domain, exact: true }).click();
    await heading(page, domain);
    await page.getByRole('group', { name: /^Same feed entry/ }).getByRole('link', { name: c2, exact: true }).waitFor();
    await page.goBack();
    await heading(page, c2);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("gives the server's reason for a non-IOC, and a fragment's near matches", async () => {
    const { page, context, problems } = await bed.page();
    await signIn(page, bed.url, bed.adminKey);
    await searchFor(page, 'hello');
    await heading(page, 'hello');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/Invalid value for 'value'.*hello/);
    expect(await alert.textContent()).toContain('parameter value');

    // A piece of a known domain is no IOC either: the partial search finds what contains it.
    await searchFor(page, 'munchyyy');
    await heading(page, 'munchyyy');
    const near = page.getByRole('region', { name: 'Near matches' });
    await near.getByRole('link', { name: 'panel.munchyyyyyscpann.live', exact: true }).click();
    await heading(page, 'panel.munchyyyyyscpann.live');
    // The browser logs each 400 it was answered; those two were the point.
    expect(problems.filter((p) => !p.includes('status of 400'))).toEqual([]);
    await context.close();
  });

  it('shows markup and script from a feed as text, and runs none of it', async () => {
    const probe = (await lookup(PROBE_DOMAIN)).data;
    expect(probe.sources[0]!.context).toContain(PROBE_MALWARE);
    expect(probe.sources[0]!.context).toContain(PROBE_REPORTER);

    const { page, context, problems } = await bed.page();
    await signIn(page, bed.url, bed.adminKey);
    await searchFor(page, PROBE_DOMAIN);
    await heading(page, PROBE_DOMAIN);
    await page.getByText(PROBE_MALWARE).first().waitFor();
    const text = (await page.locator('main').textContent())!;
    for (const literal of [PROBE_MALWARE, PROBE_REPORTER, PROBE_SOURCE]) expect(text).toContain(literal);
    expect(await page.evaluate('document.querySelectorAll("img[onerror], main script").length')).toBe(0);
    expect(await page.evaluate('typeof window.__xss')).toBe('undefined');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('fits a long URL and a SHA-256 into 360 px', async () => {
    const urls = (await apiGet<IocList>(bed.url, bed.adminKey, '/api/v1/iocs?type=url&include_expired=true&limit=100')).data.map((r) => r.value);
    const longest = urls.reduce((a, b) => (b.length > a.length ? b : a));
    const sha256 = (await apiGet<IocList>(bed.url, bed.adminKey, '/api/v1/iocs?type=sha256&include_expired=true&limit=1')).data[0]!.value;

    const { page, context, problems } = await bed.page({ width: 360, height: 800 });
    await signIn(page, bed.url, bed.adminKey);
    for (const value of [longest, sha256]) {
      await searchFor(page, value);
      await heading(page, value);
      await page.getByRole('region', { name: /^Records/ }).waitFor();
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    }
    await screenshot(page, 'search-360');
    expect(problems).toEqual([]);
    await context.close();
  });
});
