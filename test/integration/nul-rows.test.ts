// A NUL (0x00) in a feed's or a list's text: PostgreSQL refuses it in text, so the row that holds
// one is rejected with that reason before it reaches a statement, and nothing else is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importIocList } from '../../src/ingest/import-list.js';
import { runSource } from '../../src/ingest/pipeline.js';
import { syncSourceCatalogue } from '../../src/ingest/setup.js';
import { findSource } from '../../src/store/sources.js';
import { BACKENDS, openTestStore, readFixture, type TestStore } from '../helpers.js';

const count = async (store: TestStore, sql: string) => (await store.db.query<{ n: number }>(`select count(*)::int as n from ${sql}`))[0]!.n;

describe.each(BACKENDS)('rows holding a NUL on %s', (backend) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(backend);
    await syncSourceCatalogue(store.db);
  });
  afterAll(async () => {
    await store?.close();
  });

  it('a feed run rejects the one record with a NUL and stores the others', async () => {
    // The real ThreatFox export, with a NUL put into the tags of its first record.
    const body = readFixture('feeds/threatfox-export-json-recent-2026-07-24-first1000.json').replace('"tags": "vidar"', '"tags": "vi\\u0000dar"');
    const source = (await findSource(store.db, 'ThreatFox'))!;
    const clean = await runSource(store.db, source, { body: readFixture('feeds/threatfox-export-json-recent-2026-07-24-first1000.json'), fetchArticlePages: false, scheduled: false });
    await store.db.query('delete from sightings');
    const run = await runSource(store.db, (await findSource(store.db, 'ThreatFox'))!, { body, fetchArticlePages: false, scheduled: false });
    expect(run.outcome).toBe('ok');
    expect(run.rejected).toBe((clean.rejected ?? 0) + 1);
    expect(run.rejectedSamples).toContainEqual({ at: expect.any(Number), value: 'https://sup.merahsm188.top/', reason: expect.stringContaining('NUL') });
    expect(await count(store, 'sightings')).toBe((clean.new ?? 0) - 1);
  });

  it('an import rejects the one item with a NUL and stores the others', async () => {
    const list = JSON.stringify([
      { type: 'domain', value: 'nul-free-one.example-bad.com' },
      { type: 'domain', value: 'nul-bearing.example-bad.com', context: 'seen in \u0000 a campaign' },
      { type: 'ipv4', value: '203.0.113.91' },
    ]);
    const summary = await importIocList(store.db, list, { source: 'NUL test list' });
    expect(summary.inserted).toBe(2);
    expect(summary.rejected).toEqual([{ at: 2, value: 'nul-bearing.example-bad.com', reason: expect.stringContaining('NUL') }]);
  });
});
