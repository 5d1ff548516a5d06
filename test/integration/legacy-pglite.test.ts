// Upgrading from the PGlite store: the first open of the embedded PostgreSQL moves the data of
// DATA_DIR/pglite into it, once, and keeps the old folder under another name; a new store that
// already has data of its own is never merged into.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { importIocList } from '../../src/ingest/import-list.js';
import { runSource } from '../../src/ingest/pipeline.js';
import { syncSourceCatalogue } from '../../src/ingest/setup.js';
import { parseIoc } from '../../src/ioc/index.js';
import type { Db } from '../../src/store/db.js';
import { EmbeddedStoreError } from '../../src/store/embedded/error.js';
import { useEmbeddedServer } from '../../src/store/embedded/server.js';
import { createApiKey, findApiKey, generateApiKey, hashApiKey, recordKeyUsage, revokeApiKey } from '../../src/store/keys.js';
import { LEGACY_DIR, openPglite, pgliteDb } from '../../src/store/legacy-pglite.js';
import { setAllowListed } from '../../src/store/lifecycle.js';
import { migrate, readMigrations, type Migration } from '../../src/store/migrate.js';
import { openStore, type Store } from '../../src/store/open.js';
import { ensureImportSource, findSource } from '../../src/store/sources.js';
import { refreshStats } from '../../src/store/stats.js';
import { readFixture, startTestApp, tempDir, testConfig, type TestApp } from '../helpers.js';

/** The tables of the data model (ARCHITECTURE.md), schema_migrations aside. */
const TABLES = [
  'allow_list', 'api_key_usage', 'api_keys', 'article_ioc_counts', 'article_references', 'articles', 'change_history', 'indicators', 'ioc_changes',
  'lifecycle_due', 'lifetimes', 'sightings', 'source_runs', 'sources', 'stats_cache', 'stix_versions', 'tiers',
];
/** Catalogue source → a real capture of its feed. */
const FEEDS: [string, string][] = [
  ['ThreatFox', 'feeds/threatfox-export-json-recent-2026-07-24-first1000.json'],
  ['URLhaus', 'feeds/urlhaus-csv-online-2026-08-18-head.csv'],
  ['Feodo Tracker', 'feeds/feodotracker-ipblocklist-2026-07-24.json'],
  ['CISA Cybersecurity Advisories', 'feeds/cisa-cybersecurity-advisories-2025-07-24-subset.xml'],
];

type Contents = Record<string, { rows: number; digest: string }>;

/** Each table's row count and a digest of its rows' text, the same on PGlite and the server. */
async function contents(db: Db, tables = TABLES): Promise<Contents> {
  return db.transaction(async (tx) => {
    await tx.script("set local timezone = 'UTC'");
    const result: Contents = {};
    for (const table of tables) {
      const [row] = await tx.query<{ rows: number; digest: string }>(
        `select count(*)::int as rows, md5(coalesce(string_agg(t::text, E'\\n' order by t::text collate "C"), '')) as digest from ${table} t`,
      );
      result[table] = row!;
    }
    return result;
  });
}

/** An earlier version's store in DATA_DIR/pglite, written through the store's own code. */
async function makeLegacyStore<T>(dataDir: string, fill: (db: Db) => Promise<T>, migrations: Migration[] = readMigrations()): Promise<T> {
  const db = pgliteDb(await openPglite(path.join(dataDir, LEGACY_DIR)));
  try {
    await migrate(db, migrations);
    return await fill(db);
  } finally {
    await db.close();
  }
}

/** Reads the PGlite folder at `dir` and closes it. */
async function readPglite<T>(dir: string, read: (db: Db) => Promise<T>): Promise<T> {
  const db = pgliteDb(await openPglite(dir));
  try {
    return await read(db);
  } finally {
    await db.close();
  }
}

