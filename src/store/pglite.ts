// The Db interface over the embedded PGlite, which runs in a worker thread (pglite-worker.ts).
// PGlite has one connection: a transaction holds it, and other queries wait until it ends.
import { Worker } from 'node:worker_threads';
import { DbError, type Db, type Queryable } from './db.js';

type Operation = { op: 'query'; sql: string; params: readonly unknown[] } | { op: 'script'; sql: string } | { op: 'close' };
export type WorkerRequest = Operation & { id: number };
export type WorkerReply =
  | { id: number; rows: unknown[] }
  | { id: number; error: { message: string; code?: string; detail?: string } };
type WorkerStatus = { ready: true } | { fatal: { message: string } };

type Pending = { resolve: (rows: unknown[]) => void; reject: (error: Error) => void };

function startWorker(dataDir: string): Worker {
  const here = import.meta.url;
  // From TypeScript source (tests, tsx) the worker needs tsx's loader; built code runs directly.
  if (here.endsWith('.ts')) {
    const entry = new URL('./pglite-worker.ts', here).href;
    return new Worker(new URL('./tsx-worker.mjs', here), { workerData: { entry, dataDir } });
  }
  return new Worker(new URL('./pglite-worker.js', here), { workerData: { dataDir } });
}

/** A first-in first-out lock: acquire() resolves to the function that releases it. */
function createLock() {
  let tail: Promise<void> = Promise.resolve();
  return (): Promise<() => void> => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const acquired = tail.then(() => release);
    tail = tail.then(() => held);
    return acquired;
  };
}

export async function openPglite(dataDir: string): Promise<Db> {
  const worker = startWorker(dataDir);
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let failure: Error | undefined;

  await new Promise<void>((resolve, reject) => {
    worker.once('message', (status: WorkerStatus) => {
      if ('ready' in status) resolve();
      else reject(new Error(`cannot open the embedded database in ${dataDir}: ${status.fatal.message}`));
    });
    worker.once('error', reject);
  });

  worker.on('message', (reply: WorkerReply) => {
    const waiter = pending.get(reply.id);
    if (!waiter) return;
    pending.delete(reply.id);
    if ('error' in reply) waiter.reject(new DbError(reply.error.message, reply.error.code, reply.error.detail));
    else waiter.resolve(reply.rows);
  });
  const failAll = (error: Error) => {
    failure = error;
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  worker.on('error', failAll);
  worker.on('exit', () => failAll(new Error('the embedded database worker has stopped')));

  function send(request: Operation): Promise<unknown[]> {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id });
    });
  }

  const direct: Queryable = {
    query: <R>(sql: string, params: readonly unknown[] = []) =>
      send({ op: 'query', sql, params }) as Promise<R[]>,
    script: async (sql: string) => {
      await send({ op: 'script', sql });
    },
  };
  const acquireTransaction = createLock();
  let inTransaction: Promise<void> | undefined;

  const db: Db = {
    kind: 'pglite',
    async query<R>(sql: string, params: readonly unknown[] = []) {
      while (inTransaction) await inTransaction;
      return direct.query<R>(sql, params);
    },
    async script(sql) {
      while (inTransaction) await inTransaction;
      return direct.script(sql);
    },
    async transaction(fn) {
      const release = await acquireTransaction();
      let finished!: () => void;
      inTransaction = new Promise((resolve) => (finished = resolve));
      try {
        await send({ op: 'script', sql: 'BEGIN' });
        const result = await fn(direct);
        await send({ op: 'script', sql: 'COMMIT' });
        return result;
      } catch (error) {
        await send({ op: 'script', sql: 'ROLLBACK' }).catch(() => {});
        throw error;
      } finally {
        inTransaction = undefined;
        finished();
        release();
      }
    },
    // One connection: the session is the store itself.
    session: (fn) => fn(db),
    async close() {
      if (!failure) await send({ op: 'close' }).catch(() => {});
      await worker.terminate();
    },
  };
  return db;
}
