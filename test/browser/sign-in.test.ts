// Signing in: a wrong key is refused with the server's reason, the key is kept for the tab only
// (sessionStorage, never localStorage or a URL), and no page loads anything from another host.
import { expect, it } from 'vitest';
import { axeViolations, dashboard, describeBrowser, screenshot, signIn } from './harness.js';

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
    const created = await fetch(`${bed.url}/api/v1/keys`, {
      method: 'POST',
      headers: { 'X-API-Key': bed.adminKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'soon revoked', tier: 'free' }),
    });
    const { data } = (await created.json()) as { data: { id: string; key: string } };
    await signIn(page, bed.url, data.key);
    await fetch(`${bed.url}/api/v1/keys/${data.id}`, { method: 'DELETE', headers: { 'X-API-Key': bed.adminKey } });
    await page.reload();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/not valid|revoked/);
    await context.close();
  });
});
