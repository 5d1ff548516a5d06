// npx tsx bench/dashboard.ts [--repeats N] (or npm run bench -- --only dashboard; build first)
// The dashboard's first page as a user meets it: the service started as `npm start` starts it
// (a fresh DATA_DIR, the bundled snapshot, INGEST=false), the overview opened in Debian's
// Chromium (headless, a new browser context each time, so nothing is cached) with a signed-in
// key, at 1440 and at 360 px wide. Figures: first contentful paint (the browser's own paint
// timing), the time until the tiles show the stats' numbers, and the first page's JavaScript,
// gzipped, as the server sends it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { ADMIN_KEY_FILE } from '../src/api/server.js';
import { median, printTable } from './measure.js';
import { startUntilReady, stop } from './start.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function benchDashboard({ repeats = 10 }: { repeats?: number } = {}): Promise<void> {
  if (!fs.existsSync(CHROMIUM)) {
    console.log(`\n# Dashboard benchmark skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
    return;
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'socd-bench-dashboard-'));
  const { child, url } = await startUntilReady(dataDir);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const key = fs.readFileSync(path.join(dataDir, ADMIN_KEY_FILE), 'utf8').trim();
    const html = await (await fetch(url)).text();
    let jsGzipped = 0;
    for (const [, src] of html.matchAll(/<script[^>]*src="([^"]+)"/g)) {
      jsGzipped += zlib.gzipSync(Buffer.from(await (await fetch(url + src!)).arrayBuffer()), { level: 9 }).length;
    }
    const rows = [];
    for (const width of [1440, 360]) {
      const fcp: number[] = [];
      const tiles: number[] = [];
      for (let i = 0; i < repeats; i++) {
        const context = await browser.newContext({ viewport: { width, height: 900 } });
        // The key this tab signed in with, as sign-in keeps it (sessionStorage).
        await context.addInitScript(`sessionStorage.setItem('socd.apiKey', ${JSON.stringify(key)})`);
        const page = await context.newPage();
        await page.goto(url + '/');
        await page.getByRole('heading', { name: 'Overview' }).waitFor();
        await page.locator('.tile .value').first().waitFor();
        const shown = (await page.evaluate('performance.now()')) as number;
        const paint = (await page.evaluate(
          "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN",
        )) as number;
        fcp.push(paint);
        tiles.push(shown);
        await context.close();
      }
      rows.push(
        { figure: `first contentful paint, ${width} px`, value: median(fcp), each: fcp, floorName: '1 s budget', floor: 1000, unit: 'ms', target: 1 },
        { figure: `tiles with numbers, ${width} px`, value: median(tiles), each: tiles, floorName: '1 s budget', floor: 1000, unit: 'ms', target: 1 },
      );
    }
    rows.push({ figure: 'first page JavaScript, gzipped', value: jsGzipped / 1024, floorName: '150 KB budget', floor: 150, unit: 'KB', target: 1 });
    printTable(`Dashboard on loopback, bundled snapshot, headless Chromium (median of ${repeats}, fresh context each)`, rows);
  } finally {
    await browser.close();
    await stop(child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const { values } = parseArgs({ options: { repeats: { type: 'string', default: '10' } } });
  await benchDashboard({ repeats: Number(values.repeats) });
}
