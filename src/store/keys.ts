// API keys: generated once, shown once, stored as a SHA-256 hash (the keys are long random
// strings, so a fast hash is enough; there is nothing to brute-force). The rules of a new key
// live here, for the CLI and the HTTP API alike.
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

/** Managing keys. Not a tier's: a key has it only when it was granted by name (admin is not a tier). */
export const ADMIN_SCOPE = 'admin' satisfies Scope;

export function isScope(value: unknown): value is Scope {
  return (SCOPES as readonly unknown[]).includes(value);
}

/** The longest name a key may have. */
export const KEY_NAME_MAX = 100;
// Printable text: a name is shown in lists and logs.
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const CONTROL = /[\u0000-\u001f\u007f]/;
/** The latest expiry a key may have (timestamps past year 9999 are not ISO 8601 any more). */
const LATEST_EXPIRY = Date.UTC(9999, 11, 31);

export interface Tier {
  name: string;
  /** "Above" between tiers: a key grants tiers of its rank or lower; null: only its own tier's keys grant it. */
  rank: number | null;
  requests_per_minute: number;
  requests_per_day: number;
  lookback_days: number;
  max_limit: number;
  list_formats: string[];
  scopes: string[];
}

/** Requests authenticated with a key in the current UTC day and month. */
export interface KeyUsage {
  today: number;
  month: number;
}

export interface ApiKeyInfo {
  id: string;
  name: string;
  prefix: string;
  tier: string;
  scopes: string[];
  /** Whether the key has the admin scope (it manages keys). */
  admin: boolean;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
  /** As flushed to the store by every instance (each flushes once a minute and when it stops). */
  usage: KeyUsage;
}

/** What authentication needs about a key: the key, its expiry and its tier's limits. */
export interface AuthenticatedKey {
  id: string;
  name: string;
  prefix: string;
  created_at: Date;
  expires_at: Date | null;
  scopes: string[];
  keyHash: Buffer;
  tier: Tier;
}

/**
 * A key that cannot be made or revoked as asked. `parameter` names the input at fault; `refusal`
 * says whether the input is wrong (`invalid`), the caller may not do it (`forbidden`), or the
 * store's state forbids it (`conflict`).
 */
