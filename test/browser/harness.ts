// The browser suite's bench: the service as a new user starts it (a fresh DATA_DIR, the embedded
// PostgreSQL, the bundled snapshot), with three sources added through the store as an operator
// adds them: one whose upstream fails, one whose name and rows carry HTML and script (the XSS
// probe), both served by a fake upstream on loopback; and Debian's Chromium driven by
// playwright-core. Without Chromium the suite is skipped with a line saying so, except in CI.
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, ADMIN_KEY_FILE, type RunningService } from '../../src/api/server.js';
import { createLogger } from '../../src/logger.js';
import { addSource } from '../../src/store/sources.js';
import { FakeUpstream } from '../integration/ingest-upstream.js';
import { LogCapture, REPO_ROOT, tempDir, testConfig } from '../helpers.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.join(REPO_ROOT, 'test-output', 'screenshots');

/** The name of the source whose upstream answers 503, and the cause its page must show. */
export const FAILING_SOURCE = 'Broken Upstream Feed';
/** The XSS probe: a source name, and a ThreatFox row whose text fields carry markup and script. */
export const PROBE_SOURCE = 'Probe <img src=x onerror="window.__xss=1">';
export const PROBE_DOMAIN = 'xss-probe-c2.top';
export const PROBE_MALWARE = '<script>window.__xss=2</script>';
export const PROBE_REPORTER = '<img src=x onerror="window.__xss=3">';

/**
 * `describe` when Chromium is here; otherwise the suite is skipped with a line saying so, and
 * in CI (CI=true), where .ci/run installs it, its absence fails.
 */
export function describeBrowser(name: string, body: () => void): void {
  if (fs.existsSync(CHROMIUM)) {
    describe(name, body);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => it('needs Chromium, which .ci/run installs', () => expect.fail(`Chromium is not at ${CHROMIUM}`)));
    return;
  }
  console.log(`browser suite "${name}" skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  describe.skip(name, body);
}

export interface Dashboard {
  service: RunningService;
  url: string;
  adminKey: string;
  logs: LogCapture;
  browser: Browser;
  /** A new page (a tab of its own context) with its problems recorded. */
  page(options?: { width?: number; height?: number }): Promise<WatchedPage>;
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Console errors, CSP refusals, uncaught exceptions and requests to any other host. */
  problems: string[];
}

const THREATFOX_PROBE = {
  '9000001': [
    {
      ioc_value: PROBE_DOMAIN,
      ioc_type: 'domain',
      threat_type: 'botnet_cc',
      malware: 'win.probe',
      malware_alias: null,
      malware_printable: PROBE_MALWARE,
      first_seen_utc: '2026-07-24 13:50:06',
      last_seen_utc: null,
      confidence_level: 100,
      is_compromised: false,
      reference: null,
      tags: 'probe',
      anonymous: 0,
      reporter: PROBE_REPORTER,
    },
  ],
};

/**
 * Starts the service (with `env` added to its environment) and the browser for the tests of one
 * file; stops both after them.
 */
export function dashboard(env: Record<string, string> = {}): Dashboard {
  const bed = {} as Dashboard & { upstream: FakeUpstream; dataDir: string };
  beforeAll(async () => {
    bed.dataDir = tempDir('socd-browser-');
    bed.logs = new LogCapture();
    const config = testConfig({ DATA_DIR: bed.dataDir, INGEST: 'false', LOG_LEVEL: 'info', ...env });
    bed.service = await startService(config, createLogger(config, bed.logs.stream));
    bed.url = bed.service.url;
    bed.adminKey = fs.readFileSync(path.join(bed.dataDir, ADMIN_KEY_FILE), 'utf8').trim();

    bed.upstream = await FakeUpstream.start();
    bed.upstream.on('/broken.json', (_req, res) => res.writeHead(503, { 'content-type': 'text/plain' }).end('upstream maintenance'));
    bed.upstream.on('/probe.json', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(THREATFOX_PROBE)));
    const db = bed.service.db;
    for (const [name, file] of [
      [FAILING_SOURCE, '/broken.json'],
      [PROBE_SOURCE, '/probe.json'],
    ] as const) {
      await addSource(db, {
        name,
        kind: 'threatfox-json',
        url: bed.upstream.url(file),
        category: 'threat-intel',
        intervalSeconds: 3600,
        staleAfterSeconds: null,
        auth: null,
      });
      // Run as an admin does, so that the service's stats (tiles, feed health) count the run at once.
      const run = await fetch(`${bed.url}/api/v1/sources/${encodeURIComponent(name)}/run`, { method: 'POST', headers: { 'x-api-key': bed.adminKey } });
      expect(run.status).toBe(200);
    }

    bed.browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    bed.page = async ({ width = 1440, height = 900 } = {}) => {
      const context = await bed.browser.newContext({ viewport: { width, height }, acceptDownloads: true });
      const page = await context.newPage();
      const problems: string[] = [];
      const origin = new URL(bed.url).origin;
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console: ${message.text()}`);
      });
      page.on('pageerror', (error) => problems.push(`exception: ${error.message}`));
      page.on('request', (request) => {
        const url = new URL(request.url());
        if (!['data:', 'blob:'].includes(url.protocol) && url.origin !== origin) problems.push(`request to another host: ${request.url()}`);
      });
      return { page, context, problems };
    };
  });
  afterAll(async () => {
    await bed.browser?.close();
    await bed.upstream?.close();
    await bed.service?.close();
    if (bed.dataDir) fs.rmSync(bed.dataDir, { recursive: true, force: true });
  });
  return bed;
}

/** Signs in through the form, as a user does, and waits for the overview. */
export async function signIn(page: Page, url: string, key: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

/**
 * The serious and critical accessibility violations axe-core finds on the page as it is (but for
 * the rules named in `skip`, each with its reason at the call).
 */
export async function axeViolations(page: Page, skip: string[] = []): Promise<string[]> {
  const source = fs.readFileSync(path.join(REPO_ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  // Evaluated through the DevTools protocol: the page's CSP (no inline script) does not apply.
  await page.evaluate(source);
  const options = { rules: Object.fromEntries(skip.map((rule) => [rule, { enabled: false }])) };
  const violations = (await page.evaluate(`axe.run(document, ${JSON.stringify(options)}).then((result) => result.violations)`)) as {
    id: string;
    impact: string;
    help: string;
    nodes: { target: string[] }[];
  }[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Saves a screenshot of the whole page to test-output/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Calls the API as a script would, for the numbers a page must agree with. */
export async function apiGet<T>(url: string, key: string, pathAndQuery: string): Promise<T> {
  const response = await fetch(url + pathAndQuery, { headers: { 'X-API-Key': key } });
  if (!response.ok) throw new Error(`${pathAndQuery}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Creates an API key with the admin key, as a script would (`body` as POST /api/v1/keys takes it). */
export async function createKey(url: string, adminKey: string, body: Record<string, unknown>): Promise<{ id: string; key: string }> {
  const response = await fetch(`${url}/api/v1/keys`, {
    method: 'POST',
    headers: { 'X-API-Key': adminKey, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 201) throw new Error(`POST /api/v1/keys: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { data: { id: string; key: string } }).data;
}
