// The embedded store: a PostgreSQL server whose cluster lives in DATA_DIR, reachable only from
// this machine (127.0.0.1 on a free port, never 5432; a password generated once and kept in
// DATA_DIR, mode 0600). Every socd process that opens the store uses the server that runs, or
// starts it; each holds a shared advisory lock (its lease) on a connection of its own while it
// uses the server, and the last one to let go stops it. A process killed outright drops its
// connection, and so its lease: the next process adopts the server it left running.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { runToEnd, runnerFor, type Runner } from './account.js';
import { EmbeddedStoreError } from './error.js';

export const CLUSTER_DIR = 'postgres';
export const PASSWORD_FILE = 'postgres-password';
const PORT_FILE = 'postgres-port';
const LOG_FILE = 'postgres.log';
const SUPERUSER = 'postgres';
const LEASE_KEY = 7_261_009;
const START_TIMEOUT_MS = 60_000;
const START_ATTEMPTS = 3;
const POLL_MS = 50;
const INVALID_PASSWORD = '28P01';

export interface EmbeddedServer {
  /** The connection string, password included: never log it. */
  readonly url: string;
  /** The postmaster's process id. */
  readonly pid: number;
  /** Called once if the server goes away while this process uses it. */
  onLost(listener: (error: Error) => void): void;
  /** Why the server cannot be trusted to serve though it answers: its data directory is gone. */
  problem(): string | undefined;
  /** Gives up this process's lease; stops the server when no other process holds one. */
  release(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether a process runs, whoever owns it. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another account (the server, when we are root).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The password of the cluster, made on first use and readable by this user alone. */
function readOrCreatePassword(dataDir: string): string {
  const file = path.join(dataDir, PASSWORD_FILE);
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const password = crypto.randomBytes(24).toString('base64url');
  try {
    fs.writeFileSync(file, password + '\n', { mode: 0o600, flag: 'wx' });
    return password;
  } catch (error) {
    // Another process made it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return fs.readFileSync(file, 'utf8').trim();
    throw error;
  }
}

/** initdb into a folder of its own, renamed into place: a half-made cluster is never seen. */
function initCluster(runner: Runner, dataDir: string, password: string): void {
  const cluster = path.join(dataDir, CLUSTER_DIR);
  if (fs.existsSync(path.join(cluster, 'PG_VERSION'))) return;
  const building = fs.mkdtempSync(path.join(dataDir, '.postgres-init-'));
  try {
    const target = path.join(building, 'cluster');
    const pwfile = path.join(building, 'password');
    fs.mkdirSync(target, { mode: 0o700 });
    fs.writeFileSync(pwfile, password, { mode: 0o600 });
    for (const file of [building, target, pwfile]) runner.chown(file);
    runToEnd(runner, runner.binaries.initdb, [
      '--pgdata', target,
      '--username', SUPERUSER,
      '--pwfile', pwfile,
      '--auth', 'scram-sha-256',
      '--encoding', 'UTF8',
      // Code-point order and Unicode character classes, the same on every platform.
      '--locale-provider', 'builtin',
      '--builtin-locale', 'C.UTF-8',
      '--locale', 'C',
      // As PostgreSQL 15-17 ran (18 turned them on): a checksum verified on every page read from
      // the OS cache. With io_method=sync below, this took the exports from 1.2-1.3x the time on
      // an external PostgreSQL 15 to 1.06-1.12x (npm run bench, 1M records).
      '--no-data-checksums',
      '--no-instructions',
    ]);
    fs.renameSync(target, cluster);
  } catch (error) {
    // Another process initialised the same DATA_DIR first.
    if (!fs.existsSync(path.join(cluster, 'PG_VERSION'))) throw error;
  } finally {
    fs.rmSync(building, { recursive: true, force: true });
  }
}

interface PidFile {
  pid: number;
  port: number;
  status: string;
}

/** postmaster.pid: PostgreSQL's own record of the running server (pid, port, and its state). */
function readPidFile(cluster: string): PidFile | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(cluster, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return { pid, port: Number(lines[3]), status: (lines[7] ?? '').trim() };
}

/** Whether `port` (0: any) can be listened on at 127.0.0.1 now; the port, or undefined. */
function tryPort(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(undefined));
    probe.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      const { port: bound } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(bound));
    });
  });
}

/** The port of the last start when it is still free (clients keep their address), else a new one. */
async function choosePort(dataDir: string): Promise<number> {
  const file = path.join(dataDir, PORT_FILE);
  const last = Number(fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : NaN);
  const reusable = Number.isInteger(last) && last > 1024 && last !== 5432 ? await tryPort(last) : undefined;
  const port = reusable ?? (await tryPort(0));
  if (port === undefined) throw new EmbeddedStoreError('no free port on 127.0.0.1 for the embedded PostgreSQL');
  fs.writeFileSync(file, `${port}\n`);
  return port;
}

function logTail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-5).join('\n');
  } catch {
    return '';
  }
}

