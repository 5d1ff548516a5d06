// One guard for every keyed route: authenticate the key, count the request against its rate
// limit, then check the scope the route declares. It fails closed: a route registered behind it
// without a scope it knows stops the app from starting, rather than serve any key. A route that
// any valid key may call (GET /me) says so by declaring the scope ANY_KEY.
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { EXPORTERS, type AnyExporter } from '../export/index.js';
import { isScope, SCOPES, type AuthenticatedKey, type Scope } from '../store/keys.js';
import type { Authenticator } from './auth.js';
import { InsufficientScopeError, InvalidApiKeyError, RateLimitError } from './errors.js';
import type { RateLimitDecision, RateLimiter } from './rate-limit.js';

/** The declared "scope" of a route that any valid key may call: it needs none in particular. */
export const ANY_KEY = 'any-key';

declare module 'fastify' {
  interface FastifyRequest {
    apiKey?: AuthenticatedKey;
    /** The rate-limit decision that let the request through. */
    rateLimit?: RateLimitDecision;
  }
  interface FastifyContextConfig {
    /** The scope a key needs for this route, or ANY_KEY: every keyed route declares one. */
    scope?: Scope | typeof ANY_KEY;
  }
}

export interface GuardDeps {
  authenticator: Authenticator;
  limiter: RateLimiter;
}

type Done = (error?: Error) => void;

/** Failed authentications that cost a store lookup, per client address. */
export const FAILED_AUTH_BUDGET = { perMinute: 60, perDay: 60 * 60 * 24 };

/**
 * A plugin whose routes (those `routes` registers) are all keyed. The hooks are written with
 * callbacks, not async functions: a key found in the cache and a limit counted in memory are
 * answered without a promise, a measurable part of a small request.
 */
export function guarded({ authenticator, limiter }: GuardDeps, routes: (api: FastifyInstance) => Promise<void>): FastifyPluginAsync {
  return async (api) => {
    api.addHook('onRoute', (route) => {
      const scope: unknown = route.config?.scope;
      if (!isScope(scope) && scope !== ANY_KEY) {
        throw new Error(
          `${String(route.method)} ${route.url} is a keyed route: it must declare config.scope, one of ${SCOPES.join(', ')}, or '${ANY_KEY}' (got ${String(scope)})`,
        );
      }
    });
    // Authentication, then the rate limit (every authenticated request counts), then the scope.
    api.addHook('onRequest', (request, reply, done) => {
      // What a key reads is for that key alone: no shared cache keeps it.
      reply.header('Cache-Control', 'private, no-store');
      let key: AuthenticatedKey | Promise<AuthenticatedKey>;
      try {
        key = authenticator.authenticate(request, refuseIfBlocked);
      } catch (error) {
        return done(error as Error);
      }
      if (!(key instanceof Promise)) return limit(request, reply, key, done);
      key.then(
        (k) => limit(request, reply, k, done),
        (error: Error) => {
          if (!(error instanceof InvalidApiKeyError)) return done(error);
          countFailure(request).then(() => done(error), done);
        },
      );
    });
    // Failed authentications that cost a store lookup are counted per client address (shared
    // through the limiter, so through Redis when it is set); once an address has spent its
    // budget, its keys that the cache does not know are refused before any lookup, so that a
    // flood of guessed keys cannot load the store. Keys in use stay cached and are unaffected.
    const blockedUntil = new Map<string, number>();
    const countFailure = async (request: FastifyRequest) => {
      const decision = await limiter.consume(`failed-auth:${request.ip}`, FAILED_AUTH_BUDGET);
      if (decision.allowed) return;
      if (blockedUntil.size >= 10_000) blockedUntil.clear();
      blockedUntil.set(request.ip, decision.resetAt);
    };
    const refuseIfBlocked = (request: FastifyRequest) => {
      const until = blockedUntil.get(request.ip);
      if (until === undefined) return;
      if (until <= Date.now() / 1000) return void blockedUntil.delete(request.ip);
      throw new RateLimitError(
        {
          reason: 'too many failed authentications from this address',
          limit: FAILED_AUTH_BUDGET.perMinute,
          window: 'minute',
          reset_at: new Date(until * 1000).toISOString(),
          retry_after_seconds: secondsUntil(until),
        },
        'failed_auth_budget',
      );
    };
    const limit = (request: FastifyRequest, reply: FastifyReply, key: AuthenticatedKey, done: Done) => {
      request.apiKey = key;
      const budget = { perMinute: key.tier.requests_per_minute, perDay: key.tier.requests_per_day };
      let decision: RateLimitDecision | Promise<RateLimitDecision>;
      try {
        decision = limiter.consume(key.id, budget);
      } catch (error) {
        return done(error as Error);
      }
      if (decision instanceof Promise) decision.then((d) => done(refusalOf(request, reply, key, d)), done);
      else done(refusalOf(request, reply, key, decision));
    };
    await routes(api);
  };
}

/** Whole seconds from now until an epoch second, at least one (the error handler sends it as Retry-After). */
function secondsUntil(epochSeconds: number): number {
  return Math.max(1, epochSeconds - Math.floor(Date.now() / 1000));
}

/** Sets the rate-limit headers; returns the error that refuses the request, if any. */
function refusalOf(request: FastifyRequest, reply: FastifyReply, key: AuthenticatedKey, decision: RateLimitDecision): Error | undefined {
  reply.header('X-RateLimit-Limit', String(decision.limit));
  reply.header('X-RateLimit-Remaining', String(decision.remaining));
  reply.header('X-RateLimit-Reset', String(decision.resetAt));
  reply.header('X-RateLimit-Limit-Day', String(decision.dayLimit));
  reply.header('X-RateLimit-Remaining-Day', String(decision.dayRemaining));
  request.rateLimit = decision;
  if (!decision.allowed) {
    return new RateLimitError({
      limit: decision.limit,
      window: decision.window,
      reset_at: new Date(decision.resetAt * 1000).toISOString(),
      retry_after_seconds: secondsUntil(decision.resetAt),
      tier: key.tier.name,
    });
  }
  // A request that matched no route (answered 404 after authentication) has no scope to check.
  const scope = request.routeOptions.config.scope;
  if (scope !== undefined && scope !== ANY_KEY && !key.scopes.includes(scope)) {
    return new InsufficientScopeError(`This endpoint requires the "${scope}" scope.`, {
      required_scope: scope,
      your_scopes: key.scopes,
      tier: key.tier.name,
    });
  }
  return undefined;
}

/** The list endpoint's formats a key may ask for (assertFormatAllowed's rule). */
export function allowedListFormats(key: AuthenticatedKey): string[] {
  return EXPORTERS.filter((e) => e.listed && key.tier.list_formats.includes(e.format) && key.scopes.includes(e.scope)).map((e) => e.format);
}

/**
 * Whether a key may have an export format: the tier lists it (permissions are data: a tier's
 * list_formats) and the key has the scope the format needs.
 */
export function assertFormatAllowed(key: AuthenticatedKey, exporter: AnyExporter): void {
  if (exporter.listed && !key.tier.list_formats.includes(exporter.format)) {
    throw new InsufficientScopeError(`The ${exporter.format} format is not available on the ${key.tier.name} tier.`, {
      parameter: 'format',
      allowed_formats: key.tier.list_formats,
      tier: key.tier.name,
    });
  }
  if (!key.scopes.includes(exporter.scope)) {
    throw new InsufficientScopeError(`The ${exporter.format} format requires the "${exporter.scope}" scope.`, {
      parameter: 'format',
      required_scope: exporter.scope,
      your_scopes: key.scopes,
      tier: key.tier.name,
    });
  }
}
