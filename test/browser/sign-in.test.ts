// Signing in: a wrong key is refused with the server's reason, the key is kept for the tab only
// (sessionStorage, never localStorage or a URL), and no page loads anything from another host.
import { expect, it } from 'vitest';
import type { Locator } from 'playwright-core';
import { axeViolations, createKey, dashboard, describeBrowser, screenshot, signIn } from './harness.js';

describeBrowser('dashboard: sign-in', () => {
  const bed = dashboard();

  it('refuses a wrong key with the reason, and keeps a good one for the tab only', async () => {
    const { page, context, problems } = await bed.page();
    await page.goto(bed.url);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'sign-in');
    await page.getByLabel('API key').fill('sk_live_notakey0000000000000000000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/not valid|revoked/);

    await page.getByLabel('API key').fill(bed.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    // Expressions, not functions: the suite's types are Node's, without the DOM's.
    const stored = (await page.evaluate('({ session: Object.values(sessionStorage), local: localStorage.length, url: location.href })')) as {
      session: string[];
      local: number;
      url: string;
    };
    expect(stored.session).toContain(bed.adminKey);
    expect(stored.local).toBe(0);
    expect(stored.url).not.toContain('sk_live_');

    // A reload keeps the tab signed in; a new tab (another context) is not.
    await page.reload();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    const other = await bed.page();
    await other.page.goto(bed.url);
    await other.page.getByLabel('API key').waitFor();

    // Signing out forgets the key.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
    expect(bed.logs.raw.join('\n')).not.toContain(bed.adminKey);
    await context.close();
    await other.context.close();
  });

  it('says so when a kept key has been revoked', async () => {
    const { page, context } = await bed.page();
    const data = await createKey(bed.url, bed.adminKey, { name: 'soon revoked', tier: 'free' });
    await signIn(page, bed.url, data.key);
    await fetch(`${bed.url}/api/v1/keys/${data.id}`, { method: 'DELETE', headers: { 'X-API-Key': bed.adminKey } });
    await page.reload();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/not valid|revoked/);
    await context.close();
  });

  it('says so when a key has expired', async () => {
    const { page, context } = await bed.page();
    const created = await createKey(bed.url, bed.adminKey, { name: 'short-lived', tier: 'free', expires_in_days: 1 });
    // A day is the shortest expiry the API gives: the key is aged in the store, as a day passing would.
    await bed.service.db.query(`update api_keys set expires_at = now() - interval '1 minute' where id = $1`, [created.id]);
    await page.goto(bed.url);
    await page.getByLabel('API key').fill(created.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/The API key expired at \d{4}-/);
    await context.close();
  });

  it('can be used with the keyboard alone: sign in, skip to the content, search and pivot', async () => {
    const { page, context, problems } = await bed.page();
    await page.goto(bed.url);
    const focused = () => page.evaluate('document.activeElement && (document.activeElement.id || document.activeElement.textContent)');
    // Tab until the element is focused (at most 40 presses): every control is in the tab order.
    const tabTo = async (locator: Locator) => {
      await locator.waitFor();
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press('Tab');
        if (await locator.evaluate((element) => element === (element.ownerDocument as { activeElement: unknown }).activeElement)) return;
      }
      throw new Error(`not reached with Tab: ${String(locator)}`);
    };
    await tabTo(page.getByLabel('API key'));
    await page.keyboard.type(bed.adminKey);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Main' }).waitFor();

    // The first Tab reaches the skip link, which takes the focus past the header.
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Skip to content');
    await tabTo(page.getByRole('searchbox', { name: 'Search an IOC' }));
    await page.keyboard.type('79[.]184[.]25[.]198');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.url()).toMatch(/\/search\?value=/);
    const article = page.getByRole('link', { name: 'Russian GRU Targeting Western Logistics Entities and Technology Companies' }).first();
    await tabTo(article);
    // The article arrives late, as on a slow link: the page first shows a loading heading.
    await page.route('**/api/v1/articles/*', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 500));
      await route.continue();
    });
    await page.keyboard.press('Enter');
    await expect.poll(() => page.url()).toMatch(/\/item\//);
    // After a navigation the new page's heading has the focus, once the page shows it.
    await expect
      .poll(() => page.evaluate('document.activeElement.tagName + " " + document.activeElement.textContent'))
      .toBe('H1 Russian GRU Targeting Western Logistics Entities and Technology Companies');
    await page.goBack();
    await expect.poll(() => page.url()).toMatch(/\/search\?value=/);
    expect(problems).toEqual([]);
    await context.close();
  });
});

