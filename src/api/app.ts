// Builds the HTTP application (server.ts starts it): the API under /api/v1 behind key
// authentication, rate limits and scopes; health checks; the OpenAPI document.
import crypto from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import type { Config } from '../config.js';
import type { Db } from '../store/db.js';
import type { Authenticator } from './auth.js';
import { dashboardRoutes } from './dashboard.js';
import { AppError, clientErrorResponse, createErrorHandler, notFoundHandler } from './errors.js';
import { guarded } from './guard.js';
import { createMetrics, metricsRoutes } from './metrics.js';
import { strictQuery } from './strict-query.js';
import type { RateLimiter } from './rate-limit.js';
import { articleRoutes } from './routes/articles.js';
import { changesRoutes } from './routes/changes.js';
import { healthRoutes } from './routes/health.js';
import { iocRoutes } from './routes/iocs.js';
import { lifecycleRoutes } from './routes/lifecycle.js';
import { lookupRoutes } from './routes/lookup.js';
import { keysRoutes } from './routes/keys.js';
import { meRoutes } from './routes/me.js';
import { mispFeedRoutes } from './routes/misp-feed.js';
import { sourcesRoutes } from './routes/sources.js';
import { statsRoutes } from './routes/stats.js';
import { TAXII_PREFIX, taxiiNotFound, taxiiRoutes, writeTaxiiError } from './routes/taxii.js';
import type { StatsCache } from './stats-cache.js';

export interface AppDeps {
  config: Config;
  db: Db;
  authenticator: Authenticator;
  limiter: RateLimiter;
  stats: StatsCache;
  logger: FastifyBaseLogger;
  isClosing?: () => boolean;
}

const CLIENT_REQUEST_ID = /^[\w.:-]{1,128}$/;

// Request ids are 12 random base64url characters; the random bytes are drawn for 512 ids at a
// time (one call to the generator per request was a measurable part of a request's cost).
const ID_BYTES = 9;
let idPool = Buffer.alloc(0);
let idAt = 0;

function newRequestId(): string {
  if (idAt + ID_BYTES > idPool.length) {
    idPool = crypto.randomBytes(ID_BYTES * 512);
    idAt = 0;
  }
  idAt += ID_BYTES;
  return `req_${idPool.toString('base64url', idAt - ID_BYTES, idAt)}`;
}

function requestId(request: { headers: Record<string, string | string[] | undefined> }): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : newRequestId();
}

const MAYBE_API_KEY_PARAM = /api|%/i;

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

