// Versioned SQL migrations: numbered files in migrations/, applied in order in one
// transaction, each recorded in schema_migrations. Running them again is a no-op.
import fs from 'node:fs';
import type { Db } from './db.js';

// The .sql files stay in src/: from src/store/ and from dist/store/ alike this is the folder.
const MIGRATIONS_DIR = new URL('../../src/store/migrations/', import.meta.url);

// Serialises migrators when several instances start at once on one PostgreSQL server.
const MIGRATION_LOCK_KEY = 7_261_001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function readMigrations(dir: URL = MIGRATIONS_DIR): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((file) => /^\d{4}_[\w-]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 4)),
      name: file.replace(/\.sql$/, ''),
      sql: fs.readFileSync(new URL(file, dir), 'utf8'),
    }));
}

// A migration that changed what users had (not only the schema) says so in this setting, local
// to the transaction: `perform set_config('socd.migration_note', '…', true)`.
const READ_NOTE = `select coalesce(current_setting('socd.migration_note', true), '') as note, set_config('socd.migration_note', '', true)`;

/**
 * Applies the migrations not yet recorded; returns the names of those it applied. `onNote` hears
 * what a migration says it changed, prefixed with its name.
 */
export async function migrate(db: Db, migrations: Migration[] = readMigrations(), onNote?: (note: string) => void): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.script(`create table if not exists schema_migrations (
      version integer primary key,
      name text not null,
      applied_at timestamptz not null default now()
    )`);
    const rows = await tx.query<{ version: number }>('select version from schema_migrations');
    const applied = new Set(rows.map((row) => row.version));
    const names: string[] = [];
    const notes: string[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      await tx.script(migration.sql);
      const [{ note } = { note: '' }] = await tx.query<{ note: string }>(READ_NOTE);
      if (note) notes.push(`migration ${migration.name}: ${note}`);
      await tx.query('insert into schema_migrations (version, name) values ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      names.push(migration.name);
    }
    return { names, notes };
  }).then(({ names, notes }) => {
    // Once committed: a migration rolled back changed nothing.
    for (const note of notes) onNote?.(note);
    return names;
  });
}
