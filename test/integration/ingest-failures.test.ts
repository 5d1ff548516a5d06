// runSource against an upstream that fails in each of the ways real feeds do (server errors,
// rate limits, a missing or rejected credential, no answer, a cut-off, malformed or oversized
// body): a failed run is recorded with the cause in words, the source's health says so, and
// nothing of the failed run is stored. Credentials never reach a run record, an error or a log.
import { beforeAll, describe, expect, it } from 'vitest';
import { runSource, type RunOptions } from '../../src/ingest/pipeline.js';
import { logRun } from '../../src/ingest/scheduler.js';
import { syncSourceCatalogue } from '../../src/ingest/setup.js';
import { createLogger } from '../../src/logger.js';
import { findSource, listSourceStatus } from '../../src/store/sources.js';
import { BACKENDS, LogCapture } from '../helpers.js';
import {
  fakeSource,
  fastRun,
  FEODO_CSV,
  FEODO_JSON,
  fixture,
  type Handler,
  hang,
  runsOf,
  serve,
  serveFixture,
  sourceCounts,
  status,
  storeAndUpstream,
  storedState,
  THREATFOX_JSON,
  truncated,
} from './ingest-upstream.js';

interface FailureCase {
  what: string;
  kind: string;
  handlers: Handler[];
  options?: RunOptions;
  /** The server sees this many requests. */
  attempts: number;
  httpStatus: number | null;
  /** The cause in words, given the source's name. */
  error: (name: string) => string | RegExp;
}

const FEODO_SIZE = Buffer.byteLength(fixture(FEODO_JSON));

const FAILURES: FailureCase[] = [
  {
    what: 'a 500 on every attempt',
    kind: 'feodo-json',
    handlers: [status(500, 'Internal Server Error')],
    options: fastRun({ fetch: { attempts: 3, backoffMs: 5 } }),
    attempts: 3,
    httpStatus: 500,
    error: (name) => `500 from ${name}: server error`,
  },
  {
    what: 'a 503 on every attempt',
    kind: 'feodo-json',
    handlers: [status(503)],
    options: fastRun({ fetch: { attempts: 2, backoffMs: 5 } }),
    attempts: 2,
    httpStatus: 503,
    error: (name) => `503 from ${name}: service unavailable`,
  },
  {
    what: 'a server that never answers',
    kind: 'feodo-json',
    handlers: [hang],
    options: fastRun({ fetch: { timeoutMs: 150, attempts: 2, backoffMs: 5 } }),
    attempts: 2,
    httpStatus: null,
    error: (name) => `cannot reach ${name}: no answer within 150 ms`,
  },
  {
    what: 'a body cut off before its Content-Length',
    kind: 'feodo-json',
    handlers: [truncated(fixture(FEODO_JSON))],
    options: fastRun({ fetch: { attempts: 2, backoffMs: 5 } }),
    attempts: 2,
    httpStatus: 200,
    error: (name) => `the response was cut off from ${name}`,
  },
  {
    what: 'JSON cut short (a complete response of an incomplete file)',
    kind: 'feodo-json',
    handlers: [serve(fixture(FEODO_JSON).slice(0, 900))],
    attempts: 1,
    httpStatus: 200,
    error: (name) => new RegExp(`^malformed feodo-json from ${name}: Feodo Tracker JSON: the body is not valid JSON \\(truncated\\?\\): `),
  },
  {
    what: 'an HTML error page with status 200',
    kind: 'threatfox-json',
    handlers: [serve('<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>', { contentType: 'text/html' })],
    attempts: 1,
    httpStatus: 200,
    error: (name) => `malformed threatfox-json from ${name}: ThreatFox JSON: the body is an HTML page, not JSON`,
  },
  {
    what: 'a CSV with the wrong columns (Feodo Tracker CSV served as URLhaus CSV)',
    kind: 'urlhaus-csv',
    handlers: [serveFixture(FEODO_CSV, { contentType: 'text/csv' })],
    attempts: 1,
    httpStatus: 200,
    error: (name) => new RegExp(`^malformed urlhaus-csv from ${name}: URLhaus CSV: no header line`),
  },
  {
    what: 'an empty body',
    kind: 'feodo-json',
    handlers: [serve('')],
    attempts: 1,
    httpStatus: 200,
    error: (name) => `malformed feodo-json from ${name}: Feodo Tracker JSON: the body is empty`,
  },
  {
    what: 'a response over the size cap (declared)',
    kind: 'feodo-json',
    handlers: [serveFixture(FEODO_JSON)],
    options: fastRun({ fetch: { maxBytes: 1000, attempts: 3, backoffMs: 5 } }),
    attempts: 1,
    httpStatus: 200,
    error: (name) => `response from ${name} is ${FEODO_SIZE} bytes, over the 1000-byte cap`,
  },
  {
    what: 'a response over the size cap (chunked, no Content-Length)',
    kind: 'feodo-json',
    handlers: [serveFixture(FEODO_JSON, { chunkSize: 200 })],
    options: fastRun({ fetch: { maxBytes: 1000 } }),
    attempts: 1,
    httpStatus: 200,
    error: (name) => `response from ${name} exceeds the 1000-byte cap`,
  },
];

