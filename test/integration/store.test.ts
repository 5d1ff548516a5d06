// The store's contract on each backend: migrations, transactions, errors with SQLSTATE, and
// imports that are all or nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importIocList } from '../../src/ingest/import-list.js';
import { DbError, SQLSTATE } from '../../src/store/db.js';
import { migrate, readMigrations } from '../../src/store/migrate.js';
import { ensureImportSource, SourceError } from '../../src/store/sources.js';
import { BACKENDS, openTestStore, type TestStore } from '../helpers.js';

const count = async (store: TestStore, sql: string, params: unknown[] = []) =>
  (await store.db.query<{ n: number }>(`select count(*)::int as n from ${sql}`, params))[0]!.n;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(BACKENDS)('store on %s', (backend) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(backend);
    await store.db.script('create table probe (x integer primary key, note text)');
  });
  afterAll(async () => {
    await store?.close();
  });

  describe('migrations', () => {
    it('records each applied migration in schema_migrations', async () => {
      const files = readMigrations();
      expect(files.length).toBeGreaterThan(0);
      expect(files[0]).toMatchObject({ version: 1, name: '0001_init' });
      const rows = await store.db.query<{ version: number; name: string; applied_at: Date }>(
        'select version, name, applied_at from schema_migrations order by version',
      );
      expect(rows.map((r) => [r.version, r.name])).toEqual(files.map((m) => [m.version, m.name]));
      for (const row of rows) expect(row.applied_at).toBeInstanceOf(Date);
    });

    it('does nothing when run again', async () => {
      const before = await store.db.query('select version, name, applied_at from schema_migrations order by version');
      expect(await migrate(store.db)).toEqual([]);
      expect(await migrate(store.db)).toEqual([]);
      expect(await store.db.query('select version, name, applied_at from schema_migrations order by version')).toEqual(before);
      // The seeded tiers are still the two of the first migration, not twice as many.
      expect(await count(store, 'tiers')).toBe(2);
    });

    it('applies only the migrations not yet recorded, in order', async () => {
      const extra = [
        { version: 9001, name: '9001_one', sql: 'create table mig_one (x int)' },
        { version: 9002, name: '9002_two', sql: 'alter table mig_one add column y int' },
      ];
      expect(await migrate(store.db, [...readMigrations(), ...extra])).toEqual(['9001_one', '9002_two']);
      expect(await migrate(store.db, [...readMigrations(), ...extra])).toEqual([]);
      await store.db.query('insert into mig_one (x, y) values (1, 2)');
      expect(await count(store, 'schema_migrations where version > 9000')).toBe(2);
    });

    it('applies nothing of a run in which one migration fails', async () => {
      const extra = [
        { version: 9101, name: '9101_fine', sql: 'create table mig_fine (x int)' },
        { version: 9102, name: '9102_broken', sql: 'create table mig_broken (x int); select 1 / 0' },
      ];
      const attempt = migrate(store.db, [...readMigrations(), ...extra]);
      await expect(attempt).rejects.toBeInstanceOf(DbError);
      await expect(attempt).rejects.toMatchObject({ code: '22012' });
      expect(await count(store, 'schema_migrations where version > 9100')).toBe(0);
      expect(await count(store, `information_schema.tables where table_name in ('mig_fine', 'mig_broken')`)).toBe(0);
      // The store still works, and the fixed migration applies.
      extra[1]!.sql = 'create table mig_broken (x int)';
      expect(await migrate(store.db, [...readMigrations(), ...extra])).toEqual(['9101_fine', '9102_broken']);
    });
  });

  describe('transactions', () => {
    it('commits when the function resolves, and returns its value', async () => {
      const result = await store.db.transaction(async (tx) => {
        await tx.query('insert into probe (x, note) values ($1, $2), ($3, $4)', [1, 'one', 2, 'two']);
        return (await tx.query<{ n: number }>('select count(*)::int as n from probe'))[0]!.n;
      });
      expect(result).toBe(2);
      expect(await store.db.query('select x, note from probe order by x')).toEqual([
        { x: 1, note: 'one' },
        { x: 2, note: 'two' },
      ]);
    });

    it('rolls back everything when the function throws, and rethrows its error', async () => {
      const boom = new Error('boom');
      const attempt = store.db.transaction(async (tx) => {
        await tx.query('insert into probe (x) values (10)');
        await tx.query('update probe set note = $1 where x = 1', ['changed']);
        await tx.script('create table half_written (x int)');
        throw boom;
      });
      await expect(attempt).rejects.toBe(boom);
      expect(await store.db.query('select x, note from probe order by x')).toEqual([
        { x: 1, note: 'one' },
        { x: 2, note: 'two' },
      ]);
      expect(await count(store, `information_schema.tables where table_name = 'half_written'`)).toBe(0);
    });

    it('rolls back when a statement fails, with the error as a DbError carrying its SQLSTATE', async () => {
      const attempt = store.db.transaction(async (tx) => {
        await tx.query('insert into probe (x) values (20)');
        await tx.query('insert into probe (x) values (1)');
      });
      await expect(attempt).rejects.toBeInstanceOf(DbError);
      await expect(attempt).rejects.toMatchObject({ code: SQLSTATE.uniqueViolation });
      expect(await count(store, 'probe where x = 20')).toBe(0);
      // The connection is usable afterwards (no transaction left open on it).
      await store.db.query('insert into probe (x) values (20)');
      await store.db.query('delete from probe where x = 20');
      expect(await count(store, 'probe')).toBe(2);
    });

    it('keeps uncommitted rows from queries outside the transaction', async () => {
      const events: string[] = [];
      let outside: Promise<number> | undefined;
      await expect(
        store.db.transaction(async (tx) => {
          await tx.query('insert into probe (x) values (30)');
          outside = count(store, 'probe where x = 30').then((n) => {
            events.push('outside query answered');
            return n;
          });
          await sleep(100);
          events.push('transaction still open');
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      // It ran beside the transaction, on another connection, and never saw row 30.
      expect(await outside).toBe(0);
      expect(events).toEqual(['outside query answered', 'transaction still open']);
    });
  });

  describe('errors', () => {
    it('carries SQLSTATE in DbError.code, and the detail', async () => {
      const duplicate = store.db.query(`insert into tiers
        (name, requests_per_minute, requests_per_day, lookback_days, max_limit, list_formats, scopes)
        values ('free', 1, 1, 1, 1, '{json}', '{read:iocs}')`);
      await expect(duplicate).rejects.toBeInstanceOf(DbError);
      await expect(duplicate).rejects.toMatchObject({ code: '23505', detail: expect.stringContaining('free') });
      await expect(store.db.query('selec 1')).rejects.toMatchObject({ name: 'DbError', code: '42601' });
      await expect(store.db.query('select * from no_such_table')).rejects.toMatchObject({ code: '42P01' });
      await expect(store.db.query('select $1::int', ['x'])).rejects.toMatchObject({ code: '22P02' });
      await expect(store.db.script('insert into probe (x) values (1)')).rejects.toMatchObject({ code: '23505' });
    });
  });

  describe('importIocList', () => {
    it('stores nothing of a run that fails half-way', async () => {
      await ensureImportSource(store.db, 'Existing news', 'news');
      const before = {
        sources: await count(store, 'sources'),
        indicators: await count(store, 'indicators'),
        sightings: await count(store, 'sightings'),
      };
      // Two groups: the first is fine; the second names a source that exists with another category.
      const list = JSON.stringify([
        { type: 'domain', value: 'first-group-one.example-bad.com', source: { feed_name: 'Fresh list', category: 'threat-intel' } },
        { type: 'ipv4', value: '203.0.113.77', source: { feed_name: 'Fresh list', category: 'threat-intel' } },
        { type: 'domain', value: 'second-group.example-bad.com', source: { feed_name: 'Existing news', category: 'vendor' } },
      ]);
      const attempt = importIocList(store.db, list);
      await expect(attempt).rejects.toBeInstanceOf(SourceError);
      await expect(attempt).rejects.toThrow(/"Existing news" already exists with category news, not vendor/);
      expect({
        sources: await count(store, 'sources'),
        indicators: await count(store, 'indicators'),
        sightings: await count(store, 'sightings'),
      }).toEqual(before);
      expect(await count(store, `sources where name = 'Fresh list'`)).toBe(0);

      // The same list, the conflict removed, imports whole.
      const fixed = list.replace('"vendor"', '"news"');
      const summary = await importIocList(store.db, fixed);
      expect(summary).toMatchObject({ inserted: 3, updated: 0, rejected: [], sources: ['Fresh list', 'Existing news'] });
      expect(await count(store, 'sightings')).toBe(before.sightings + 3);
    });
  });
});
