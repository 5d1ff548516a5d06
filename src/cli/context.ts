// What every CLI command shares: the validated configuration and the store, opened for the
// length of one command and closed after it, whatever happens.
import { loadConfig, type Config } from '../config.js';
import { openStore, type Store } from '../store/open.js';

/** An error the user can act on: printed without a stack trace. */
export class CliError extends Error {
  override name = 'CliError';
}

export async function withStore<T>(command: string, fn: (db: Store, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const db = await openStore(config, command);
  // Whichever command applied a migration that changed the users' data (not only the schema) says so.
  for (const note of db.migrationNotes ?? []) process.stderr.write(`socd: ${note}\n`);
  try {
    return await fn(db, config);
  } finally {
    await db.close();
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