describe.each(BACKENDS)('ingestion failures on %s', (backend) => {
  const bed = storeAndUpstream(backend);

  it.each(FAILURES)('$what: a failed run with the cause in words, nothing stored', async (c) => {
    const source = await fakeSource(bed.store.db, bed.upstream, c.kind);
    bed.upstream.on(source.path, ...c.handlers);
    const before = await storedState(bed.store.db);

    const summary = await runSource(bed.store.db, source, c.options ?? fastRun());

    const expected = c.error(source.name);
    expect(summary.outcome).toBe('failed');
    expect(summary.error).toMatch(expected);
    expect(summary.httpStatus ?? null).toBe(c.httpStatus);
    expect(bed.upstream.requestsTo(source.path)).toHaveLength(c.attempts);
    // The failure is recorded as a run, with its cause.
    const runs = await runsOf(bed.store.db, source.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ outcome: 'failed', http_status: c.httpStatus, new: 0, updated: 0, parsed: 0 });
    expect(runs[0]!.error).toMatch(expected);
    // One failure: degraded, and the reason quotes the cause.
    const stored = (await findSource(bed.store.db, source.name))!;
    expect(stored.health).toBe('degraded');
    expect(stored.health_reason).toBe(`the last run failed: ${summary.error}`);
    expect(stored.consecutive_failures).toBe(1);
    expect(stored.last_success_at).toBeNull();
    expect(stored.etag).toBeNull();
    expect(summary).toMatchObject({ health: 'degraded', healthReason: stored.health_reason });
    // Nothing of the run is stored.
    expect(await sourceCounts(bed.store.db, source.id)).toEqual({ sightings: 0, articles: 0 });
    expect(await storedState(bed.store.db)).toEqual(before);
  });

  it('retries a 429 and a 503, then stores the feed as if nothing had happened', async () => {
    const source = await fakeSource(bed.store.db, bed.upstream, 'feodo-json');
    bed.upstream.on(source.path, status(429, 'rate limited'), status(503), serveFixture(FEODO_JSON));
    const summary = await runSource(bed.store.db, source, fastRun({ fetch: { attempts: 3, backoffMs: 5 } }));
    expect(bed.upstream.requestsTo(source.path)).toHaveLength(3);
    expect(summary).toMatchObject({ outcome: 'ok', httpStatus: 200, fetched: 5, parsed: 5, new: 5, updated: 0, health: 'healthy' });
    expect(await runsOf(bed.store.db, source.id)).toEqual([expect.objectContaining({ outcome: 'ok', http_status: 200, error: null, new: 5 })]);
    expect(await sourceCounts(bed.store.db, source.id)).toEqual({ sightings: 5, articles: 0 });
    expect((await findSource(bed.store.db, source.name))!).toMatchObject({ health: 'healthy', health_reason: null, consecutive_failures: 0 });
  });

  it('a source that is not there: 404 in words, not retried', async () => {
    const source = await fakeSource(bed.store.db, bed.upstream, 'feodo-json');
    bed.upstream.on(source.path, status(404));
    const summary = await runSource(bed.store.db, source, fastRun({ fetch: { attempts: 3, backoffMs: 5 } }));
    expect(bed.upstream.requestsTo(source.path)).toHaveLength(1);
    expect(summary.error).toBe(`404 from ${source.name}: not found (has the feed moved?)`);
  });

  describe('credentials (the catalogue ThreatFox, pointed at the fake)', () => {
    const SECRET = 'c0ffee-test-auth-key-5e3c2e7';
    let logs: LogCapture;
    let log: ReturnType<typeof createLogger>;
    let path: string;

    beforeAll(async () => {
      await syncSourceCatalogue(bed.store.db);
      path = '/threatfox/export/json/recent/';
      await bed.store.db.query(`update sources set url = $1 where name = 'ThreatFox'`, [bed.upstream.url(path)]);
      logs = new LogCapture();
      log = createLogger({ logLevel: 'debug' }, logs.stream);
    });

    /** ThreatFox as abuse.ch runs it: 401 without the right Auth-Key. */
    const threatfox: Handler = (req, res) => {
      if (req.headers['auth-key'] !== SECRET) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"query_status":"unknown_auth_key"}');
        return;
      }
      serveFixture(THREATFOX_JSON)(req, res);
    };

    async function runThreatfox(env: Record<string, string | undefined>) {
      bed.upstream.on(path, threatfox);
      const source = (await findSource(bed.store.db, 'ThreatFox'))!;
      expect(source).toMatchObject({ auth_header: 'Auth-Key', auth_env: 'ABUSECH_AUTH_KEY' });
      const summary = await runSource(bed.store.db, source, fastRun({ env, fetch: { attempts: 3, backoffMs: 5 } }));
      logRun(log, summary);
      return { summary, source };
    }

    /** Everything a user or an operator could read about the source and its runs. */
    async function everythingRecorded(sourceId: number): Promise<string> {
      const rows = await bed.store.db.query(
        `select (select json_agg(r) from source_runs r where r.source_id = $1) as runs,
                (select row_to_json(s) from sources s where s.id = $1) as source`,
        [sourceId],
      );
      return JSON.stringify(rows) + JSON.stringify(await listSourceStatus(bed.store.db));
    }

    it('without ABUSECH_AUTH_KEY: "401 from ThreatFox: Auth-Key missing (set ABUSECH_AUTH_KEY)", not retried', async () => {
      const requestsBefore = bed.upstream.requestsTo(path).length;
      const { summary, source } = await runThreatfox({});
      const requests = bed.upstream.requestsTo(path).slice(requestsBefore);
      expect(requests).toHaveLength(1);
      expect(requests[0]!.headers['auth-key']).toBeUndefined();
      expect(summary).toMatchObject({ outcome: 'failed', httpStatus: 401, error: '401 from ThreatFox: Auth-Key missing (set ABUSECH_AUTH_KEY)' });
      const stored = (await findSource(bed.store.db, 'ThreatFox'))!;
      expect(stored.health).toBe('degraded');
      expect(stored.health_reason).toBe('the last run failed: 401 from ThreatFox: Auth-Key missing (set ABUSECH_AUTH_KEY)');
      expect(await sourceCounts(bed.store.db, source.id)).toEqual({ sightings: 0, articles: 0 });
      const warning = logs.lines.find((line) => line.source === 'ThreatFox' && line.outcome === 'failed');
      expect(warning).toMatchObject({ level: 40, error: '401 from ThreatFox: Auth-Key missing (set ABUSECH_AUTH_KEY)' });
    });

    it('with a wrong key: "Auth-Key rejected", and the key is sent but never recorded or logged', async () => {
      const wrong = `${SECRET}-wrong`;
      const requestsBefore = bed.upstream.requestsTo(path).length;
      const { summary, source } = await runThreatfox({ ABUSECH_AUTH_KEY: wrong });
      expect(bed.upstream.requestsTo(path).slice(requestsBefore)[0]!.headers['auth-key']).toBe(wrong);
      expect(summary.error).toBe('401 from ThreatFox: Auth-Key rejected (check ABUSECH_AUTH_KEY)');
      // Two failures in a row now.
      expect((await findSource(bed.store.db, 'ThreatFox'))!).toMatchObject({
        health: 'error',
        health_reason: 'the last 2 runs failed: 401 from ThreatFox: Auth-Key rejected (check ABUSECH_AUTH_KEY)',
      });
      expect(JSON.stringify(summary)).not.toContain(wrong);
      expect(await everythingRecorded(source.id)).not.toContain(wrong);
      expect(logs.raw.join('\n')).not.toContain(wrong);
    });

    it('with the right key: the feed is stored, health is no longer error, and the key appears nowhere', async () => {
      const { summary, source } = await runThreatfox({ ABUSECH_AUTH_KEY: SECRET });
      expect(bed.upstream.requests.at(-1)!.headers['auth-key']).toBe(SECRET);
      expect(summary).toMatchObject({ outcome: 'ok', httpStatus: 200, fetched: 1000 });
      expect(summary.new).toBeGreaterThan(900);
      expect((await findSource(bed.store.db, 'ThreatFox'))!.health).not.toBe('error');
      expect(JSON.stringify(summary)).not.toContain(SECRET);
      expect(await everythingRecorded(source.id)).not.toContain(SECRET);
      expect(logs.raw.join('\n')).not.toContain(SECRET);
      expect(logs.lines.some((line) => line.source === 'ThreatFox' && line.outcome === 'ok')).toBe(true);
    });
  });
});
