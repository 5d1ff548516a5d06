// The service as a user starts it: `socd serve` in a process of its own, configured by its
// environment, stopped by SIGTERM.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { importIocList } from '../../src/ingest/import-list.js';
import { openStore } from '../../src/store/open.js';
import { addSource } from '../../src/store/sources.js';
import { createServerDatabase, embeddedServerPid, REPO_ROOT, tempDir } from '../helpers.js';
import { get, killStarted, startServe, stop } from '../helpers/serve.js';
import { runSocd } from '../helpers/socd.js';

afterEach(killStarted);

/** Whether a new connection to the server is refused. */
function refused(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${url}/healthz`, { agent: false }, (res) => {
      res.resume();
      resolve(false);
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** The HTTP/1.1 responses, one after the other, in the bytes a connection received. */
function parseResponses(data: Buffer): RawResponse[] {
  const responses: RawResponse[] = [];
  let at = 0;
  while (at < data.length) {
    const headEnd = data.indexOf('\r\n\r\n', at);
    if (headEnd === -1) throw new Error(`incomplete response head at byte ${at}`);
    const [statusLine, ...lines] = data.subarray(at, headEnd).toString('latin1').split('\r\n');
    const headers = Object.fromEntries(
      lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
    );
    at = headEnd + 4;
    const parts: Buffer[] = [];
    if (headers['transfer-encoding'] === 'chunked') {
      for (;;) {
        const sizeEnd = data.indexOf('\r\n', at);
        const size = parseInt(data.subarray(at, sizeEnd).toString('latin1'), 16);
        at = sizeEnd + 2;
        if (size === 0) break;
        parts.push(data.subarray(at, at + size));
        at += size + 2;
      }
      at += 2;
    } else {
      const length = Number(headers['content-length'] ?? 0);
      parts.push(data.subarray(at, at + length));
      at += length;
    }
    responses.push({ status: Number(statusLine!.split(' ')[1]), headers, body: Buffer.concat(parts) });
  }
  return responses;
}

/** Sends a request on a new keep-alive connection and stops reading once the first bytes of the answer arrive. */
async function openPaused(port: number, request: string) {
  const socket = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  const closed = new Promise<void>((resolve, reject) => {
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.write(request);
  await new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.pause();
  return {
    /** Sends another request on the same connection. */
    send: (next: string) => socket.write(next),
    /** Reads on until the server closes the connection; the responses it sent. */
    async readToEnd(): Promise<RawResponse[]> {
      socket.resume();
      await closed;
      return parseResponses(Buffer.concat(chunks));
    },
  };
}

const RECORDS = 10_000;

describe('socd serve on an embedded store', () => {
  let dataDir = '';
  let adminKey = '';
  let adminKeyStat: fs.Stats;

  beforeAll(async () => {
    dataDir = tempDir('socd-serve-');
    // Enough records, with enough context, that a full JSON export (some 20 MB) is much larger
    // than what the sockets buffer: read slowly, it stays in flight.
    const db = await openStore(loadConfig({ DATA_DIR: dataDir }), 'vitest');
    try {
      const context = 'Observed in a phishing campaign; '.repeat(48);
      const records = Array.from({ length: RECORDS }, () => ({ type: 'sha256', value: crypto.randomBytes(32).toString('hex'), context }));
      const summary = await importIocList(db, JSON.stringify(records), { source: 'Bulk hashes' });
      expect(summary.inserted).toBe(RECORDS);
    } finally {
      await db.close();
    }
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('on first start writes the admin key to a 0600 file, logs the file name and never the key', async () => {
    const served = await startServe({ DATA_DIR: dataDir });
    try {
      const file = path.join(dataDir, 'admin-key');
      adminKeyStat = fs.statSync(file);
      expect(adminKeyStat.mode & 0o777).toBe(0o600);
      const content = fs.readFileSync(file, 'utf8');
      expect(content).toMatch(/^sk_live_[0-9A-Za-z]{40}\n$/);
      adminKey = content.trim();
      const created = served.lines.find((line) => line.msg.startsWith('admin API key created'));
      expect(created).toMatchObject({ file, key_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      expect(created!.msg).toContain(file);
      expect(served.lines.find((line) => line.msg.startsWith('listening on'))).toMatchObject({ store: 'embedded', rate_limits: 'memory' });
      expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      // The key works: the stats of the records imported before the start.
      const stats = await get(`${served.url}/api/v1/iocs/stats`, adminKey);
      expect(stats.status).toBe(200);
      expect(((await stats.json()) as { data: { totalIOCs: number } }).data.totalIOCs).toBe(RECORDS);
      expect((await get(`${served.url}/readyz`)).status).toBe(200);
      // While it runs, its PostgreSQL runs, and a command finds it there and leaves it running.
      const postgres = embeddedServerPid(dataDir);
      expect(postgres).toBeDefined();
      const keys = await runSocd(['keys', 'list', '--json'], { DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
      expect(keys.code, keys.stderr).toBe(0);
      expect((JSON.parse(keys.stdout) as { name: string }[]).map((k) => k.name)).toEqual(['admin']);
      expect(embeddedServerPid(dataDir)).toBe(postgres);
      expect((await get(`${served.url}/readyz`)).status).toBe(200);
    } finally {
      const result = await stop(served);
      expect(result.code).toBe(0);
      for (const output of [result.stdout, result.stderr]) {
        expect(output).not.toContain(adminKey);
        expect(output).not.toContain(adminKey.slice(8));
      }
    }
  });

  it('on SIGTERM finishes the requests in flight, refuses new connections, exits 0 and then stops its PostgreSQL', async () => {
    const served = await startServe({ DATA_DIR: dataDir });
    const port = Number(new URL(served.url).port);
    // Three keep-alive connections, each with a large export read slowly: none can finish
    // before we read it.
    const exportRequest = `GET /api/v1/iocs?limit=${RECORDS} HTTP/1.1\r\nHost: x\r\nX-API-Key: ${adminKey}\r\n\r\n`;
    const connections = await Promise.all([1, 2, 3].map(() => openPaused(port, exportRequest)));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(served.lines.some((line) => line.msg === 'request')).toBe(false);

    const signalledAt = Date.now();
    process.kill(served.pid, 'SIGTERM');
    await served.waitForLine((line) => line.msg === 'shutting down');
    // Two clients send their next request on their open connection during the shutdown.
    connections[0]!.send('GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n');
    connections[1]!.send(`GET /api/v1/iocs/stats HTTP/1.1\r\nHost: x\r\nX-API-Key: ${adminKey}\r\n\r\n`);
    // New connections are refused from now on, while the exports are still in flight.
    const deadline = Date.now() + 5000;
    while (!(await refused(served.url))) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(served.lines.some((line) => line.msg === 'request')).toBe(false);

    // Reading on, each export arrives whole; then every connection is closed by the server,
    // the third (whose client would keep it alive) included.
    const [ready, api, alone] = await Promise.all(connections.map((c) => c.readToEnd()));
    for (const responses of [ready!, api!, alone!]) {
      const body = JSON.parse(responses[0]!.body.toString('utf8'));
      expect(responses[0]!.status).toBe(200);
      expect(body.data).toHaveLength(RECORDS);
      expect(body.meta.total).toBe(RECORDS);
    }
    expect(alone).toHaveLength(1);
    // The requests sent during the shutdown are answered by the service, not refused by the
    // framework: readiness says it is shutting down, the API answers; each closes its connection.
    expect(ready).toHaveLength(2);
    expect(ready![1]).toMatchObject({ status: 503, headers: { connection: 'close', 'x-request-id': expect.stringMatching(/^req_/) } });
    expect(JSON.parse(ready![1]!.body.toString('utf8'))).toEqual({ status: 'unavailable', reason: 'shutting down' });
    expect(api).toHaveLength(2);
    expect(api![1]).toMatchObject({ status: 200, headers: { connection: 'close', 'x-ratelimit-limit': '1000' } });
    expect(JSON.parse(api![1]!.body.toString('utf8')).data.totalIOCs).toBe(RECORDS);

    const result = await served.exited;
    expect(result.code).toBe(0);
    expect(result.signal).toBeNull();
    // Well within the 30 s shutdown deadline: nothing held it open.
    expect(Date.now() - signalledAt).toBeLessThan(15_000);
    const messages = served.lines.map((line) => line.msg);
    expect(messages).not.toContain('shutdown deadline passed; exiting');
    // The exports' own log lines come after the shutdown began: they were in flight, and they finished.
    const exportLines = served.lines.flatMap((line, i) =>
      line.msg === 'request' && String(line.url).startsWith('/api/v1/iocs?') ? [i] : [],
    );
    expect(exportLines).toHaveLength(3);
    for (const i of exportLines) {
      expect(i).toBeGreaterThan(messages.indexOf('shutting down'));
      expect(served.lines[i]).toMatchObject({ status: 200 });
    }
    expect(messages.at(-1)).toBe('stopped');
    expect(embeddedServerPid(dataDir)).toBeUndefined();
  });

  it('on a second start keeps the admin key it has and creates no other', async () => {
    const served = await startServe({ DATA_DIR: dataDir });
    try {
      expect(served.lines.some((line) => line.msg.startsWith('admin API key created'))).toBe(false);
      const stat = fs.statSync(path.join(dataDir, 'admin-key'));
      expect(stat.mtimeMs).toBe(adminKeyStat.mtimeMs);
      expect(fs.readFileSync(path.join(dataDir, 'admin-key'), 'utf8')).toBe(`${adminKey}\n`);
      expect((await get(`${served.url}/api/v1/iocs/stats`, adminKey)).status).toBe(200);
    } finally {
      expect((await stop(served)).code).toBe(0);
    }
    const keys = await runSocd(['keys', 'list', '--json'], { DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
    expect((JSON.parse(keys.stdout) as { name: string }[]).map((k) => k.name)).toEqual(['admin']);
  });

  it('on a port already taken, stops with one line before it creates anything', async () => {
    const blocker = http.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    const fresh = tempDir('socd-serve-taken-');
    try {
      const result = await runSocd(['serve'], { DATA_DIR: fresh, PORT: String(port), LOG_LEVEL: 'silent', INGEST: 'false' });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`socd: listen EADDRINUSE: address already in use 127.0.0.1:${port}\n`);
      // No store and no admin key were made on the way.
      expect(fs.readdirSync(fresh)).toEqual([]);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
      fs.rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('refuses to start with an invalid variable, naming it', async () => {
    const result = await runSocd(['serve'], { DATA_DIR: dataDir, PORT: 'abc' });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('socd: Invalid environment variable PORT: expected an integer, got "abc"\n');
  });
});

/** Values a user can look for after the snapshot is loaded: one of each file, read from the file. */
function snapshotSamples() {
  const dir = path.join(REPO_ROOT, 'snapshot');
  const read = (file: string) => fs.readFileSync(path.join(dir, file), 'utf8');
  const urlhausRow = read('urlhaus.csv').split('\n').find((line) => line.startsWith('"'))!.split('","');
  const [urlhaus, urlhausLastOnline] = [urlhausRow[2]!, urlhausRow[4]!.replace(' ', 'T')];
  const feodo = (JSON.parse(read('feodotracker.json')) as { ip_address: string }[])[0]!.ip_address;
  const threatfox = Object.values(JSON.parse(read('threatfox.json')) as Record<string, { ioc_type: string; ioc_value: string }[]>)
    .flat()
    .find((ioc) => ioc.ioc_type === 'domain')!.ioc_value;
  const kev = (JSON.parse(read('cisa-kev.json')) as { vulnerabilities: { cveID: string }[] }).vulnerabilities[0]!.cveID;
  return { values: { urlhaus, feodo, threatfox, kev }, urlhausLastOnline };
}

interface SourceBody {
  name: string;
  health: { status: string; reason: string | null };
  last_run_at: string | null;
  last_run: { outcome: string; new: number; http_status: number | null; error: string | null } | null;
}

describe('socd serve on a new, empty data directory', () => {
  let dataDir = '';
  let adminKey = '';
  beforeAll(() => {
    dataDir = tempDir('socd-serve-new-');
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('loads the bundled snapshot on first start, so that the API shows real data at once', async () => {
    const served = await startServe({ DATA_DIR: dataDir });
    try {
      const messages = served.lines.map((line) => line.msg);
      const loaded = messages.indexOf('loaded the bundled snapshot of public feed samples into the new store');
      expect(loaded).toBeGreaterThan(-1);
      expect(loaded).toBeLessThan(messages.findIndex((m) => m.startsWith('listening on')));
      // One line per snapshot file, each a run of its source with its counts.
      const runs = new Map(served.lines.filter((line) => line.msg.startsWith('source ')).map((line) => [line.source as string, line]));
      expect([...runs.keys()].sort()).toEqual(['CISA Cybersecurity Advisories', 'CISA KEV', 'Feodo Tracker', 'ThreatFox', 'URLhaus']);
      for (const run of runs.values()) expect(run, String(run.source)).toMatchObject({ outcome: 'ok', rejected: 0, health: 'healthy' });
      expect(runs.get('URLhaus')).toMatchObject({ fetched: 78, new: 78 });
      expect(runs.get('Feodo Tracker')).toMatchObject({ fetched: 5, new: 5 });
      expect(runs.get('ThreatFox')).toMatchObject({ fetched: 1000 });
      expect(runs.get('CISA KEV')).toMatchObject({ fetched: 1404, new: 1404 });
      expect(runs.get('CISA Cybersecurity Advisories')).toMatchObject({ fetched: 5, articles: 5 });

      adminKey = fs.readFileSync(path.join(dataDir, 'admin-key'), 'utf8').trim();
      // The stats are ready at once: a count per feed, the same the runs reported.
      const stats = (await (await get(`${served.url}/api/v1/iocs/stats`, adminKey)).json()) as {
        data: { totalIOCs: number; totalArticles: number; bySource: Record<string, number>; byCategory: Record<string, number>; feedHealth: { total: number } };
      };
      for (const [name, run] of runs) expect(stats.data.bySource[name], name).toBe(run.new);
      const total = [...runs.values()].reduce((sum, run) => sum + (run.new as number), 0);
      expect(stats.data.totalIOCs).toBe(total);
      expect(stats.data.totalArticles).toBe(5);
      expect(stats.data.byCategory['threat-intel']).toBe(['URLhaus', 'Feodo Tracker', 'ThreatFox'].reduce((sum, name) => sum + (runs.get(name)!.new as number), 0));
      expect(stats.data.feedHealth.total).toBeGreaterThanOrEqual(30);

      // A block-list with the expired values holds values of every snapshot file; the default one
      // only those still valid: a CVE never expires, a URL that URLhaus's online list (3 days'
      // lifetime, src/ingest/catalogue.yaml) last saw online in the snapshot's August has.
      const blockList = async (query: string) => {
        const txt = await get(`${served.url}/api/v1/iocs?format=txt&limit=10000${query}`, adminKey);
        expect(txt.status).toBe(200);
        return new Set((await txt.text()).trim().split('\n'));
      };
      const [withExpired, active] = [await blockList('&include_expired=true'), await blockList('')];
      const { values: samples, urlhausLastOnline } = snapshotSamples();
      for (const [file, value] of Object.entries(samples)) expect(withExpired.has(value), `${file}: ${value}`).toBe(true);
      expect([...active].every((value) => withExpired.has(value))).toBe(true);
      expect(active.has(samples.kev)).toBe(true);
      expect(active.has(samples.urlhaus)).toBe(Date.parse(`${urlhausLastOnline}Z`) + 3 * 86_400_000 > Date.now());

      // The catalogue shows the runs; a snapshot does not stand for a scheduled fetch.
      const sources = (await (await get(`${served.url}/api/v1/sources`, adminKey)).json()) as { data: SourceBody[] };
      const urlhaus = sources.data.find((source) => source.name === 'URLhaus')!;
      expect(urlhaus).toMatchObject({ health: { status: 'healthy' }, last_run_at: null, last_run: { outcome: 'ok', new: 78 } });
    } finally {
      expect((await stop(served)).code).toBe(0);
    }
  });

  it('on a second start loads nothing again', async () => {
    const served = await startServe({ DATA_DIR: dataDir });
    try {
      expect(served.lines.some((line) => line.msg.startsWith('loaded the bundled snapshot'))).toBe(false);
      expect(served.lines.some((line) => line.msg.startsWith('source '))).toBe(false);
      const stats = (await (await get(`${served.url}/api/v1/iocs/stats`, adminKey)).json()) as { data: { bySource: Record<string, number> } };
      expect(stats.data.bySource.URLhaus).toBe(78);
    } finally {
      expect((await stop(served)).code).toBe(0);
    }
  });

  it('with ingestion on, runs the due sources; one that cannot be reached only marks its health', async () => {
    // A feed on loopback, and a port where nothing listens.
    const body = fs.readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'feeds', 'feodotracker-ipblocklist-2024-04-04.csv'), 'utf8');
    const feed = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/csv' }).end(body));
    await new Promise<void>((resolve) => feed.listen(0, '127.0.0.1', resolve));
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    // Only these two are enabled: nothing leaves this machine.
    const db = await openStore(loadConfig({ DATA_DIR: dataDir }), 'vitest');
    try {
      await db.query('update sources set enabled = false');
      for (const [name, url] of [
        ['Loopback Feodo', `http://127.0.0.1:${(feed.address() as AddressInfo).port}/ipblocklist.csv`],
        ['Unreachable feed', `http://127.0.0.1:${deadPort}/ipblocklist.csv`],
      ]) {
        await addSource(db, { name: name!, kind: 'feodo-csv', url: url!, category: 'threat-intel', intervalSeconds: 3600, staleAfterSeconds: null, auth: null });
      }
    } finally {
      await db.close();
    }
    const served = await startServe({ DATA_DIR: dataDir, INGEST: 'true' });
    try {
      const ok = await served.waitForLine((line) => line.msg === 'source Loopback Feodo: ok');
      expect(ok).toMatchObject({ outcome: 'ok', fetched: 28, new: 28, health: 'healthy' });
      const failed = await served.waitForLine((line) => line.msg.startsWith('source Unreachable feed failed'));
      expect(failed.error).toMatch(new RegExp(`^cannot reach Unreachable feed: .*ECONNREFUSED 127\\.0\\.0\\.1:${deadPort}`));
      // The service goes on serving, and says what happened to each source.
      expect((await get(`${served.url}/readyz`)).status).toBe(200);
      const sources = (await (await get(`${served.url}/api/v1/sources`, adminKey)).json()) as { data: SourceBody[] };
      const byName = (name: string) => sources.data.find((source) => source.name === name)!;
      expect(byName('Loopback Feodo')).toMatchObject({ health: { status: 'healthy' }, last_run: { outcome: 'ok', new: 28, http_status: 200 } });
      expect(byName('Loopback Feodo').last_run_at).not.toBeNull();
      expect(byName('Unreachable feed')).toMatchObject({
        health: { status: 'degraded', reason: `the last run failed: ${failed.error as string}` },
        last_run: { outcome: 'failed', http_status: null, error: failed.error, new: 0 },
      });
      // Disabled sources were not run.
      expect(byName('URLhaus').last_run_at).toBeNull();
    } finally {
      expect((await stop(served)).code).toBe(0);
      await new Promise((resolve) => feed.close(resolve));
    }
  });
});

