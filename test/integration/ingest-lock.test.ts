// The per-source lock: while a run of a source is in progress, another run of the same source
// is skipped (it neither fetches nor records anything) — within one process on either backend,
// and on PostgreSQL across two instances (two Db connections to one database), through the
// advisory lock. Once the run ends the lock is free again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSource, type RunSummary } from '../../src/ingest/pipeline.js';
import type { Db } from '../../src/store/db.js';
import { openStore } from '../../src/store/open.js';
import { BACKENDS, testConfig } from '../helpers.js';
import { fakeSource, fastRun, FEODO_JSON, gate, reload, runsOf, serveFixture, sourceCounts, storeAndUpstream } from './ingest-upstream.js';

/** Fails (instead of hanging on the held upstream) if a second fetch of the source arrives. */
function noSecondFetch(held: ReturnType<typeof gate>): Promise<never> {
  return held.arrivals(2).then(() => {
    held.release();
    throw new Error('both runs fetched the source: the lock let them through');
  });
}

describe.each(BACKENDS)('source lock on %s', (backend) => {
  const bed = storeAndUpstream(backend);

  it('within one Db: a second run of a source in progress is skipped, and the lock is free once it ends', async () => {
    const source = await fakeSource(bed.store.db, bed.upstream, 'feodo-json');
    const held = gate(serveFixture(FEODO_JSON));
    bed.upstream.on(source.path, held.handler);

    const first = runSource(bed.store.db, source, fastRun());
    await held.arrived;
    // The first run holds the lock (it is fetching): the second returns at once.
    const second = await Promise.race([runSource(bed.store.db, source, fastRun()), noSecondFetch(held)]);
    expect(second).toMatchObject({ source: source.name, outcome: 'skipped', health: null, healthReason: null });
    held.release();
    expect(await first).toMatchObject({ outcome: 'ok', new: 5 });

    expect(bed.upstream.requestsTo(source.path)).toHaveLength(1);
    // A skipped run leaves no trace: one run recorded, five records.
    expect(await runsOf(bed.store.db, source.id)).toEqual([expect.objectContaining({ outcome: 'ok', new: 5 })]);
    expect(await sourceCounts(bed.store.db, source.id)).toEqual({ sightings: 5, articles: 0 });

    // Released: the next run runs.
    const third = await runSource(bed.store.db, await reload(bed.store.db, source), fastRun());
    expect(third).toMatchObject({ outcome: 'ok', new: 0, updated: 5 });
  });

  it('the lock is per source: two sources run at the same time', async () => {
    const one = await fakeSource(bed.store.db, bed.upstream, 'feodo-json');
    const two = await fakeSource(bed.store.db, bed.upstream, 'feodo-json');
    const heldOne = gate(serveFixture(FEODO_JSON));
    const heldTwo = gate(serveFixture(FEODO_JSON));
    bed.upstream.on(one.path, heldOne.handler);
    bed.upstream.on(two.path, heldTwo.handler);
    const runs = [runSource(bed.store.db, one, fastRun()), runSource(bed.store.db, two, fastRun())];
    // Both are fetching at once.
    await Promise.all([heldOne.arrived, heldTwo.arrived]);
    heldOne.release();
    heldTwo.release();
    expect((await Promise.all(runs)).map((r) => r.outcome)).toEqual(['ok', 'ok']);
  });

  it('a run works from the source as it is once the lock is held, not as it was when it was listed', async () => {
    // Two schedulers list the source as due; one runs it; the other gets the lock afterwards
    // with the row it listed before: it must still send the validators the first run stored,
    // and count the first run's failures.
    const source = await fakeSource(bed.store.db, bed.upstream, 'feodo-json');
    bed.upstream.on(source.path, serveFixture(FEODO_JSON, { etag: '"listed-before"' }));
    const listed = await reload(bed.store.db, source);
    expect((await runSource(bed.store.db, listed, fastRun())).outcome).toBe('ok');
    const late = await runSource(bed.store.db, listed, fastRun());
    expect(bed.upstream.requestsTo(source.path)[1]!.headers['if-none-match']).toBe('"listed-before"');
    expect(late.outcome).toBe('not_modified');

    bed.upstream.on(source.path, (_req, res) => res.writeHead(500).end());
    const beforeFailures = await reload(bed.store.db, source);
    await runSource(bed.store.db, beforeFailures, fastRun());
    await runSource(bed.store.db, beforeFailures, fastRun());
    expect(await reload(bed.store.db, source)).toMatchObject({ consecutive_failures: 2, health: 'error' });
  });

  it('a run that fails releases the lock', async () => {
    const source = await fakeSource(bed.store.db, bed.upstream, 'feodo-json');
    bed.upstream.on(source.path, (_req, res) => res.writeHead(500).end(), serveFixture(FEODO_JSON));
    expect((await runSource(bed.store.db, source, fastRun())).outcome).toBe('failed');
    expect((await runSource(bed.store.db, await reload(bed.store.db, source), fastRun())).outcome).toBe('ok');
  });

  {
    describe('two instances on one database', () => {
      let other: Db;
      beforeAll(async () => {
        // A second instance: its own pool of connections to the same database.
        other = await openStore(bed.store.config, 'second instance');
      });
      afterAll(async () => {
        await other?.close();
      });

      it('started together, one runs and the other is skipped', async () => {
        const source = await fakeSource(bed.store.db, bed.upstream, 'feodo-json');
        const held = gate(serveFixture(FEODO_JSON));
        bed.upstream.on(source.path, held.handler);
        const a = runSource(bed.store.db, source, fastRun());
        const b = runSource(other, source, fastRun());
        // The skipped one returns while the other is still held at the upstream.
        const firstDone = await Promise.race([a, b, noSecondFetch(held)]);
        expect(firstDone.outcome).toBe('skipped');
        held.release();
        const outcomes = (await Promise.all([a, b])).map((r: RunSummary) => r.outcome);
        expect(outcomes.sort()).toEqual(['ok', 'skipped']);
        expect(bed.upstream.requestsTo(source.path)).toHaveLength(1);
        expect(await runsOf(bed.store.db, source.id)).toHaveLength(1);
        expect(await sourceCounts(bed.store.db, source.id)).toEqual({ sightings: 5, articles: 0 });
      });

      it('an instance whose run is in progress makes the other skip; the other runs it once it is done', async () => {
        const source = await fakeSource(bed.store.db, bed.upstream, 'feodo-json');
        const held = gate(serveFixture(FEODO_JSON));
        bed.upstream.on(source.path, held.handler);
        const running = runSource(other, source, fastRun());
        await held.arrived;
        expect(await Promise.race([runSource(bed.store.db, source, fastRun()), noSecondFetch(held)])).toMatchObject({ outcome: 'skipped' });
        held.release();
        expect(await running).toMatchObject({ outcome: 'ok', new: 5 });
        // The advisory lock was released with the run: this instance now gets it.
        expect(await runSource(bed.store.db, await reload(bed.store.db, source), fastRun())).toMatchObject({ outcome: 'ok', updated: 5 });
        expect((await runsOf(bed.store.db, source.id)).map((r) => r.outcome)).toEqual(['ok', 'ok']);
      });
    });

    it('holding the lock does not starve the run of connections, even with a pool of one', async () => {
      // The lock's session used to come from the query pool: with PG_POOL_SIZE at or below
      // the runs at once, every connection held a lock and every run waited for a connection.
      const small = await openStore(testConfig({ DATA_DIR: bed.store.config.dataDir, DATABASE_URL: bed.store.config.databaseUrl!, PG_POOL_SIZE: '1' }), 'small pool');
      try {
        const sources = [await fakeSource(small, bed.upstream, 'feodo-json'), await fakeSource(small, bed.upstream, 'feodo-json')];
        for (const s of sources) bed.upstream.on(s.path, serveFixture(FEODO_JSON));
        let timer: NodeJS.Timeout | undefined;
        const stuck = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('the runs are stuck waiting for a connection')), 15_000);
        });
        const summaries = await Promise.race([Promise.all(sources.map((s) => runSource(small, s, fastRun()))), stuck]).finally(() =>
          clearTimeout(timer),
        );
        expect(summaries.map((r) => [r.outcome, r.new])).toEqual([
          ['ok', 5],
          ['ok', 5],
        ]);
      } finally {
        await small.close();
      }
    });
  }
});
