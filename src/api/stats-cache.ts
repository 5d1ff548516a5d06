// The stats document, held in memory so that a stats request costs no query. One instance
// refreshes the cache table on a timer (the others skip the round); every instance re-reads
// the table every few seconds, so an import or another instance's refresh shows up.
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../store/db.js';
import { readStats, refreshStats, refreshStatsIfDue, type StatsSnapshot } from '../store/stats.js';

const POLL_MS = 15_000;

export interface StatsCache {
  current(): StatsSnapshot | undefined;
  /** How often the snapshot is recomputed (STATS_REFRESH_SECONDS): clients plan their next read by it. */
  readonly refreshSeconds: number;
  /** When a snapshot is older than this it has missed its refresh window. */
  readonly staleAfterSeconds: number;
  reload(): Promise<void>;
  stop(): void;
}

export async function startStatsCache(db: Db, refreshSeconds: number, log: FastifyBaseLogger): Promise<StatsCache> {
  let snapshot: StatsSnapshot | undefined;
  const reload = async () => {
    snapshot = (await readStats(db)) ?? snapshot;
  };
  const refresh = async () => {
    // A little under the interval, so that drifting timers do not skip a round.
    if (await refreshStatsIfDue(db, refreshSeconds * 0.9)) log.info('stats cache refreshed');
    await reload();
  };
  const guard = (task: () => Promise<void>) => () => task().catch((err) => log.warn({ err }, 'stats cache update failed'));

  await refresh();
  if (!snapshot) {
    // A new database, whose first snapshot another instance starting beside this one is still
    // computing: compute one here too, rather than answer 503 until the next poll.
    await refreshStats(db);
    await reload();
  }
  // The next refresh falls due when the snapshot is an interval old, not an interval after this
  // start: a restart must not leave a cache that was nearly due to go stale.
  let stopped = false;
  let refreshTimer: NodeJS.Timeout | undefined;
  const scheduleRefresh = () => {
    if (stopped) return;
    const age = snapshot ? Date.now() - snapshot.updatedAt.getTime() : Infinity;
    const wait = Math.min(refreshSeconds * 1000, Math.max(1000, refreshSeconds * 1000 - age));
    refreshTimer = setTimeout(() => void guard(refresh)().finally(scheduleRefresh), wait);
    refreshTimer.unref();
  };
  scheduleRefresh();
  const poll = setInterval(guard(reload), POLL_MS);
  poll.unref();
  return {
    current: () => snapshot,
    refreshSeconds,
    staleAfterSeconds: refreshSeconds + POLL_MS / 1000 + 60,
    reload,
    stop: () => {
      stopped = true;
      clearTimeout(refreshTimer);
      clearInterval(poll);
    },
  };
}
