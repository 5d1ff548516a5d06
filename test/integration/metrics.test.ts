// GET /metrics as an operator reads it: Prometheus' text format (each line checked against the
// exposition grammar, each histogram's buckets against their laws), no API key, only for the
// networks of METRICS_ALLOW (loopback by default), none with METRICS=off; and the figures
// move by exactly what happened: requests by route pattern and status, refusals by reason,
// feed runs by source and outcome, statements of the store, the stats cache's age.
import crypto from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { runSource } from '../../src/ingest/pipeline.js';
import { FAILED_AUTH_BUDGET } from '../../src/api/guard.js';
import { loadConfig } from '../../src/config.js';
import { appSuite, awayFromMinuteEdge, BACKENDS, startTestApp, type TestApp } from '../helpers.js';
import { fakeSource, fastRun, FakeUpstream, FEODO_JSON, serveFixture, status } from './ingest-upstream.js';

// The text exposition format 0.0.4 (prometheus.io/docs/instrumenting/exposition_formats), line by line.
const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
// A value is what Go's ParseFloat reads (case-insensitive NaN and Inf: prom-client writes "Nan").
const VALUE = '[+-]?(?:\\d+(?:\\.\\d*)?(?:[eE][+-]?\\d+)?|\\.\\d+(?:[eE][+-]?\\d+)?|[iI][nN][fF])|[nN][aA][nN]';
const HELP_LINE = new RegExp(`^# HELP (${NAME}) (.*)$`);
const TYPE_LINE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const SAMPLE_LINE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*,?)?\\})? (${VALUE})(?: -?\\d+)?$`);
const LABEL_PAIR = new RegExp(`(${'[a-zA-Z_][a-zA-Z0-9_]*'})="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"`, 'g');

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
}

/** Parses the text format strictly: a line that is not HELP, TYPE, a sample or empty fails the test. */
function parseExposition(text: string): Exposition {
  expect(text.endsWith('\n'), 'the exposition ends with a line feed').toBe(true);
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '' || HELP_LINE.test(line)) continue;
    const type = TYPE_LINE.exec(line);
    if (type) {
      expect(types.has(type[1]!), `one TYPE line for ${type[1]}`).toBe(false);
      types.set(type[1]!, type[2]!);
      continue;
    }
    const sample = SAMPLE_LINE.exec(line);
    expect(sample, `a line of the exposition format: ${JSON.stringify(line)}`).not.toBeNull();
    const [, name, labelText, value] = sample!;
    const labels = Object.fromEntries([...(labelText ?? '').matchAll(LABEL_PAIR)].map((m) => [m[1]!, m[2]!]));
    // A sample belongs to a family whose TYPE came before it (a histogram's have suffixes).
    const family = types.has(name!) ? name! : name!.replace(/_(bucket|sum|count)$/, '');
    expect(types.has(family), `TYPE declared before ${name}`).toBe(true);
    samples.push({ name: name!, labels, value: /nan/i.test(value!) ? NaN : Number(value!.replace(/inf$/i, 'Infinity')) });
  }
  // Each histogram's series: buckets ascending and cumulative, the +Inf one equal to the count.
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const series = new Map<string, Sample[]>();
    for (const s of samples.filter((x) => x.name === `${family}_bucket`)) {
      const { le: _le, ...rest } = s.labels;
      const key = JSON.stringify(rest);
      series.set(key, [...(series.get(key) ?? []), s]);
    }
    for (const [key, buckets] of series) {
      const les = buckets.map((b) => Number(b.labels.le!.replace('+Inf', 'Infinity')));
      expect(les, `${family} ${key} buckets ascending`).toEqual([...les].sort((a, b) => a - b));
      expect(les.at(-1)).toBe(Infinity);
      for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
      const count = samples.find((x) => x.name === `${family}_count` && JSON.stringify(x.labels) === key);
      expect(count?.value, `${family} ${key} _count`).toBe(buckets.at(-1)!.value);
    }
  }
  return { types, samples };
}

/** The value of the one sample with this name and these labels (0 when there is none yet). */
function valueOf(exposition: Exposition, name: string, labels: Record<string, string> = {}): number {
  const found = exposition.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  expect(found.length, `at most one ${name} ${JSON.stringify(labels)}`).toBeLessThanOrEqual(1);
  return found[0]?.value ?? 0;
}

describe('the exposition parser of this test', () => {
  it('refuses what is not the exposition format', () => {
    expect(() => parseExposition('# TYPE a counter\na{b="c} 1\n')).toThrow();
    expect(() => parseExposition('# TYPE a counter\na one\n')).toThrow();
    expect(() => parseExposition('a 1\n')).toThrow(/TYPE declared/);
    expect(() => parseExposition('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\n')).toThrow();
    expect(parseExposition('# HELP a x\n# TYPE a gauge\na{b="q\\"\\n"} -Inf\n').samples).toEqual([{ name: 'a', labels: { b: 'q\\"\\n' }, value: -Infinity }]);
  });
});

describe.each(BACKENDS)('GET /metrics on %s', (backend) => {
  const { store, t } = appSuite(backend);
  const others: TestApp[] = [];
  // Registered after appSuite's, so run before it (hooks stack): the other apps close first.
  afterAll(async () => {
    for (const app of others) await app.close();
  });

  /** Another app over the same store, configured by these variables. */
  async function appWith(env: Record<string, string>): Promise<TestApp> {
    const config = loadConfig({ DATA_DIR: store.config.dataDir, DATABASE_URL: store.config.databaseUrl!, LOG_LEVEL: 'silent', PORT: '0', ...env });
    const app = await startTestApp({ ...store, config });
    others.push(app);
    return app;
  }

  async function scrape(app = t): Promise<Exposition> {
    const res = await app.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    return parseExposition(res.body);
  }

  it('answers a loopback client without a key, in the Prometheus text format, with the process metrics', async () => {
    const res = await t.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    const { types } = parseExposition(res.body);
    expect(Object.fromEntries([...types].filter(([name]) => name.startsWith('socd_')))).toEqual({
      socd_http_requests_total: 'counter',
      socd_http_request_duration_seconds: 'histogram',
      socd_store_statement_duration_seconds: 'histogram',
      socd_feed_runs_total: 'counter',
      socd_refusals_total: 'counter',
      socd_stats_cache_age_seconds: 'gauge',
    });
    // The series that are known in advance are there before anything happened.
    const fresh = parseExposition((await (await appWith({})).app.inject({ url: '/metrics' })).body);
    expect(valueOf(fresh, 'socd_refusals_total', { reason: 'rate_limit_exceeded' })).toBe(0);
    expect(fresh.samples.some((s) => s.name === 'socd_refusals_total' && s.labels.reason === 'failed_auth_budget')).toBe(true);
    expect(fresh.samples.some((s) => s.name === 'socd_store_statement_duration_seconds_count' && s.labels.outcome === 'error')).toBe(true);
    expect(types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
  });

  it('counts requests by route pattern, method and status, each with its latency', async () => {
    const key = await t.key('pro');
    const before = await scrape();
    for (let i = 0; i < 3; i++) {
      expect((await t.app.inject({ url: `/api/v1/iocs?limit=${i + 1}`, headers: { 'x-api-key': key } })).statusCode).toBe(200);
    }
    for (let i = 0; i < 2; i++) expect((await t.app.inject({ url: '/api/v1/iocs' })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/no/such/page-12345' })).statusCode).toBe(404);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => valueOf(after, name, labels) - valueOf(before, name, labels);
    const iocs = { route: '/api/v1/iocs', method: 'GET' };
    expect(delta('socd_http_requests_total', { ...iocs, status: '200' })).toBe(3);
    expect(delta('socd_http_requests_total', { ...iocs, status: '401' })).toBe(2);
    expect(delta('socd_http_request_duration_seconds_count', { ...iocs, status: '200' })).toBe(3);
    expect(delta('socd_http_request_duration_seconds_bucket', { ...iocs, status: '200', le: '+Inf' })).toBe(3);
    const buckets = after.samples.filter((s) => s.name === 'socd_http_request_duration_seconds_bucket' && s.labels.route === '/api/v1/iocs' && s.labels.status === '200');
    expect(buckets.length).toBeGreaterThan(5);
    expect(valueOf(after, 'socd_http_request_duration_seconds_sum', { ...iocs, status: '200' })).toBeGreaterThan(0);
    // A URL that matched no route is counted under a fixed label, never its own text.
    expect(delta('socd_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' })).toBe(1);
    expect(after.samples.some((s) => Object.values(s.labels).some((v) => v.includes('page-12345')))).toBe(false);
  });

  it('counts a rate-limited request and an address over its failed-authentication budget as refusals, by reason', async () => {
    await awayFromMinuteEdge();
    const before = await scrape();
    const free = await t.key('free');
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await t.app.inject({ url: '/api/v1/iocs?limit=1', headers: { 'x-api-key': free } })).statusCode);
    expect(statuses.filter((s) => s === 429)).toHaveLength(1);
    const flooder = '192.0.2.77';
    const guess = () => `sk_live_${crypto.randomBytes(30).toString('hex').slice(0, 40)}`;
    for (let i = 0; i < FAILED_AUTH_BUDGET.perMinute + 3; i++) {
      await t.app.inject({ url: '/api/v1/iocs', headers: { 'x-api-key': guess() }, remoteAddress: flooder });
    }
    const after = await scrape();
    const delta = (labels: Record<string, string>) => valueOf(after, 'socd_refusals_total', labels) - valueOf(before, 'socd_refusals_total', labels);
    expect(delta({ reason: 'rate_limit_exceeded' })).toBe(1);
    // The 61st failure finds the budget spent; the two after it are refused before any lookup.
    expect(delta({ reason: 'failed_auth_budget' })).toBe(2);
    expect(valueOf(after, 'socd_http_requests_total', { route: '/api/v1/iocs', method: 'GET', status: '429' })).toBe(3);
  });

  it('counts feed runs by source and outcome', async () => {
    const upstream = await FakeUpstream.start();
    try {
      const good = await fakeSource(store.db, upstream, 'feodo-json');
      upstream.on(good.path, serveFixture(FEODO_JSON, { contentType: 'application/json' }));
      const bad = await fakeSource(store.db, upstream, 'feodo-json');
      upstream.on(bad.path, status(500, 'down'));
      expect((await runSource(store.db, good, fastRun())).outcome).toBe('ok');
      expect((await runSource(store.db, bad, fastRun())).outcome).toBe('failed');
      const after = await scrape();
      expect(valueOf(after, 'socd_feed_runs_total', { source: good.name, outcome: 'ok' })).toBe(1);
      expect(valueOf(after, 'socd_feed_runs_total', { source: bad.name, outcome: 'failed' })).toBe(1);
      expect(valueOf(after, 'socd_feed_runs_total', { source: good.name, outcome: 'failed' })).toBe(0);
    } finally {
      await upstream.close();
    }
  });

  it('times the statements of the store, by outcome', async () => {
    const before = await scrape();
    await expect(store.db.query('select 1 / 0')).rejects.toThrow(/division by zero/);
    const after = await scrape();
    expect(valueOf(after, 'socd_store_statement_duration_seconds_count', { outcome: 'ok' })).toBeGreaterThan(0);
    expect(valueOf(after, 'socd_store_statement_duration_seconds_sum', { outcome: 'ok' })).toBeGreaterThan(0);
    const errors = (e: Exposition) => valueOf(e, 'socd_store_statement_duration_seconds_count', { outcome: 'error' });
    expect(errors(after) - errors(before)).toBe(1);
  });

  it('says how old the cached statistics are', async () => {
    const age = valueOf(await scrape(), 'socd_stats_cache_age_seconds');
    const snapshot = t.stats.current()!;
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThanOrEqual((Date.now() - snapshot.updatedAt.getTime()) / 1000 + 1);
  });

  it('refuses a client outside METRICS_ALLOW, and one relayed by a proxy, with 403 in the error envelope', async () => {
    const outside = await t.app.inject({ url: '/metrics', remoteAddress: '192.0.2.1' });
    expect(outside.statusCode).toBe(403);
    expect(outside.headers['content-type']).toMatch(/^application\/json/);
    expect(outside.json()).toEqual({
      error: { code: 'forbidden', message: expect.stringContaining('METRICS_ALLOW'), request_id: outside.headers['x-request-id'] },
    });
    // Through a proxy on loopback, the client may be anyone.
    expect((await t.app.inject({ url: '/metrics', headers: { 'x-forwarded-for': '127.0.0.1' } })).statusCode).toBe(403);
    // An IPv4 client of a dual-stack listener is itself.
    expect((await t.app.inject({ url: '/metrics', remoteAddress: '::ffff:127.0.0.1' })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/metrics', remoteAddress: '::1' })).statusCode).toBe(200);
    // A key does not open it either.
    const key = await t.key('pro');
    expect((await t.app.inject({ url: '/metrics', remoteAddress: '192.0.2.1', headers: { 'x-api-key': key } })).statusCode).toBe(403);

    const listed = await appWith({ METRICS_ALLOW: '192.0.2.0/24, 2001:db8::5' });
    expect((await listed.app.inject({ url: '/metrics', remoteAddress: '192.0.2.1' })).statusCode).toBe(200);
    expect((await listed.app.inject({ url: '/metrics', remoteAddress: '2001:db8::5' })).statusCode).toBe(200);
    expect((await listed.app.inject({ url: '/metrics', remoteAddress: '198.51.100.1' })).statusCode).toBe(403);
    expect((await listed.app.inject({ url: '/metrics' })).statusCode).toBe(403);
  });

  it('is not served with METRICS=off', async () => {
    const off = await appWith({ METRICS: 'off' });
    const res = await off.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatchObject({ code: 'not_found' });
    expect((await off.app.inject({ url: '/api/openapi.json' })).json().paths).not.toHaveProperty('/metrics');
  });
});
