// socd serve: the API service, until SIGTERM or SIGINT; then it stops accepting, finishes
// what is in flight and closes the store cleanly.
import type { Command } from 'commander';
import { startService } from '../../api/server.js';
import { loadConfig } from '../../config.js';
import { createLogger } from '../../logger.js';

// After this long, a shutdown that has not finished is cut short.
const SHUTDOWN_DEADLINE_MS = 30_000;

export async function serve(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config);
  const service = await startService(config, logger);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown deadline passed; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    try {
      await service.close();
      logger.info('stopped');
      logger.flush();
      process.exitCode = 0;
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
      process.exitCode = 1;
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

export function registerServe(program: Command): void {
  program.command('serve').description('run the API service (PORT, HOST, DATA_DIR, DATABASE_URL, REDIS_URL)').action(serve);
}
