// The API keys page: a key created through the form is shown once, works, and is gone from the
// page after leaving it (never stored); revoking it after the confirmation refuses it at once;
// the server's refusals name the field; a key without the admin scope is told it needs it.
import { expect, it } from 'vitest';
import { axeViolations, createKey, dashboard, describeBrowser, screenshot, signIn } from './harness.js';

describeBrowser('dashboard: API keys', () => {
  const bed = dashboard();
  const me = (key: string) => fetch(`${bed.url}/api/v1/me`, { headers: { 'X-API-Key': key } });

  it('creates a key shown once, which works until it is revoked', async () => {
    const { page, context, problems } = await bed.page();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: bed.url });
    await signIn(page, bed.url, bed.adminKey);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Keys' }).click();
    await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();

    // An empty name: the server's message, naming the field, and the field marked.
    await page.getByRole('button', { name: 'Create key' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/Invalid value for 'name'.*parameter name/);
    expect(await page.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('Name').fill('ci export');
    await page.getByLabel('Tier').selectOption('free');
    await page.getByLabel('Expires in days').fill('30');
    await page.getByRole('button', { name: 'Create key' }).click();
    const field = page.getByLabel(/The new API key/);
    await field.waitFor();
    const key = await field.inputValue();
    expect(key).toMatch(/^sk_live_/);
    expect(await page.getByText('it will not be shown again').isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Copy' }).click();
    await expect.poll(() => page.getByText('Copied to the clipboard.').count()).toBe(1);
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(key);

    // It works, as what the form asked for.
    const answer = await me(key);
    expect(answer.status).toBe(200);
    const { data } = (await answer.json()) as { data: { key: { name: string; prefix: string; expires_at: string | null }; tier: { name: string } } };
    expect(data).toMatchObject({ key: { name: 'ci export' }, tier: { name: 'free' } });
    expect(data.key.expires_at).not.toBeNull();
    const row = page.getByRole('row').filter({ hasText: 'ci export' });
    await expect.poll(() => row.locator('code').textContent()).toBe(`${data.key.prefix}…`);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'keys');

    // Kept nowhere: after leaving the page and coming back it is not shown, nor stored.
    await nav.getByRole('link', { name: 'Feeds' }).click();
    await page.getByRole('heading', { level: 1, name: 'Feeds' }).waitFor();
    await nav.getByRole('link', { name: 'Keys' }).click();
    await row.waitFor();
    expect(await page.getByLabel(/The new API key/).count()).toBe(0);
    expect(await page.content()).not.toContain(key);
    const stored = (await page.evaluate('JSON.stringify({ s: { ...sessionStorage }, l: { ...localStorage }, url: location.href })')) as string;
    expect(stored).not.toContain(key);

    // Revoked after the confirmation: refused at once.
    await page.getByRole('button', { name: 'Revoke ci export' }).click();
    await page.getByRole('button', { name: 'Yes, revoke ci export' }).click();
    await expect.poll(() => page.locator('.action-status').textContent()).toBe('The key "ci export" is revoked: its requests are refused from now on.');
    await expect.poll(() => row.locator('.badge').textContent()).toBe('revoked');
    expect((await me(key)).status).toBe(401);
    expect(await axeViolations(page)).toEqual([]);
    // On a phone the table scrolls in its frame, not the page.
    await page.setViewportSize({ width: 360, height: 800 });
    expect(await page.evaluate('document.documentElement.scrollWidth <= document.documentElement.clientWidth')).toBe(true);
    await screenshot(page, 'keys-360');
    // The one console error is Chromium's line for the refused empty name.
    expect(problems.filter((p) => !p.includes('status of 400'))).toEqual([]);
    await context.close();
  });

  it('tells a key without the admin scope that managing keys needs it', async () => {
    const free = await createKey(bed.url, bed.adminKey, { name: 'x', tier: 'free' });
    const { page, context, problems } = await bed.page({ width: 360, height: 800 });
    await signIn(page, bed.url, free.key);
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Keys' }).count()).toBe(0);
    await page.goto(`${bed.url}/keys`);
    await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();
    expect(await page.locator('main').textContent()).toContain('needs the admin scope');
    expect(await page.getByRole('button', { name: 'Create key' }).count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });
});
