// Opens the configured store with its schema up to date: the PostgreSQL server of DATABASE_URL,
// or the embedded one that lives in DATA_DIR (started for this process when none runs).
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Db } from './db.js';
import { useEmbeddedServer, type EmbeddedServer } from './embedded/server.js';
import { importLegacyPglite, type LegacyImport } from './legacy-pglite.js';
import { migrate } from './migrate.js';
import { openPostgres } from './postgres.js';

export interface Store extends Db {
  /** The embedded server under the store, when there is one. */
  readonly embedded?: EmbeddedServer;
  /** What this open imported from an earlier version's store (DATA_DIR/pglite), if anything. */
  readonly legacyImport?: LegacyImport;
  /** What the migrations this open applied say they changed of the users' data (migrate.ts). */
  readonly migrationNotes?: readonly string[];
}

/**
 * For a long-running process (serve, worker): an embedded server that stops under it is
 * started again at the same address, and the pool reconnects; when that fails, `onFatal`.
 */
export interface Supervision {
  log: Logger;
  onFatal(error: Error): void;
}

/** `command` names this process to the embedded server (its lease, in pg_stat_activity). */
export async function openStore(config: Config, command: string, supervision?: Supervision): Promise<Store> {
  let embedded = config.databaseUrl ? undefined : await useEmbeddedServer(config.dataDir, command);
  const db = openPostgres({
    kind: embedded ? 'embedded' : 'external',
    connectionString: embedded?.url ?? config.databaseUrl!,
    poolSize: config.pgPoolSize,
    statementTimeoutMs: config.requestTimeoutMs,
    applicationName: `socdefenders (${command})`,
  });
  const supervise = (server: EmbeddedServer) =>
    server.onLost(async (error) => {
      supervision!.log.error({ err: error }, `${error.message}: starting it again`);
      try {
        const restarted = await useEmbeddedServer(config.dataDir, command);
        embedded = restarted;
        supervise(restarted);
        if (restarted.url !== server.url) throw new Error('it came back on another port, which the open connections cannot follow');
        supervision!.log.info({ pid: restarted.pid }, 'the embedded PostgreSQL is running again');
      } catch (restartError) {
        supervision!.onFatal(new Error(`the embedded PostgreSQL could not be restarted: ${(restartError as Error).message}`));
      }
    });
  if (embedded && supervision) supervise(embedded);
  let legacyImport: LegacyImport | undefined;
  const migrationNotes: string[] = [];
  const store: Store = {
    ...db,
    get embedded() {
      return embedded;
    },
    get legacyImport() {
      return legacyImport;
    },
    migrationNotes,
    async close() {
      await db.close();
      await embedded?.release();
    },
  };
  try {
    await migrate(store, undefined, (note) => {
      migrationNotes.push(note);
      supervision?.log.warn(note);
    });
    // Before anything reads the store (serve loads the bundled snapshot into an empty one).
    if (embedded) legacyImport = await importLegacyPglite(config.dataDir, store, (message) => supervision?.log.info(message));
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
