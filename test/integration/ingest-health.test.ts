// Feed health over a sequence of runs against a fake upstream, as an operator reads it in the
// sources table (health, health_reason, consecutive_failures): healthy → degraded after one
// failure → error after failures in a row → back once it succeeds again; and degraded when a
// feed stops producing new IOCs for longer than its stale_after. Records stored before a
// failure stay as they were.
import { describe, expect, it } from 'vitest';
import { runSource, type RunSummary } from '../../src/ingest/pipeline.js';
import { BACKENDS } from '../helpers.js';
import {
  fakeSource,
  fastRun,
  FEODO_JSON,
  fixture,
  type Handler,
  reload,
  runsOf,
  serve,
  serveFixture,
  sourceCounts,
  status,
  steppingClock,
  storeAndUpstream,
  storedState,
} from './ingest-upstream.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe.each(BACKENDS)('feed health on %s', (backend) => {
  const bed = storeAndUpstream(backend);

  it('healthy → degraded (one failure) → error (failures in a row) → degraded while failures are recent → healthy', async () => {
    const source = await fakeSource(bed.store.db, bed.upstream, 'feodo-json');
    const name = source.name;
    const clock = steppingClock(new Date('2026-07-24T12:00:00Z'));
    const t0 = Date.parse('2026-07-24T12:00:00Z');
    const ok = serveFixture(FEODO_JSON);
    let minute = 0;
    /** One run, ten minutes after the last, with the upstream answering `handler`. */
    const runWith = async (handler: Handler): Promise<RunSummary> => {
      bed.upstream.on(source.path, handler);
      clock.set(new Date(t0 + minute * MINUTE));
      minute += 10;
      return runSource(bed.store.db, await reload(bed.store.db, source), fastRun({ now: clock.now }));
    };
    const state = async () => {
      const row = await reload(bed.store.db, source);
      return { health: row.health, reason: row.health_reason, failures: row.consecutive_failures };
    };

    expect(await runWith(ok)).toMatchObject({ outcome: 'ok', new: 5, health: 'healthy', healthReason: null });
    expect(await state()).toEqual({ health: 'healthy', reason: null, failures: 0 });
    expect(await runWith(ok)).toMatchObject({ outcome: 'ok', new: 0, updated: 5, health: 'healthy' });
    const stored = await storedState(bed.store.db);

    // One failure after successes: degraded, with the cause.
    await runWith(status(500, 'Internal Server Error'));
    expect(await state()).toEqual({ health: 'degraded', reason: `the last run failed: 500 from ${name}: server error`, failures: 1 });
    // Failures in a row: error, naming how many and the latest cause.
    await runWith(status(500));
    expect(await state()).toEqual({ health: 'error', reason: `the last 2 runs failed: 500 from ${name}: server error`, failures: 2 });
    await runWith(serve('{"error": "maintenance"'));
    expect(await state()).toEqual({
      health: 'error',
      reason: expect.stringMatching(new RegExp(`^the last 3 runs failed: malformed feodo-json from ${name}: Feodo Tracker JSON: the body is not valid JSON`)),
      failures: 3,
    });
    // What the source had stored before it failed is still there, unchanged.
    expect(await storedState(bed.store.db)).toEqual(stored);
    expect(await sourceCounts(bed.store.db, source.id)).toEqual({ sightings: 5, articles: 0 });

    // It succeeds again: no longer error; degraded while failures are among its last five runs,
    // with the latest cause and when it was.
    expect(await runWith(ok)).toMatchObject({ outcome: 'ok', health: 'degraded' });
    expect(await state()).toEqual({
      health: 'degraded',
      reason: expect.stringMatching(new RegExp(`^3 of the last 5 runs failed, the latest 10 min ago: malformed feodo-json from ${name}: `)),
      failures: 0,
    });
    await runWith(ok);
    await runWith(ok);
    expect((await state()).reason).toMatch(/^2 of the last 5 runs failed, the latest 30 min ago: /);
    await runWith(ok);
    expect((await state()).reason).toMatch(/^1 of the last 5 runs failed, the latest 40 min ago: /);
    // Five good runs since the last failure: healthy.
    expect(await runWith(ok)).toMatchObject({ outcome: 'ok', health: 'healthy', healthReason: null });
    expect(await state()).toEqual({ health: 'healthy', reason: null, failures: 0 });

    expect((await runsOf(bed.store.db, source.id)).map((r) => r.outcome)).toEqual([
      'ok', 'ok', 'failed', 'failed', 'failed', 'ok', 'ok', 'ok', 'ok', 'ok',
    ]);
    const last = await reload(bed.store.db, source);
    expect(last.last_success_at!.getTime()).toBeGreaterThanOrEqual(t0 + 90 * MINUTE);
  });

  it('a 304 ends a streak of failures: it counts as a successful run', async () => {
    const source = await fakeSource(bed.store.db, bed.upstream, 'feodo-json');
    const clock = steppingClock(new Date('2026-07-24T12:00:00Z'));
    bed.upstream.on(source.path, status(502), status(502), serveFixture(FEODO_JSON, { etag: '"x"' }), serveFixture(FEODO_JSON, { etag: '"x"' }));
    for (let i = 0; i < 4; i++) await runSource(bed.store.db, await reload(bed.store.db, source), fastRun({ now: clock.now }));
    expect((await runsOf(bed.store.db, source.id)).map((r) => r.outcome)).toEqual(['failed', 'failed', 'ok', 'not_modified']);
    expect(await reload(bed.store.db, source)).toMatchObject({ health: 'degraded', consecutive_failures: 0 });
  });

  it('degraded when a feed brings nothing new for longer than its stale_after, healthy when it does again', async () => {
    const source = await fakeSource(bed.store.db, bed.upstream, 'feodo-json', { staleAfterSeconds: 3600 });
    const full = fixture(FEODO_JSON);
    const firstThree = JSON.stringify((JSON.parse(full) as unknown[]).slice(0, 3), null, 4);
    const t0 = Date.parse('2026-07-24T12:00:00Z');
    const clock = steppingClock(new Date(t0));
    const runAt = async (offsetMs: number, handler: Handler) => {
      bed.upstream.on(source.path, handler);
      clock.set(new Date(t0 + offsetMs));
      return runSource(bed.store.db, await reload(bed.store.db, source), fastRun({ now: clock.now }));
    };

    expect(await runAt(0, serve(firstThree))).toMatchObject({ outcome: 'ok', new: 3, health: 'healthy' });
    // The same three entries half an hour later: nothing new, but within the hour expected.
    expect(await runAt(30 * MINUTE, serve(firstThree))).toMatchObject({ outcome: 'ok', new: 0, health: 'healthy' });
    // Two hours on, still nothing new: degraded, saying for how long.
    const stale = await runAt(2 * HOUR, serve(firstThree));
    expect(stale).toMatchObject({ outcome: 'ok', new: 0, health: 'degraded', healthReason: 'nothing new for 2 h (expected within 60 min)' });
    expect(await reload(bed.store.db, source)).toMatchObject({ health: 'degraded', health_reason: 'nothing new for 2 h (expected within 60 min)' });
    // A 304 brings nothing new either.
    expect(await runAt(3 * HOUR, serve(firstThree, { etag: '"same"' }))).toMatchObject({ health: 'degraded' });
    expect(await runAt(4 * HOUR, serve(firstThree, { etag: '"same"' }))).toMatchObject({
      outcome: 'not_modified',
      health: 'degraded',
      healthReason: 'nothing new for 4 h (expected within 60 min)',
    });
    // The feed moves on: two new entries, healthy again.
    expect(await runAt(5 * HOUR, serve(full))).toMatchObject({ outcome: 'ok', new: 2, updated: 3, health: 'healthy', healthReason: null });
    expect((await reload(bed.store.db, source)).last_new_at!.toISOString()).toBe(new Date(t0 + 5 * HOUR + 1000).toISOString());
  });
});
