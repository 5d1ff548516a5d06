// A run that fails half-way through storing commits nothing of that run: the store is wrapped so
// that the nth statement of the run's transaction fails in the database itself (it is replaced
// by a division by zero), for every n. The failure is recorded as a failed run, the source's
// validators are not advanced, and the next run stores everything: nothing lost, nothing twice.
import { describe, expect, it } from 'vitest';
import { runSource } from '../../src/ingest/pipeline.js';
import type { Db, Queryable } from '../../src/store/db.js';
import { BACKENDS } from '../helpers.js';
import {
  CISA_RSS,
  fakeSource,
  fastRun,
  FEODO_JSON,
  reload,
  runsOf,
  serveFixture,
  sourceCounts,
  storeAndUpstream,
  storedState,
} from './ingest-upstream.js';

/**
 * The store, with the statements of its next transaction recorded; with `failAt`, the nth of
 * them (or those it matches) is swapped for one that fails in the database. Later transactions (the one that records
 * the failure) run as they are.
 */
function instrumented(db: Db, failAt?: number | ((sql: string) => boolean)): { db: Db; statements: string[] } {
  const statements: string[] = [];
  let armed = true;
  const wrapped: Db = {
    ...db,
    transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      if (!armed) return db.transaction(fn);
      armed = false;
      return db.transaction((tx) =>
        fn({
          query<R>(sql: string, params?: readonly unknown[]) {
            statements.push(sql);
            const fail = typeof failAt === 'function' ? failAt(sql) : statements.length === failAt;
            if (fail) return tx.query<R>('select 1 / 0 as boom');
            return tx.query<R>(sql, params);
          },
          script: (sql: string) => tx.script(sql),
        }),
      );
    },
  };
  return { db: wrapped, statements };
}

/** The table a statement writes ("sightings" for an insert into sightings, however phrased), or "read". */
const writes = (sql: string) => /\binsert\s+into\s+(\w+)/i.exec(sql)?.[1] ?? /^\s*update\s+(\w+)/i.exec(sql)?.[1] ?? 'read';

describe.each(BACKENDS)('atomicity of a run on %s', (backend) => {
  const bed = storeAndUpstream(backend);

  it('whichever statement of the run fails, nothing of it is committed and the failure is recorded', async () => {
    const initial = await storedState(bed.store.db);
    const feodoValues = ['162.243.103.246', '50.16.16.211', '34.204.119.63', '178.62.3.223', '27.133.154.218'];
    const storedFeodo = async () =>
      (await bed.store.db.query<{ n: number }>('select count(*)::int as n from indicators where value = any($1)', [feodoValues]))[0]!.n;
    expect(await storedFeodo()).toBe(0);
    const failed: { source: Awaited<ReturnType<typeof fakeSource>>; statement: string }[] = [];
    // Fail statement 1, 2, 3... until the run has fewer statements than that and succeeds.
    for (let n = 1; ; n++) {
      expect(n).toBeLessThan(50);
      const source = await fakeSource(bed.store.db, bed.upstream, 'feodo-json');
      bed.upstream.on(source.path, serveFixture(FEODO_JSON, { etag: '"feodo-v1"' }));
      const { db, statements } = instrumented(bed.store.db, n);
      const summary = await runSource(db, source, fastRun());
      if (summary.outcome === 'ok') {
        // n is one past the last statement: everything is there.
        expect(statements).toHaveLength(n - 1);
        expect(summary).toMatchObject({ new: 5, health: 'healthy' });
        expect(await sourceCounts(bed.store.db, source.id)).toEqual({ sightings: 5, articles: 0 });
        break;
      }
      failed.push({ source, statement: writes(statements[n - 1]!) });
      expect(summary).toMatchObject({ outcome: 'failed', error: `${source.name}: division by zero`, httpStatus: 200 });
      // Nothing of the run anywhere: no indicator, no record (and so no other table changed).
      expect(await storedState(bed.store.db)).toEqual(initial);
      expect(await storedFeodo()).toBe(0);
      // The failure alone is recorded, claiming nothing new.
      expect(await runsOf(bed.store.db, source.id)).toEqual([
        expect.objectContaining({ outcome: 'failed', error: `${source.name}: division by zero`, new: 0, updated: 0, articles: 0 }),
      ]);
      expect(await reload(bed.store.db, source)).toMatchObject({
        health: 'degraded',
        health_reason: `the last run failed: ${source.name}: division by zero`,
        consecutive_failures: 1,
        etag: null,
        last_success_at: null,
        last_new_at: null,
      });
    }
    // Every statement of the transaction was made to fail once: the records and the run's own
    // bookkeeping alike.
    expect(failed.map((f) => f.statement)).toEqual(expect.arrayContaining(['indicators', 'sightings', 'source_runs', 'sources']));

    // A source whose run failed at its very last statement runs again: it sends no validator
    // (none was kept), and stores the whole feed once.
    const { source } = failed.at(-1)!;
    const again = await runSource(bed.store.db, await reload(bed.store.db, source), fastRun());
    expect(bed.upstream.requestsTo(source.path).at(-1)!.headers['if-none-match']).toBeUndefined();
    expect(again).toMatchObject({ outcome: 'ok', new: 5, updated: 0 });
    expect(await sourceCounts(bed.store.db, source.id)).toEqual({ sightings: 5, articles: 0 });
    expect(await reload(bed.store.db, source)).toMatchObject({ etag: '"feodo-v1"', consecutive_failures: 0 });
  });

  it('an RSS run that fails at its last statement stores no article and no record; the next run stores them all', async () => {
    const source = await fakeSource(bed.store.db, bed.upstream, 'rss', { category: 'government' });
    bed.upstream.on(source.path, serveFixture(CISA_RSS));
    const before = await storedState(bed.store.db);
    // The last statement of a run updates the source's state: everything else is written by then.
    const { db, statements } = instrumented(bed.store.db, (sql) => writes(sql) === 'sources');
    const summary = await runSource(db, source, fastRun());
    expect(summary).toMatchObject({ outcome: 'failed', error: `${source.name}: division by zero` });
    expect(writes(statements.at(-1)!)).toBe('sources');
    expect(statements.filter((sql) => writes(sql) === 'articles')).toHaveLength(5);
    expect(statements.some((sql) => writes(sql) === 'sightings')).toBe(true);
    expect(await storedState(bed.store.db)).toEqual(before);
    expect(await sourceCounts(bed.store.db, source.id)).toEqual({ sightings: 0, articles: 0 });
    expect(await runsOf(bed.store.db, source.id)).toEqual([expect.objectContaining({ outcome: 'failed', new: 0, articles: 0 })]);

    // The articles were not kept, so the next run reads them all again.
    const again = await runSource(bed.store.db, await reload(bed.store.db, source), fastRun());
    expect(again).toMatchObject({ outcome: 'ok', articles: 5 });
    expect(again.new).toBeGreaterThan(0);
    expect(await sourceCounts(bed.store.db, source.id)).toEqual({ sightings: again.new, articles: 5 });
  });

});
