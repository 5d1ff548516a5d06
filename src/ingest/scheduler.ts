// Runs each enabled source when its interval has passed since its last run. Several instances
// may schedule at once: the source lock lets one of them run a source, the others skip it.
import type { Logger } from 'pino';
import type { Db } from '../store/db.js';
import { dueSources } from '../store/sources.js';
import { expireAndPublish } from './publish.js';
import { runSource, type RunOptions, type RunSummary } from './pipeline.js';

export interface SchedulerOptions {
  /** How often due sources are looked for. */
  tickMs?: number;
  /** Sources run at the same time. */
  concurrency?: number;
  log: Logger;
  run?: RunOptions;
  onRun?: (summary: RunSummary) => void;
  /** How long the changes feed keeps its events (the sweep prunes older ones). */
  changesRetentionDays?: number;
}

export interface Scheduler {
  /** Looks for due sources now (the timer does it every tick). */
  tick(): Promise<void>;
  /** Stops scheduling and waits for the runs in progress. */
  stop(): Promise<void>;
}

export function logRun(log: Logger, s: RunSummary): void {
  const fields = {
    source: s.source,
    outcome: s.outcome,
    http_status: s.httpStatus,
    fetched: s.fetched,
    new: s.new,
    updated: s.updated,
    suppressed: s.suppressed,
    rejected: s.rejected,
    articles: s.articles,
    health: s.health,
    ms: s.finishedAt.getTime() - s.startedAt.getTime(),
  };
  if (s.outcome === 'failed') log.warn({ ...fields, error: s.error }, `source ${s.source} failed: ${s.error}`);
  else if (s.outcome !== 'skipped') log.info(fields, `source ${s.source}: ${s.outcome}`);
}

export function startScheduler(db: Db, options: SchedulerOptions): Scheduler {
  const concurrency = options.concurrency ?? 2;
  const running = new Map<number, Promise<void>>();
  let stopped = false;
  let ticking: Promise<void> | undefined;

  async function tick() {
    if (stopped) return;
    // The expiry sweep, then what it and a run left unpublished (its process stopped first), and
    // what the migration marked.
    await expireAndPublish(db, new Date(), options.changesRetentionDays).then(
      (swept) => (swept.expired + swept.added + swept.updated > 0 ? options.log.info(swept, 'lifecycle sweep') : undefined),
      (err) => options.log.error({ err }, 'scheduler: the lifecycle sweep or publishing STIX versions failed'),
    );
    const due = await dueSources(db, new Date());
    for (const source of due) {
      if (stopped || running.size >= concurrency) break;
      if (running.has(source.id)) continue;
      const job = runSource(db, source, { ...options.run, onlyIfDue: true })
        .then((summary) => {
          logRun(options.log, summary);
          options.onRun?.(summary);
        })
        .catch((err) => options.log.error({ err, source: source.name }, `source ${source.name}: run crashed`))
        .finally(() => running.delete(source.id));
      running.set(source.id, job);
    }
  }

  const guardedTick = () => {
    ticking ??= tick()
      .catch((err) => options.log.error({ err }, 'scheduler: cannot list due sources'))
      .finally(() => (ticking = undefined));
    return ticking;
  };
  const timer = setInterval(guardedTick, options.tickMs ?? 15_000);
  timer.unref();
  void guardedTick();

  return {
    tick: guardedTick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await ticking;
      await Promise.all(running.values());
    },
  };
}
