// From validated query parameters and the caller's tier to the filters the store runs: aliases
// resolved, times parsed, `since` clamped to the tier lookback and `limit` to the tier cap.
// What was changed is said in `notices`, so the caller knows.
import { readDate } from '../ioc/dates.js';
import { resolveIndustry, resolveIocType, INDUSTRIES, type Category, type Confidence, type IocType } from '../ioc/types.js';
import type { Tier } from '../store/keys.js';
import type { Page, RecordFilters } from '../store/iocs.js';
import type { DeltaFilters } from '../store/lifecycle.js';
import { InvalidParameterError } from './errors.js';
import type { ChangesQuery, ListQuery, StixQuery } from './schemas.js';

const DAY_MS = 86_400_000;
// An unencoded `+02:00` in a query string arrives as ` 02:00`: after a time, read it as meant.
const SPACED_OFFSET = /(\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?) (\d{2}(?::?\d{2})?)$/;

/** A time parameter through the one date reader (no zone means UTC), or 400 naming it. */
export function parseTime(parameter: string, raw: string): Date {
  const read = readDate(raw.trim().replace(SPACED_OFFSET, '$1+$2'));
  if (!read.ok) {
    throw new InvalidParameterError(
      parameter,
      `Invalid value for '${parameter}': '${raw}' is not an ISO 8601 date-time (e.g. 2026-05-16T00:00:00Z) or date (2026-05-16).`,
      { value: raw },
    );
  }
  return read.date;
}

/** Seconds precision, as the API writes times. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `limit` (100 when not given) within the tier's cap; a reduction is said in `notices`. */
function clampLimit(requested = 100, tier: Tier, notices: string[]): number {
  const limit = Math.min(requested, tier.max_limit);
  if (limit < requested) notices.push(`limit reduced from ${requested} to ${limit}: the ${tier.name} tier cap`);
  return limit;
}

/** The start of the tier's lookback: nothing stored before it is read. */
export function lookbackStart(tier: Tier, now = new Date()): Date {
  return new Date(now.getTime() - tier.lookback_days * DAY_MS);
}

/**
 * The `since`/`until` window of a list (of `what`: records, articles), `since` clamped to the
 * tier's lookback; what was changed is pushed onto `notices`. A window written backwards is an
 * error; one that ends before the lookback is only empty.
 */
export function resolveWindow(
  query: { since?: string; until?: string },
  tier: Tier,
  now: Date,
  what: string,
  notices: string[],
): { earliest: Date; since: Date; until?: Date } {
  const earliest = lookbackStart(tier, now);
  const requestedSince = query.since === undefined ? undefined : parseTime('since', query.since);
  let since = requestedSince ?? earliest;
  if (since < earliest) {
    if (requestedSince) notices.push(`since raised from ${query.since} to ${isoSeconds(earliest)}: the ${tier.name} tier looks back ${tier.lookback_days} day(s)`);
    since = earliest;
  }
  const until = query.until === undefined ? undefined : parseTime('until', query.until);
  if (until && requestedSince && until <= requestedSince) {
    throw new InvalidParameterError('until', `'until' (${query.until}) must be later than 'since' (${query.since}).`, { value: query.until });
  }
  if (until && until <= since) notices.push(`until ${query.until} is before the ${tier.name} tier's lookback (${isoSeconds(since)}): no ${what}`);
  return { earliest, since, ...(until && { until }) };
}

export interface ResolvedQuery {
  filters: RecordFilters;
  page: Page;
  /** The effective filters, as `meta.filters` shows them. */
  described: Record<string, string>;
  notices: string[];
  /** `since` is the tier's lookback (none given, or one raised to it): a time that moves with the clock. */
  sinceIsLookback: boolean;
}

/**
 * What `since` bounds: when a record was stored (the list), or when it was stored or seen again
 * (STIX: "IOCs added or updated after this time", for incremental exports). Either way no
 * record stored before the tier's lookback is read.
 */
export type SinceBounds = 'stored' | 'stored-or-seen';

