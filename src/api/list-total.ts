// The list's `meta.total` without counting every matching record on every request (a year of a
// million records takes a third of a second to count). A count stops after `exactUpTo` + 1 rows,
// so a small total is exact and cheap. A larger one is counted in full once for the filter and
// kept five minutes, shared by the requests of this process: later requests answer it from
// memory, and once it is five minutes old the next request starts a new count without waiting for
// it. (A full count of a million records takes a third of a second on an idle server, and the
// cores for longer under load: one per filter every five minutes costs a fifth of one a minute.)
// Until the first count of a filter is done, the answer is the capped figure, flagged: at least
// that many.
// Nothing lives only here: a restarted process counts again.
import type { Queryable } from '../store/db.js';
import { countRecords, countRecordsUpTo, type RecordFilters } from '../store/iocs.js';

export interface ListTotal {
  total: number;
  /** false: `total` is a lower bound (the capped count), the full count is under way. */
  exact: boolean;
}

export interface ListTotals {
  /** `sinceMoves`: `since` is the tier's lookback, which moves with the clock. */
  count(filters: RecordFilters, sinceMoves: boolean): Promise<ListTotal>;
}

export interface ListTotalOptions {
  /** Totals up to this are counted on every request. */
  exactUpTo: number;
  /** How long a full count is answered before the next one is started (default five minutes). */
  ttlMs?: number;
  /** A full count is forgotten this long after it was made (a filter nobody asks for any more). */
  maxAgeMs?: number;
  maxEntries?: number;
  onError?: (error: unknown) => void;
}

interface Entry {
  total?: number;
  countedAt: number;
  counting?: Promise<void>;
}

const MINUTE_MS = 60_000;
const minute = (date: Date) => Math.floor(date.getTime() / MINUTE_MS);

/**
 * The filter as a key: times to the minute, and a lookback `since` (now minus the tier's lookback,
 * a new time at every request) as its length, so that one filter keeps one key.
 */
function keyOf(f: RecordFilters, sinceMoves: boolean, now: number): string {
  const since = sinceMoves ? `-${Math.round((now - f.since.getTime()) / MINUTE_MS)}` : String(minute(f.since));
  return [since, f.until && minute(f.until), f.changedSince && minute(f.changedSince), f.type, f.category, f.confidence, f.industry, f.lifecycle ?? 'active'].join('|');
}

export function createListTotals(db: Queryable, options: ListTotalOptions): ListTotals {
  const { exactUpTo, ttlMs = 5 * MINUTE_MS, maxAgeMs = 15 * MINUTE_MS, maxEntries = 10_000, onError = () => {} } = options;
  const entries = new Map<string, Entry>();
  let sweptAt = Date.now();

  // One full count at a time per filter, off the request path: the requests meanwhile answer
  // what is known, and never start a count of their own.
  const recount = (entry: Entry, filters: RecordFilters) => {
    if (entry.counting) return;
    entry.counting = countRecords(db, filters)
      .then((total) => {
        entry.total = total;
        entry.countedAt = Date.now();
      })
      .catch(onError)
      .finally(() => (entry.counting = undefined));
  };

  const sweep = (now: number) => {
    if (now - sweptAt < ttlMs) return;
    sweptAt = now;
    for (const [key, entry] of entries) if (!entry.counting && now - entry.countedAt > maxAgeMs) entries.delete(key);
  };

  return {
    async count(filters, sinceMoves) {
      const now = Date.now();
      sweep(now);
      const key = keyOf(filters, sinceMoves, now);
      const entry = entries.get(key);
      if (entry?.total !== undefined) {
        if (now - entry.countedAt >= ttlMs) recount(entry, filters);
        return { total: entry.total, exact: true };
      }
      const capped = await countRecordsUpTo(db, filters, exactUpTo);
      if (capped <= exactUpTo) return { total: capped, exact: true };
      // Another request may have started (or finished) the full count meanwhile.
      const current = entries.get(key);
      if (current?.total !== undefined) return { total: current.total, exact: true };
      if (current) {
        recount(current, filters);
      } else {
        // Bounded: the oldest key makes room (Map keeps the order keys came in).
        if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
        const added: Entry = { countedAt: Date.now() };
        entries.set(key, added);
        recount(added, filters);
      }
      return { total: capped, exact: false };
    },
  };
}
