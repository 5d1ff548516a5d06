// The request and response schemas: Fastify validates requests with them, serializes
// responses with them, and /api/openapi.json is generated from them.
import { Type, type Static, type TSchema } from 'typebox';
import { LIST_FORMATS, LIST_FORMATS_DESCRIPTION } from '../export/index.js';
import { CATEGORIES, CONFIDENCES, IOC_TYPE_ALIASES, IOC_TYPES, INDUSTRIES, ORIGINS } from '../ioc/types.js';
import type { ChangeKind } from '../store/lifecycle.js';

/** A string that must be one of `values` (`type` too, for OpenAPI readers). */
export function StringEnum<const T extends readonly string[]>(values: T, options: { description?: string; default?: T[number] } = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/** OpenAPI 3.0 spells "or null" as `nullable`. */
export function Nullable<T extends TSchema>(schema: T) {
  // OpenAPI 3.0: an enum lists null itself, or nullable does not let null through it.
  const values = (schema as { enum?: unknown[] }).enum;
  return Type.Unsafe<Static<T> | null>({ ...schema, nullable: true, ...(values && { enum: [...values, null] }) });
}

const ApiKeyParam = Type.Optional(
  Type.String({ description: 'The API key, when it cannot be sent in a header (it is never logged).' }),
);

export const IocTypeParam = StringEnum([...IOC_TYPES, ...Object.keys(IOC_TYPE_ALIASES)] as const, {
  description: 'IOC type. `mitre-attack` is accepted for `mitre_attack`.',
});

const TimeParam = (description: string) =>
  Type.String({ description: `${description} ISO 8601: \`2026-05-16T00:00:00Z\` or \`2026-05-16\` (UTC).` });

const FilterParams = {
  type: Type.Optional(IocTypeParam),
  category: Type.Optional(StringEnum([...CATEGORIES], { description: 'The category of the reporting source.' })),
  confidence: Type.Optional(StringEnum([...CONFIDENCES], { description: '`high` is for automated blocking.' })),
  industry: Type.Optional(
    Type.String({
      description: `Targeted industry: ${INDUSTRIES.join(', ')}; CISA sector names (e.g. \`financial-services\`) are accepted.`,
    }),
  ),
  since: Type.Optional(TimeParam('Lower bound (inclusive) on when a record was stored; clamped to your tier lookback.')),
  until: Type.Optional(TimeParam('Upper bound (exclusive) on when a record was stored.')),
  limit: Type.Optional(Type.Integer({ minimum: 1, default: 100, description: 'Rows (or indicators) per request; clamped to your tier cap.' })),
  // The largest a JavaScript number holds exactly (and PostgreSQL's bigint OFFSET takes).
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 })),
  include_expired: Type.Optional(
    Type.Boolean({
      default: false,
      description:
        'true: also the records of expired indicators (no source has reported them within their lifetime). ' +
        'Revoked and allow-listed values are left out either way.',
    }),
  ),
  api_key: ApiKeyParam,
};

/** A place in the changes feed, as a `since` names it. */
const FEED_POINT =
  'RFC 3339, to the microsecond: an event\'s `at`, a `next_since`, or the `X-Changes-Since` header of a list or a delta. ' +
  'Not clamped by your tier lookback; older than the retained history (`complete_since`) it is refused with 410 `history_gone`: ' +
  'fetch the whole list again.';

