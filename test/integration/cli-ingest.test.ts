// `socd sources`, `socd ingest`, `socd worker` and `socd extract` as a user runs them: a process
// of its own per command on one embedded data directory, feeds served by a fake upstream on
// loopback (a node:http server on 127.0.0.1 serving the real fixture files).
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { readCatalogue } from '../../src/ingest/catalogue.js';
import { syncSourceCatalogue } from '../../src/ingest/setup.js';
import { CATEGORIES } from '../../src/ioc/types.js';
import type { Db } from '../../src/store/db.js';
import { openStore } from '../../src/store/open.js';
import { addSource } from '../../src/store/sources.js';
import { embeddedServerPid, FIXTURES, readFixture, REPO_ROOT, runningDataDir, tempDir } from '../helpers.js';
import { runSocd, spawnSocd, waitForExit } from '../helpers/socd.js';

const URLHAUS_FILE = path.join(FIXTURES, 'feeds', 'urlhaus-csv-online-2026-08-18-head.csv');
const URLHAUS = fs.readFileSync(URLHAUS_FILE, 'utf8');
const FEODO = readFixture('feeds/feodotracker-ipblocklist-2026-07-24.json');
const ETAG = '"urlhaus-2026-08-18"';
const hasScript = spawnSync('script', ['--version']).status === 0;
/** The credential the keyed feed wants; it must never be printed. */
const SECRET = 'loopback-cli-secret-51d0e2';

interface Listed {
  name: string;
  kind: string;
  url: string;
  category: string;
  enabled: boolean;
  origin: string;
  interval_seconds: number;
  stale_after_seconds: number | null;
  credentials: { header: string; env: string; set: boolean } | null;
  health: { status: string; reason: string | null };
  last_run_at: string | null;
  last_run: null | { outcome: string; http_status: number | null; error: string | null; fetched: number; new: number; updated: number; rejected: number };
}

