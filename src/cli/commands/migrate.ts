// socd migrate: apply pending schema migrations (serve does it too, at start).
import type { Command } from 'commander';
import { withStore } from '../context.js';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(async () => {
      // openStore migrates; this command only reports that it is done.
      await withStore('socd migrate', async () => {});
      process.stdout.write('Schema is up to date.\n');
    });
}
