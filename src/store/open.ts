// Opens the configured store (PostgreSQL server or embedded PGlite) with its schema up to date.
import path from 'node:path';
import type { Config } from '../config.js';
import type { Db } from './db.js';
import { lockDataDir } from './lock.js';
import { migrate } from './migrate.js';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';

export function embeddedDatabaseDir(dataDir: string): string {
  return path.join(dataDir, 'pglite');
}

/** `command` names this process in the embedded store's lock, for whoever is refused. */
export async function openStore(config: Config, command: string): Promise<Db> {
  const db = config.databaseUrl
    ? openPostgres({
        connectionString: config.databaseUrl,
        poolSize: config.pgPoolSize,
        statementTimeoutMs: config.requestTimeoutMs,
      })
    : await openEmbedded(config.dataDir, command);
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

async function openEmbedded(dataDir: string, command: string): Promise<Db> {
  const release = lockDataDir(dataDir, command);
  try {
    const db = await openPglite(embeddedDatabaseDir(dataDir));
    return {
      ...db,
      async close() {
        await db.close();
        release();
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}
