// The stats cache: one JSON document computed by refresh_stats_cache() (migrations/0014),
// refreshed on a timer by one instance at a time, read by every instance into memory.
import { attackTechnique } from '../ioc/attack.js';
import type { Db, Queryable } from './db.js';

export interface StatsSnapshot {
  /** The `data` document as JSON text, ready to be sent. */
  json: string;
  updatedAt: Date;
}

// The feeds' health is read live (migrations/0014, the view feed_health) with the document.
const SELECT_STATS = `select s.data::text as json, s.updated_at, row_to_json(f)::text as feed_health
  from stats_cache s cross join feed_health f where s.id`;
const SELECT_UPDATED_AT = `select updated_at from stats_cache where id`;
const REFRESH = `select refresh_stats_cache() as updated_at`;
// Only one instance refreshes at a time; the others skip the round.
const TRY_LOCK = `select pg_try_advisory_xact_lock(7261003) as locked`;

export async function refreshStats(db: Queryable): Promise<Date> {
  const [row] = await db.query<{ updated_at: Date }>(REFRESH);
  return row!.updated_at;
}

/**
 * Refreshes the cache unless another instance holds the refresh or did it less than
 * minAgeSeconds ago; returns whether this call refreshed it.
 */
export async function refreshStatsIfDue(db: Db, minAgeSeconds: number): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [lock] = await tx.query<{ locked: boolean }>(TRY_LOCK);
    if (!lock?.locked) return false;
    const [current] = await tx.query<{ updated_at: Date }>(SELECT_UPDATED_AT);
    if (current && Date.now() - current.updated_at.getTime() < minAgeSeconds * 1000) return false;
    await refreshStats(tx);
    return true;
  });
}

export async function readStats(db: Queryable): Promise<StatsSnapshot | undefined> {
  const [row] = await db.query<{ json: string; updated_at: Date; feed_health: string }>(SELECT_STATS);
  if (!row) return undefined;
  const data = JSON.parse(row.json) as { feedHealth: unknown; topMitreTechniques: { id: string; count: number }[] };
  data.feedHealth = JSON.parse(row.feed_health);
  // The techniques' ATT&CK names are added here, once a snapshot, rather than on each request.
  data.topMitreTechniques = data.topMitreTechniques.map(({ id, count }) => ({ id, name: attackTechnique(id)?.name ?? null, count }));
  // Re-serialized once here: compact, in the order the SQL function wrote the keys.
  return { json: JSON.stringify(data), updatedAt: row.updated_at };
}
