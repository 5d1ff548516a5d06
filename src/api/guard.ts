// One guard for every keyed route: authenticate the key, count the request against its rate
// limit, then check the scope the route declares. It fails closed: a route registered behind it
// without a scope it knows stops the app from starting, rather than serve any key.
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AnyExporter } from '../export/index.js';
import { isScope, SCOPES, type AuthenticatedKey, type Scope } from '../store/keys.js';
import type { Authenticator } from './auth.js';
import { InsufficientScopeError, RateLimitError } from './errors.js';
import type { RateLimitDecision, RateLimiter } from './rate-limit.js';

declare module 'fastify' {
  interface FastifyRequest {
    apiKey?: AuthenticatedKey;
  }
  interface FastifyContextConfig {
    /** The scope a key needs for this route: every keyed route declares one. */
    scope?: Scope;
  }
}

export interface GuardDeps {
  authenticator: Authenticator;
  limiter: RateLimiter;
}

type Done = (error?: Error) => void;

/** Store lookups of keys the cache does not know, per client address. */
export const LOOKUP_BUDGET = { perMinute: 60, perDay: 60 * 60 * 24 };

/**
 * A plugin whose routes (those `routes` registers) are all keyed. The hooks are written with
 * callbacks, not async functions: a key found in the cache and a limit counted in memory are
 * answered without a promise, a measurable part of a small request.
 */
export function guarded({ authenticator, limiter }: GuardDeps, routes: (api: FastifyInstance) => Promise<void>): FastifyPluginAsync {
  return async (api) => {
    api.addHook('onRoute', (route) => {
      const scope: unknown = route.config?.scope;
      if (!isScope(scope)) {
        throw new Error(`${String(route.method)} ${route.url} is a keyed route: it must declare config.scope, one of ${SCOPES.join(', ')} (got ${String(scope)})`);
      }
    });
    // The lookup budget of the client's address, then authentication, then the rate limit
    // (every authenticated request counts), then the scope.
    api.addHook('onRequest', (request, reply, done) => {
      // What a key reads is for that key alone: no shared cache keeps it.
      reply.header('Cache-Control', 'private, no-store');
      if (!authenticator.needsLookup(request)) return authenticate(request, reply, done);
      // A key the cache does not know costs a store lookup: an address gets so many a minute, so
      // that a flood of guessed keys cannot load the store (a key in use stays cached).
      let decision: RateLimitDecision | Promise<RateLimitDecision>;
      try {
        decision = limiter.consume(`lookup:${request.ip}`, LOOKUP_BUDGET);
      } catch (error) {
        return done(error as Error);
      }
      if (decision instanceof Promise) decision.then((d) => admitLookup(request, reply, d, done), done);
      else admitLookup(request, reply, decision, done);
    });
    const admitLookup = (request: FastifyRequest, reply: FastifyReply, decision: RateLimitDecision, done: Done) => {
      if (decision.allowed) return authenticate(request, reply, done);
      const retryAfter = Math.max(1, decision.resetAt - Math.floor(Date.now() / 1000));
      reply.header('Retry-After', String(retryAfter));
      done(
        new RateLimitError({
          reason: 'too many API key lookups from this address',
          limit: decision.limit,
          window: decision.window,
          reset_at: new Date(decision.resetAt * 1000).toISOString(),
          retry_after_seconds: retryAfter,
        }),
      );
    };
    const authenticate = (request: FastifyRequest, reply: FastifyReply, done: Done) => {
      let key: AuthenticatedKey | Promise<AuthenticatedKey>;
      try {
        key = authenticator.authenticate(request);
      } catch (error) {
        return done(error as Error);
      }
      if (key instanceof Promise) key.then((k) => limit(request, reply, k, done), done);
      else limit(request, reply, key, done);
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

/** Sets the rate-limit headers; returns the error that refuses the request, if any. */
function refusalOf(request: FastifyRequest, reply: FastifyReply, key: AuthenticatedKey, decision: RateLimitDecision): Error | undefined {
  reply.header('X-RateLimit-Limit', String(decision.limit));
  reply.header('X-RateLimit-Remaining', String(decision.remaining));
  reply.header('X-RateLimit-Reset', String(decision.resetAt));
  reply.header('X-RateLimit-Limit-Day', String(decision.dayLimit));
  reply.header('X-RateLimit-Remaining-Day', String(decision.dayRemaining));
  if (!decision.allowed) {
    const retryAfter = Math.max(1, decision.resetAt - Math.floor(Date.now() / 1000));
    reply.header('Retry-After', String(retryAfter));
    return new RateLimitError({
      limit: decision.limit,
      window: decision.window,
      reset_at: new Date(decision.resetAt * 1000).toISOString(),
      retry_after_seconds: retryAfter,
      tier: key.tier.name,
    });
  }
  // A request that matched no route (answered 404 after authentication) has no scope to check.
  const scope = request.routeOptions.config.scope;
  if (scope !== undefined && !key.scopes.includes(scope)) {
    return new InsufficientScopeError(`This endpoint requires the "${scope}" scope.`, {
      required_scope: scope,
      your_scopes: key.scopes,
      tier: key.tier.name,
    });
  }
  return undefined;
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
