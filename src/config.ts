// The environment, read and validated once at start-up, then passed in. A bad variable stops
// the process with a message that names it.
import path from 'node:path';
import ipaddr from 'ipaddr.js';

export interface Config {
  host: string;
  port: number;
  /** Where the embedded PostgreSQL (its cluster, port, password and log) and the admin key file live. */
  dataDir: string;
  /** A PostgreSQL server; when unset, the embedded one in dataDir. */
  databaseUrl: string | undefined;
  /** Shared rate-limit counters; when unset they are kept in memory. */
  redisUrl: string | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Absolute base URL for links in responses; default: from the request's Host. */
  publicUrl: string | undefined;
  /** An operator's page about tiers, named in the refusals a better tier would lift; none by default. */
  upgradeUrl: string | undefined;
  /** Browser origins allowed to call the API (CORS); none by default. */
  corsOrigins: string[];
  statsRefreshSeconds: number;
  /** How long the changes feed keeps its events: a delta or changes `since` older than this answers 410. */
  changesRetentionDays: number;
  /** The list's `meta.total` is counted on every request up to this; above, a count a minute old. */
  listTotalExactUpTo: number;
  /** Longest time one request may take; also each SQL statement's timeout. */
  requestTimeoutMs: number;
  bodyLimitBytes: number;
  maxUrlLength: number;
  pgPoolSize: number;
  /** The time budget of a search's trigram fallback, all its statements together. */
  searchFuzzyBudgetMs: number;
  /** How many trigram fallbacks may run at once for one API key, and in one process. */
  searchFuzzyPerKey: number;
  searchFuzzyPerInstance: number;
  trustProxy: boolean;
  /** Whether `serve` also runs the ingestion scheduler (off when a separate `socd worker` does). */
  ingest: boolean;
  /** How many sources the scheduler fetches at once. */
  ingestConcurrency: number;
  /** Whether /metrics (Prometheus) is served. */
  metrics: boolean;
  /** The client networks /metrics answers (CIDRs, normalized); loopback by default. */
  metricsAllow: string[];
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid environment variable ${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `expected an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `expected ${min}..${max}, got ${value}`);
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, 'not a URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `expected a ${protocols.join(' or ')} URL, got ${parsed.protocol}`);
  }
  return raw;
}

/** A comma-separated list of origins (scheme, host and port, nothing else). */
function origins(env: Env, name: string): string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return [];
  return raw.split(',').map((item) => {
    const text = item.trim();
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      throw new ConfigError(name, `"${text}" is not an origin`);
    }
    if (!['http:', 'https:'].includes(parsed.protocol) || parsed.origin !== text.replace(/\/$/, '')) {
      throw new ConfigError(name, `"${text}" is not an origin (scheme://host[:port])`);
    }
    return parsed.origin;
  });
}

/** A comma-separated list of IP addresses and CIDR networks, each returned as a network (`a.b.c.d/n`). */
function networks(env: Env, name: string, fallback: string[]): string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  return raw.split(',').map((item) => {
    const text = item.trim();
    try {
      // An IPv4 address written as IPv6 (::ffff:a.b.c.d) is the IPv4 one, as clients are compared.
      const [address, prefix] = text.includes('/') ? ipaddr.parseCIDR(text) : [ipaddr.process(text), undefined];
      const network = `${address.toString()}/${prefix ?? (address.kind() === 'ipv4' ? 32 : 128)}`;
      ipaddr.parseCIDR(network); // as /metrics will read it back
      return network;
    } catch {
      throw new ConfigError(name, `"${text}" is not an IP address or a CIDR network`);
    }
  });
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes)$/i.test(raw)) return true;
  if (/^(0|false|no)$/i.test(raw)) return false;
  throw new ConfigError(name, `expected true or false, got "${raw}"`);
}

export function loadConfig(env: Env = process.env): Config {
  const publicUrl = url(env, 'PUBLIC_URL', ['http:', 'https:']);
  return {
    host: env.HOST || '127.0.0.1',
    port: integer(env, 'PORT', 8080, 0, 65535),
    dataDir: path.resolve(env.DATA_DIR || './data'),
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    publicUrl: publicUrl?.replace(/\/+$/, ''),
    upgradeUrl: url(env, 'UPGRADE_URL', ['http:', 'https:']),
    corsOrigins: origins(env, 'CORS_ORIGINS'),
    statsRefreshSeconds: integer(env, 'STATS_REFRESH_SECONDS', 600, 5, 86_400),
    changesRetentionDays: integer(env, 'CHANGES_RETENTION_DAYS', 90, 1, 3650),
    listTotalExactUpTo: integer(env, 'LIST_TOTAL_EXACT_UP_TO', 10_000, 0, 10_000_000),
    requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 1_048_576, 1024, 104_857_600),
    maxUrlLength: integer(env, 'MAX_URL_LENGTH', 8192, 256, 65_536),
    pgPoolSize: integer(env, 'PG_POOL_SIZE', 10, 1, 500),
    searchFuzzyBudgetMs: integer(env, 'SEARCH_FUZZY_BUDGET_MS', 20, 1, 60_000),
    searchFuzzyPerKey: integer(env, 'SEARCH_FUZZY_PER_KEY', 2, 1, 1000),
    searchFuzzyPerInstance: integer(env, 'SEARCH_FUZZY_PER_INSTANCE', 8, 1, 1000),
    trustProxy: boolean(env, 'TRUST_PROXY', false),
    ingest: boolean(env, 'INGEST', true),
    ingestConcurrency: integer(env, 'INGEST_CONCURRENCY', 4, 1, 64),
    metrics: oneOf(env, 'METRICS', ['on', 'off'], 'on') === 'on',
    metricsAllow: networks(env, 'METRICS_ALLOW', ['127.0.0.0/8', '::1/128']),
  };
}

/** The variables a redacted config may print: everything but credentials in URLs. */
export function describeConfig(config: Config): Record<string, unknown> {
  const hidePassword = (u: string | undefined) => {
    if (!u) return u;
    const parsed = new URL(u);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  };
  return { ...config, databaseUrl: hidePassword(config.databaseUrl), redisUrl: hidePassword(config.redisUrl) };
}
