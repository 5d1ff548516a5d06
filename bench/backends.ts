// The two PostgreSQL servers the benchmarks run on, through the same code: an external one
// (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres; a database of its
// own is created and dropped) and the embedded one of a fresh DATA_DIR, which the service runs
// on when DATABASE_URL is unset.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { useEmbeddedServer } from '../src/store/embedded/server.js';
import { leftovers } from './processes.js';

export const BACKENDS = ['external', 'embedded'] as const;
export type BackendName = (typeof BACKENDS)[number];

export function parseBackends(arg: string): BackendName[] {
  if (arg === 'both') return [...BACKENDS];
  if ((BACKENDS as readonly string[]).includes(arg)) return [arg as BackendName];
  throw new Error(`--backend: expected external, embedded or both, got ${arg}`);
}

export interface BenchDatabase {
  backend: BackendName;
  label: string;
  /** The database the service uses (superuser): for loading and for the floors. Holds a password: never log it. */
  url: string;
  dataDir: string;
  /** The service's environment: DATA_DIR, and DATABASE_URL for the external server. */
  env: Record<string, string>;
  /** Drops the database (external) or stops the server (embedded), and removes DATA_DIR. */
  close(): Promise<void>;
}

export async function openBenchDatabase(backend: BackendName, tag: string): Promise<BenchDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `socd-bench-${backend}-`));
  const removeDataDir = () => fs.rmSync(dataDir, { recursive: true, force: true });
  try {
    return backend === 'external' ? await external(dataDir, tag, removeDataDir) : await embedded(dataDir, removeDataDir);
  } catch (error) {
    removeDataDir();
    throw error;
  }
}

async function external(dataDir: string, tag: string, removeDataDir: () => void): Promise<BenchDatabase> {
  const admin = new URL(process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const name = `socd_bench_${tag}_${process.pid}`;
  const adminClient = new pg.Client({ connectionString: admin.toString() });
  await adminClient.connect();
  try {
    await adminClient.query(`create database "${name}"`);
  } catch (error) {
    await adminClient.end();
    throw error;
  }
  const url = new URL(admin.toString());
  url.pathname = `/${name}`;
  return {
    backend: 'external',
    label: 'external PostgreSQL',
    url: url.toString(),
    dataDir,
    env: { DATABASE_URL: url.toString(), DATA_DIR: dataDir },
    async close() {
      try {
        await adminClient.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await adminClient.end();
        removeDataDir();
      }
    },
  };
}

async function embedded(dataDir: string, removeDataDir: () => void): Promise<BenchDatabase> {
  // A lease of our own keeps the server up from the loading to the last floor, whoever else
  // (openStore, the service) takes and gives up theirs meanwhile: the service adopts this very
  // server, and the floors run on it.
  const server = await useEmbeddedServer(dataDir, 'bench');
  return {
    backend: 'embedded',
    label: 'embedded PostgreSQL',
    url: server.url,
    dataDir,
    env: { DATA_DIR: dataDir },
    async close() {
      let left: number[];
      try {
        await server.release();
      } finally {
        left = leftovers(dataDir, [server.pid]);
        removeDataDir();
      }
      if (left.length > 0) throw new Error(`the embedded PostgreSQL of ${dataDir} still runs after the last lease (pids ${left.join(', ')})`);
    },
  };
}

/**
 * The environment for a service on `env`'s store: this process's, without a DATABASE_URL or
 * DATA_DIR of its own that would point the service elsewhere.
 */
export function serviceEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const { DATABASE_URL: _url, DATA_DIR: _dir, ...inherited } = process.env;
  return { ...inherited, ...env };
}
