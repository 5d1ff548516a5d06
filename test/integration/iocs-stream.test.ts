// The export reads (src/store/iocs.ts) in small batches against the same reads in one: the
// keyset each full batch carries to the next, the offset of the first, the distinct values and
// indicators, and a reader that stops early (the batch read ahead is dropped cleanly).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importIocList } from '../../src/ingest/import-list.js';
import {
  streamCsvRecords,
  streamIndicatorIds,
  streamRecords,
  streamValues,
  type Page,
  type RecordFilters,
} from '../../src/store/iocs.js';
import { BACKENDS, openTestStore, readFixture, type TestStore } from '../helpers.js';

async function all<T>(batches: AsyncGenerator<T[]>): Promise<{ items: T[]; batches: number }> {
  const items: T[] = [];
  let count = 0;
  for await (const batch of batches) {
    items.push(...batch);
    count++;
  }
  return { items, batches: count };
}

describe.each(BACKENDS)('export reads in batches on %s', (backend) => {
  let store: TestStore;
  const filters: RecordFilters = { since: new Date(Date.now() - 365 * 86_400_000) };
  const everything: Page = { limit: 10_000, offset: 0 };

  beforeAll(async () => {
    store = await openTestStore(backend);
    // The ThreatFox export imported by two teams: 1,868 records of 934 distinct values.
    const text = readFixture('import/threatfox-2026-07-24-values.txt');
    for (const source of ['ThreatFox', 'ThreatFox (SOC mirror)']) await importIocList(store.db, text, { source });
  });
  afterAll(async () => {
    await store?.close();
  });

  it('reads the same records in batches of 7 as in one, from any offset', async () => {
    const whole = (await all(streamRecords(store.db, filters, everything))).items.map((r) => r.id);
    expect(whole).toHaveLength(1868);
    for (const page of [everything, { limit: 1500, offset: 300 }, { limit: 40, offset: 1850 }]) {
      const batched = await all(streamRecords(store.db, filters, page, 7));
      expect(batched.items.map((r) => r.id)).toEqual(whole.slice(page.offset, page.offset + page.limit));
      expect(batched.batches).toBe(Math.ceil(Math.min(page.limit, whole.length - page.offset) / 7));
      const csv = await all(streamCsvRecords(store.db, filters, page, 7));
      expect(csv.items.map((r) => r.id)).toEqual(whole.slice(page.offset, page.offset + page.limit));
    }
  });

  it('reads the same distinct values and indicators in small batches as in one', async () => {
    const values = (await all(streamValues(store.db, filters, everything))).items;
    expect(values).toHaveLength(934);
    expect(new Set(values).size).toBe(934);
    const ids = (await all(streamIndicatorIds(store.db, filters, everything))).items;
    expect(ids.map((i) => i.value)).toEqual(values);
    for (const page of [everything, { limit: 500, offset: 400 }, { limit: 3, offset: 930 }]) {
      const want = values.slice(page.offset, page.offset + page.limit);
      expect((await all(streamValues(store.db, filters, page, 101))).items).toEqual(want);
      expect((await all(streamIndicatorIds(store.db, filters, page, 101))).items.map((i) => i.value)).toEqual(want);
    }
  });

  it('lets a reader stop after the first batch, and the store still answers', async () => {
    for (let i = 0; i < 12; i++) {
      for await (const batch of streamRecords(store.db, filters, everything, 100)) {
        expect(batch).toHaveLength(100);
        break;
      }
      for await (const batch of streamValues(store.db, filters, everything, 100)) {
        expect(batch.length).toBeGreaterThan(0);
        break;
      }
    }
    expect((await all(streamRecords(store.db, filters, { limit: 5, offset: 0 }))).items).toHaveLength(5);
  });
});
