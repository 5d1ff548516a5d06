// npx tsx bench/start.ts [--repeats N] (or npm run bench -- --only start; build first)
// Start-up and memory of the service on its embedded PostgreSQL, run as `npm start` runs it
// (`node dist/main.js serve`, DATA_DIR and no DATABASE_URL), with INGEST=false: nothing is
// fetched from the network during the run.
// - first start: from the spawn, on a fresh empty DATA_DIR, until GET /readyz answers 200
//   (initdb, the server's start, migrations, the bundled snapshot loaded, the admin key);
// - restart: SIGTERM, the exit awaited (the service stops the server it was the last to use),
//   then the same on the same DATA_DIR;
// - memory once idle: after a few requests (warm) and a few seconds' rest, the sum of Pss
//   (/proc/PID/smaps_rollup: shared pages divided among the processes sharing them) of the node
//   process, the postmaster (DATA_DIR/postgres/postmaster.pid) and every process it forked.
// Each repeat has a DATA_DIR of its own, removed at the end, once no process of its server runs.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ADMIN_KEY_FILE } from '../src/api/server.js';
import { serviceEnv } from './backends.js';
import { freePort, median, printTable, type Row } from './measure.js';
import { childrenOf, isRunning, leftovers, postmasterPid, pssKb } from './processes.js';

const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const POLL_MS = 20;
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 60_000;
/** Rest between the warm-up requests and the memory reading. */
const IDLE_MS = 5000;

function log(message: string) {
  process.stderr.write(`[bench] ${message}\n`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A GET on a connection of its own; the status and body, or undefined when nothing answers. */
function request(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, headers, timeout: 5000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

interface Started {
  child: ChildProcess;
  url: string;
  ms: number;
}

/** Spawns the service and times it until /readyz answers 200. */
export async function startUntilReady(dataDir: string): Promise<Started> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = { DATA_DIR: dataDir, INGEST: 'false', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' };
  const started = performance.now();
  const child = spawn(process.execPath, ['dist/main.js', 'serve'], { cwd: REPO, env: serviceEnv(env), stdio: ['ignore', 'ignore', 'inherit'] });
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = signal ?? String(code)));
  while (performance.now() - started < START_TIMEOUT_MS) {
    if (exited !== undefined) throw new Error(`dist/main.js serve exited (${exited}) before /readyz answered`);
    if ((await request(`${url}/readyz`))?.status === 200) return { child, url, ms: performance.now() - started };
    await sleep(POLL_MS);
  }
  await stop(child);
  throw new Error(`dist/main.js serve was not ready within ${START_TIMEOUT_MS / 1000} s`);
}

/** SIGTERM, and the exit awaited (SIGKILL past the deadline, and an error). */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), STOP_TIMEOUT_MS).unref());
  if (await Promise.race([exit.then(() => true), timer])) return;
  child.kill('SIGKILL');
  await exit;
  throw new Error(`the service did not stop within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM`);
}

/** A few requests of each kind with the admin key made on the first start: the service warm. */
async function warm(url: string, dataDir: string): Promise<void> {
  const key = fs.readFileSync(path.join(dataDir, ADMIN_KEY_FILE), 'utf8').trim();
  const headers = { authorization: `Bearer ${key}` };
  const must = async (pathname: string) => {
    const response = await request(url + pathname, headers);
    if (response?.status !== 200) throw new Error(`${pathname}: ${response ? `HTTP ${response.status} ${response.body.slice(0, 200)}` : 'no answer'}`);
    return response.body;
  };
  const list = JSON.parse(await must('/api/v1/iocs?limit=100')) as { data: { value: string }[] };
  if (list.data.length === 0) throw new Error('the store is empty: the snapshot was not loaded');
  const values = list.data.slice(0, 5).map((r) => r.value);
  for (let round = 0; round < 5; round++) {
    for (const value of values) await must(`/api/v1/iocs/search?q=${encodeURIComponent(value)}`);
    await must('/api/v1/iocs/stats');
    await must('/api/v1/iocs?limit=1000');
    await must('/api/v1/iocs?format=csv&limit=1000');
    await must('/api/v1/iocs/stix?limit=100');
    await must('/api/v1/sources');
  }
}

interface Memory {
  nodeKb: number;
  postgresKb: number;
  /** The postmaster and its children. */
  postgresPids: number[];
}

