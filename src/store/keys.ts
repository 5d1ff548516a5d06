// API keys: generated once, shown once, stored as a SHA-256 hash (the keys are long random
// strings, so a fast hash is enough; there is nothing to brute-force).
import crypto from 'node:crypto';
import type { Db, Queryable } from './db.js';

export const KEY_PREFIX = 'sk_live_';
const KEY_BODY_LENGTH = 40;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** The shape of a key; anything else is refused before any lookup. */
export const KEY_PATTERN = /^sk_live_[0-9A-Za-z]{32,64}$/;

/** Every scope there is: a closed list, which tiers and keys draw from. */
export const SCOPES = ['read:iocs', 'read:stix', 'read:stats', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: unknown): value is Scope {
  return (SCOPES as readonly unknown[]).includes(value);
}

export interface Tier {
  name: string;
  requests_per_minute: number;
  requests_per_day: number;
  lookback_days: number;
  max_limit: number;
  list_formats: string[];
  scopes: string[];
}

export interface ApiKeyInfo {
  id: string;
  name: string;
  prefix: string;
  tier: string;
  scopes: string[];
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

/** What authentication needs about a key: the key and its tier's limits. */
export interface AuthenticatedKey {
  id: string;
  name: string;
  scopes: string[];
  keyHash: Buffer;
  tier: Tier;
}

export class KeyError extends Error {
  override name = 'KeyError';
}

export function generateApiKey(): string {
  // Rejection sampling keeps every character equally likely.
  let body = '';
  while (body.length < KEY_BODY_LENGTH) {
    for (const byte of crypto.randomBytes(64)) {
      if (byte < 248 && body.length < KEY_BODY_LENGTH) body += BASE62[byte % 62];
    }
  }
  return KEY_PREFIX + body;
}

export function hashApiKey(key: string): Buffer {
  return crypto.createHash('sha256').update(key, 'utf8').digest();
}

const SELECT_TIER = `select name, requests_per_minute, requests_per_day, lookback_days, max_limit, list_formats, scopes
  from tiers where name = $1`;
const SELECT_TIERS = `select name, requests_per_minute, requests_per_day, lookback_days, max_limit, list_formats, scopes
  from tiers order by requests_per_minute`;
const INSERT_KEY = `insert into api_keys (name, prefix, key_hash, tier, scopes) values ($1, $2, $3, $4, $5)
  returning id, name, prefix, tier, scopes, created_at, last_used_at, revoked_at`;
const SELECT_KEYS = `select id, name, prefix, tier, scopes, created_at, last_used_at, revoked_at
  from api_keys order by created_at, id`;
const REVOKE_KEY = `update api_keys set revoked_at = now() where id = $1 and revoked_at is null returning id`;
const SELECT_KEY_BY_HASH = `select k.id, k.name, k.scopes, k.key_hash,
    t.name as tier_name, t.requests_per_minute, t.requests_per_day, t.lookback_days, t.max_limit, t.list_formats,
    t.scopes as tier_scopes
  from api_keys k join tiers t on t.name = k.tier
  where k.key_hash = $1 and k.revoked_at is null`;
const TOUCH_KEYS = `update api_keys set last_used_at = now() where id = any($1::uuid[])`;
const LOCK_ADMIN_KEY = `select pg_advisory_xact_lock(7261002)`;
const SELECT_ANY_KEY = `select id from api_keys limit 1`;

export async function listTiers(db: Queryable): Promise<Tier[]> {
  return db.query<Tier>(SELECT_TIERS);
}

export interface NewKey {
  name: string;
  tier: string;
  /** Defaults to every scope of the tier. */
  scopes?: string[];
}

export async function createApiKey(db: Queryable, input: NewKey): Promise<{ key: string; info: ApiKeyInfo }> {
  const [tier] = await db.query<Tier>(SELECT_TIER, [input.tier]);
  if (!tier) {
    const names = (await listTiers(db)).map((t) => t.name);
    throw new KeyError(`unknown tier "${input.tier}"; tiers: ${names.join(', ')}`);
  }
  const scopes = input.scopes ?? tier.scopes;
  const unknown = scopes.filter((scope) => !isScope(scope));
  if (unknown.length > 0) throw new KeyError(`unknown scope ${unknown.join(', ')}; scopes: ${SCOPES.join(', ')}`);
  const foreign = scopes.filter((scope) => !tier.scopes.includes(scope));
  if (foreign.length > 0) {
    throw new KeyError(`scope ${foreign.join(', ')} not available on the ${tier.name} tier; allowed: ${tier.scopes.join(', ')}`);
  }
  const key = generateApiKey();
  const [info] = await db.query<ApiKeyInfo>(INSERT_KEY, [
    input.name,
    key.slice(0, KEY_PREFIX.length + 4),
    hashApiKey(key),
    tier.name,
    [...new Set(scopes)],
  ]);
  return { key, info: info! };
}

export async function listApiKeys(db: Queryable): Promise<ApiKeyInfo[]> {
  return db.query<ApiKeyInfo>(SELECT_KEYS);
}

/** Revokes a key by id; false when no active key has that id. */
export async function revokeApiKey(db: Queryable, id: string): Promise<boolean> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return false;
  return (await db.query(REVOKE_KEY, [id])).length > 0;
}

interface KeyRow {
  id: string;
  name: string;
  scopes: string[];
  key_hash: Uint8Array;
  tier_name: string;
  requests_per_minute: number;
  requests_per_day: number;
  lookback_days: number;
  max_limit: number;
  list_formats: string[];
  tier_scopes: string[];
}

/** The active key with this hash, or undefined. */
export async function findApiKey(db: Queryable, keyHash: Buffer): Promise<AuthenticatedKey | undefined> {
  const [row] = await db.query<KeyRow>(SELECT_KEY_BY_HASH, [keyHash]);
  if (!row) return undefined;
  return {
    id: row.id,
    name: row.name,
    // A key never has more than its tier allows, even if the tier was changed after it was made.
    scopes: row.scopes.filter((scope) => row.tier_scopes.includes(scope)),
    keyHash: Buffer.from(row.key_hash),
    tier: {
      name: row.tier_name,
      requests_per_minute: row.requests_per_minute,
      requests_per_day: row.requests_per_day,
      lookback_days: row.lookback_days,
      max_limit: row.max_limit,
      list_formats: row.list_formats,
      scopes: row.tier_scopes,
    },
  };
}

export async function touchApiKeys(db: Queryable, ids: string[]): Promise<void> {
  if (ids.length > 0) await db.query(TOUCH_KEYS, [ids]);
}

/**
 * Creates the admin key on a database that has no key at all (its first start); undefined
 * otherwise, so that a revoked admin key stays revoked.
 */
export async function createAdminKeyIfMissing(db: Db): Promise<{ key: string; info: ApiKeyInfo } | undefined> {
  return db.transaction(async (tx) => {
    await tx.query(LOCK_ADMIN_KEY);
    if ((await tx.query(SELECT_ANY_KEY)).length > 0) return undefined;
    return createApiKey(tx, { name: 'admin', tier: 'pro' });
  });
}
