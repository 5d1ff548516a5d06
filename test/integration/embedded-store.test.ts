// The embedded PostgreSQL as a user lives with it: one server per DATA_DIR, found by every socd
// process, reachable from this machine alone, stopped by the last process that used it, and
// brought back when a process or the server itself is killed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_NAME } from '../../src/store/embedded/account.js';
import { openStore } from '../../src/store/open.js';
import { embeddedServerPid, REPO_ROOT, startTestApp, tempDir, testConfig } from '../helpers.js';
import { get, killStarted, startServe, stop } from '../helpers/serve.js';
import { runSocd, spawnSocd, waitForExit } from '../helpers/socd.js';

afterEach(killStarted);

const dirs: string[] = [];
function dataDir(prefix = 'socd-embedded-'): string {
  const dir = tempDir(prefix);
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) {
    // A server a failed test left running would hold its folder.
    const pid = embeddedServerPid(dir);
    if (pid) process.kill(pid, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isRoot = process.getuid?.() === 0;

async function waitUntil(test: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function recorded(dir: string) {
  return {
    port: Number(fs.readFileSync(path.join(dir, 'postgres-port'), 'utf8')),
    password: fs.readFileSync(path.join(dir, 'postgres-password'), 'utf8').trim(),
  };
}

async function connect(dir: string, password = recorded(dir).password): Promise<pg.Client> {
  const client = new pg.Client({ host: '127.0.0.1', port: recorded(dir).port, user: 'postgres', database: 'postgres', password });
  await client.connect();
  return client;
}

function processUid(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
}

function adminKey(dir: string): string {
  return fs.readFileSync(path.join(dir, 'admin-key'), 'utf8').trim();
}

describe('the embedded PostgreSQL of a DATA_DIR', { timeout: 120_000 }, () => {
  it('listens on 127.0.0.1 alone, at the port recorded in DATA_DIR (never 5432), and asks for the password kept there', async () => {
    const dir = dataDir();
    const served = await startServe({ DATA_DIR: dir });
    try {
      const { port } = recorded(dir);
      expect(port).not.toBe(5432);
      expect(fs.statSync(path.join(dir, 'postgres-password')).mode & 0o777).toBe(0o600);
      const client = await connect(dir);
      try {
        const settings = await client.query<{ name: string; setting: string }>(
          `select name, setting from pg_settings
            where name in ('listen_addresses', 'unix_socket_directories', 'port', 'data_checksums', 'io_method') order by name`,
        );
        expect(settings.rows).toEqual([
          // Tuned as bench/ measured: no page checksums, reads on the backend itself.
          { name: 'data_checksums', setting: 'off' },
          { name: 'io_method', setting: 'sync' },
          { name: 'listen_addresses', setting: '127.0.0.1' },
          { name: 'port', setting: String(port) },
          { name: 'unix_socket_directories', setting: '' },
        ]);
        // The same engine as an external server: the extension the search needs is there.
        expect((await client.query("select extname from pg_extension where extname = 'pg_trgm'")).rowCount).toBe(1);
      } finally {
        await client.end();
      }
      await expect(connect(dir, 'not-the-password')).rejects.toMatchObject({ code: '28P01' });
      if (isRoot) {
        // PostgreSQL refuses root: it runs under the unprivileged account.
        const account = Number(spawnSync('id', ['-u', ACCOUNT_NAME], { encoding: 'utf8' }).stdout.trim());
        expect(account).toBeGreaterThan(0);
        expect(processUid(embeddedServerPid(dir)!)).toBe(account);
      }
    } finally {
      expect((await stop(served)).code).toBe(0);
    }
    expect(embeddedServerPid(dir)).toBeUndefined();
  });

  it('a command while the service runs uses its server and leaves it running; what it does shows at once', async () => {
    const dir = dataDir();
    const served = await startServe({ DATA_DIR: dir });
    try {
      const postgres = embeddedServerPid(dir);
      const created = await runSocd(['keys', 'create', '--tier', 'free', '--name', 'from the shell', '--json'], { DATA_DIR: dir, LOG_LEVEL: 'silent' });
      expect(created.code, created.stderr).toBe(0);
      const { key } = JSON.parse(created.stdout) as { key: string };
      expect((await get(`${served.url}/api/v1/iocs?limit=1`, key)).status).toBe(200);
      expect(embeddedServerPid(dir)).toBe(postgres);
      expect((await get(`${served.url}/readyz`)).status).toBe(200);
    } finally {
      expect((await stop(served)).code).toBe(0);
    }
  });

  it('socd worker runs beside socd serve; the server stops when the last of them stops', async () => {
    const dir = dataDir();
    const served = await startServe({ DATA_DIR: dir });
    const worker = spawnSocd(['worker'], { DATA_DIR: dir, LOG_LEVEL: 'info' });
    const workerExit = waitForExit(worker);
    let out = '';
    worker.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    await waitUntil(() => out.includes('"msg":"worker started"'), 'the worker to start');
    const postgres = embeddedServerPid(dir);
    expect(postgres).toBeDefined();
    expect(out).toContain('"store":"embedded"');

    worker.kill('SIGTERM');
    expect((await workerExit).code).toBe(0);
    // The service still uses it.
    expect(embeddedServerPid(dir)).toBe(postgres);
    expect((await get(`${served.url}/api/v1/iocs/stats`, adminKey(dir))).status).toBe(200);

    expect((await stop(served)).code).toBe(0);
    expect(embeddedServerPid(dir)).toBeUndefined();
  });

  it('a service killed outright leaves its server running, and the next start adopts it', async () => {
    const dir = dataDir();
    const first = await startServe({ DATA_DIR: dir });
    const postgres = embeddedServerPid(dir);
    process.kill(first.pid, 'SIGKILL');
    await first.exited;
    expect(embeddedServerPid(dir)).toBe(postgres);

    const second = await startServe({ DATA_DIR: dir });
    try {
      expect(embeddedServerPid(dir)).toBe(postgres);
      expect((await get(`${second.url}/api/v1/iocs/stats`, adminKey(dir))).status).toBe(200);
    } finally {
      expect((await stop(second)).code).toBe(0);
    }
    // The adopter was its last user: it stopped it.
    expect(embeddedServerPid(dir)).toBeUndefined();
  });

  it('a server killed under the service is started again at the same address, and requests succeed on the same data', async () => {
    const dir = dataDir();
    const served = await startServe({ DATA_DIR: dir });
    try {
      const key = adminKey(dir);
      const before = (await (await get(`${served.url}/api/v1/iocs/stats`, key)).json()) as { data: { totalIOCs: number } };
      const { port } = recorded(dir);
      const postgres = embeddedServerPid(dir)!;
      process.kill(postgres, 'SIGKILL');
      const lost = await served.waitForLine((line) => line.msg.includes('stopped unexpectedly'));
      expect(lost.level).toBe(50);
      await served.waitForLine((line) => line.msg === 'the embedded PostgreSQL is running again');
      const restarted = embeddedServerPid(dir);
      expect(restarted).toBeDefined();
      expect(restarted).not.toBe(postgres);
      expect(recorded(dir).port).toBe(port);
      // The pool's connections to the dead server are replaced: requests succeed again, on the same data.
      await waitUntil(async () => (await get(`${served.url}/readyz`)).status === 200, 'readiness');
      const after = await get(`${served.url}/api/v1/iocs/stats`, key);
      expect(after.status).toBe(200);
      expect(((await after.json()) as { data: { totalIOCs: number } }).data.totalIOCs).toBe(before.data.totalIOCs);
    } finally {
      expect((await stop(served)).code).toBe(0);
    }
  });

  it('/readyz answers 503, naming the cause, while the server is down', async () => {
    const dir = dataDir();
    // A store with no supervision: nothing starts the server again behind the probe's back.
    const config = testConfig({ DATA_DIR: dir });
    const db = await openStore(config, 'test');
    const app = await startTestApp({ backend: 'embedded', db, config, close: () => db.close() });
    try {
      expect((await app.app.inject({ url: '/readyz' })).statusCode).toBe(200);
      process.kill(embeddedServerPid(dir)!, 'SIGKILL');
      await waitUntil(() => embeddedServerPid(dir) === undefined, 'the server to die');
      const res = await app.app.inject({ url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'unavailable', reason: expect.stringMatching(/ECONNREFUSED|terminat|connection/i) });
    } finally {
      await app.close();
      await db.close();
    }
  });

  it('/readyz answers 503, naming it, when the data directory is gone though the server still answers', async () => {
    const dir = dataDir();
    const config = testConfig({ DATA_DIR: dir });
    const db = await openStore(config, 'test');
    const app = await startTestApp({ backend: 'embedded', db, config, close: () => db.close() });
    const cluster = path.join(dir, 'postgres');
    try {
      fs.renameSync(cluster, `${cluster}.moved`);
      const res = await app.app.inject({ url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'unavailable', reason: `the embedded store's data directory ${cluster} is gone` });
      expect(app.logs.lines.some((line) => line.msg === 'not ready' && String(line.reason).includes('is gone'))).toBe(true);
    } finally {
      fs.renameSync(`${cluster}.moved`, cluster);
      await app.close();
      await db.close();
    }
  });

  it('a server that cannot be started again ends the service with a message, rather than leave it answering errors', async () => {
    const dir = dataDir();
    const served = await startServe({ DATA_DIR: dir });
    // A setting PostgreSQL cannot read: the next start fails.
    fs.appendFileSync(path.join(dir, 'postgres', 'postgresql.conf'), '\nthis is not a setting\n');
    process.kill(embeddedServerPid(dir)!, 'SIGKILL');
    const result = await served.exited;
    expect(result.code).toBe(1);
    const fatal = served.lines.find((line) => line.level === 60);
    expect(fatal?.msg).toMatch(/^the embedded PostgreSQL could not be restarted: the embedded PostgreSQL in .* did not start:/);
    expect(fatal?.msg).toContain('postgresql.conf');
  });

  it('two commands started at once on a new DATA_DIR make one cluster between them, and both succeed', async () => {
    const dir = dataDir();
    const env = { DATA_DIR: dir, LOG_LEVEL: 'silent' };
    const results = await Promise.all([runSocd(['migrate'], env), runSocd(['keys', 'create', '--tier', 'pro', '--name', 'racer'], env)]);
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    expect(fs.readdirSync(dir).filter((name) => name.startsWith('.postgres-init-'))).toEqual([]);
    expect(embeddedServerPid(dir)).toBeUndefined();
    const listed = await runSocd(['keys', 'list', '--json'], env);
    expect((JSON.parse(listed.stdout) as { name: string }[]).map((k) => k.name)).toEqual(['racer']);
  });
});

describe.runIf(isRoot)('as root', { timeout: 120_000 }, () => {
  let privateHome = '';
  beforeAll(() => {
    // A home only root may enter, as /root is.
    privateHome = dataDir('socd-private-home-');
    fs.chmodSync(privateHome, 0o700);
  });

  it('runs the server under the unprivileged account even when DATA_DIR lies in a 0700 home', async () => {
    const dir = path.join(privateHome, 'data');
    const served = await startServe({ DATA_DIR: dir });
    try {
      const pid = embeddedServerPid(dir)!;
      expect(processUid(pid)).not.toBe(0);
      // It was granted the search of folders and nothing else.
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      const effective = BigInt(`0x${/^CapEff:\s+([0-9a-f]+)/m.exec(status)![1]}`);
      const CAP_DAC_READ_SEARCH = 2n;
      expect(effective).toBe(1n << CAP_DAC_READ_SEARCH);
      expect((await get(`${served.url}/api/v1/iocs/stats`, adminKey(dir))).status).toBe(200);
      // The folder above is as private as it was.
      expect(fs.statSync(privateHome).mode & 0o777).toBe(0o700);
    } finally {
      expect((await stop(served)).code).toBe(0);
    }
    expect(embeddedServerPid(dir)).toBeUndefined();
  });

  const nobody = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' });
  const nodeReachable = nobody.status === 0 && spawnSync(process.execPath, ['-e', '0'], { uid: Number(nobody.stdout), gid: Number(nobody.stdout) }).status === 0;
  it.runIf(nodeReachable)('and as an ordinary user, who runs the server as themselves', async () => {
    const uid = Number(nobody.stdout);
    const dir = dataDir('socd-ordinary-user-');
    fs.chownSync(dir, uid, uid);
    const child = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src', 'main.ts'), 'keys', 'create', '--tier', 'free', '--name', 'mine'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, DATA_DIR: dir, LOG_LEVEL: 'silent', HOME: dir },
      uid,
      gid: uid,
      encoding: 'utf8',
    });
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout).toMatch(/sk_live_/);
    expect(fs.statSync(path.join(dir, 'postgres')).uid).toBe(uid);
    expect(fs.statSync(path.join(dir, 'postgres-password')).uid).toBe(uid);
    expect(embeddedServerPid(dir)).toBeUndefined();
  });
});
