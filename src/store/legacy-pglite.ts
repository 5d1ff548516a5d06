// The store of the versions before the embedded PostgreSQL server: a PGlite cluster in
// DATA_DIR/pglite. Its data moves into the new store once, at the first open after the upgrade,
// in one transaction; the folder is then renamed and kept, never deleted. PGlite stays a
// dependency for this alone.
import fs from 'node:fs';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { CHANNEL_PATTERN, DbError, withinBudget, type Db, type Queryable } from './db.js';
import { CLUSTER_DIR, isAlive } from './embedded/server.js';
import { EmbeddedStoreError } from './embedded/error.js';
import { migrate } from './migrate.js';

export const LEGACY_DIR = 'pglite';
// The old version's lock file (its src/store/lock.ts): the process that holds the PGlite folder.
const LEGACY_LOCK_FILE = 'socd.lock';
// One importer at a time when several processes open the store at once.
const IMPORT_LOCK_KEY = 7_261_010;

export interface LegacyImport {
  /** Rows copied, per table. */
  tables: Record<string, number>;
  /** Where the old folder is now. */
  retiredTo: string;
}

// What a user made: the migrations' seed rows (tiers) and the catalogue's sources are not theirs.
const SELECT_OWN_DATA = `select array_remove(array[
    case when exists (select 1 from indicators) then 'indicators' end,
    case when exists (select 1 from sightings) then 'sightings' end,
    case when exists (select 1 from articles) then 'articles' end,
    case when exists (select 1 from api_keys) then 'api_keys' end,
    case when exists (select 1 from allow_list) then 'allow_list' end,
    case when exists (select 1 from sources where origin = 'operator') then 'sources' end
  ], null) as tables`;
// Every table of the schema but the migrations' record, with the columns COPY can write.
const SELECT_TABLES = `select c.relname as name, quote_ident(c.relname) as ident,
    array(select quote_ident(a.attname) from pg_attribute a
          where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
          order by a.attnum) as columns
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'public' and c.relkind = 'r' and c.relname <> 'schema_migrations'
    and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
  order by c.relname`;
const SELECT_SEQUENCES = `select 'public.' || quote_ident(c.relname) as ident
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'public' and c.relkind = 'S'
  order by c.relname`;
const SET_SEQUENCE = `select setval($1::regclass, $2::bigint, $3)`;

interface Table {
  name: string;
  ident: string;
  columns: string[];
}

/**
 * The Db interface over an open PGlite, in this thread, for one caller at a time. A transaction
 * begun inside another one is a savepoint, so that migrate() can run inside the import's.
 */
export function pgliteDb(pglite: PGlite): Db {
  const run = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      const e = error as { message?: string; code?: string; detail?: string };
      throw new DbError(e.message ?? String(error), e.code, e.detail);
    }
  };
  // A plain Queryable inside a transaction: store functions given a Db open a transaction of their own.
  const conn: Queryable = {
    query: <R>(sql: string, params: readonly unknown[] = []) => run(async () => (await pglite.query<R>(sql, [...params])).rows),
    script: (sql: string) => run(async () => void (await pglite.exec(sql))),
  };
  const db: Db = {
    kind: 'embedded',
    ...conn,
    async transaction(fn) {
      const nested = pglite.isInTransaction();
      await conn.script(nested ? 'savepoint socd_nested' : 'begin');
      try {
        const result = await fn(conn);
        await conn.script(nested ? 'release savepoint socd_nested' : 'commit');
        return result;
      } catch (error) {
        await conn.script(nested ? 'rollback to savepoint socd_nested; release savepoint socd_nested' : 'rollback').catch(() => {});
        throw error;
      }
    },
    // One connection in this thread: the budget is set, but nothing can cancel a statement it runs.
    bounded: (limits, fn) => db.transaction((tx) => fn(withinBudget(tx, limits))),
    // One connection: the session is the database itself.
    session: (fn) => fn(db),
    // PGlite's own LISTEN, in this thread: its one connection is never lost.
    listen(channel, handlers) {
      if (!CHANNEL_PATTERN.test(channel)) throw new Error(`not a channel name: ${channel}`);
      const unlisten = pglite.listen(channel, (payload) => handlers.onNotify(payload)).then(
        (stop) => {
          handlers.onListening?.();
          return stop;
        },
        (error: Error) => {
          handlers.onLost?.(error);
          return async () => {};
        },
      );
      return { close: async () => (await unlisten)() };
    },
    close: () => pglite.close(),
  };
  return db;
}