/** The fake upstream: each request is recorded; /slow.csv answers after `slowMs`. */
class FakeFeeds {
  readonly requests: { path: string; headers: http.IncomingHttpHeaders }[] = [];
  slowMs = 0;
  private waiters: (() => void)[] = [];
  private readonly server = http.createServer((req, res) => {
    const route = new URL(req.url ?? '/', 'http://fake').pathname;
    this.requests.push({ path: route, headers: req.headers });
    for (const wake of this.waiters.splice(0)) wake();
    if (route === '/urlhaus.csv') {
      if (req.headers['if-none-match'] === ETAG) return void res.writeHead(304, { etag: ETAG }).end();
      return void res.writeHead(200, { 'content-type': 'text/csv', etag: ETAG }).end(URLHAUS);
    }
    if (route === '/keyed.json') {
      if (req.headers['auth-key'] !== SECRET) return void res.writeHead(401, { 'content-type': 'text/plain' }).end('unauthorized');
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(FEODO);
    }
    if (route === '/slow.csv') {
      const timer = setTimeout(() => res.writeHead(200, { 'content-type': 'text/csv' }).end(URLHAUS), this.slowMs);
      res.on('close', () => clearTimeout(timer));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('no such feed');
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  /** Resolves once a request for `route` has arrived. */
  async requested(route: string): Promise<void> {
    while (!this.requests.some((r) => r.path === route)) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function withDb<T>(dataDir: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openStore(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), 'vitest');
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

// Each command is a process of its own (some seconds each on a loaded machine): generous time.
const SLOW = { timeout: 300_000 };

const fake = new FakeFeeds();
let upstream = '';
const dirs: string[] = [];
beforeAll(async () => {
  upstream = await fake.start();
});
afterAll(async () => {
  await fake.close();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('socd sources and socd ingest on an embedded store', SLOW, () => {
  let dataDir = '';
  const socd = (args: string[], env: Record<string, string> = {}, input?: string) =>
    runSocd(args, { DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env }, input);
  const listed = async (env: Record<string, string> = {}) => {
    const result = await socd(['sources', 'list', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as Listed[];
  };
  const find = (all: Listed[], name: string) => all.find((s) => s.name === name)!;
  let close = async () => {};
  beforeAll(async () => {
    ({ dataDir, close } = await runningDataDir());
  });
  afterAll(() => close());

  it('sources list --json: the whole catalogue, 30+ sources of every category, each with its health', async () => {
    const all = await listed();
    expect(all.length).toBeGreaterThanOrEqual(30);
    expect(all.map((s) => s.name).sort()).toEqual(readCatalogue().map((s) => s.name).sort());
    expect(new Set(all.map((s) => s.category))).toEqual(new Set(CATEGORIES));
    for (const s of all) {
      expect(s, s.name).toMatchObject({ enabled: true, origin: 'catalogue', last_run: null, health: { status: 'healthy' } });
    }
    expect(find(all, 'URLhaus')).toMatchObject({
      kind: 'urlhaus-csv',
      url: 'https://urlhaus.abuse.ch/downloads/csv_online/',
      category: 'threat-intel',
      interval_seconds: 1800,
      credentials: { header: 'Auth-Key', env: 'ABUSECH_AUTH_KEY', set: false },
    });
    for (const name of ['Feodo Tracker', 'ThreatFox', 'CISA KEV', 'CISA Cybersecurity Advisories']) expect(find(all, name), name).toBeDefined();
    // A credential in the environment is said to be set; its value is not printed.
    const withKey = await socd(['sources', 'list', '--json'], { ABUSECH_AUTH_KEY: SECRET });
    expect(withKey.stdout).not.toContain(SECRET);
    expect(find(JSON.parse(withKey.stdout) as Listed[], 'ThreatFox').credentials).toEqual({ header: 'Auth-Key', env: 'ABUSECH_AUTH_KEY', set: true });
  });

  it('sources list: one line per source with its kind, category, health and last run', async () => {
    const result = await socd(['sources', 'list']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(readCatalogue().length);
    expect(lines.find((l) => l.startsWith('URLhaus '))).toMatch(/^URLhaus +urlhaus-csv +threat-intel +healthy +never run$/);
  });

  it('sources disable / enable: by name in any case, kept across commands and catalogue syncs', async () => {
    expect(await socd(['sources', 'disable', 'urlhaus'])).toMatchObject({ code: 0, stdout: 'URLhaus disabled.\n', stderr: '' });
    expect((await socd(['sources', 'list'])).stdout).toMatch(/^URLhaus +urlhaus-csv +threat-intel +disabled +never run$/m);
    expect(await socd(['sources', 'enable', 'URLhaus'])).toMatchObject({ code: 0, stdout: 'URLhaus enabled.\n' });
    expect(find(await listed(), 'URLhaus').enabled).toBe(true);
    const unknown = await socd(['sources', 'enable', 'No Such Feed']);
    expect(unknown).toMatchObject({ code: 1, stdout: '', stderr: 'socd: no source named "No Such Feed" (see socd sources list)\n' });
  });

  it('sources add: refuses bad input with a message naming the problem, exit code 1', async () => {
    const base = { '--name': 'Bad feed', '--kind': 'urlhaus-csv', '--url': `${upstream}/urlhaus.csv`, '--category': 'threat-intel' };
    const cases: [Record<string, string>, string][] = [
      [{ '--kind': 'csv' }, 'socd: source "Bad feed": kind "csv" is not one of urlhaus-csv, urlhaus-hostfile, feodo-json, feodo-csv, threatfox-json, cisa-kev, rss\n'],
      [{ '--url': 'ftp://feeds.example-bad.com/list.csv' }, 'socd: source "Bad feed": url must be http(s), not ftp:\n'],
      [{ '--category': 'blogs' }, 'socd: source "Bad feed": category "blogs" is not one of news, research, threat-intel, vendor, government\n'],
      [{ '--interval': 'hourly' }, 'socd: source "Bad feed": interval: "hourly" is not a duration like 30s, 15m, 6h or 7d\n'],
      [{ '--interval': '0m' }, 'socd: source "Bad feed": interval: "0m" is not between 1s and 3650d\n'],
      [{ '--auth-header': 'Auth-Key' }, 'socd: source "Bad feed": auth needs a header name and an environment variable name (UPPER_CASE)\n'],
    ];
    for (const [change, message] of cases) {
      const result = await socd(['sources', 'add', ...Object.entries({ ...base, ...change }).flat()]);
      expect(result, JSON.stringify(change)).toMatchObject({ code: 1, stdout: '', stderr: message });
    }
    const missing = await socd(['sources', 'add', '--name', 'Bad feed', '--kind', 'rss', '--category', 'news']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("error: required option '--url <url>' not specified");
  });

  it('sources add: adds a source of the operator, and refuses a name that is taken, in any case', async () => {
    const added = await socd([
      'sources', 'add', '--name', 'Loopback URLhaus', '--kind', 'urlhaus-csv', '--url', `${upstream}/urlhaus.csv`,
      '--category', 'threat-intel', '--interval', '30m', '--stale-after', '6h',
    ]);
    expect(added).toMatchObject({ code: 0, stdout: 'Added Loopback URLhaus (urlhaus-csv, threat-intel, every 1800 s).\n', stderr: '' });
    const all = await listed();
    expect(find(all, 'Loopback URLhaus')).toMatchObject({
      kind: 'urlhaus-csv',
      url: `${upstream}/urlhaus.csv`,
      category: 'threat-intel',
      enabled: true,
      origin: 'operator',
      interval_seconds: 1800,
      stale_after_seconds: 21_600,
      credentials: null,
      last_run: null,
    });
    // Nothing of the refused attempts was stored.
    expect(all.some((s) => s.name === 'Bad feed')).toBe(false);
    const args = (name: string) => ['sources', 'add', '--name', name, '--kind', 'rss', '--url', `${upstream}/feed.xml`, '--category', 'news'];
    for (const [name, taken] of [
      ['loopback urlhaus', 'Loopback URLhaus'],
      ['ThreatFox', 'ThreatFox'],
    ]) {
      expect(await socd(args(name!)), name).toMatchObject({ code: 1, stdout: '', stderr: `socd: a source named "${taken}" already exists\n` });
    }
  });

  it('ingest --file --source URLhaus: loads the file as that source and prints a summary with its counts', async () => {
    const result = await socd(['ingest', '--source', 'URLhaus', '--file', URLHAUS_FILE]);
    expect(result.code, result.stderr).toBe(0);
    // Not a terminal: no progress bar, only the summary.
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(
      /^URLhaus: read 78 rows\/items; IOCs 78 new, 0 updated, 0 on a warning list, 0 rejected \(\d+ ms; health healthy\)\n$/,
    );
    // What the store holds: the rows of the file, spot values included.
    await withDb(dataDir, async (db) => {
      const rows = await db.query<{ value: string; tags: string[]; confidence: string; reference_url: string; first_seen: Date }>(
        `select i.value, s.tags, s.confidence, s.reference_url, s.first_seen from sightings s
           join indicators i on i.id = s.indicator_id join sources src on src.id = s.source_id
         where src.name = 'URLhaus' order by s.first_seen desc, i.value`,
      );
      expect(rows).toHaveLength(78);
      expect(rows[0]).toMatchObject({
        value: 'http://120.84.215.27:44835/i',
        tags: ['malware_download'],
        confidence: 'high',
        reference_url: 'https://urlhaus.abuse.ch/url/3905439/',
      });
      expect(rows[0]!.first_seen.toISOString()).toBe('2026-08-18T16:17:08.000Z');
      expect(rows.find((r) => r.value === 'http://138.204.196.254:46255/bin.sh')?.tags.sort()).toEqual(
        ['32-bit', 'arm', 'elf', 'malware_download', 'mirai', 'mozi'].sort(),
      );
    });
    // The run shows in the catalogue; a file loaded by hand does not stand for the scheduled fetch.
    const urlhaus = find(await listed(), 'URLhaus');
    expect(urlhaus.last_run).toMatchObject({ outcome: 'ok', fetched: 78, new: 78, updated: 0, rejected: 0, http_status: null });
    expect(urlhaus.last_run_at).toBeNull();
  });

  it('ingest --file the same file again: nothing new, every record updated', async () => {
    const result = await socd(['ingest', '--source', 'URLhaus', '--file', URLHAUS_FILE]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^URLhaus: read 78 rows\/items; IOCs 0 new, 78 updated, 0 on a warning list, 0 rejected \(/);
    const json = await socd(['ingest', '--source', 'URLhaus', '--file', URLHAUS_FILE, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ source: 'URLhaus', outcome: 'ok', fetched: 78, parsed: 78, new: 0, updated: 78, rejected: 0, health: 'healthy' }),
    ]);
    await withDb(dataDir, async (db) => {
      const [row] = await db.query<{ n: number }>(`select count(*)::int as n from sightings`);
      expect(row!.n).toBe(78);
    });
  });

  // `script` (util-linux) runs the command on a pseudo-terminal, as a user at a terminal runs it.
  it.runIf(hasScript)('ingest on a terminal: a progress bar while it runs, then the same summary', async () => {
    const quote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;
    const command = [process.execPath, '--import', 'tsx', 'src/main.ts', 'ingest', '--source', 'URLhaus', '--file', URLHAUS_FILE].map(quote).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TERM: 'xterm', DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code, output).toBe(0);
    // The bar names the source and its phase, and ends full; the summary follows it.
    expect(output).toMatch(/URLhaus +store +\[=+\] 1\/1/);
    const summary = output.indexOf('URLhaus: read 78 rows/items; IOCs 0 new, 78 updated');
    expect(summary).toBeGreaterThan(output.lastIndexOf('1/1'));
  });

  it('ingest --file: reports each rejected row with its line and reason, and keeps the good rows', async () => {
    // Line 13 of the real file cut short, as a truncated download would leave it.
    const lines = URLHAUS.split('\n');
    const truncated = lines[12]!.slice(0, 40);
    lines[12] = truncated;
    const file = path.join(dataDir, 'urlhaus-truncated.csv');
    fs.writeFileSync(file, lines.join('\n'));
    const result = await socd(['ingest', '--source', 'URLhaus', '--file', file]);
    expect(result.code).toBe(0);
    const out = result.stdout.split('\n');
    expect(out[0]).toMatch(/^URLhaus: read 78 rows\/items; IOCs 0 new, 77 updated, 0 on a warning list, 1 rejected \(/);
    expect(out[1]).toMatch(/^ {4}rejected at 13: /);
    expect(out[1]).toContain(`: ${JSON.stringify(truncated)}: `);
    expect(out[1]).toMatch(/quote is never closed/);
    expect(out.slice(2)).toEqual(['']);
  });

  it('ingest: refuses an unknown source, a --file without --source, an unreadable file and a list of imports', async () => {
    expect(await socd(['ingest', '--source', 'No Such Feed'])).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'socd: no source named "No Such Feed" (see socd sources list)\n',
    });
    expect(await socd(['ingest', '--file', URLHAUS_FILE])).toMatchObject({
      code: 1,
      stderr: 'socd: --file needs --source: which source (and so which format) it is\n',
    });
    const missing = await socd(['ingest', '--source', 'URLhaus', '--file', path.join(dataDir, 'no-such-file.csv')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^socd: cannot read .*no-such-file\.csv: ENOENT/);
    expect((await socd(['import', '-', '--source', 'Pasted'], {}, '203.0.113.7\n')).code).toBe(0);
    const imported = await socd(['ingest', '--source', 'pasted']);
    expect(imported).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'socd: "Pasted" holds imported lists, not a feed: nothing to fetch or parse (add to it with socd import)\n',
    });
  });

  it('ingest --source: fetches the source from its URL and records the run; then asks conditionally', async () => {
    const before = fake.requests.length;
    const result = await socd(['ingest', '--source', 'Loopback URLhaus']);
    expect(result.code, result.stderr).toBe(0);
    // The same URLs reported by another source are new records of that source.
    expect(result.stdout).toMatch(/^Loopback URLhaus: read 78 rows\/items; IOCs 78 new, 0 updated, 0 on a warning list, 0 rejected \(\d+ ms; health healthy\)\n$/);
    const [request] = fake.requests.slice(before);
    expect(request).toMatchObject({ path: '/urlhaus.csv', headers: { 'user-agent': expect.stringMatching(/^socdefenders\//) } });
    expect(request!.headers['if-none-match']).toBeUndefined();
    const source = find(await listed(), 'Loopback URLhaus');
    expect(source.last_run).toMatchObject({ outcome: 'ok', http_status: 200, fetched: 78, new: 78 });
    expect(source.health).toEqual({ status: 'healthy', reason: null });
    expect(Date.parse(source.last_run_at!)).toBeGreaterThan(Date.now() - 120_000);

    const again = await socd(['ingest', '--source', 'Loopback URLhaus']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^Loopback URLhaus: not modified since the last run \(\d+ ms\)\n$/);
    expect(fake.requests.at(-1)!.headers['if-none-match']).toBe(ETAG);
  });

  it('ingest --source: a feed that refuses says why, exits 1, and marks the source; its credential is never printed', async () => {
    const added = await socd([
      'sources', 'add', '--name', 'Loopback keyed', '--kind', 'feodo-json', '--url', `${upstream}/keyed.json`,
      '--category', 'threat-intel', '--auth-header', 'Auth-Key', '--auth-env', 'LOOPBACK_AUTH_KEY',
    ]);
    expect(added.code).toBe(0);
    const failed = await socd(['ingest', '--source', 'Loopback keyed']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^Loopback keyed: FAILED after \d+ ms: 401 from Loopback keyed: Auth-Key missing \(set LOOPBACK_AUTH_KEY\)\n$/);
    let source = find(await listed(), 'Loopback keyed');
    expect(source).toMatchObject({
      credentials: { header: 'Auth-Key', env: 'LOOPBACK_AUTH_KEY', set: false },
      health: { status: 'degraded', reason: 'the last run failed: 401 from Loopback keyed: Auth-Key missing (set LOOPBACK_AUTH_KEY)' },
      last_run: { outcome: 'failed', http_status: 401, new: 0 },
    });
    expect((await socd(['sources', 'list'])).stdout).toMatch(
      /^Loopback keyed +feodo-json +threat-intel +degraded +last run \S+ failed \(\+0 new, 0 updated, 0 rejected\) — the last run failed: 401 from Loopback keyed/m,
    );

    const env = { LOOPBACK_AUTH_KEY: SECRET };
    const ok = await socd(['ingest', '--source', 'Loopback keyed'], env);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^Loopback keyed: read 5 rows\/items; IOCs 5 new, 0 updated, 0 on a warning list, 0 rejected \(/);
    expect(fake.requests.at(-1)!.headers['auth-key']).toBe(SECRET);
    const list = await socd(['sources', 'list', '--json'], env);
    source = find(JSON.parse(list.stdout) as Listed[], 'Loopback keyed');
    expect(source.credentials).toEqual({ header: 'Auth-Key', env: 'LOOPBACK_AUTH_KEY', set: true });
    expect(source.last_run).toMatchObject({ outcome: 'ok', new: 5 });
    for (const output of [failed.stdout, failed.stderr, ok.stdout, ok.stderr, list.stdout, list.stderr]) expect(output).not.toContain(SECRET);
  });
});

describe('socd worker', SLOW, () => {
  let child: ChildProcessWithoutNullStreams | undefined;
  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('runs a due source, and on SIGTERM waits for the run in progress before it stops', async () => {
    const dataDir = tempDir('socd-worker-');
    dirs.push(dataDir);
    // Only the loopback source is enabled: nothing leaves this machine.
    await withDb(dataDir, async (db) => {
      await syncSourceCatalogue(db);
      await db.query('update sources set enabled = false');
    });
    // With every source disabled, `socd ingest` has nothing to run, and says so.
    expect(await runSocd(['ingest'], { DATA_DIR: dataDir, LOG_LEVEL: 'silent' })).toMatchObject({
      code: 0,
      stdout: 'No source is enabled (see socd sources list and enable).\n',
      stderr: '',
    });
    await withDb(dataDir, async (db) => {
      await addSource(db, {
        name: 'Loopback slow feed',
        kind: 'urlhaus-csv',
        url: `${upstream}/slow.csv`,
        category: 'threat-intel',
        intervalSeconds: 3600,
        staleAfterSeconds: null,
        auth: null,
      });
    });
    fake.slowMs = 1500;
    child = spawnSocd(['worker'], { DATA_DIR: dataDir, LOG_LEVEL: 'info' });
    const exited = waitForExit(child);
    let stdout = '';
    child.stdout.on('data', (chunk: string) => (stdout += chunk));
    // The run has begun (its request reached the feed, whose answer is slow): stop the worker now.
    await fake.requested('/slow.csv');
    while (!stdout.includes('"msg":"worker started"')) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGTERM');
    const result = await exited;
    expect(result.code, result.stderr).toBe(0);
    expect(result.signal).toBeNull();
    expect(result.stderr).toBe('');
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown> & { msg: string });
    const messages = lines.map((line) => line.msg);
    expect(messages).toEqual(['worker started', 'worker stopping: waiting for runs in progress', 'source Loopback slow feed: ok', 'worker stopped']);
    expect(lines[2]).toMatchObject({ source: 'Loopback slow feed', outcome: 'ok', fetched: 78, new: 78, health: 'healthy' });
    expect(fake.requests.filter((r) => r.path === '/slow.csv')).toHaveLength(1);

    // It stored the run, and no other source ran; the embedded server it started is stopped.
    expect(embeddedServerPid(dataDir)).toBeUndefined();
    await withDb(dataDir, async (db) => {
      const runs = await db.query<{ name: string; outcome: string; new: number }>(
        'select s.name, r.outcome, r.new from source_runs r join sources s on s.id = r.source_id',
      );
      expect(runs).toEqual([{ name: 'Loopback slow feed', outcome: 'ok', new: 78 }]);
      const [records] = await db.query<{ n: number }>('select count(*)::int as n from sightings');
      expect(records!.n).toBe(78);
    });
  });
});

describe('socd extract on a real advisory', SLOW, () => {
  interface Line {
    type: string;
    value: string;
    confidence: string;
    context: string;
  }
  const parse = (stdout: string) => stdout.trim().split('\n').map((line) => JSON.parse(line) as Line);
  const advisory = JSON.parse(readFixture('advisories/aa25-141a.expected.json')) as {
    expected_iocs: { type: string; value: string }[];
    listed_but_not_iocs: { type: string; value: string }[];
  };
  const expected = advisory.expected_iocs.map((ioc) => `${ioc.type} ${ioc.value}`).sort();

  it('prints the IOCs the advisory lists, one JSON object a line, at high confidence; nothing benign at high', async () => {
    const result = await runSocd(['extract', path.join(FIXTURES, 'advisories', 'aa25-141a.html')], {});
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = parse(result.stdout);
    for (const line of lines) {
      expect(Object.keys(line).slice(0, 4)).toEqual(['type', 'value', 'confidence', 'context']);
      expect(['high', 'medium', 'low']).toContain(line.confidence);
    }
    const high = lines.filter((l) => l.confidence === 'high' && l.type !== 'cve' && l.type !== 'mitre_attack');
    expect(high.map((l) => `${l.type} ${l.value}`).sort()).toEqual(expected);
    const byValue = new Map(lines.map((l) => [l.value, l]));
    expect(byValue.get('jayam@wizzsolutions.com')?.context).toEqual(expect.any(String));
    for (const benign of advisory.listed_but_not_iocs) expect(byValue.get(benign.value)?.confidence ?? 'absent', benign.value).not.toBe('high');
    expect(byValue.get('CVE-2023-23397')).toMatchObject({ type: 'cve', confidence: 'high' });
  });

  it('stops quietly when its reader stops reading (socd extract … | head)', async () => {
    const child = spawnSocd(['extract', path.join(FIXTURES, 'advisories', 'aa25-141a.html')], {});
    child.stdout.destroy(); // the reader is gone before the first line: every write meets a closed pipe
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise((resolve) => child.once('close', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('reads standard input with -, and --min-confidence filters', async () => {
    const result = await runSocd(['extract', '-', '--min-confidence', 'high'], {}, readFixture('advisories/aa25-141a.txt'));
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = parse(result.stdout);
    expect(lines.every((l) => l.confidence === 'high')).toBe(true);
    const found = new Set(lines.map((l) => `${l.type} ${l.value}`));
    expect(expected.filter((ioc) => !found.has(ioc))).toEqual([]);
    const bad = await runSocd(['extract', '-', '--min-confidence', 'certain'], {}, 'x');
    expect(bad).toMatchObject({ code: 1, stdout: '', stderr: 'socd: --min-confidence must be one of high, medium, low, not "certain"\n' });
  });
});