export const ListQuery = Type.Object(
  {
    ...FilterParams,
    since: Type.Optional(
      TimeParam(
        'Lower bound (inclusive) on when a record was stored; clamped to your tier lookback. ' +
          `With \`delta=true\`: where the delta starts, after this point of the changes feed (${FEED_POINT})`,
      ),
    ),
    delta: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'true, with `format=txt` and `since`: a block-list delta, `+value` for a value the list (these filters) now holds ' +
          'and `-value` for one it no longer holds, one line per value with changes after `since`, in the order of their last ' +
          'change: applied in order to the list as it stood at `since`, they give the list as it stands. `limit` counts ' +
          'the changes read; when more may follow, a `Link: <…>; rel="next"` header names the next page. `X-Changes-Since` ' +
          'is where this page ends (the next delta\'s `since`). Polled with `If-None-Match`, a delta with nothing new is a 304. ' +
          'With `type`, `confidence` and `category`; not with `industry`, `until`, `offset`, `cursor` or `include_expired`.',
      }),
    ),
    format: Type.Optional(StringEnum(LIST_FORMATS, { default: 'json', description: LIST_FORMATS_DESCRIPTION })),
    include_context: Type.Optional(Type.Boolean({ default: true, description: 'false omits `context` from each record.' })),
    cursor: Type.Optional(
      Type.String({
        description:
          'Where the page starts: the `cursor` of the previous page\'s `links.next`, as it is (an opaque token). ' +
          'Every page costs the same, however deep, and records stored meanwhile never shift the pages. ' +
          'Not with `offset`; `json` and `csv` only (`txt` lists distinct values: page it with `offset`).',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ListQuery = Static<typeof ListQuery>;

export const StixQuery = Type.Object(
  {
    ...FilterParams,
    since: Type.Optional(
      TimeParam(
        'Indicators with a record stored, or seen again, or whose validity or withdrawal changed, at or after this time: ' +
          'for incremental exports. Clamped to your tier lookback. The STIX export then also carries the indicators that ' +
          'expired or were revoked since (a new version: `valid_until` in the past, or `revoked: true`), so that a ' +
          'subscriber holding them can retire them; a full export leaves them out.',
      ),
    ),
  },
  { additionalProperties: false },
);
export type StixQuery = Static<typeof StixQuery>;

export const ChangesQuery = Type.Object(
  {
    since: Type.Optional(
      Type.String({ description: `The events after this point, oldest first (${FEED_POINT}) Omitted: from \`complete_since\`.` }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, default: 100, description: 'Events per request; clamped to your tier cap.' })),
    type: Type.Optional(IocTypeParam),
    api_key: ApiKeyParam,
  },
  { additionalProperties: false },
);
export type ChangesQuery = Static<typeof ChangesQuery>;

export const SearchQuery = Type.Object(
  {
    q: Type.String({ minLength: 2, maxLength: 2048, description: 'Any IOC value; defanged input is accepted.' }),
    include_related: Type.Optional(Type.Boolean({ default: true })),
    api_key: ApiKeyParam,
  },
  { additionalProperties: false },
);
export type SearchQuery = Static<typeof SearchQuery>;

export const AuthQuery = Type.Object({ api_key: ApiKeyParam }, { additionalProperties: false });

const FeedMeta = {
  generated_at: Type.String({ format: 'date-time' }),
  feed_version: Type.String(),
  source: Type.String(),
};

export const IocRecordSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  type: StringEnum([...IOC_TYPES]),
  value: Type.String(),
  confidence: StringEnum([...CONFIDENCES]),
  first_seen: Type.String({ format: 'date-time' }),
  last_seen: Type.String({ format: 'date-time' }),
  source: Type.Object({
    article_id: Nullable(Type.String()),
    article_title: Nullable(Type.String()),
    article_url: Nullable(
      Type.String({
        description:
          "The article's page on this service, `<base>/item/{article_id}` (PUBLIC_URL, or the host serving the request): " +
          'for now it redirects to `/api/v1/articles/{article_id}`. null for a record with no article.',
      }),
    ),
    reference_url: Nullable(
      Type.String({
        description: "The publisher's page: the article's own URL, or else the record's upstream page (a feed's entry for it).",
      }),
    ),
    feed_name: Type.String(),
    category: StringEnum([...CATEGORIES]),
    origin: StringEnum([...ORIGINS]),
  }),
  context: Type.Optional(Nullable(Type.String())),
  tags: Type.Array(Type.String()),
  mitre_techniques: Type.Array(Type.String()),
  similarity: Type.Optional(Type.Number({ description: 'Fuzzy matches only: pg_trgm similarity to the query.' })),
});