function memory(nodePid: number, dataDir: string): Memory {
  const postmaster = postmasterPid(dataDir);
  if (postmaster === undefined || !isRunning(postmaster)) throw new Error(`no postmaster runs for ${dataDir}`);
  const postgresPids = [postmaster, ...childrenOf(postmaster)];
  return { nodeKb: pssKb(nodePid), postgresKb: postgresPids.reduce((sum, pid) => sum + pssKb(pid), 0), postgresPids };
}

interface Round {
  firstMs: number;
  restartMs: number;
  memory: Memory;
}

async function round(): Promise<Round> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'socd-bench-start-'));
  const seen: number[] = [];
  let child: ChildProcess | undefined;
  const stillRunning = (when: string) => {
    const left = leftovers(dataDir, seen);
    if (left.length > 0) throw new Error(`${when}, PostgreSQL processes of ${dataDir} still run: ${left.join(', ')}`);
  };
  try {
    const first = await startUntilReady(dataDir);
    child = first.child;
    const pid = postmasterPid(dataDir);
    if (pid !== undefined) seen.push(pid, ...childrenOf(pid));
    await stop(child);
    // Else the restart would adopt a running server and time less than a restart.
    stillRunning('after the first stop');

    const restart = await startUntilReady(dataDir);
    child = restart.child;
    await warm(restart.url, dataDir);
    await sleep(IDLE_MS);
    const mem = memory(child.pid!, dataDir);
    seen.push(...mem.postgresPids);
    await stop(child);
    stillRunning('after SIGTERM and exit');
    return { firstMs: first.ms, restartMs: restart.ms, memory: mem };
  } finally {
    if (child) await stop(child).catch((error: Error) => log(error.message));
    // A failed round must not leave its server behind: a fast shutdown, by pid.
    for (const pid of leftovers(dataDir, seen)) {
      log(`stopping PostgreSQL process ${pid} left for ${dataDir}`);
      try {
        process.kill(pid, 'SIGINT');
      } catch {
        // gone meanwhile
      }
    }
    for (let i = 0; i < 300 && leftovers(dataDir, seen).length > 0; i++) await sleep(100);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function benchStart({ repeats = 3 }: { repeats?: number } = {}): Promise<void> {
  if (!fs.existsSync(path.join(REPO, 'dist/main.js'))) throw new Error('dist/main.js is missing: npm run build first');
  console.log(`\n# Start-up benchmark (load average ${os.loadavg()[0]!.toFixed(1)} on ${os.availableParallelism()} cores)`);
  const rounds: Round[] = [];
  for (let i = 0; i < repeats; i++) {
    const r = await round();
    rounds.push(r);
    const mb = (kb: number) => (kb / 1024).toFixed(1);
    log(
      `start ${i + 1}/${repeats}: first start ${(r.firstMs / 1000).toFixed(2)} s, restart ${(r.restartMs / 1000).toFixed(2)} s, ` +
        `PSS ${mb(r.memory.nodeKb + r.memory.postgresKb)} MB (node ${mb(r.memory.nodeKb)} MB, PostgreSQL ${mb(r.memory.postgresKb)} MB in ${r.memory.postgresPids.length} processes)`,
    );
  }
  const row = (figure: string, each: number[], floorName: string, floor: number, unit: string): Row => ({
    figure,
    value: median(each),
    each,
    floorName,
    floor,
    unit,
    target: 1,
  });
  const mb = (kb: number) => kb / 1024;
  printTable(`Start-up and memory, embedded PostgreSQL (median of ${repeats})`, [
    row('first start → /readyz 200 (initdb, migrations, snapshot)', rounds.map((r) => r.firstMs / 1000), '10 s budget', 10, 's'),
    row('restart → /readyz 200 (same DATA_DIR)', rounds.map((r) => r.restartMs / 1000), '2 s budget', 2, 's'),
    row('PSS once idle, node + PostgreSQL', rounds.map((r) => mb(r.memory.nodeKb + r.memory.postgresKb)), '250 MB budget', 250, 'MB'),
  ]);
  console.log(
    `\nof which node ${rounds.map((r) => mb(r.memory.nodeKb).toFixed(1)).join(', ')} MB; ` +
      `PostgreSQL ${rounds.map((r) => `${mb(r.memory.postgresKb).toFixed(1)} MB (${r.memory.postgresPids.length} processes)`).join(', ')}`,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const { values } = parseArgs({ options: { repeats: { type: 'string', default: '3' } } });
  await benchStart({ repeats: Number(values.repeats) });
}
