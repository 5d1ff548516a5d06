// socd migrate: apply pending schema migrations, and import an earlier version's store (serve
// does both too, at start).
import type { Command } from 'commander';
import { withStore } from '../context.js';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(async () => {
      // openStore migrates, and imports an earlier version's store; this command reports it.
      const imported = await withStore('socd migrate', async (db) => db.legacyImport);
      if (imported) {
        const counts = Object.entries(imported.tables).map(([name, rows]) => `${name} ${rows}`).join(', ');
        process.stdout.write(`Imported the store of the earlier version (${counts}); its folder is kept as ${imported.retiredTo}.\n`);
      }
      process.stdout.write('Schema is up to date.\n');
    });
}