describe('two socd serve processes on one PostgreSQL database (DATABASE_URL)', () => {
  let database: { url: string; drop: () => Promise<void> };
  let dirs: string[] = [];
  beforeAll(async () => {
    database = await createServerDatabase();
    dirs = [tempDir('socd-serve-a-'), tempDir('socd-serve-b-')];
  });
  afterAll(async () => {
    await database?.drop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('both start at once, make one admin key between them, and both answer', async () => {
    const servers = await Promise.all(dirs.map((dir) => startServe({ DATA_DIR: dir, DATABASE_URL: database.url })));
    try {
      const written = dirs.filter((dir) => fs.existsSync(path.join(dir, 'admin-key')));
      expect(written).toHaveLength(1);
      const adminKey = fs.readFileSync(path.join(written[0]!, 'admin-key'), 'utf8').trim();
      for (const served of servers) {
        expect(served.lines.find((line) => line.msg.startsWith('listening on'))).toMatchObject({ store: 'external' });
        expect((await get(`${served.url}/readyz`)).status).toBe(200);
        const stats = await get(`${served.url}/api/v1/iocs/stats`, adminKey);
        expect(stats.status).toBe(200);
        expect(((await stats.json()) as { data: { totalIOCs: number } }).data.totalIOCs).toBe(0);
      }
      // Neither made an embedded server of its own.
      for (const dir of dirs) expect(fs.existsSync(path.join(dir, 'postgres'))).toBe(false);
    } finally {
      const results = await Promise.all(servers.map(stop));
      for (const result of results) expect(result.code).toBe(0);
    }
  });
});