/** Loaded on demand: a start with no old folder does not pay for PGlite. */
export async function openPglite(dir: string): Promise<PGlite> {
  const [{ PGlite }, { pg_trgm }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite/contrib/pg_trgm')]);
  return PGlite.create(dir, { extensions: { pg_trgm } });
}

/**
 * Moves the data of DATA_DIR/pglite into `db` (the new embedded store, migrated and empty of its
 * users' data), then renames the folder; undefined, touching nothing, when there is none.
 */
export async function importLegacyPglite(dataDir: string, db: Db, log?: (message: string) => void): Promise<LegacyImport | undefined> {
  const dir = path.join(dataDir, LEGACY_DIR);
  if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) return undefined;
  return db.session(async (conn) => {
    // Waiting for another process's import can take longer than a statement may.
    await conn.script('set statement_timeout = 0');
    await conn.query('select pg_advisory_lock($1)', [IMPORT_LOCK_KEY]);
    try {
      // That other process may have imported it while this one waited.
      if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) return undefined;
      let tables: Record<string, number>;
      try {
        refuseWhileOldVersionRuns(dataDir, dir);
        tables = await copyTables(dataDir, dir, db);
      } catch (error) {
        throw new EmbeddedStoreError(
          `the data of the earlier version in ${dir} was not imported, and nothing was changed: ${(error as Error).message}\n` +
            'The import runs again at the next start, or with `socd migrate`.',
          { cause: error },
        );
      }
      const retiredTo = `${dir}.imported-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      try {
        fs.renameSync(dir, retiredTo);
      } catch (error) {
        throw new EmbeddedStoreError(
          `the data in ${dir} was imported into the new store, but the folder could not be renamed ` +
            `(${(error as Error).message}): move it out of ${dataDir} yourself, or the next start refuses it (the new store holds its data now)`,
          { cause: error },
        );
      }
      const counts = Object.entries(tables).map(([name, rows]) => `${name} ${rows}`).join(', ');
      log?.(`imported the store of the earlier version (${counts}); its folder is kept as ${retiredTo}`);
      return { tables, retiredTo };
    } finally {
      await conn.query('select pg_advisory_unlock($1)', [IMPORT_LOCK_KEY]).catch(() => {});
      await conn.script('reset statement_timeout').catch(() => {});
    }
  });
}

/** Two processes opening one PGlite folder corrupt it: an earlier socd still running keeps it. */
function refuseWhileOldVersionRuns(dataDir: string, dir: string): void {
  let holder: { pid?: unknown; command?: unknown };
  try {
    holder = JSON.parse(fs.readFileSync(path.join(dataDir, LEGACY_LOCK_FILE), 'utf8')) as typeof holder;
  } catch {
    return;
  }
  const pid = Number(holder.pid);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !isAlive(pid)) return;
  throw new Error(
    `process ${pid} (${String(holder.command)}), an earlier version of socd, still uses ${dir}: stop it first ` +
      `(or, if that process is not socd, remove ${path.join(dataDir, LEGACY_LOCK_FILE)})`,
  );
}

async function copyTables(dataDir: string, dir: string, db: Db): Promise<Record<string, number>> {
  return db.transaction(async (tx) => {
    // A large store takes longer than a statement may; replica: no triggers, foreign keys in any order.
    await tx.script('set local statement_timeout = 0; set local session_replication_role = replica');
    const [own] = await tx.query<{ tables: string[] }>(SELECT_OWN_DATA);
    if (own && own.tables.length > 0) {
      const cluster = path.join(dataDir, CLUSTER_DIR);
      throw new Error(
        `the new store (${cluster}) already holds data of its own (rows in ${own.tables.join(', ')}), and the two are not merged. ` +
          `To keep the new store as it is, move ${dir} out of ${dataDir}; to import the old data instead, stop socd and remove ${cluster}`,
      );
    }
    const pglite = await openPglite(dir);
    try {
      // The old side works in a transaction that is rolled back: the folder keeps exactly what
      // the earlier version wrote, and its schema is brought up to date for this read alone.
      await pglite.exec('begin');
      return await copyFromPglite(pglite, tx);
    } finally {
      await pglite.exec('rollback').catch(() => {});
      await pglite.close();
    }
  });
}

async function copyFromPglite(pglite: PGlite, tx: Queryable): Promise<Record<string, number>> {
  if (!tx.copyFrom) throw new Error('the store cannot COPY within a transaction');
  const source = pgliteDb(pglite);
  await migrate(source);
  const tables = await source.query<Table>(SELECT_TABLES);
  const targets = await tx.query<Table>(SELECT_TABLES);
  const missing = tables.filter((table) => !targets.some((target) => target.name === table.name));
  if (missing.length > 0) throw new Error(`the new store has no table ${missing.map((table) => table.name).join(', ')}`);
  // The migrations seed some rows (tiers): the old store's replace them.
  await tx.script(`truncate ${targets.map((target) => target.ident).join(', ')}`);

  for (const table of tables) {
    const columns = table.columns.join(', ');
    try {
      const { blob } = await pglite.query(`copy ${table.ident} (${columns}) to '/dev/blob'`);
      const data = new Uint8Array((await blob?.arrayBuffer()) ?? new ArrayBuffer(0));
      if (data.length > 0) await tx.copyFrom(`copy ${table.ident} (${columns}) from stdin`, data);
    } catch (error) {
      throw new Error(`table ${table.name}: ${(error as Error).message}`, { cause: error });
    }
  }
  for (const sequence of await source.query<{ ident: string }>(SELECT_SEQUENCES)) {
    const [state] = await source.query<{ last_value: string; is_called: boolean }>(`select last_value::text, is_called from ${sequence.ident}`);
    await tx.query(SET_SEQUENCE, [sequence.ident, state!.last_value, state!.is_called]);
  }
  // Statistics for the planner from the first query on, not when autovacuum comes by.
  await tx.script(`analyze ${tables.map((table) => table.ident).join(', ')}`);

  const counts: Record<string, number> = {};
  for (const table of tables) {
    const count = `select count(*)::text as n from ${table.ident}`;
    const [before] = await source.query<{ n: string }>(count);
    const [after] = await tx.query<{ n: string }>(count);
    if (before!.n !== after!.n) throw new Error(`table ${table.name} has ${before!.n} rows in the old store, but ${after!.n} in the new one`);
    counts[table.name] = Number(after!.n);
  }
  return counts;
}
