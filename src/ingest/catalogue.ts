// The reviewed source catalogue (catalogue.yaml), read and checked.
import fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { CATEGORIES, type Category } from '../ioc/types.js';
import { FEED_KINDS, type FeedKind } from './parsers/index.js';

// The YAML stays in src/: from src/ingest/ and from dist/ingest/ alike this is the file.
export const CATALOGUE_FILE = new URL('../../src/ingest/catalogue.yaml', import.meta.url);

export interface SourceSpec {
  name: string;
  kind: FeedKind;
  url: string;
  category: Category;
  intervalSeconds: number;
  staleAfterSeconds: number | null;
  auth: { header: string; env: string } | null;
  /** The feed publishes its own validity (it lists a value while it holds): how long a value it stopped listing stays valid, and why. */
  lifetime?: { days: number; reason: string };
}

export class CatalogueError extends Error {
  override name = 'CatalogueError';
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

const MAX_DURATION_SECONDS = 3650 * 86_400;

/** "30m" → 1800; from 1s to 3650d. */
export function parseDuration(text: string): number {
  const match = /^(\d+)\s*([smhd])$/.exec(String(text).trim());
  if (!match) throw new CatalogueError(`"${text}" is not a duration like 30s, 15m, 6h or 7d`);
  const seconds = Number(match[1]) * UNITS[match[2]!]!;
  if (seconds < 1 || seconds > MAX_DURATION_SECONDS) throw new CatalogueError(`"${text}" is not between 1s and 3650d`);
  return seconds;
}

/** Checks one source description (from the catalogue or `socd sources add`). */
export function checkSourceSpec(raw: Record<string, unknown>): SourceSpec {
  const name = typeof raw.name === 'string' ? raw.name.trim() : '';
  const where = name ? `source "${name}"` : 'source';
  const fail = (problem: string): never => {
    throw new CatalogueError(`${where}: ${problem}`);
  };
  if (!name) fail('a name is needed');
  if (!(FEED_KINDS as readonly string[]).includes(String(raw.kind))) fail(`kind "${raw.kind}" is not one of ${FEED_KINDS.join(', ')}`);
  let url: URL | undefined;
  try {
    url = new URL(String(raw.url));
  } catch {
    fail(`url "${raw.url}" is not a URL`);
  }
  if (url!.protocol !== 'https:' && url!.protocol !== 'http:') fail(`url must be http(s), not ${url!.protocol}`);
  if (!(CATEGORIES as readonly string[]).includes(String(raw.category))) fail(`category "${raw.category}" is not one of ${CATEGORIES.join(', ')}`);
  const auth = raw.auth as { header?: unknown; env?: unknown } | undefined;
  if (auth && (typeof auth.header !== 'string' || typeof auth.env !== 'string' || !/^[A-Z_][A-Z0-9_]*$/.test(auth.env))) {
    fail('auth needs a header name and an environment variable name (UPPER_CASE)');
  }
  const duration = (field: string, value: unknown) => {
    try {
      return parseDuration(String(value));
    } catch (error) {
      return fail(`${field}: ${(error as Error).message}`);
    }
  };
  if (raw.lifetime !== undefined && (typeof raw.lifetime_reason !== 'string' || !raw.lifetime_reason.trim())) {
    fail('lifetime needs a lifetime_reason: the lifetimes table shows why');
  }
  const lifetimeSeconds = raw.lifetime === undefined ? undefined : duration('lifetime', raw.lifetime);
  if (lifetimeSeconds !== undefined && lifetimeSeconds % 86_400 !== 0) fail('lifetime: a whole number of days, like 7d');
  return {
    ...(lifetimeSeconds !== undefined && { lifetime: { days: lifetimeSeconds / 86_400, reason: String(raw.lifetime_reason).trim() } }),
    name,
    kind: raw.kind as FeedKind,
    url: url!.toString(),
    category: raw.category as Category,
    intervalSeconds: duration('interval', raw.interval ?? '1h'),
    staleAfterSeconds: raw.stale_after === undefined ? null : duration('stale_after', raw.stale_after),
    auth: auth ? { header: String(auth.header), env: String(auth.env) } : null,
  };
}

export function readCatalogue(file: URL | string = CATALOGUE_FILE): SourceSpec[] {
  const document = parseYaml(fs.readFileSync(file, 'utf8')) as { sources?: Record<string, unknown>[] };
  if (!Array.isArray(document?.sources)) throw new CatalogueError('the catalogue has no `sources` list');
  const specs = document.sources.map(checkSourceSpec);
  const names = new Set<string>();
  for (const spec of specs) {
    if (names.has(spec.name)) throw new CatalogueError(`source "${spec.name}" is listed twice`);
    names.add(spec.name);
  }
  return specs;
}
