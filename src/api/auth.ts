// API key authentication: the key comes in `Authorization: Bearer` (or Basic, as the password),
// `X-API-Key` or `?api_key=`; it is hashed and looked up by hash, and the hashes compared in constant time.
// Lookups are cached briefly so that a request costs no query; a revoked key stops working
// within KEY_CACHE_TTL_MS on every instance.
import crypto from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Db } from '../store/db.js';
import { findApiKey, KEY_PATTERN, touchApiKeys, type AuthenticatedKey } from '../store/keys.js';
import { InvalidApiKeyError, MissingApiKeyError } from './errors.js';

export const KEY_CACHE_TTL_MS = 10_000;
const KEY_CACHE_MAX = 10_000;
const LAST_USED_FLUSH_MS = 60_000;

export function extractApiKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
    // HTTP Basic, as TAXII clients send it: the key is the password (or the user name, alone).
    const basic = /^Basic\s+([A-Za-z0-9+/]+=*)\s*$/i.exec(authorization);
    if (basic) {
      const [user, ...password] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
      return password.join(':') || user;
    }
    return authorization.trim();
  }
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header) return header.trim();
  const query = (request.query as Record<string, unknown> | undefined)?.api_key;
  return typeof query === 'string' && query ? query : undefined;
}

export interface Authenticator {
  /**
   * The request's key: at once when it is in the cache, else a promise; throws when there is none.
   * `beforeLookup` runs only when the key must be looked up in the store, and may refuse that.
   */
  authenticate(request: FastifyRequest, beforeLookup?: (request: FastifyRequest) => void): AuthenticatedKey | Promise<AuthenticatedKey>;
  /** Writes last_used_at of the keys used since the last flush. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function createAuthenticator(db: Db, cacheTtlMs = KEY_CACHE_TTL_MS): Authenticator {
  const cache = new Map<string, { key: AuthenticatedKey | undefined; expires: number }>();
  const used = new Set<string>();

  // Keyed by the key's SHA-256 (as hashApiKey), in base64: crypto.hash() gives it in one call,
  // a fraction of a hash object's cost, which every request pays.
  async function load(id: string): Promise<AuthenticatedKey | undefined> {
    const key = await findApiKey(db, Buffer.from(id, 'base64'));
    if (cache.size >= KEY_CACHE_MAX) cache.clear();
    cache.set(id, { key, expires: Date.now() + cacheTtlMs });
    return key;
  }

  function accept(key: AuthenticatedKey | undefined, hash: string): AuthenticatedKey {
    if (!key || !crypto.timingSafeEqual(key.keyHash, Buffer.from(hash, 'base64'))) throw new InvalidApiKeyError();
    used.add(key.id);
    return key;
  }

  async function flush() {
    if (used.size === 0) return;
    const ids = [...used];
    used.clear();
    await touchApiKeys(db, ids);
  }
  const timer = setInterval(() => flush().catch(() => {}), LAST_USED_FLUSH_MS);
  timer.unref();

  return {
    authenticate(request, beforeLookup) {
      const presented = extractApiKey(request);
      if (!presented) throw new MissingApiKeyError();
      if (!KEY_PATTERN.test(presented)) throw new InvalidApiKeyError();
      const hash = crypto.hash('sha256', presented, 'base64');
      const cached = cache.get(hash);
      if (cached && cached.expires > Date.now()) return accept(cached.key, hash);
      beforeLookup?.(request);
      return load(hash).then((key) => accept(key, hash));
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush().catch(() => {});
    },
  };
}
