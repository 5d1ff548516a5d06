// The embedded PostgreSQL (PGlite) runs here, in a worker thread: PGlite executes a query on
// the thread that calls it, and a long query must not stall the HTTP server.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import type { WorkerReply, WorkerRequest } from './pglite.js';

const port = parentPort;
if (!port) throw new Error('pglite-worker must run in a worker thread');
const { dataDir } = workerData as { dataDir: string };

function describeError(error: unknown): { message: string; code?: string; detail?: string } {
  const e = error as { message?: string; code?: string; detail?: string };
  return { message: e.message ?? String(error), code: e.code, detail: e.detail };
}

try {
  const db = await PGlite.create(dataDir, { extensions: { pg_trgm } });
  port.on('message', async (request: WorkerRequest) => {
    let reply: WorkerReply;
    try {
      if (request.op === 'close') {
        await db.close();
        reply = { id: request.id, rows: [] };
      } else if (request.op === 'script') {
        await db.exec(request.sql);
        reply = { id: request.id, rows: [] };
      } else {
        const result = await db.query(request.sql, request.params as unknown[]);
        reply = { id: request.id, rows: result.rows };
      }
    } catch (error) {
      reply = { id: request.id, error: describeError(error) };
    }
    port.postMessage(reply);
  });
  port.postMessage({ ready: true });
} catch (error) {
  port.postMessage({ fatal: describeError(error) });
}