/**
 * The URL as it may be logged: the value of an api_key in the query string is replaced (its
 * name may be percent-encoded: `api%5Fkey` authenticates too), and so is anything shaped like a
 * key elsewhere in the URL.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  // The common case, with nothing to redact: no key-shaped text, and no query parameter whose
  // name could decode to api_key (it would contain "api" or a percent-escape).
  if (!url.includes('sk_live_') && (q === -1 || !MAYBE_API_KEY_PARAM.test(url.slice(q)))) return url;
  const query =
    q === -1
      ? ''
      : '?' +
        url
          .slice(q + 1)
          .split('&')
          .map((pair) => {
            const eq = pair.indexOf('=');
            if (eq === -1 || decodeName(pair.slice(0, eq)).toLowerCase() !== 'api_key') return pair;
            return `${pair.slice(0, eq)}=[redacted]`;
          })
          .join('&');
  return ((q === -1 ? url : url.slice(0, q)) + query).replace(/sk_live_[0-9A-Za-z]+/g, 'sk_live_[redacted]');
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, db, authenticator, limiter, stats } = deps;
  const app = Fastify({
    loggerInstance: deps.logger,
    // Fastify's own two lines per request are replaced by one (the onResponse hook below).
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    genReqId: requestId,
    bodyLimit: config.bodyLimitBytes,
    requestTimeout: config.requestTimeoutMs,
    trustProxy: config.trustProxy,
    // While closing, a request that still arrives on an open connection is served (with
    // `Connection: close`); Fastify's own 503 would not be the error envelope, and /readyz
    // answers 503 itself.
    return503OnClosing: false,
    // Bytes that never became a request still get the error envelope.
    clientErrorHandler(error, socket) {
      if ((error as NodeJS.ErrnoException).code === 'ECONNRESET' || socket.destroyed) return;
      if (socket.writable) socket.write(clientErrorResponse(error as NodeJS.ErrnoException, newRequestId()));
      socket.destroy(error);
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, useDefaults: true, allErrors: false } },
  });

  // METRICS=off: no route (404), and nothing is counted.
  const metrics = config.metrics ? createMetrics(stats) : undefined;
  app.setErrorHandler(createErrorHandler(config.upgradeUrl, metrics?.countRefusal));
  app.setNotFoundHandler(notFoundHandler);

  // The hooks are written with callbacks, not async functions: every request runs them, and a
  // promise and a turn of the microtask queue per hook are a measurable part of a small request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', request.id);
    // No response is to be read as another type than it says.
    reply.header('X-Content-Type-Options', 'nosniff');
    if (request.url.length > config.maxUrlLength) {
      return done(new AppError(414, 'uri_too_long', `The URL is longer than ${config.maxUrlLength} characters.`));
    }
    done();
  });
  app.addHook('preValidation', strictQuery);
  // One structured line per request: its id, the key id (never the key), status and time.
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info(
      {
        method: request.method,
        url: redactUrl(request.url),
        status: reply.statusCode,
        key_id: request.apiKey?.id,
        response_time_ms: Math.round(reply.elapsedTime * 100) / 100,
      },
      'request',
    );
    done();
  });
  if (metrics) app.addHook('onResponse', metrics.onResponse);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'SOC Defenders Threat Intelligence API',
        version: '1.0.0',
        description:
          'Open, self-hostable threat intelligence: indicators of compromise from public feeds and security articles. ' +
          'Every /api/v1 route needs an API key (`Authorization: Bearer sk_live_...`, `X-API-Key`, or `?api_key=`). ' +
          'Responses carry `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`; errors use the ' +
          'envelope `{"error": {"code", "message", "details", "request_id"}}`. ' +
          'TAXII 2.1 is served at `/api/taxii2/` (discovery), as its specification describes it, with the same keys ' +
          '(and HTTP Basic, the key as password) and the `read:stix` scope.',
        license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
      },
      // PUBLIC_URL, the base of the links in responses too; unset, `/` is the host serving this document.
      servers: [
        config.publicUrl
          ? { url: config.publicUrl, description: 'PUBLIC_URL' }
          : { url: '/', description: 'The host serving this document' },
      ],
      components: {
        securitySchemes: {
          BearerAuth: { type: 'http', scheme: 'bearer', description: '`Authorization: Bearer sk_live_...`' },
          ApiKeyAuth: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
      tags: [
        { name: 'IOCs', description: 'Indicators of Compromise endpoints' },
        {
          name: 'Lookup',
          description:
            'Single-IOC enrichment: detects the type, gathers the reporting sources, related IOCs, an explained risk score and hunting queries. Free tier allowed.',
        },
        { name: 'Statistics', description: 'Feed and IOC statistics' },
        { name: 'Sources', description: 'The feeds and article sites, with their health' },
        { name: 'API Keys', description: 'The calling key (any key), and managing keys (the admin scope)' },
        { name: 'Articles', description: 'The articles IOCs are extracted from, with their IOCs, ATT&CK techniques, CVEs and references' },
        { name: 'Health', description: 'Liveness and readiness' },
        { name: 'Metrics', description: 'Prometheus metrics, for operators (no API key: METRICS_ALLOW)' },
      ],
    },
    // The paths are the server's own, under PUBLIC_URL's path if it has one: none is removed.
    stripBasePath: false,
    transform: ({ schema, url }) => {
      // Every /api/v1 route takes a key; the rest are open.
      const security = url.startsWith('/api/v1/') ? [{ BearerAuth: [] }, { ApiKeyAuth: [] }] : [];
      return { schema: { ...schema, security } as unknown as typeof schema, url };
    },
  });

  // Off unless origins are listed: then a listed origin's browser may call the API, and its
  // preflight is answered without a key (it carries none).
  if (config.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: config.corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
      allowedHeaders: ['Authorization', 'X-API-Key', 'Content-Type', 'X-Request-Id'],
      // Those a client reads: its request id, its rate limit, when the stats are due again, and
      // where a list stands in the changes feed (its next delta's `since`, the next page, the tag).
      exposedHeaders: [
        'X-Request-Id',
        'X-Changes-Since',
        'Link',
        'ETag',
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
        'Retry-After',
        'X-Cache-Updated-At',
        'X-Cache-Age-Seconds',
        'X-Cache-Stale',
        'X-Cache-Refresh-Seconds',
      ],
      maxAge: 600,
    });
  }

  await app.register(healthRoutes, { db, isClosing: deps.isClosing ?? (() => false) });
  // The dashboard's pages and /docs: no key (they ask for one in the browser).
  await app.register(dashboardRoutes, { config });
  if (metrics) await app.register(metricsRoutes, { metrics, allow: config.metricsAllow });

  await app.register(
    guarded({ authenticator, limiter }, async (api) => {
      // An unknown route under /api/v1 is answered after authentication, like the known ones:
      // no key gets 401, a key gets 404 with its rate-limit headers (and the request counts).
      api.setNotFoundHandler(notFoundHandler);
      await api.register(iocRoutes, { db, config });
      await api.register(changesRoutes, { db, config });
      await api.register(lookupRoutes, { db, config });
      await api.register(statsRoutes, { stats });
      await api.register(sourcesRoutes, { db, stats });
      await api.register(mispFeedRoutes, { db });
      await api.register(keysRoutes, { db, authenticator });
      await api.register(lifecycleRoutes, { db });
      await api.register(meRoutes, { db, authenticator });
      await api.register(articleRoutes, { db, config });
    }),
    { prefix: '/api/v1' },
  );
  // TAXII 2.1: the same guard, TAXII's error body.
  await app.register(
    guarded({ authenticator, limiter }, async (api) => {
      api.setErrorHandler(createErrorHandler(config.upgradeUrl, metrics?.countRefusal, writeTaxiiError));
      api.setNotFoundHandler(taxiiNotFound);
      await api.register(taxiiRoutes, { db, config });
    }),
    { prefix: TAXII_PREFIX },
  );

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
