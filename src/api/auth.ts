// API key authentication: the key comes in `Authorization: Bearer`, `X-API-Key` or
// `?api_key=`; it is hashed and looked up by hash, and the hashes compared in constant time.
// Lookups are cached briefly so that a request costs no query; a revoked key stops working
// within KEY_CACHE_TTL_MS on every instance.
import crypto from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Db } from '../store/db.js';
import { findApiKey, hashApiKey, KEY_PATTERN, touchApiKeys, type AuthenticatedKey } from '../store/keys.js';
import { InvalidApiKeyError, MissingApiKeyError } from './errors.js';

export const KEY_CACHE_TTL_MS = 10_000;
const KEY_CACHE_MAX = 10_000;
const LAST_USED_FLUSH_MS = 60_000;

export function extractApiKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match ? match[1] : authorization.trim();
  }
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header) return header.trim();
  const query = (request.query as Record<string, unknown> | undefined)?.api_key;
  return typeof query === 'string' && query ? query : undefined;
}

export interface Authenticator {
  authenticate(request: FastifyRequest): Promise<AuthenticatedKey>;
  /** Writes last_used_at of the keys used since the last flush. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function createAuthenticator(db: Db, cacheTtlMs = KEY_CACHE_TTL_MS): Authenticator {
  const cache = new Map<string, { key: AuthenticatedKey | undefined; expires: number }>();
  const used = new Set<string>();

  async function lookup(hash: Buffer): Promise<AuthenticatedKey | undefined> {
    const id = hash.toString('base64');
    const cached = cache.get(id);
    if (cached && cached.expires > Date.now()) return cached.key;
    const key = await findApiKey(db, hash);
    if (cache.size >= KEY_CACHE_MAX) cache.clear();
    cache.set(id, { key, expires: Date.now() + cacheTtlMs });
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
    async authenticate(request) {
      const presented = extractApiKey(request);
      if (!presented) throw new MissingApiKeyError();
      if (!KEY_PATTERN.test(presented)) throw new InvalidApiKeyError();
      const hash = hashApiKey(presented);
      const key = await lookup(hash);
      if (!key || !crypto.timingSafeEqual(key.keyHash, hash)) throw new InvalidApiKeyError();
      used.add(key.id);
      return key;
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush().catch(() => {});
    },
  };
}