export function resolveQuery(query: StixQuery, tier: Tier, sinceBounds: SinceBounds = 'stored', now = new Date()): ResolvedQuery {
  const notices: string[] = [];
  const type = query.type === undefined ? undefined : resolveIocType(query.type);
  let industry;
  if (query.industry !== undefined) {
    industry = resolveIndustry(query.industry);
    if (!industry) {
      throw new InvalidParameterError(
        'industry',
        `Invalid value for 'industry': '${query.industry}'. Allowed: ${INDUSTRIES.join(', ')} (or a CISA sector name).`,
        { value: query.industry, allowed: INDUSTRIES },
      );
    }
  }

  const { earliest, since, until } = resolveWindow(query, tier, now, 'records', notices);

  const limit = clampLimit(query.limit, tier, notices);

  const filters: RecordFilters = {
    type,
    category: query.category as Category | undefined,
    confidence: query.confidence as Confidence | undefined,
    industry,
    ...(sinceBounds === 'stored-or-seen' && since > earliest ? { since: earliest, changedSince: since } : { since }),
    until,
    lifecycle: query.include_expired ? 'with-expired' : 'active',
  };
  return {
    filters,
    page: { limit, offset: query.offset ?? 0 },
    described: {
      type: type ?? 'all',
      category: filters.category ?? 'all',
      confidence: filters.confidence ?? 'all',
      industry: industry ?? 'all',
      since: isoSeconds(since),
      until: isoSeconds(until ?? now),
      include_expired: String(query.include_expired ?? false),
    },
    notices,
    sinceIsLookback: since.getTime() === earliest.getTime(),
  };
}

// ---- the changes feed ----------------------------------------------------------------------------

const FRACTION = /\d{2}:\d{2}:\d{2}[.,](\d+)/;

/**
 * A place in the changes feed (a `since`), as the store writes one: UTC to the microsecond
 * (`2026-05-16T10:00:00.123456Z`). The date reader keeps milliseconds only; the feed's `at` are a
 * microsecond apart, so the fraction is carried over as it was written (an offset moves whole
 * minutes and never touches it). Digits past the sixth are cut: the events after the cut time are
 * the events after the time written.
 */
export function parseFeedPoint(parameter: string, raw: string): string {
  const date = parseTime(parameter, raw);
  const fraction = FRACTION.exec(raw)?.[1] ?? '';
  return `${date.toISOString().slice(0, 19)}.${fraction.padEnd(6, '0').slice(0, 6)}Z`;
}

export interface ResolvedChanges {
  /** A feed point (parseFeedPoint), or undefined: from the start of the retained history. */
  since?: string;
  limit: number;
  type?: IocType;
  notices: string[];
}

/** The changes feed's query: not clamped by the tier lookback (a clamped feed would miss removals). */
export function resolveChanges(query: ChangesQuery, tier: Tier): ResolvedChanges {
  const notices: string[] = [];
  return {
    ...(query.since !== undefined && { since: parseFeedPoint('since', query.since) }),
    limit: clampLimit(query.limit, tier, notices),
    ...(query.type !== undefined && { type: resolveIocType(query.type) }),
    notices,
  };
}

export interface ResolvedDelta {
  since: string;
  limit: number;
  filters: DeltaFilters;
}

/** Parameters a delta cannot honour: a delta says what changed in the list of a record's own filters. */
const NOT_WITH_DELTA = ['industry', 'until', 'offset', 'cursor'] as const;

/**
 * A block-list delta's query (`delta=true`): the txt format, a `since` that is a point in the
 * changes feed (not clamped by the tier lookback), and only the filters a delta line is judged on.
 */
export function resolveDelta(query: ListQuery, tier: Tier): ResolvedDelta {
  if ((query.format ?? 'json') !== 'txt') {
    throw new InvalidParameterError('format', `'delta=true' answers the txt format only (+value / -value lines): add format=txt.`, {
      value: query.format ?? 'json',
      allowed: ['txt'],
    });
  }
  if (query.since === undefined) {
    throw new InvalidParameterError(
      'since',
      "'delta=true' needs 'since': the X-Changes-Since of the list you hold (or of the last delta you applied).",
    );
  }
  for (const parameter of NOT_WITH_DELTA) {
    // `offset` comes as its default, 0, when not given: only a page further on is refused.
    if (query[parameter] !== undefined && query[parameter] !== 0) {
      throw new InvalidParameterError(
        parameter,
        `'${parameter}' cannot be combined with 'delta=true': a delta follows the changes feed, with the type, confidence and category filters only.`,
        { value: query[parameter] },
      );
    }
  }
  if (query.include_expired) {
    throw new InvalidParameterError('include_expired', "'include_expired' cannot be combined with 'delta=true': a delta follows the list of listed values.", {
      value: true,
    });
  }
  return {
    since: parseFeedPoint('since', query.since),
    limit: clampLimit(query.limit, tier, []),
    filters: {
      ...(query.type !== undefined && { type: resolveIocType(query.type) }),
      ...(query.confidence !== undefined && { confidence: query.confidence }),
      ...(query.category !== undefined && { category: query.category }),
    },
  };
}