/** Starts the postmaster, detached (a Ctrl-C meant for socd must not stop it mid-drain). */
async function startServer(runner: Runner, dataDir: string): Promise<void> {
  const cluster = path.join(dataDir, CLUSTER_DIR);
  const port = await choosePort(dataDir);
  const logFile = path.join(dataDir, LOG_FILE);
  const log = fs.openSync(logFile, 'a', 0o600);
  const { file, args, options } = runner.command(runner.binaries.postgres, [
    '-D', cluster,
    '-p', String(port),
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'unix_socket_directories=',
    // Reads on the calling backend, as before 18, rather than handed to I/O worker processes:
    // on a small machine whose data sits in the OS cache the hand-off costs more than it saves.
    '-c', 'io_method=sync',
  ], { detached: true, stdio: ['ignore', log, log] });
  const child = spawn(file, args, options);
  fs.closeSync(log);
  let exited = false;
  child.once('exit', () => (exited = true));
  child.once('error', () => (exited = true));
  child.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    await sleep(POLL_MS);
    const running = readPidFile(cluster);
    if (running && running.pid === child.pid && running.status === 'ready') return;
    if (exited) {
      // Another process started the server at the same moment: use that one.
      if (running && running.pid !== child.pid && isAlive(running.pid)) return;
      throw new EmbeddedStoreError(`the embedded PostgreSQL in ${cluster} did not start:\n${logTail(logFile)}`);
    }
  }
  child.kill('SIGKILL');
  throw new EmbeddedStoreError(`the embedded PostgreSQL in ${cluster} did not start within ${START_TIMEOUT_MS / 1000} s:\n${logTail(logFile)}`);
}

function stopServer(runner: Runner, cluster: string): void {
  runToEnd(runner, runner.binaries.pgCtl, ['stop', '-D', cluster, '-m', 'fast', '-w', '-t', '60']);
}

/** Takes a lease on the running server; undefined when it is stopping (or gone). */
async function takeLease(url: string, command: string): Promise<pg.Client | undefined> {
  const client = new pg.Client({ connectionString: url, application_name: `socdefenders lease (${command})` });
  client.on('error', () => {});
  try {
    await client.connect();
    const [row] = (await client.query<{ ok: boolean }>('select pg_try_advisory_lock_shared($1) as ok', [LEASE_KEY])).rows;
    if (row?.ok) return client;
  } catch (error) {
    if ((error as { code?: string }).code === INVALID_PASSWORD) {
      throw new EmbeddedStoreError(`the embedded PostgreSQL refused the password kept in ${PASSWORD_FILE}: restore that file from a backup of DATA_DIR`);
    }
    // Otherwise refused or cut: the server is starting or stopping.
  }
  await client.end().catch(() => {});
  return undefined;
}

/** Uses the server of `dataDir`, starting it (and creating its cluster) when none runs. */
export async function useEmbeddedServer(dataDir: string, command: string): Promise<EmbeddedServer> {
  fs.mkdirSync(dataDir, { recursive: true });
  const runner = await runnerFor(dataDir);
  const password = readOrCreatePassword(dataDir);
  initCluster(runner, dataDir, password);
  const cluster = path.join(dataDir, CLUSTER_DIR);
  const deadline = Date.now() + START_TIMEOUT_MS;
  let failures = 0;
  while (Date.now() < deadline) {
    const running = readPidFile(cluster);
    if (!running || !isAlive(running.pid)) {
      // A start may fail for a moment after a crash, while the dead server's processes exit.
      try {
        await startServer(runner, dataDir);
      } catch (error) {
        if (++failures === START_ATTEMPTS) throw error;
        await sleep(500);
      }
      continue;
    }
    if (running.status !== 'ready') {
      await sleep(POLL_MS);
      continue;
    }
    const url = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${running.port}/postgres`;
    const lease = await takeLease(url, command);
    if (!lease) {
      await sleep(POLL_MS);
      continue;
    }
    return leased(runner, cluster, url, running.pid, lease);
  }
  throw new EmbeddedStoreError(`the embedded PostgreSQL in ${cluster} did not become ready within ${START_TIMEOUT_MS / 1000} s`);
}

function leased(runner: Runner, cluster: string, url: string, pid: number, lease: pg.Client): EmbeddedServer {
  let releasing = false;
  const listeners: ((error: Error) => void)[] = [];
  const lost = () => {
    if (releasing) return;
    releasing = true;
    const error = new Error(`the embedded PostgreSQL (pid ${pid}) stopped unexpectedly; its log is ${path.join(path.dirname(cluster), LOG_FILE)}`);
    for (const listener of listeners) listener(error);
  };
  lease.on('end', lost);
  return {
    url,
    pid,
    onLost: (listener) => listeners.push(listener),
    problem: () => (fs.existsSync(path.join(cluster, 'PG_VERSION')) ? undefined : `the embedded store's data directory ${cluster} is gone`),
    async release() {
      if (releasing) return;
      releasing = true;
      try {
        await lease.query('select pg_advisory_unlock_shared($1)', [LEASE_KEY]);
        // Holding the exclusive lock, no other process can take a lease while the server stops.
        const [row] = (await lease.query<{ last: boolean }>('select pg_try_advisory_lock($1) as last', [LEASE_KEY])).rows;
        if (row?.last) stopServer(runner, cluster);
      } finally {
        await lease.end().catch(() => {});
      }
    },
  };
}