export const ListResponse = Type.Object({
  meta: Type.Object({
    total: Type.Integer({
      description:
        'The records matching the filters. Counted at each request up to 10,000 (LIST_TOTAL_EXACT_UP_TO); above, ' +
        'a count made at most about five minutes before. See `total_exact`.',
    }),
    total_exact: Type.Boolean({
      description:
        'false when `total` is a lower bound: more than 10,000 records match and their first full count is under ' +
        'way (the next requests have it). `links.next` never depends on `total`.',
    }),
    limit: Type.Integer(),
    offset: Type.Integer(),
    ...FeedMeta,
    filters: Type.Object({}, { additionalProperties: true }),
    notices: Type.Optional(Type.Array(Type.String(), { description: 'What the server changed in your request (clamping).' })),
  }),
  data: Type.Array(IocRecordSchema),
  links: Type.Object({
    self: Type.String(),
    next: Type.Optional(
      Type.String({
        description:
          'The next page, by `cursor`: present when this page is full (it may then be empty). Follow it to walk the list.',
      }),
    ),
    prev: Type.Optional(Type.String({ description: 'The page before, by `offset` (offset pages only).' })),
  }),
});

const CHANGE_KINDS = ['added', 'updated', 'expired', 'revoked', 'restored'] as const satisfies readonly ChangeKind[];
const FeedPoint = (description: string) => Type.String({ format: 'date-time', description: `${description} RFC 3339 UTC to the microsecond.` });

export const ChangesResponse = Type.Object({
  meta: Type.Object({
    since: FeedPoint('Where this page starts: its events come after it.'),
    next_since: Type.Optional(FeedPoint("The last event's `at`, when the page is full: the next page's `since`.")),
    complete_since: FeedPoint('Since when the feed is complete: a `since` before it is refused with 410.'),
    limit: Type.Integer(),
    ...FeedMeta,
    notices: Type.Optional(Type.Array(Type.String(), { description: 'What the server changed in your request (clamping).' })),
  }),
  data: Type.Array(
    Type.Object({
      at: FeedPoint("The event's place in the feed (unique): a `since` resumes after it."),
      kind: StringEnum(CHANGE_KINDS, {
        description:
          '`added`: the value joined the lists (new, or reported again after it expired); ' +
          '`updated`: reported again, or its validity or confidence moved, while listed; `expired`: no source reported it ' +
          'within its lifetime; `revoked`: withdrawn by an admin or the allow-list; `restored`: a revocation (or an allow-listing) undone.',
      }),
      indicator: Type.Object({ id: Type.String({ format: 'uuid' }), type: StringEnum([...IOC_TYPES]), value: Type.String() }),
      reason: Nullable(Type.String()),
      valid_until: Nullable(Type.String({ format: 'date-time', description: 'The end of its validity after the event; null: never expires.' })),
    }),
  ),
  links: Type.Object({
    self: Type.String(),
    next: Type.Optional(Type.String({ description: 'The next page (`since` = `meta.next_since`): present when this page is full.' })),
  }),
});

/** Where a stored value stands in its lifecycle, as search (`data.lifecycle`) and lookup answer it. */
export const IocLifecycleSchema = Type.Object(
  {
    status: StringEnum(['active', 'expired', 'revoked'], {
      description:
        '`active`: in the lists; `expired`: no source reported it within its lifetime, so the lists leave it out ' +
        '(`include_expired=true` brings it back); `revoked`: an admin withdrew it (or allow-listed it): in no list.',
    }),
    valid_until: Nullable(
      Type.String({
        format: 'date-time',
        description: "The latest over its sources of last_seen + that source's lifetime (see /api/v1/lifetimes); null: never expires.",
      }),
    ),
    revoked_at: Nullable(Type.String({ format: 'date-time' })),
    reason: Nullable(Type.String({ description: 'Why it was revoked, or why it expired; null when active.' })),
    summary: Type.String({
      description:
        'In a sentence, e.g. "Valid until 2027-01-05", "Expired on 2026-11-02: not reported since 2026-10-03 (ipv4 lifetime 30 days)", ' +
        '"Revoked on 2026-11-05 by key:ops: false positive".',
    }),
  },
  { description: 'Where the value stands in its lifecycle; null when no indicator of it is stored.' },
);

