// The overview as a user sees it: its numbers are the API's, the techniques are named, the newest
// high-confidence IOCs are the list's; it refreshes itself when the stats do (here every 5 s)
// without a reload, and stops when left; a free key sees what its tier allows and what a higher
// tier adds, in a few calls and no polling. Accessible, and no wider than a 360 px screen.
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { importIocList } from '../../src/ingest/import-list.js';
import { apiGet, axeViolations, createKey, dashboard, describeBrowser, screenshot, signIn } from './harness.js';

interface Stats {
  data: {
    totalIOCs: number;
    totalArticles: number;
    last24h: { newIOCs: number; newArticles: number };
    last7d: { trend: number[]; trendByType: Record<string, number[]> };
    feedHealth: { total: number; healthy: number; degraded: number; error: number };
    topMitreTechniques: { id: string; name: string | null; count: number }[];
  };
}

interface IocList {
  data: { value: string }[];
}

const NEWEST = '/api/v1/iocs?confidence=high&limit=10';

/** The number a tile shows under its label (exactly that label). */
async function tile(page: Page, label: string): Promise<number> {
  const text = await page
    .locator('.tile')
    .filter({ has: page.locator('.label', { hasText: new RegExp(`^${label}$`) }) })
    .locator('.value')
    .textContent();
  return Number(/^[\d,]+/.exec(text!.trim())![0].replaceAll(',', ''));
}

const numbers = (values: number[]) => values.map((n) => n.toLocaleString('en')).join('; ');

/** The API requests a page makes, by path. */
function apiCalls(page: Page): string[] {
  const calls: string[] = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/api/')) calls.push(url.pathname);
  });
  return calls;
}

