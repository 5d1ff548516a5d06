// The feeds page: every source the API lists, with its health and the cause in words as the API
// gives it, problems first; names from feeds shown as text, never as markup; an admin switches a
// source off and on and runs it from its row, and the API agrees; other keys get no such buttons.
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { apiGet, axeViolations, createKey, dashboard, describeBrowser, FAILING_SOURCE, PROBE_SOURCE, screenshot, signIn } from './harness.js';

interface Source {
  name: string;
  enabled: boolean;
  health: { status: string; reason: string | null };
  records: number;
}

const shownNames = (page: Page) => page.locator('.feed-table tbody .source-name').allTextContents();

describeBrowser('dashboard: feeds', () => {
  const bed = dashboard();
  const sources = async () => (await apiGet<{ data: Source[] }>(bed.url, bed.adminKey, '/api/v1/sources')).data;
  const named = async (name: string) => (await sources()).find((s) => s.name === name)!;

  it('lists every source, problems first, with the cause in words, and names as text', async () => {
    // A second failed run puts the failing source in error (one failure is only degraded).
    const run = await fetch(`${bed.url}/api/v1/sources/${encodeURIComponent(FAILING_SOURCE)}/run`, { method: 'POST', headers: { 'X-API-Key': bed.adminKey } });
    expect(run.status).toBe(200);
    const { page, context, problems } = await bed.page();
    await signIn(page, bed.url, bed.adminKey);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Feeds' }).click();
    await page.locator('.feed-table').waitFor();
    const all = await sources();
    const names = await shownNames(page);
    expect([...names].sort()).toEqual(all.map((s) => s.name).sort());

    // The failing source is first, in error, with the API's reason word for word.
    const failing = all.find((s) => s.name === FAILING_SOURCE)!;
    expect(failing.health.status).toBe('error');
    expect(failing.health.reason).toBe(`the last 2 runs failed: 503 from ${FAILING_SOURCE}: service unavailable`);
    expect(names[0]).toBe(FAILING_SOURCE);
    const row = page.getByRole('row').filter({ hasText: FAILING_SOURCE });
    expect(await row.locator('.badge.error').textContent()).toBe('error');
    expect(await row.locator('.reason').first().textContent()).toBe(failing.health.reason);
    // Record counts are the API's.
    const probeRow = page.getByRole('row').filter({ hasText: 'xss' });
    expect(await probeRow.locator('td.num').textContent()).toBe(String(all.find((s) => s.name === PROBE_SOURCE)!.records));

    // The probe's name is text on the page: no element made of it, no script run.
    expect(await page.getByText('<img src=x onerror=').first().isVisible()).toBe(true);
    expect(await page.locator('img[onerror]').count()).toBe(0);
    expect(await page.evaluate('window.__xss')).toBeUndefined();

    // The health filter is in the URL.
    await page.getByLabel('Health').selectOption('error');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/health=error/);
    await expect.poll(() => shownNames(page)).toEqual(all.filter((s) => s.health.status === 'error').map((s) => s.name).sort());
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('link', { name: 'Clear' }).click();
    await expect.poll(async () => (await shownNames(page)).length).toBe(all.length);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'feeds');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('lets an admin disable, enable and run a source, the API agreeing', async () => {
    const { page, context, problems } = await bed.page();
    await signIn(page, bed.url, bed.adminKey);
    await page.goto(`${bed.url}/feeds`);
    const status = page.locator('.action-status');

    await page.getByRole('button', { name: `Disable ${FAILING_SOURCE}` }).click();
    await expect.poll(() => status.textContent()).toBe(`"${FAILING_SOURCE}" disabled.`);
    expect((await named(FAILING_SOURCE)).enabled).toBe(false);
    expect(await page.getByRole('row').filter({ hasText: FAILING_SOURCE }).locator('.badge.neutral').textContent()).toBe('disabled');

    await page.getByRole('button', { name: `Enable ${FAILING_SOURCE}` }).click();
    await expect.poll(() => status.textContent()).toBe(`"${FAILING_SOURCE}" enabled.`);
    expect((await named(FAILING_SOURCE)).enabled).toBe(true);

    // Run now answers at once; the row shows the run when it is over (this one fails: 503).
    await page.getByRole('button', { name: `Run now ${FAILING_SOURCE}` }).click();
    await expect.poll(() => status.textContent()).toMatch(/started|finished/);
    await expect.poll(() => status.textContent(), { timeout: 30_000 }).toBe(`The run of "${FAILING_SOURCE}" finished: failed (HTTP 503).`);
    // On a phone the table, its buttons too, scrolls in its frame, not the page.
    await page.setViewportSize({ width: 360, height: 800 });
    expect(await page.evaluate('document.documentElement.scrollWidth <= document.documentElement.clientWidth')).toBe(true);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('gives other keys no admin buttons, and fits a phone', async () => {
    const free = await createKey(bed.url, bed.adminKey, { name: 'x', tier: 'free' });
    const { page, context, problems } = await bed.page({ width: 360, height: 800 });
    await signIn(page, bed.url, free.key);
    await page.goto(`${bed.url}/feeds`);
    await page.locator('.feed-table').waitFor();
    expect(await page.getByRole('button', { name: /^(Disable|Enable|Run now)/ }).count()).toBe(0);
    expect(await page.getByRole('columnheader', { name: 'Actions' }).count()).toBe(0);
    expect(await page.evaluate('document.documentElement.scrollWidth <= document.documentElement.clientWidth')).toBe(true);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'feeds-360');
    expect(problems).toEqual([]);
    await context.close();
  });
});