export const SearchResponse = Type.Object({
  meta: Type.Object(FeedMeta),
  data: Type.Object({
    found: Type.Boolean({ description: 'Whether any matches were found; `match_type` says whether they are exact or fuzzy.' }),
    query: Type.String(),
    detected_type: Nullable(StringEnum([...IOC_TYPES])),
    normalized: Type.String({ description: 'The lookup key the exact stage used.' }),
    normalization_notes: Type.Array(Type.String()),
    detection_note: Type.Optional(Type.String({ description: 'Why q was not recognised as an IOC, when it was not.' })),
    warning_list: Type.Optional(
      Type.String({
        description:
          'When the value is on our warning list of benign or reserved values (private address space, the empty ' +
          "file's hash, well-known services…), the list's reason: such a value is never a high-confidence indicator.",
      }),
    ),
    lifecycle: Nullable(
      Type.Object(IocLifecycleSchema.properties, {
        description: 'For an exact match, where the value stands in its lifecycle (expired and revoked values stay findable); null otherwise.',
      }),
    ),
    match_type: StringEnum(['exact', 'fuzzy', 'none']),
    matches: Type.Array(IocRecordSchema),
    relatedIOCs: Type.Array(IocRecordSchema),
    meta: Type.Object({
      total_matches: Type.Integer(),
      related_count: Type.Integer(),
      search_time_ms: Type.Integer(),
      fuzzy_stage: StringEnum(['not_needed', 'not_applicable', 'done', 'budget_spent'], {
        description:
          'What the trigram fallback did: not needed (exact matches), not applicable (a complete address or hash, or ' +
          'q without three letters or digits in a row: no near match could mean anything), done, or stopped at its ' +
          'time budget before finding anything.',
      }),
      notices: Type.Optional(Type.Array(Type.String(), { description: 'What the server changed in, or could not do for, your search.' })),
    }),
  }),
});

const Count = Type.Record(Type.String(), Type.Integer());
const Ranked = Type.Array(Type.Object({ id: Type.String(), count: Type.Integer() }));
const Week = Type.Array(Type.Integer(), { minItems: 7, maxItems: 7 });

export const StatsResponse = Type.Object({
  meta: Type.Object({
    ...FeedMeta,
    cache_updated_at: Type.String({ format: 'date-time' }),
    cache_age_seconds: Type.Integer(),
    refresh_interval_seconds: Type.Integer({
      description: 'How often the statistics are recomputed: the next document is due at `cache_updated_at` plus this.',
    }),
  }),
  data: Type.Object({
    totalIOCs: Type.Integer(),
    totalArticles: Type.Integer(),
    byType: Count,
    bySource: Count,
    byCategory: Count,
    byConfidence: Count,
    last24h: Type.Object({ newIOCs: Type.Integer(), newArticles: Type.Integer(), byType: Count }),
    last7d: Type.Object({
      newIOCs: Type.Integer(),
      newArticles: Type.Integer(),
      trend: Week,
      direction: StringEnum(['up', 'down', 'stable']),
      trendByType: Type.Record(Type.String(), Week, {
        description: "`trend`'s buckets for each IOC type: a day's counts add up to its `trend`.",
      }),
    }),
    feedHealth: Type.Object({ total: Type.Integer(), healthy: Type.Integer(), degraded: Type.Integer(), error: Type.Integer() }),
    topMitreTechniques: Type.Array(
      Type.Object({
        id: Type.String(),
        name: Nullable(Type.String({ description: 'The ATT&CK technique name; null for an id the ATT&CK release does not know.' })),
        count: Type.Integer(),
      }),
    ),
    topCVEs: Ranked,
    lastUpdated: Nullable(Type.String({ format: 'date-time' })),
  }),
});

