// The IOC list page: it shows what GET /api/v1/iocs answers for the filters in its URL, pages
// with the API's cursor, downloads the same filters in the formats the key's tier allows (the
// file is what the API gives a script), and says which parameter the server refused.
import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { apiGet, axeViolations, createKey, dashboard, describeBrowser, screenshot, signIn } from './harness.js';

interface IocList {
  meta: { total: number };
  data: { value: string; type: string; source: { feed_name: string; category: string } }[];
  links: { next?: string };
}

/** The values of the table's rows, in order. */
const shownValues = (page: Page) => page.locator('.ioc-table tbody td.value a.ioc').allTextContents();

describeBrowser('dashboard: IOCs', () => {
  const bed = dashboard();

  it('lists, filters and pages the records as the API does, and downloads them', async () => {
    const { page, context, problems } = await bed.page();
    await signIn(page, bed.url, bed.adminKey);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'IOCs' }).click();
    await page.getByRole('heading', { level: 1, name: 'IOCs' }).waitFor();

    // The first page is the API's first page.
    const all = await apiGet<IocList>(bed.url, bed.adminKey, '/api/v1/iocs');
    await expect.poll(() => shownValues(page)).toEqual(all.data.map((r) => r.value));
    expect(await page.locator('.total').textContent()).toContain(all.meta.total.toLocaleString('en'));

    // Filters chosen with the controls go into the URL, and the rows follow them.
    await page.getByLabel('Type').selectOption('domain');
    await page.getByLabel('Source category').selectOption('threat-intel');
    await page.getByLabel('Per page').fill('10');
    // The snapshot's feed domains are months old: past their lifetime, shown only on request.
    await page.getByLabel('Expired IOCs').selectOption('true');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/type=domain/);
    const url = new URL(page.url());
    expect(Object.fromEntries(url.searchParams)).toEqual({ type: 'domain', category: 'threat-intel', include_expired: 'true', limit: '10' });
    const filters = 'type=domain&category=threat-intel&include_expired=true&limit=10';
    const first = await apiGet<IocList>(bed.url, bed.adminKey, `/api/v1/iocs?${filters}`);
    expect(first.data).toHaveLength(10);
    expect(first.data.every((r) => r.type === 'domain' && r.source.category === 'threat-intel')).toBe(true);
    await expect.poll(() => shownValues(page)).toEqual(first.data.map((r) => r.value));
    expect(new Set(await page.locator('.ioc-table tbody td:nth-child(2)').allTextContents())).toEqual(new Set(['Domain']));
    expect(new Set(await page.locator('.ioc-table tbody td.source .muted').allTextContents())).toEqual(new Set(['threat-intel']));
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'iocs');

    // A reload shows the same view, the controls set from the URL.
    await page.reload();
    await expect.poll(() => shownValues(page)).toEqual(first.data.map((r) => r.value));
    expect(await page.getByLabel('Type').inputValue()).toBe('domain');
    expect(await page.getByLabel('Source category').inputValue()).toBe('threat-intel');

    // The next page is the API's links.next; "Previous page" and the back button return.
    const second = await apiGet<IocList>(bed.url, bed.adminKey, new URL(first.links.next!).pathname + new URL(first.links.next!).search);
    await page.getByRole('link', { name: 'Next page' }).click();
    await page.waitForURL(/cursor=/);
    await expect.poll(() => shownValues(page)).toEqual(second.data.map((r) => r.value));
    await page.getByRole('link', { name: 'Previous page' }).click();
    await expect.poll(() => shownValues(page)).toEqual(first.data.map((r) => r.value));
    expect(page.url()).not.toContain('cursor=');
    await page.goBack();
    await expect.poll(() => shownValues(page)).toEqual(second.data.map((r) => r.value));
    await page.goForward();
    await expect.poll(() => shownValues(page)).toEqual(first.data.map((r) => r.value));

    // CSV of the same filters: RFC 4180, the rows a script gets for them (the tier's cap a file).
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'CSV' }).click()]);
    expect(file.suggestedFilename()).toBe('iocs.csv');
    const downloaded = parse(fs.readFileSync((await file.path())!, 'utf8'), { columns: true }) as Record<string, string>[];
    const expected = await fetch(`${bed.url}/api/v1/iocs?type=domain&category=threat-intel&include_expired=true&limit=10000&format=csv`, { headers: { 'X-API-Key': bed.adminKey } });
    expect(downloaded).toEqual(parse(await expected.text(), { columns: true }));
    expect(downloaded.length).toBeGreaterThan(10);
    expect(new Set(downloaded.map((row) => row.type))).toEqual(new Set(['domain']));

    // A value the server refuses: its message, naming the parameter, and the field marked.
    await page.getByLabel('Stored since').fill('yesterday');
    await page.getByRole('button', { name: 'Apply' }).click();
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toMatch(/Invalid value for 'since'.*parameter since/);
    expect(await page.getByLabel('Stored since').getAttribute('aria-invalid')).toBe('true');
    // The one console error is Chromium's line for the refused request.
    expect(problems.filter((p) => !p.includes('status of 400'))).toEqual([]);
    await context.close();
  });

  it('offers a free key only the formats of its tier, and fits a phone', async () => {
    const free = await createKey(bed.url, bed.adminKey, { name: 'x', tier: 'free' });
    const me = await apiGet<{ data: { formats: string[] } }>(bed.url, free.key, '/api/v1/me');
    expect(me.data.formats).toEqual(['json']);

    const { page, context, problems } = await bed.page({ width: 360, height: 800 });
    await signIn(page, bed.url, free.key);
    await page.goto(`${bed.url}/iocs?limit=5`);
    const button = (name: string) => page.getByRole('button', { name, exact: true });
    await button('JSON').waitFor();
    expect(await button('JSON').isEnabled()).toBe(true);
    for (const name of ['CSV', 'STIX 2.1', 'MISP']) {
      expect(await button(name).isDisabled(), name).toBe(true);
      expect(await button(name).getAttribute('title')).toMatch(/higher tier/);
    }
    await page.locator('.ioc-table').waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth <= document.documentElement.clientWidth')).toBe(true);
    await screenshot(page, 'iocs-360');
    expect(problems).toEqual([]);
    await context.close();
  });
});