export class KeyError extends Error {
  override name = 'KeyError';
  constructor(
    message: string,
    readonly parameter: string,
    readonly refusal: 'invalid' | 'forbidden' | 'conflict' = 'invalid',
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
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

/** The NOTIFY channel of revocations: its payload is the key id (src/api/auth.ts listens). */
export const KEY_CHANNEL = 'socd_api_keys';

const TIER_COLUMNS = 'name, rank, requests_per_minute, requests_per_day, lookback_days, max_limit, list_formats, scopes';
const SELECT_TIER = `select ${TIER_COLUMNS} from tiers where name = $1`;
const SELECT_TIERS = `select ${TIER_COLUMNS} from tiers order by requests_per_minute`;
const INSERT_KEY = `insert into api_keys (name, prefix, key_hash, tier, scopes, expires_at) values ($1, $2, $3, $4, $5, $6)
  returning id`;
// Each key with its usage of the current UTC day and month (float8: a month's count may pass
// what an integer holds, and pg reads bigint as text).
const SELECT_KEYS = `with today as (select (now() at time zone 'UTC')::date as day)
  select k.id, k.name, k.prefix, k.tier, k.scopes, 'admin' = any (k.scopes) as admin,
      k.created_at, k.expires_at, k.last_used_at, k.revoked_at,
      coalesce(sum(u.requests) filter (where u.day = t.day), 0)::float8 as usage_today,
      coalesce(sum(u.requests), 0)::float8 as usage_month
    from api_keys k cross join today t
    left join api_key_usage u on u.key_id = k.id and u.day between date_trunc('month', t.day)::date and t.day
    where $1::uuid is null or k.id = $1::uuid
    group by k.id, t.day
    order by k.created_at, k.id`;
// Serialises the changes that count admin keys: two revocations at once cannot each leave the other's key as the last.
const LOCK_KEYS = `select pg_advisory_xact_lock(7261002)`;
const SELECT_KEY_FOR_REVOKE = `select id, revoked_at, 'admin' = any (scopes) and (expires_at is null or expires_at > now()) as active_admin
  from api_keys where id = $1 for update`;
const COUNT_OTHER_ADMINS = `select count(*)::int as n from api_keys
  where id <> $1 and 'admin' = any (scopes) and revoked_at is null and (expires_at is null or expires_at > now())`;
// The notification is sent at commit, to every instance that listens (src/api/auth.ts).
const REVOKE_KEY = `with revoked as (update api_keys set revoked_at = now() where id = $1 and revoked_at is null returning id)
  select pg_notify('${KEY_CHANNEL}', id::text) from revoked`;
const SELECT_KEY_BY_HASH = `select k.id, k.name, k.prefix, k.created_at, k.expires_at, k.scopes, k.key_hash,
    t.name as tier_name, t.rank, t.requests_per_minute, t.requests_per_day, t.lookback_days, t.max_limit, t.list_formats,
    t.scopes as tier_scopes
  from api_keys k join tiers t on t.name = k.tier
  where k.key_hash = $1 and k.revoked_at is null`;
// Adds what an instance counted, and moves last_used_at; a key deleted meanwhile is skipped.
const RECORD_USAGE = `with counted as (
    select u.key_id, u.day, u.requests
    from unnest($1::uuid[], $2::date[], $3::bigint[]) as u (key_id, day, requests)
    join api_keys k on k.id = u.key_id
  ), touched as (
    update api_keys set last_used_at = now() where id in (select key_id from counted)
  )
  insert into api_key_usage (key_id, day, requests) select key_id, day, requests from counted
  on conflict (key_id, day) do update set requests = api_key_usage.requests + excluded.requests`;
const SELECT_ANY_KEY = `select id from api_keys limit 1`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isKeyId(value: string): boolean {
  return UUID.test(value);
}

export async function listTiers(db: Queryable): Promise<Tier[]> {
  return db.query<Tier>(SELECT_TIERS);
}

export interface NewKey {
  name: string;
  /** Required without a grantor; with one, defaults to the grantor's tier. */
  tier?: string;
  /** Defaults to every scope of the tier (those of the grantor, when there is one), never admin. */
  scopes?: string[];
  /** Grants the admin scope (as 'admin' in scopes does). */
  admin?: boolean;
  /** Never, by default; with a grantor that expires, when the grantor does. */
  expiresAt?: Date | null;
}

/** The key that asks for a new one (over HTTP); none for the operator (the CLI, the first start). */
export type Grantor = Pick<AuthenticatedKey, 'id' | 'scopes' | 'tier' | 'expires_at'>;

/**
 * The rules of a new key, the same for `socd keys create` and POST /api/v1/keys: a bounded name;
 * a known tier; known scopes that the tier has (admin aside: it is granted by name only); an
 * expiry in the future. A grantor also cannot grant a scope it does not have, a tier ranked
 * above its own, nor a key that outlives it.
 */
export async function createApiKey(db: Queryable, input: NewKey, grantor?: Grantor): Promise<{ key: string; info: ApiKeyInfo }> {
  const name = checkName(input.name);
  const tierName = input.tier ?? grantor?.tier.name;
  if (tierName === undefined) throw new KeyError('a tier is required', 'tier');
  const [tier] = await db.query<Tier>(SELECT_TIER, [tierName]);
  if (!tier) {
    const names = (await listTiers(db)).map((t) => t.name);
    throw new KeyError(`unknown tier "${tierName}"; tiers: ${names.join(', ')}`, 'tier', 'invalid', { allowed: names });
  }
  if (grantor) checkTierGrant(grantor.tier, tier);
  const scopes = resolveScopes(input, tier, grantor);
  const expiresAt = checkExpiry(input.expiresAt, grantor);
  const key = generateApiKey();
  const [row] = await db.query<{ id: string }>(INSERT_KEY, [name, key.slice(0, KEY_PREFIX.length + 4), hashApiKey(key), tier.name, scopes, expiresAt]);
  return { key, info: (await getApiKey(db, row!.id))! };
}

function checkName(name: string): string {
  if (typeof name !== 'string' || name.trim() === '') throw new KeyError('a key needs a name that is not blank', 'name');
  if (name.length > KEY_NAME_MAX) throw new KeyError(`a key name has at most ${KEY_NAME_MAX} characters (this one has ${name.length})`, 'name');
  if (CONTROL.test(name)) throw new KeyError('a key name cannot contain control characters', 'name');
  return name;
}

function checkTierGrant(own: Tier, tier: Tier): void {
  if (tier.name === own.name) return;
  if (tier.rank !== null && own.rank !== null && tier.rank <= own.rank) return;
  throw new KeyError(
    tier.rank === null || own.rank === null
      ? `the ${tier.name} tier cannot be granted by a key of the ${own.name} tier: the two are not ranked (tiers.rank)`
      : `the ${tier.name} tier is above the ${own.name} tier of the calling key`,
    'tier',
    'forbidden',
    { your_tier: own.name },
  );
}

function resolveScopes(input: NewKey, tier: Tier, grantor: Grantor | undefined): string[] {
  const named = input.scopes;
  // A tier row that still lists admin (an operator's own) does not grant it either.
  const requested = named ?? tier.scopes.filter((scope) => scope !== ADMIN_SCOPE && (!grantor || grantor.scopes.includes(scope)));
  // Scopes are a closed list: a tier row that names another one does not make it a scope.
  const unknown = requested.filter((scope) => !isScope(scope));
  if (unknown.length > 0) {
    throw new KeyError(`unknown scope ${unknown.join(', ')}; scopes: ${SCOPES.join(', ')}`, 'scopes', 'invalid', { allowed: SCOPES });
  }
  const foreign = requested.filter((scope) => scope !== ADMIN_SCOPE && !tier.scopes.includes(scope));
  if (foreign.length > 0) {
    const allowed = tier.scopes.filter((scope) => scope !== ADMIN_SCOPE);
    throw new KeyError(`scope ${foreign.join(', ')} not available on the ${tier.name} tier; allowed: ${allowed.join(', ')}`, 'scopes', 'invalid', {
      allowed,
    });
  }
  if (input.admin === false && requested.includes(ADMIN_SCOPE)) throw new KeyError('admin is false, but the scopes name admin', 'admin');
  const scopes = [...new Set(input.admin ? [...requested, ADMIN_SCOPE] : requested)];
  if (grantor) {
    const beyond = scopes.filter((scope) => !grantor.scopes.includes(scope));
    if (beyond.length > 0) {
      const parameter = named?.some((scope) => beyond.includes(scope)) ? 'scopes' : 'admin';
      throw new KeyError(`the calling key cannot grant scope ${beyond.join(', ')}: it does not have it`, parameter, 'forbidden', {
        your_scopes: grantor.scopes,
      });
    }
  }
  return scopes;
}

function checkExpiry(expiresAt: Date | null | undefined, grantor: Grantor | undefined): Date | null {
  const limit = grantor?.expires_at ?? null;
  if (expiresAt === undefined || expiresAt === null) return limit;
  if (!(expiresAt instanceof Date) || Number.isNaN(expiresAt.getTime())) throw new KeyError('the expiry is not a date', 'expires_at');
  if (expiresAt.getTime() <= Date.now()) throw new KeyError(`the expiry ${expiresAt.toISOString()} is not in the future`, 'expires_at');
  if (expiresAt.getTime() > LATEST_EXPIRY) throw new KeyError('the expiry is after the year 9999', 'expires_at');
  if (limit && expiresAt > limit) {
    throw new KeyError(`the new key cannot outlive the calling key, which expires at ${limit.toISOString()}`, 'expires_at', 'forbidden', {
      your_expires_at: limit.toISOString(),
    });
  }
  return expiresAt;
}

interface KeyInfoRow extends Omit<ApiKeyInfo, 'usage'> {
  usage_today: number;
  usage_month: number;
}

function toKeyInfo({ usage_today, usage_month, ...row }: KeyInfoRow): ApiKeyInfo {
  return { ...row, usage: { today: usage_today, month: usage_month } };
}

/** Every key, revoked ones too, oldest first, with its usage. */
export async function listApiKeys(db: Queryable): Promise<ApiKeyInfo[]> {
  return (await db.query<KeyInfoRow>(SELECT_KEYS, [null])).map(toKeyInfo);
}

export async function getApiKey(db: Queryable, id: string): Promise<ApiKeyInfo | undefined> {
  if (!isKeyId(id)) return undefined;
  const [row] = await db.query<KeyInfoRow>(SELECT_KEYS, [id]);
  return row && toKeyInfo(row);
}

/**
 * Revokes a key by id; false when no active key has that id. Every instance drops the key from
 * its cache when the revocation commits (the NOTIFY on KEY_CHANNEL). The last admin key that
 * works is kept unless `force`: without it nobody could manage keys over HTTP any more.
 */
export async function revokeApiKey(db: Db, id: string, options: { force?: boolean } = {}): Promise<boolean> {
  if (!isKeyId(id)) return false;
  return db.transaction(async (tx) => {
    await tx.query(LOCK_KEYS);
    const [key] = await tx.query<{ revoked_at: Date | null; active_admin: boolean }>(SELECT_KEY_FOR_REVOKE, [id]);
    if (!key || key.revoked_at) return false;
    if (key.active_admin && !options.force) {
      const [others] = await tx.query<{ n: number }>(COUNT_OTHER_ADMINS, [id]);
      if (others!.n === 0) {
        throw new KeyError(
          `key ${id} is the last admin key that works: revoked, no key could manage keys over HTTP. ` +
            'Create another admin key first, or revoke it with `socd keys revoke --force`',
          'id',
          'conflict',
        );
      }
    }
    return (await tx.query(REVOKE_KEY, [id])).length > 0;
  });
}

interface KeyRow {
  id: string;
  name: string;
  prefix: string;
  created_at: Date;
  expires_at: Date | null;
  scopes: string[];
  key_hash: Uint8Array;
  tier_name: string;
  rank: number | null;
  requests_per_minute: number;
  requests_per_day: number;
  lookback_days: number;
  max_limit: number;
  list_formats: string[];
  tier_scopes: string[];
}

/** The key with this hash that is not revoked (it may have expired: the caller checks expires_at), or undefined. */
export async function findApiKey(db: Queryable, keyHash: Buffer): Promise<AuthenticatedKey | undefined> {
  const [row] = await db.query<KeyRow>(SELECT_KEY_BY_HASH, [keyHash]);
  if (!row) return undefined;
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    created_at: row.created_at,
    expires_at: row.expires_at,
    // A key never has more than its tier allows, even if the tier was changed after it was made;
    // admin is no tier's, and stays with the key it was granted to.
    scopes: row.scopes.filter((scope) => scope === ADMIN_SCOPE || row.tier_scopes.includes(scope)),
    keyHash: Buffer.from(row.key_hash),
    tier: {
      name: row.tier_name,
      rank: row.rank,
      requests_per_minute: row.requests_per_minute,
      requests_per_day: row.requests_per_day,
      lookback_days: row.lookback_days,
      max_limit: row.max_limit,
      list_formats: row.list_formats,
      scopes: row.tier_scopes,
    },
  };
}

/** Requests an instance counted for one key on one UTC day (`YYYY-MM-DD`). */
export interface UsageCount {
  keyId: string;
  day: string;
  requests: number;
}

/** Adds counted requests to the keys' usage, and sets their last_used_at; at most one count per key and day. */
export async function recordKeyUsage(db: Queryable, counts: UsageCount[]): Promise<void> {
  if (counts.length === 0) return;
  await db.query(RECORD_USAGE, [counts.map((c) => c.keyId), counts.map((c) => c.day), counts.map((c) => c.requests)]);
}

/**
 * Creates the admin key on a database that has no key at all (its first start); undefined
 * otherwise, so that a revoked admin key stays revoked. It is the one key with admin from the start.
 */
export async function createAdminKeyIfMissing(db: Db): Promise<{ key: string; info: ApiKeyInfo } | undefined> {
  return db.transaction(async (tx) => {
    await tx.query(LOCK_KEYS);
    if ((await tx.query(SELECT_ANY_KEY)).length > 0) return undefined;
    return createApiKey(tx, { name: 'admin', tier: 'pro', admin: true });
  });
}
