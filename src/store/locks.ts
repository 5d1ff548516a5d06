// One run of a source at a time, across every instance sharing the database: a PostgreSQL
// advisory lock held by a session for the length of the run; a set of the sources running in
// this process spares a connection for a run it already has.
import type { Db } from './db.js';

const SOURCE_LOCK_SPACE = 7_261_004;
const runningBy = new WeakMap<Db, Set<number>>();

/** Runs fn holding the source's lock; undefined, without running it, when another run holds it. */
export async function withSourceLock<T>(db: Db, sourceId: number, fn: () => Promise<T>): Promise<T | undefined> {
  let running = runningBy.get(db);
  if (!running) runningBy.set(db, (running = new Set()));
  if (running.has(sourceId)) return undefined;
  running.add(sourceId);
  try {
    return await db.session(async (conn) => {
      const [lock] = await conn.query<{ locked: boolean }>('select pg_try_advisory_lock($1, $2) as locked', [SOURCE_LOCK_SPACE, sourceId]);
      if (!lock?.locked) return undefined;
      try {
        return await fn();
      } finally {
        await conn.query('select pg_advisory_unlock($1, $2)', [SOURCE_LOCK_SPACE, sourceId]);
      }
    });
  } finally {
    running.delete(sourceId);
  }
}