describe('the store of an earlier version (DATA_DIR/pglite)', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  /** A folder removed after the test, and the DATA_DIR inside it. */
  const workDir = () => {
    const root = tempDir('socd-legacy-');
    cleanups.push(() => fs.rmSync(root, { recursive: true, force: true }));
    const dataDir = path.join(root, 'data');
    fs.mkdirSync(dataDir);
    return { root, dataDir };
  };
  // Each store is closed once: by the test, or after it (close() stops the embedded server).
  const opened = new Set<Store>();
  const open = async (dataDir: string): Promise<Store> => {
    const store = await openStore(testConfig({ DATA_DIR: dataDir }), 'test');
    opened.add(store);
    cleanups.push(() => close(store));
    return store;
  };
  const close = async (store: Store) => {
    if (opened.delete(store)) await store.close();
  };

  it('moves every row into the new store, once: keys still authenticate, search finds the records', async () => {
    const { dataDir } = workDir();
    const legacy = path.join(dataDir, LEGACY_DIR);
    const old = await makeLegacyStore(dataDir, async (db) => {
      await syncSourceCatalogue(db);
      for (const [name, file] of FEEDS) {
        const run = await runSource(db, (await findSource(db, name))!, { body: readFixture(file), fetchArticlePages: false, scheduled: false });
        expect(run.outcome, name).toBe('ok');
      }
      await importIocList(db, readFixture('import/operator-list.txt'), { source: 'Operator list' });
      const gateway = parseIoc('203.0.113.77');
      if (gateway.ok) await setAllowListed(db, gateway.ioc, { listed: true, reason: 'our VPN gateway', by: 'operator' }, new Date());
      const analyst = await createApiKey(db, { name: 'analyst', tier: 'pro' });
      const former = await createApiKey(db, { name: 'former', tier: 'free' });
      await revokeApiKey(db, former.info.id);
      await recordKeyUsage(db, [{ keyId: analyst.info.id, day: '2026-01-02', requests: 5 }]);
      await refreshStats(db);
      const [sources] = await db.query<{ max: number }>('select max(id) as max from sources');
      return { analyst: analyst.key, former: former.key, lastSourceId: sources!.max, contents: await contents(db) };
    });
    for (const table of TABLES) expect(old.contents[table]!.rows, table).toBeGreaterThan(0);

    const store = await open(dataDir);
    // Every table, found from the catalogue, with the old store's count, and the same rows.
    // (Nothing is left to publish: every run published its STIX versions.)
    expect(store.legacyImport?.tables).toEqual({ ...Object.fromEntries(TABLES.map((table) => [table, old.contents[table]!.rows])), stix_pending: 0 });
    expect(await contents(store)).toEqual(old.contents);
    const retiredTo = store.legacyImport!.retiredTo;
    expect(path.dirname(retiredTo)).toBe(dataDir);
    expect(path.basename(retiredTo)).toMatch(/^pglite\.imported-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/);
    expect(fs.existsSync(path.join(retiredTo, 'PG_VERSION'))).toBe(true);
    expect(fs.existsSync(legacy)).toBe(false);

    expect(await findApiKey(store, hashApiKey(old.analyst))).toMatchObject({ name: 'analyst', tier: { name: 'pro' } });
    expect(await findApiKey(store, hashApiKey(old.former))).toBeUndefined();

    // As a client sees it: the old key, a search for a ThreatFox value of the fixture.
    const threatfox = JSON.parse(readFixture(FEEDS[0]![1])) as Record<string, { ioc_value: string; ioc_type: string }[]>;
    const domain = Object.values(threatfox).flat().find((entry) => entry.ioc_type === 'domain')!.ioc_value;
    const config = testConfig({ DATA_DIR: dataDir });
    const t: TestApp = await startTestApp({ backend: 'embedded', db: store, config, close: async () => {} });
    let appOpen = true;
    const closeApp = async () => void (appOpen && ((appOpen = false), await t.close()));
    cleanups.push(closeApp);
    const res = await t.app.inject({ url: `/api/v1/iocs/search?q=${encodeURIComponent(domain)}`, headers: { 'x-api-key': old.analyst } });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { data: { found: boolean; match_type: string; matches: { value: string; source: { feed_name: string } }[] } };
    expect(body.data).toMatchObject({ found: true, match_type: 'exact' });
    expect(body.data.matches.map((m) => [m.value, m.source.feed_name])).toContainEqual([domain, 'ThreatFox']);
    expect((await t.app.inject({ url: '/api/v1/iocs?limit=1', headers: { 'x-api-key': old.former } })).statusCode).toBe(401);
    await closeApp();
    await close(store);

    // The next start finds nothing to import and the data as it was.
    const again = await open(dataDir);
    expect(again.legacyImport).toBeUndefined();
    const records = ['indicators', 'sightings', 'articles'];
    expect(await contents(again, records)).toEqual(Object.fromEntries(records.map((table) => [table, old.contents[table]])));
    // The sequences went along: a new source takes the next id, not one already used.
    expect((await ensureImportSource(again, 'Added after the upgrade', 'threat-intel')).id).toBeGreaterThan(old.lastSourceId);
    expect(fs.readdirSync(dataDir).filter((name) => name.startsWith('pglite'))).toEqual([path.basename(retiredTo)]);
  });

  it('brings an older store up to date for the copy, and leaves its folder as the old version wrote it', async () => {
    const { dataDir } = workDir();
    const first = readMigrations().slice(0, 1);
    // Written as 0001's code wrote keys: today's writes columns that 0001 did not have.
    const key = await makeLegacyStore(
      dataDir,
      async (db) => {
        const made = generateApiKey();
        await db.query(`insert into api_keys (name, prefix, key_hash, tier, scopes) values ($1, $2, $3, 'free', '{read:iocs}')`, [
          'from 0001',
          made.slice(0, 12),
          hashApiKey(made),
        ]);
        return made;
      },
      first,
    );

    const store = await open(dataDir);
    expect(store.legacyImport?.tables).toMatchObject({ api_keys: 1, tiers: 2, indicators: 0, source_runs: 0 });
    expect(await findApiKey(store, hashApiKey(key))).toMatchObject({ name: 'from 0001', tier: { name: 'free' } });
    await close(store);

    const versions = await readPglite(store.legacyImport!.retiredTo, (db) => db.query<{ version: number }>('select version from schema_migrations'));
    expect(versions.map((row) => row.version)).toEqual(first.map((migration) => migration.version));
  });

  it('refuses to merge into a new store that has data of its own, and leaves both as they were', async () => {
    const { root, dataDir } = workDir();
    const legacy = path.join(dataDir, LEGACY_DIR);
    const fresh = await open(dataDir);
    const own = await createApiKey(fresh, { name: 'made on the new store', tier: 'free' });
    await close(fresh);
    const oldKey = await makeLegacyStore(dataDir, async (db) => {
      await importIocList(db, readFixture('import/operator-list.txt'), { source: 'Operator list' });
      const gateway = parseIoc('203.0.113.77');
      if (gateway.ok) await setAllowListed(db, gateway.ioc, { listed: true, reason: 'our VPN gateway', by: 'operator' }, new Date());
      return (await createApiKey(db, { name: 'old', tier: 'pro' })).key;
    });

    const refused = await openStore(testConfig({ DATA_DIR: dataDir }), 'test').then(
      async (store) => {
        await store.close();
        throw new Error('the store opened');
      },
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(EmbeddedStoreError);
    const message = (refused as Error).message;
    expect(message).toContain(legacy);
    expect(message).toMatch(/data of its own \(rows in api_keys\)/);
    expect(message).toContain('socd migrate');
    expect(fs.existsSync(path.join(legacy, 'PG_VERSION'))).toBe(true);

    // Moved aside, as the message says, the old folder is intact and the new store unchanged.
    const aside = path.join(root, 'old-pglite');
    fs.renameSync(legacy, aside);
    const oldKeys = await readPglite(aside, (db) => db.query<{ name: string }>('select name from api_keys'));
    expect(oldKeys.map((row) => row.name)).toEqual(['old']);
    const store = await open(dataDir);
    expect(store.legacyImport).toBeUndefined();
    expect(await findApiKey(store, hashApiKey(own.key))).toMatchObject({ name: 'made on the new store' });
    expect(await findApiKey(store, hashApiKey(oldKey))).toBeUndefined();
    expect(await contents(store, ['api_keys', 'indicators'])).toMatchObject({ api_keys: { rows: 1 }, indicators: { rows: 0 } });
  });

  it('rolls the whole copy back when a table fails, and imports at the next start', async () => {
    const { dataDir } = workDir();
    const legacy = path.join(dataDir, LEGACY_DIR);
    await close(await open(dataDir));
    // On the server's own connection, as an operator's psql: a constraint the old rows break.
    const onServer = async (sql: string) => {
      const server = await useEmbeddedServer(dataDir, 'test');
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      try {
        return (await client.query(sql)).rows;
      } finally {
        await client.end();
        await server.release();
      }
    };
    await onServer(`alter table sightings add constraint no_ipv4 check (type <> 'ipv4')`);
    const key = await makeLegacyStore(dataDir, async (db) => {
      await importIocList(db, readFixture('import/operator-list.txt'), { source: 'Operator list' });
      const gateway = parseIoc('203.0.113.77');
      if (gateway.ok) await setAllowListed(db, gateway.ioc, { listed: true, reason: 'our VPN gateway', by: 'operator' }, new Date());
      return (await createApiKey(db, { name: 'old', tier: 'pro' })).key;
    });

    const failed = await openStore(testConfig({ DATA_DIR: dataDir }), 'test').then(
      async (store) => {
        await store.close();
        throw new Error('the store opened');
      },
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(EmbeddedStoreError);
    expect((failed as Error).message).toMatch(/table sightings: .*no_ipv4/);
    expect((failed as Error).message).toContain('socd migrate');
    expect(fs.existsSync(path.join(legacy, 'PG_VERSION'))).toBe(true);
    // Nothing of the copy stayed, not even the truncation of the seeded tiers.
    const counts = `select (select count(*) from tiers)::int as tiers, (select count(*) from api_keys)::int as api_keys,
      (select count(*) from indicators)::int as indicators`;
    expect(await onServer(counts)).toEqual([{ tiers: 2, api_keys: 0, indicators: 0 }]);

    await onServer('alter table sightings drop constraint no_ipv4');
    const store = await open(dataDir);
    expect(store.legacyImport?.tables).toMatchObject({ api_keys: 1, tiers: 2 });
    expect(await findApiKey(store, hashApiKey(key))).toMatchObject({ name: 'old' });
    expect(fs.existsSync(legacy)).toBe(false);
  });
});
