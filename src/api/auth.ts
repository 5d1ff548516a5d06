// API key authentication: the key comes in `Authorization: Bearer` (or Basic, as the password),
// `X-API-Key` or `?api_key=`; it is hashed and looked up by hash, and the hashes compared in constant time.
// Lookups are cached so that a request costs no query. A revocation reaches every instance at
// once: the store NOTIFYs it (store/keys.ts revokeApiKey) and each authenticator LISTENs and
// drops that key. While that channel is down nothing is cached, since a revocation could be
// missed; KEY_CACHE_TTL_MS bounds what is not notified (a tier's limits edited in SQL).
// Requests are counted per key and UTC day, in memory, and added to the store with last_used_at.
import crypto from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Db, Subscription } from '../store/db.js';
import { findApiKey, KEY_CHANNEL, KEY_PATTERN, recordKeyUsage, type AuthenticatedKey, type KeyUsage, type UsageCount } from '../store/keys.js';
import { ExpiredApiKeyError, InvalidApiKeyError, MissingApiKeyError } from './errors.js';

export const KEY_CACHE_TTL_MS = 60_000;
const KEY_CACHE_MAX = 10_000;
/** How often last_used_at and the usage counts are written (and so how late other instances see them). */
export const USAGE_FLUSH_MS = 60_000;

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
  /** Drops a key from this instance's cache (the others hear of a revocation from the store). */
  forget(keyId: string): void;
  /** A key's usage as the store has it (`stored`), with the requests this instance counted and has not written yet. */
  usage(keyId: string, stored: KeyUsage): KeyUsage;
  /** Resolves once the first attempt to listen for revocations has ended, listening or not. */
  ready(): Promise<void>;
  /** Whether revocations are heard now (and keys therefore cached). */
  readonly listening: boolean;
  /** Writes last_used_at and the usage counts of the keys used since the last flush. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface AuthLog {
  warn(object: Record<string, unknown>, message: string): void;
  info(object: Record<string, unknown>, message: string): void;
}

/** The UTC day of a time, as the store's usage table keys it. */
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function createAuthenticator(db: Db, cacheTtlMs = KEY_CACHE_TTL_MS, log?: AuthLog): Authenticator {
  const cache = new Map<string, { key: AuthenticatedKey | undefined; expires: number }>();
  // Per UTC day, per key id: requests counted and not yet written.
  let pending = new Map<string, Map<string, number>>();
  let today = { day: '', until: 0 };
  let listening = false;
  // Moves on each invalidation: a lookup that began before one does not cache what it read.
  let generation = 0;

  const invalidate = (keyId?: string) => {
    generation++;
    if (keyId === undefined) return cache.clear();
    for (const [hash, entry] of cache) if (entry.key?.id === keyId) cache.delete(hash);
  };

  let settleReady: () => void = () => {};
  const readyPromise = new Promise<void>((resolve) => (settleReady = resolve));
  const subscription: Subscription = db.listen(KEY_CHANNEL, {
    onNotify: (keyId) => invalidate(keyId),
    onListening() {
      // Whatever was revoked while nobody listened is read again from the store.
      invalidate();
      if (!listening && log) log.info({ channel: KEY_CHANNEL }, 'listening for API key revocations');
      listening = true;
      settleReady();
    },
    onLost(error) {
      if (listening) log?.warn({ err: error }, 'lost the connection that hears API key revocations: keys are not cached until it is back');
      listening = false;
      invalidate();
      settleReady();
    },
  });

  // Keyed by the key's SHA-256 (as hashApiKey), in base64: crypto.hash() gives it in one call,
  // a fraction of a hash object's cost, which every request pays.
  async function load(hash: string): Promise<AuthenticatedKey | undefined> {
    const started = generation;
    const key = await findApiKey(db, Buffer.from(hash, 'base64'));
    if (listening && started === generation && cacheTtlMs > 0) {
      if (cache.size >= KEY_CACHE_MAX) cache.clear();
      cache.set(hash, { key, expires: Date.now() + cacheTtlMs });
    }
    return key;
  }

  function accept(key: AuthenticatedKey | undefined, hash: string, now: number): AuthenticatedKey {
    if (!key || !crypto.timingSafeEqual(key.keyHash, Buffer.from(hash, 'base64'))) throw new InvalidApiKeyError();
    if (key.expires_at && key.expires_at.getTime() <= now) throw new ExpiredApiKeyError(key.expires_at);
    count(key.id, now);
    return key;
  }

  function count(keyId: string, now: number) {
    if (now >= today.until) {
      const day = utcDay(now);
      today = { day, until: Date.parse(`${day}T00:00:00Z`) + 86_400_000 };
    }
    let byKey = pending.get(today.day);
    if (!byKey) pending.set(today.day, (byKey = new Map()));
    byKey.set(keyId, (byKey.get(keyId) ?? 0) + 1);
  }

  async function flush() {
    if (pending.size === 0) return;
    const taken = pending;
    pending = new Map();
    const counts: UsageCount[] = [];
    for (const [day, byKey] of taken) for (const [keyId, requests] of byKey) counts.push({ keyId, day, requests });
    try {
      await recordKeyUsage(db, counts);
    } catch (error) {
      // Counted again at the next flush, with what came meanwhile.
      for (const { keyId, day, requests } of counts) {
        let byKey = pending.get(day);
        if (!byKey) pending.set(day, (byKey = new Map()));
        byKey.set(keyId, (byKey.get(keyId) ?? 0) + requests);
      }
      throw error;
    }
  }
  const timer = setInterval(() => flush().catch((err: unknown) => log?.warn({ err }, 'writing API key usage failed')), USAGE_FLUSH_MS);
  timer.unref();

  return {
    authenticate(request, beforeLookup) {
      const presented = extractApiKey(request);
      if (!presented) throw new MissingApiKeyError();
      if (!KEY_PATTERN.test(presented)) throw new InvalidApiKeyError();
      const hash = crypto.hash('sha256', presented, 'base64');
      const now = Date.now();
      const cached = cache.get(hash);
      if (cached && cached.expires > now) return accept(cached.key, hash, now);
      beforeLookup?.(request);
      return load(hash).then((key) => accept(key, hash, Date.now()));
    },
    forget: (keyId) => invalidate(keyId),
    usage(keyId, stored) {
      const now = Date.now();
      const day = utcDay(now);
      const month = day.slice(0, 7);
      let todayCount = stored.today;
      let monthCount = stored.month;
      for (const [d, byKey] of pending) {
        const n = byKey.get(keyId) ?? 0;
        if (d === day) todayCount += n;
        if (d.startsWith(month) && d <= day) monthCount += n;
      }
      return { today: todayCount, month: monthCount };
    },
    ready: () => readyPromise,
    get listening() {
      return listening;
    },
    flush,
    async close() {
      clearInterval(timer);
      await subscription.close();
      await flush().catch(() => {});
    },
  };
}
