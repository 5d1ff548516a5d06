// socd worker: the ingestion scheduler (and the stats refresh) without the HTTP server, until
// SIGTERM or SIGINT; runs in progress finish before it stops.
import type { Command } from 'commander';
import { startScheduler } from '../../ingest/scheduler.js';
import { syncSourceCatalogue } from '../../ingest/setup.js';
import { loadConfig } from '../../config.js';
import { createLogger } from '../../logger.js';
import { exitOnLostStore } from '../../api/server.js';
import { openStore } from '../../store/open.js';
import { refreshStatsIfDue } from '../../store/stats.js';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run the ingestion scheduler without the HTTP server')
    .action(async () => {
      const config = loadConfig();
      const log = createLogger(config);
      const db = await openStore(config, 'socd worker', { log, onFatal: exitOnLostStore(log) });
      await syncSourceCatalogue(db);
      const scheduler = startScheduler(db, { log, concurrency: config.ingestConcurrency, changesRetentionDays: config.changesRetentionDays });
      const refresh = setInterval(() => {
        refreshStatsIfDue(db, config.statsRefreshSeconds * 0.9).catch((err) => log.warn({ err }, 'stats refresh failed'));
      }, config.statsRefreshSeconds * 1000);
      log.info({ store: db.kind }, 'worker started');
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      log.info('worker stopping: waiting for runs in progress');
      clearInterval(refresh);
      await scheduler.stop();
      await db.close();
      log.info('worker stopped');
      log.flush();
    });
}
