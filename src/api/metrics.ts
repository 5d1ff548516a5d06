// GET /metrics: what an operator watches, in Prometheus' text format (prom-client). Requests by
// route pattern, method and status with their latency; the store's statement time; feed runs by
// source and outcome; refusals (rate limits, admission) by reason; the stats cache's age; and the
// process's own metrics. Open to no tier key: served to the client networks METRICS_ALLOW lists
// (loopback by default), or not at all with METRICS=off.
import ipaddr from 'ipaddr.js';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { onFeedRun, onStatement } from '../telemetry.js';
import { AppError } from './errors.js';
import { ErrorResponse } from './schemas.js';
import type { StatsCache } from './stats-cache.js';

export interface AppMetrics {
  /** The error handler's hook: one refusal (429, 503) and its reason. */
  countRefusal(reason: string): void;
  /** The onResponse hook: counts and times every request. */
  onResponse(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void;
  /** The exposition: this app's metrics and the process's. */
  text(): Promise<string>;
  readonly contentType: string;
  /** Stops listening to the store and the ingestion. */
  close(): void;
}

// The process's metrics (CPU, memory, event loop, GC) describe the process, not an app: one set
// per process, whatever number of apps it builds (the tests build many; each set would run its
// own event-loop monitor and GC observer for good). Made with the first app: CPU time counts
// from then.
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

// Statements are mostly sub-millisecond to tens of milliseconds; the request timeout bounds them.
const STATEMENT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** A request that matched no route is counted under this route label, never its raw URL. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Metrics of one app, in a registry of its own (not prom-client's global one). */
export function createMetrics(stats: StatsCache): AppMetrics {
  const ofProcess = processMetrics();
  const registry = new Registry();
  const registers = [registry];
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({ name: 'socd_http_requests_total', help: 'HTTP requests answered, by route pattern, method and status.', labelNames, registers });
  const durations = new Histogram({
    name: 'socd_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by route pattern, method and status.',
    labelNames,
    registers,
  });
  const statements = new Histogram({
    name: 'socd_store_statement_duration_seconds',
    help: 'Time of the SQL statements of the store, by outcome (ok, error).',
    labelNames: ['outcome'],
    buckets: STATEMENT_BUCKETS,
    registers,
  });
  const feedRuns = new Counter({
    name: 'socd_feed_runs_total',
    help: 'Runs of the feed sources in this process, by source and outcome (ok, not_modified, failed, skipped).',
    labelNames: ['source', 'outcome'],
    registers,
  });
  const refusals = new Counter({
    name: 'socd_refusals_total',
    help: 'Requests refused for now (429, 503), by reason: rate_limit_exceeded, failed_auth_budget, admission_per_key or admission_per_instance (search\'s similarity fallback), or the refusal\'s error code.',
    labelNames: ['reason'],
    registers,
  });
  // Present from the start, so that a rate over them reads 0 rather than nothing.
  for (const reason of ['rate_limit_exceeded', 'failed_auth_budget', 'admission_per_key', 'admission_per_instance']) refusals.inc({ reason }, 0);
  for (const outcome of ['ok', 'error']) statements.zero({ outcome });
  new Gauge({
    name: 'socd_stats_cache_age_seconds',
    help: 'Age of the statistics served from memory (NaN before the first snapshot).',
    registers,
    collect() {
      const snapshot = stats.current();
      this.set(snapshot ? (Date.now() - snapshot.updatedAt.getTime()) / 1000 : NaN);
    },
  });

  const unsubscribe = [
    onStatement(({ seconds, ok }) => statements.observe({ outcome: ok ? 'ok' : 'error' }, seconds)),
    onFeedRun(({ source, outcome }) => feedRuns.inc({ source, outcome })),
  ];

  // Each request would hash its labels twice; the series are looked up by one string instead.
  // Their number is bounded: route patterns (not URLs) times methods times statuses.
  const series = new Map<string, { count: Counter.Internal; duration: Histogram.Internal<(typeof labelNames)[number]> }>();

  return {
    countRefusal: (reason) => refusals.inc({ reason }),
    onResponse(request, reply, done) {
      const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
      const key = `${request.method} ${reply.statusCode} ${route}`;
      let s = series.get(key);
      if (!s) {
        const labels = { method: request.method, route, status: String(reply.statusCode) };
        series.set(key, (s = { count: requests.labels(labels), duration: durations.labels(labels) }));
      }
      s.count.inc();
      s.duration.observe(reply.elapsedTime / 1000);
      done();
    },
    text: () => Registry.merge([ofProcess, registry]).metrics(),
    contentType: registry.contentType,
    close: () => unsubscribe.forEach((stop) => stop()),
  };
}

/**
 * The route. A client is judged by the address of its connection, never by X-Forwarded-For
 * (which any client can write); a request relayed by a proxy (it carries a forwarding header) is
 * refused, since it may come from anyone the proxy serves.
 */
export const metricsRoutes: FastifyPluginAsync<{ metrics: AppMetrics; allow: string[] }> = async (app, { metrics, allow }) => {
  const networks = allow.map((cidr) => ipaddr.parseCIDR(cidr));
  const allowed = (request: FastifyRequest) => {
    const { headers } = request;
    if (headers['x-forwarded-for'] !== undefined || headers.forwarded !== undefined || headers['x-real-ip'] !== undefined) return false;
    const peer = request.socket.remoteAddress;
    if (!peer || !ipaddr.isValid(peer)) return false;
    // ::ffff:127.0.0.1 (a dual-stack listener) is 127.0.0.1.
    const address = ipaddr.process(peer);
    return networks.some(([network, bits]) => network.kind() === address.kind() && address.match(network, bits));
  };
  app.addHook('onClose', async () => metrics.close());

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['Metrics'],
        summary: 'Prometheus metrics',
        description:
          'The Prometheus text format: `socd_http_requests_total` and `socd_http_request_duration_seconds` (by route ' +
          'pattern, method, status), `socd_store_statement_duration_seconds`, `socd_feed_runs_total`, ' +
          '`socd_refusals_total`, `socd_stats_cache_age_seconds`, and the process metrics. No API key: served to ' +
          'the networks of `METRICS_ALLOW` (loopback by default), 404 with `METRICS=off`.',
        operationId: 'getMetrics',
        response: {
          200: { description: 'Metrics in the Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } },
          400: { ...ErrorResponse, description: 'Invalid parameter' },
          403: { ...ErrorResponse, description: 'The client is not in METRICS_ALLOW' },
        },
      },
      onRequest: (request, _reply, done) => {
        if (allowed(request)) return done();
        done(new AppError(403, 'forbidden', 'Metrics are served only to the networks that METRICS_ALLOW lists.'));
      },
    },
    async (_request, reply) => {
      const text = await metrics.text();
      return reply.header('Cache-Control', 'no-store').type(metrics.contentType).send(text);
    },
  );
};