describeBrowser('dashboard: overview', () => {
  const bed = dashboard({ STATS_REFRESH_SECONDS: '5' });

  it("shows the API's numbers, the techniques by name and the newest high-confidence IOCs", async () => {
    const { page, context, problems } = await bed.page();
    await signIn(page, bed.url, bed.adminKey);
    await page.locator('.overview-tiles').waitFor();
    await page.locator('.newest-table').waitFor();
    // Nothing is ingested meanwhile: a refresh moves the cache's time, not these numbers.
    const stats = await apiGet<Stats>(bed.url, bed.adminKey, '/api/v1/iocs/stats');
    const { data } = stats;
    expect(await page.getByRole('heading', { level: 1 }).allTextContents()).toEqual(['Overview']);
    expect(await tile(page, 'Total IOCs')).toBe(data.totalIOCs);
    expect(await tile(page, 'New in 24 h')).toBe(data.last24h.newIOCs);
    expect(await tile(page, 'Articles')).toBe(data.totalArticles);
    expect(data.totalIOCs).toBeGreaterThan(1000);
    const feeds = await page.locator('.feeds-tile').textContent();
    expect(feeds).toContain(`${data.feedHealth.healthy} of ${data.feedHealth.total} healthy`);
    expect(feeds).toContain(`${data.feedHealth.degraded} degraded`);
    expect(feeds).toContain(`${data.feedHealth.error} error`);

    // The trend, and each type's, with its seven numbers in its accessible name.
    const total = await page.getByRole('img', { name: /^All IOC records/ }).getAttribute('aria-label');
    expect(total!.endsWith(`: ${numbers(data.last7d.trend)}`)).toBe(true);
    const active = Object.entries(data.last7d.trendByType).filter(([, days]) => days.some((n) => n > 0));
    expect(active.length).toBeGreaterThan(1);
    expect(await page.locator('table.by-type tbody tr').count()).toBe(active.length);
    for (const [, days] of active) {
      expect(await page.getByRole('img', { name: `: ${numbers(days)}`, exact: false }).count()).toBeGreaterThan(0);
    }

    // The techniques with their names, each linked to its search.
    expect(data.topMitreTechniques.length).toBeGreaterThan(0);
    const rows = page.locator('.techniques tbody tr');
    expect(await rows.count()).toBe(data.topMitreTechniques.length);
    for (const [i, technique] of data.topMitreTechniques.entries()) {
      const row = rows.nth(i);
      expect(technique.name).toBeTruthy();
      expect(await row.locator('.name').textContent()).toBe(technique.name);
      expect(await row.getByRole('link').getAttribute('href')).toBe(`/search?value=${encodeURIComponent(technique.id)}`);
    }

    // The newest high-confidence IOCs, in the list's order.
    const newest = await apiGet<IocList>(bed.url, bed.adminKey, NEWEST);
    expect(newest.data.length).toBe(10);
    expect(await page.locator('.newest-table td.value').allTextContents()).toEqual(newest.data.map((r) => r.value));

    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'overview');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('refreshes itself when the stats do, without a reload', { timeout: 90_000 }, async () => {
    const { page, context, problems } = await bed.page();
    await signIn(page, bed.url, bed.adminKey);
    const time = page.locator('.freshness time');
    await time.waitFor();
    const shownAt = await time.getAttribute('datetime');
    const before = await tile(page, 'Total IOCs');
    await page.evaluate('window.__sameDocument = true');
    // A new high-confidence record: the next refresh counts it, and the newest IOCs list it first.
    const summary = await importIocList(bed.service.db, 'overview-refresh-probe.top', { source: 'Overview probe', confidence: 'high' });
    expect(summary.inserted).toBe(1);
    await expect.poll(() => tile(page, 'Total IOCs'), { timeout: 60_000, interval: 1000 }).toBe(before + 1);
    expect(await time.getAttribute('datetime')).not.toBe(shownAt);
    await expect.poll(() => page.locator('.newest-table td.value').first().textContent(), { timeout: 10_000 }).toBe('overview-refresh-probe.top');
    const stats = await apiGet<Stats>(bed.url, bed.adminKey, '/api/v1/iocs/stats');
    expect(stats.data.totalIOCs).toBe(before + 1);
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('asks again when the next document is due, and stops when the page is left', async () => {
    const { page, context, problems } = await bed.page();
    // The page's clock is Playwright's: minutes pass at once.
    await page.clock.install();
    const calls = apiCalls(page);
    await signIn(page, bed.url, bed.adminKey);
    await page.locator('.overview-tiles').waitFor();
    const statsCalls = () => calls.filter((path) => path === '/api/v1/iocs/stats').length;
    expect(statsCalls()).toBe(1);
    // The cache is due again 5 s after its time: the page asks at most every 15 s.
    await page.clock.runFor(14_000);
    expect(statsCalls()).toBe(1);
    await page.clock.runFor(2_000);
    await expect.poll(statsCalls).toBe(2);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Articles' }).click();
    await page.getByRole('heading', { level: 1, name: 'Articles' }).waitFor();
    const left = statsCalls();
    await page.clock.runFor(600_000);
    await page.waitForTimeout(500);
    expect(statsCalls()).toBe(left);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('holds at 360 px: nothing scrolls sideways', async () => {
    const { page, context, problems } = await bed.page({ width: 360, height: 800 });
    await signIn(page, bed.url, bed.adminKey);
    await page.locator('.newest-table').waitFor();
    await screenshot(page, 'overview-360');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    expect(await axeViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows a free key what its tier allows and what a higher tier adds, in a few calls and no polling', async () => {
    const key = await createKey(bed.url, bed.adminKey, { name: 'x', tier: 'free' });

    const { page, context, problems } = await bed.page();
    await page.clock.install();
    const calls = apiCalls(page);
    await signIn(page, bed.url, key.key);
    await page.getByRole('heading', { level: 2, name: 'What a higher tier adds' }).waitFor();
    await page.locator('.newest-table').waitFor();
    expect(await page.getByRole('heading', { level: 1 }).allTextContents()).toEqual(['Overview']);
    const upgrade = await page.locator('.upgrade').textContent();
    expect(upgrade).toContain('Statistics and trends');
    expect(upgrade).toContain('A longer lookback: 365 days of IOCs rather than 1');
    // The higher tier's figures are the server's tiers table's.
    const { data: tiers } = await apiGet<{ data: { name: string; requests_per_minute: number; formats: string[] }[] }>(bed.url, key.key, '/api/v1/tiers');
    const pro = tiers.find((tier) => tier.name === 'pro')!;
    expect(upgrade).toContain(`More export formats: ${pro.formats.map((f) => f.toUpperCase()).join(', ')} (yours: JSON)`);
    expect(upgrade).toContain(`More requests: ${pro.requests_per_minute.toLocaleString('en')} a minute`);
    const facts = await page.locator('dl.facts').textContent();
    expect(facts).toContain('free');
    expect(facts).toContain('10 requests a minute');
    expect(await page.locator('.overview-tiles').count()).toBe(0);

    // Its newest IOCs are the list's, within its lookback.
    const newest = await apiGet<IocList>(bed.url, key.key, NEWEST);
    expect(await page.locator('.newest-table td.value').allTextContents()).toEqual(newest.data.map((r) => r.value));

    // Sign-in's /me, then the page's /me, list and tiers; nothing more as time passes.
    expect([...calls].sort()).toEqual(['/api/v1/iocs', '/api/v1/me', '/api/v1/me', '/api/v1/tiers']);
    await page.clock.runFor(600_000);
    await page.waitForTimeout(500);
    expect(calls).toHaveLength(4);

    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'overview-free');
    expect(problems).toEqual([]);
    await context.close();
  });
});
