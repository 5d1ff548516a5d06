// The scheduler against a fake upstream: with a short tick it runs each due, enabled source
// once (not a disabled one, not one whose interval has not passed), logs each run, keeps going
// when a source fails, and stop() waits for the run in progress.
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { runSource, type RunSummary } from '../../src/ingest/pipeline.js';
import { startScheduler, type Scheduler } from '../../src/ingest/scheduler.js';
import { createLogger } from '../../src/logger.js';
import { dueSources, setSourceEnabled } from '../../src/store/sources.js';
import { BACKENDS, LogCapture } from '../helpers.js';
import { fakeSource, fastRun, FEODO_JSON, gate, runsOf, serveFixture, sourceCounts, status, storeAndUpstream } from './ingest-upstream.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(BACKENDS)('scheduler on %s', (backend) => {
  const bed = storeAndUpstream(backend);
  let logs: LogCapture;
  let scheduler: Scheduler | undefined;
  afterAll(async () => {
    await scheduler?.stop();
  });
  beforeEach(async () => {
    await scheduler?.stop();
    scheduler = undefined;
    logs = new LogCapture();
    // Only the sources a test makes are due: the earlier tests' sources are put out of the way.
    await bed.store.db.query('update sources set enabled = false');
  });

  /** A scheduler ticking every 20 ms; resolves `ran(name)` when that source's run is done. */
  function start(concurrency = 2) {
    const summaries: RunSummary[] = [];
    const waiting = new Map<string, () => void>();
    scheduler = startScheduler(bed.store.db, {
      tickMs: 20,
      concurrency,
      log: createLogger({ logLevel: 'info' }, logs.stream),
      run: fastRun(),
      onRun: (summary) => {
        summaries.push(summary);
        waiting.get(summary.source)?.();
      },
    });
    const ran = (name: string) =>
      summaries.some((s) => s.source === name)
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiting.set(name, resolve));
    return { scheduler, summaries, ran };
  }

  it('runs a due enabled source once; skips a disabled source and one whose interval has not passed', async () => {
    const due = await fakeSource(bed.store.db, bed.upstream, 'feodo-json');
    const disabled = await fakeSource(bed.store.db, bed.upstream, 'feodo-json');
    const recent = await fakeSource(bed.store.db, bed.upstream, 'feodo-json');
    for (const s of [due, disabled, recent]) bed.upstream.on(s.path, serveFixture(FEODO_JSON));
    await setSourceEnabled(bed.store.db, disabled.name, false);
    await bed.store.db.query(`update sources set last_run_at = now() - interval '10 minutes' where id = $1`, [recent.id]);

    const { scheduler, summaries, ran } = start();
    await ran(due.name);
    // More ticks: the source just ran, and its interval (an hour) has not passed.
    await sleep(150);
    await scheduler.tick();
    await scheduler.stop();

    expect(bed.upstream.requestsTo(due.path)).toHaveLength(1);
    expect(bed.upstream.requestsTo(disabled.path)).toHaveLength(0);
    expect(bed.upstream.requestsTo(recent.path)).toHaveLength(0);
    expect(summaries.map((s) => [s.source, s.outcome, s.new])).toEqual([[due.name, 'ok', 5]]);
    expect(await runsOf(bed.store.db, due.id)).toEqual([expect.objectContaining({ outcome: 'ok', new: 5 })]);
    expect(await runsOf(bed.store.db, disabled.id)).toEqual([]);
    expect(await sourceCounts(bed.store.db, due.id)).toEqual({ sightings: 5, articles: 0 });
    expect(logs.lines).toContainEqual(expect.objectContaining({ level: 30, source: due.name, outcome: 'ok', new: 5, health: 'healthy' }));
  });

  it('keeps going when a source fails: the failure is recorded and logged as a warning', async () => {
    const failing = await fakeSource(bed.store.db, bed.upstream, 'feodo-json');
    const fine = await fakeSource(bed.store.db, bed.upstream, 'feodo-json');
    bed.upstream.on(failing.path, status(500));
    bed.upstream.on(fine.path, serveFixture(FEODO_JSON));
    const { scheduler, ran } = start();
    await Promise.all([ran(failing.name), ran(fine.name)]);
    await scheduler.stop();

    expect(await runsOf(bed.store.db, failing.id)).toEqual([
      expect.objectContaining({ outcome: 'failed', http_status: 500, error: `500 from ${failing.name}: server error` }),
    ]);
    expect(await runsOf(bed.store.db, fine.id)).toEqual([expect.objectContaining({ outcome: 'ok', new: 5 })]);
    expect(logs.lines).toContainEqual(
      expect.objectContaining({ level: 40, source: failing.name, outcome: 'failed', error: `500 from ${failing.name}: server error` }),
    );
  });

  it('runs no more sources at once than its concurrency', async () => {
    const sources = [
      await fakeSource(bed.store.db, bed.upstream, 'feodo-json'),
      await fakeSource(bed.store.db, bed.upstream, 'feodo-json'),
      await fakeSource(bed.store.db, bed.upstream, 'feodo-json'),
    ];
    const gates = sources.map((s) => {
      const held = gate(serveFixture(FEODO_JSON));
      bed.upstream.on(s.path, held.handler);
      return held;
    });
    const { scheduler, ran } = start(1);
    // One source is fetching; ticks go by, and the others wait for it.
    const first = await Promise.race(gates.map((g, i) => g.arrived.then(() => i)));
    await sleep(100);
    expect(sources.map((s) => bed.upstream.requestsTo(s.path).length)).toEqual(sources.map((_, i) => (i === first ? 1 : 0)));
    for (const g of gates) g.release();
    await Promise.all(sources.map((s) => ran(s.name)));
    await scheduler.stop();
    expect(sources.map((s) => bed.upstream.requestsTo(s.path).length)).toEqual([1, 1, 1]);
  });

  it('stop() waits for the run in progress, and nothing runs after it', async () => {
    const source = await fakeSource(bed.store.db, bed.upstream, 'feodo-json');
    const held = gate(serveFixture(FEODO_JSON));
    bed.upstream.on(source.path, held.handler);
    const events: string[] = [];
    const { scheduler } = start();
    const original = scheduler;
    await held.arrived;

    const stopping = original.stop().then(() => events.push('stopped'));
    // While the upstream holds the run, stop() does not return.
    await sleep(100);
    expect(events).toEqual([]);
    events.push('released');
    held.release();
    await stopping;
    expect(events).toEqual(['released', 'stopped']);
    // The run finished and was recorded before stop() returned.
    expect(await runsOf(bed.store.db, source.id)).toEqual([expect.objectContaining({ outcome: 'ok', new: 5 })]);

    // Stopped: a source that becomes due is not run.
    const later = await fakeSource(bed.store.db, bed.upstream, 'feodo-json');
    bed.upstream.on(later.path, serveFixture(FEODO_JSON));
    await sleep(100);
    await original.tick();
    expect(bed.upstream.requestsTo(later.path)).toHaveLength(0);
  });

  it('does not run a source again that another instance ran after listing it as due', async () => {
    const source = await fakeSource(bed.store.db, bed.upstream, 'feodo-json');
    bed.upstream.on(source.path, serveFixture(FEODO_JSON));
    // Both instances listed it as due; the other one ran it first.
    const [listed] = (await dueSources(bed.store.db, new Date())).filter((s) => s.id === source.id);
    expect(listed).toBeDefined();
    await runSource(bed.store.db, listed!, fastRun());

    const late = await runSource(bed.store.db, listed!, fastRun({ onlyIfDue: true }));
    expect(late.outcome).toBe('skipped');
    expect(bed.upstream.requestsTo(source.path)).toHaveLength(1);
    expect(await runsOf(bed.store.db, source.id)).toHaveLength(1);
  });
});