export const Timestamp = Type.String({ format: 'date-time' });

const SourceRunSchema = Type.Object({
  started_at: Timestamp,
  finished_at: Timestamp,
  outcome: StringEnum(['ok', 'not_modified', 'failed', 'skipped']),
  http_status: Nullable(Type.Integer()),
  error: Nullable(Type.String({ description: 'Why the run failed, in words.' })),
  fetched: Type.Integer({ description: 'Rows or items read.' }),
  parsed: Type.Integer({ description: 'IOC records parsed from them.' }),
  new: Type.Integer(),
  updated: Type.Integer(),
  suppressed: Type.Integer({ description: 'Records on the warning list of benign or reserved values.' }),
  rejected: Type.Integer(),
  articles: Type.Integer({ description: 'New articles read.' }),
  fetch_ms: Type.Integer(),
  parse_ms: Type.Integer(),
  store_ms: Type.Integer(),
});

const SourceSchema = Type.Object({
  name: Type.String(),
  kind: Type.String({ description: 'The feed format, or `rss` for RSS 2.0 and Atom.' }),
  url: Nullable(Type.String()),
  category: StringEnum([...CATEGORIES]),
  enabled: Type.Boolean(),
  origin: StringEnum(['catalogue', 'operator'], { description: 'From the reviewed catalogue, or added by the operator.' }),
  interval_seconds: Nullable(Type.Integer()),
  stale_after_seconds: Nullable(Type.Integer({ description: 'Degraded when nothing new for this long.' })),
  credentials: Nullable(
    Type.Object(
      { header: Type.String(), env: Type.String(), set: Type.Boolean() },
      { description: 'The header a credential goes in and the variable it is read from; never its value.' },
    ),
  ),
  health: Type.Object({ status: StringEnum(['healthy', 'degraded', 'error']), reason: Nullable(Type.String()) }),
  last_run_at: Nullable(Timestamp),
  last_success_at: Nullable(Timestamp),
  last_new_at: Nullable(Timestamp),
  records: Type.Integer({
    description: 'Its IOC records, as the statistics last counted them (`bySource` of GET /api/v1/iocs/stats, recomputed every few minutes and after a run by hand).',
  }),
  last_run: Nullable(SourceRunSchema),
});

export const SourcesResponse = Type.Object({
  meta: Type.Object({ ...FeedMeta, total: Type.Integer() }),
  data: Type.Array(SourceSchema),
});

export const SourceResponse = Type.Object({ meta: Type.Object(FeedMeta), data: SourceSchema });

/** A run of a source asked for over HTTP, and the source as the run left it. */
export const SourceRunResponse = Type.Object({
  meta: Type.Object(FeedMeta),
  data: Type.Object({
    state: StringEnum(['finished', 'started'], {
      description: '`finished`: `source.last_run` is this run. `started` (`wait=false`): its outcome will show in `GET /api/v1/sources`.',
    }),
    source: SourceSchema,
  }),
});

export const ErrorResponse = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Object({}, { additionalProperties: true })),
    request_id: Type.String(),
  }),
});

/** A `since` older than the changes feed's retained history. */
export const HISTORY_GONE = {
  410: { ...ErrorResponse, description: '`since` is older than the retained history of changes (`history_gone`): fetch the whole list again' },
};

/** The error responses every authenticated route documents. */
export const AUTHENTICATED_ERRORS = {
  400: { ...ErrorResponse, description: 'Invalid parameter' },
  401: { ...ErrorResponse, description: 'Missing or invalid API key' },
  403: { ...ErrorResponse, description: 'Insufficient scope or tier' },
  429: { ...ErrorResponse, description: 'Rate limit exceeded' },
  500: { ...ErrorResponse, description: 'Internal error' },
};
