// GET /api/v1/articles (the articles IOCs are extracted from, newest first, by cursor) and
// GET /api/v1/articles/{id} (one article with its IOCs by type, its ATT&CK techniques, CVEs and
// references); and GET /item/{id}, the article's page that records link to (spec README,
// decision 11), which redirects to the API for now.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import type { Config } from '../../config.js';
import { attackTechnique } from '../../ioc/attack.js';
import { normalizeIoc } from '../../ioc/normalize.js';
import { CATEGORIES, CONFIDENCES, IOC_TYPES, type Category, type IocType } from '../../ioc/types.js';
import {
  articleRecords,
  articleReferences,
  findArticle,
  isSearchableText,
  listArticles,
  type ArticleFilters,
  type ArticleRecordRow,
} from '../../store/articles.js';
import type { Db } from '../../store/db.js';
import type { Tier } from '../../store/keys.js';
import { findSource, listSources } from '../../store/sources.js';
import { decodeArticleCursor, encodeArticleCursor } from '../cursor.js';
import { InvalidParameterError, NotFoundError } from '../errors.js';
import { isoSeconds, resolveWindow } from '../filters.js';
import { articlePageUrl, linkBase } from '../links.js';
import { AuthQuery, AUTHENTICATED_ERRORS, ErrorResponse, Nullable, StringEnum, Timestamp } from '../schemas.js';
import { FEED_META } from './iocs.js';

/** Articles a page when `limit` is not given. */
export const DEFAULT_ARTICLES_LIMIT = 20;
/** Articles a page at most, whatever the tier allows: an article is a larger row than a record. */
export const MAX_ARTICLES_LIMIT = 100;
/** An article's IOCs of one type that /articles/{id} lists at most (`ioc_counts` has them all). */
export const IOCS_PER_TYPE = 500;

export const ArticleId = Type.Object({ id: Type.String({ format: 'uuid', description: "The article's id (`source.article_id` of its IOC records)." }) });

export const ArticlesQuery = Type.Object(
  {
    source: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'The source name, in any case (see GET /api/v1/sources); an unknown name is a 400 listing the names.' }),
    ),
    category: Type.Optional(StringEnum([...CATEGORIES], { description: 'The category of the publishing source.' })),
    since: Type.Optional(
      Type.String({
        description:
          'Articles stored (fetched) at or after this time, as for IOC records; clamped to your tier lookback. ' +
          'ISO 8601: `2026-05-16T00:00:00Z` or `2026-05-16` (UTC).',
      }),
    ),
    until: Type.Optional(Type.String({ description: 'Articles stored before this time (exclusive). ISO 8601.' })),
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 500,
        description:
          'Words to find in the title, summary and text (English stemming: `exploit` finds `exploited`); ' +
          '`"a phrase"`, `or` and `-word` as in web search engines.',
      }),
    ),
    cve_text_search: Type.Optional(
      Type.String({
        maxLength: 50,
        description:
          'A CVE id (`CVE-2024-3400`, any case): the articles an IOC record of that CVE was extracted from, and those whose ' +
          'title, summary or text names it.',
      }),
    ),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        default: DEFAULT_ARTICLES_LIMIT,
        description: `Articles per page; at most ${MAX_ARTICLES_LIMIT}, and your tier cap (larger values are reduced, as \`meta.notices\` says).`,
      }),
    ),
    cursor: Type.Optional(
      Type.String({ description: "Where the page starts: the `cursor` of the previous page's `links.next`, as it is (an opaque token)." }),
    ),
    api_key: AuthQuery.properties.api_key,
  },
  { additionalProperties: false },
);
export type ArticlesQuery = Static<typeof ArticlesQuery>;

const ArticleSource = Type.Object({ name: Type.String(), category: StringEnum([...CATEGORIES]) });
const pageDescription =
  "The article's page on this service, `<base>/item/{id}` (the `source.article_url` of its IOC records); for now it redirects here.";

const ArticleSummary = Type.Object({
  id: Type.String({ format: 'uuid' }),
  title: Type.String(),
  url: Type.String({ description: pageDescription }),
  reference_url: Type.String({ description: "The publisher's page." }),
  source: ArticleSource,
  published_at: Nullable(Type.String({ format: 'date-time', description: 'As the publisher dates it; null when it does not.' })),
  fetched_at: Type.String({ format: 'date-time', description: 'When this service stored it.' }),
  summary: Nullable(Type.String()),
  ioc_count: Type.Integer({ description: 'The IOC records extracted from it (every type, CVEs and ATT&CK techniques included).' }),
});

export const ArticlesResponse = Type.Object({
  meta: Type.Object({
    generated_at: Timestamp,
    feed_version: Type.String(),
    source: Type.String(),
    limit: Type.Integer(),
    filters: Type.Object({}, { additionalProperties: true, description: 'The effective filters (since after clamping).' }),
    notices: Type.Optional(Type.Array(Type.String(), { description: 'What the server changed in your request (clamping).' })),
  }),
  data: Type.Array(ArticleSummary),
  links: Type.Object({
    self: Type.String(),
    next: Type.Optional(
      Type.String({ description: 'The next page, by `cursor`: present when this page is full (it may then be empty). Follow it to walk the list.' }),
    ),
  }),
});

const ArticleIoc = Type.Object({
  id: Type.String({ format: 'uuid', description: 'The IOC record (as /api/v1/iocs gives it).' }),
  value: Type.String(),
  confidence: StringEnum([...CONFIDENCES]),
  context: Nullable(Type.String()),
  tags: Type.Array(Type.String()),
  mitre_techniques: Type.Array(Type.String()),
});

const byType = <T extends Parameters<typeof Type.Optional>[0]>(schema: T, description: string) =>
  Type.Object(Object.fromEntries(IOC_TYPES.map((type) => [type, Type.Optional(schema)])), { description });

export const ArticleResponse = Type.Object({
  meta: Type.Object({ generated_at: Timestamp, feed_version: Type.String(), source: Type.String() }),
  data: Type.Object({
    id: Type.String({ format: 'uuid' }),
    title: Nullable(Type.String({ description: 'null for an article an imported list names by id alone, until its title and URL arrive.' })),
    url: Type.String({ description: pageDescription }),
    reference_url: Nullable(Type.String({ description: "The publisher's page (null with the title)." })),
    source: ArticleSource,
    published_at: Nullable(Timestamp),
    fetched_at: Timestamp,
    summary: Nullable(Type.String()),
    ioc_count: Type.Integer(),
    ioc_counts: byType(Type.Integer(), 'The IOC records of each type the article has.'),
    iocs: byType(
      Type.Array(ArticleIoc),
      `The IOC records by type, each type's best first (confidence, then value), at most ${IOCS_PER_TYPE} a type: ` +
        '`ioc_counts` says how many there are.',
    ),
    mitre_techniques: Type.Array(
      Type.Object({ id: Type.String(), name: Nullable(Type.String({ description: "ATT&CK's name for it; null for an id the release does not know." })) }),
      { description: 'The ATT&CK techniques the article names (its `mitre_attack` records and the techniques its records carry).' },
    ),
    cves: Type.Array(Type.String(), { description: 'The CVEs of its `cve` records.' }),
    references: Type.Array(
      Type.Object({ type: StringEnum(['url', 'domain', 'email']), value: Type.String(), reason: Type.String() }),
      { description: 'What the article cites rather than accuses (links to sources, its own site, contact addresses): no IOC records.' },
    ),
  }),
});

interface ResolvedArticleQuery {
  /** The store's filters, but for the source, named here and looked up by the route. */
  filters: Omit<ArticleFilters, 'sourceId'>;
  source?: string;
  limit: number;
  described: Record<string, string>;
  notices: string[];
}

/**
 * From the validated query and the tier to the store's filters: `since` clamped to the tier's
 * lookback and `limit` to its cap (and MAX_ARTICLES_LIMIT), each change said in `notices`; a
 * CVE id normalized (upper case shown, lower case looked up).
 */
export function resolveArticleQuery(query: ArticlesQuery, tier: Tier, now = new Date()): ResolvedArticleQuery {
  const notices: string[] = [];
  const { since, until } = resolveWindow(query, tier, now, 'articles', notices);

  const requested = query.limit ?? DEFAULT_ARTICLES_LIMIT;
  const cap = Math.min(MAX_ARTICLES_LIMIT, tier.max_limit);
  const limit = Math.min(requested, cap);
  if (limit < requested) notices.push(`limit reduced from ${requested} to ${limit}: at most ${cap} articles a page on the ${tier.name} tier`);

  let cve: { value: string; normalized: string } | undefined;
  if (query.cve_text_search !== undefined) {
    const parsed = normalizeIoc('cve', query.cve_text_search);
    if (!parsed.ok) {
      throw new InvalidParameterError('cve_text_search', `Invalid value for 'cve_text_search': ${parsed.reason}.`, { value: query.cve_text_search });
    }
    cve = { value: parsed.ioc.value, normalized: parsed.ioc.normalized };
  }
  const text = query.q?.trim();
  if (text === '') throw new InvalidParameterError('q', "Invalid value for 'q': it has no words to search for.", { value: query.q });

  return {
    filters: {
      since,
      ...(until && { until }),
      ...(query.category !== undefined && { category: query.category as Category }),
      ...(text !== undefined && { text }),
      ...(cve && { cve: cve.normalized }),
    },
    limit,
    ...(query.source !== undefined && { source: query.source }),
    described: {
      source: query.source ?? 'all',
      category: query.category ?? 'all',
      since: isoSeconds(since),
      until: isoSeconds(until ?? now),
      ...(text !== undefined && { q: text }),
      ...(cve && { cve_text_search: cve.value }),
    },
    notices,
  };
}

/** The page's links: `self`, and `next` after its last article when the page is full. */
function pageLinks(request: FastifyRequest, base: string, limit: number, next: string | undefined) {
  const url = new URL(request.url, 'http://placeholder');
  const params = url.searchParams;
  params.delete('api_key');
  params.set('limit', String(limit));
  const self = `${base}${url.pathname}?${params}`;
  if (next === undefined) return { self };
  params.set('cursor', next);
  return { self, next: `${base}${url.pathname}?${params}` };
}

/** The ATT&CK techniques an article names, with their names: its mitre_attack records' and its records' techniques. */
function techniquesOf(records: ArticleRecordRow[]) {
  const ids = new Set<string>();
  for (const record of records) {
    if (record.type === 'mitre_attack') ids.add(record.value);
    for (const id of record.mitre_techniques) ids.add(id);
  }
  return [...ids].sort().map((id) => ({ id, name: attackTechnique(id)?.name ?? null }));
}

export interface ArticleRoutesOptions {
  db: Db;
  /** PUBLIC_URL and TRUST_PROXY: the base of the links and of the articles' pages. */
  config: Pick<Config, 'publicUrl' | 'trustProxy'>;
}

export const articleRoutes: FastifyPluginAsync<ArticleRoutesOptions> = async (fastify, { db, config }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const baseOf = (request: FastifyRequest) => linkBase(request, config.publicUrl, config.trustProxy);

  /** The id of the source a `source` parameter names (in any case), or 400 listing the names. */
  async function sourceIdOf(name: string): Promise<number> {
    const source = await findSource(db, name);
    if (source) return source.id;
    const names = (await listSources(db)).map((s) => s.name).sort();
    throw new InvalidParameterError('source', `Unknown source '${name}'. Known sources: ${names.join(', ')}.`, { value: name, allowed: names });
  }

  /** Why a page came back empty when q names nothing: stop words or punctuation alone. */
  async function refuseEmptySearch(filters: ArticleFilters): Promise<void> {
    if (filters.text !== undefined && !(await isSearchableText(db, filters.text))) {
      throw new InvalidParameterError('q', `Invalid value for 'q': '${filters.text}' has no words to search for (only stop words or punctuation).`, {
        value: filters.text,
      });
    }
  }

  app.get(
    '/articles',
    {
      config: { scope: 'read:iocs' },
      schema: {
        tags: ['Articles'],
        summary: 'List articles',
        description:
          'The articles IOCs are extracted from, newest first: by when this service stored them (`fetched_at`, which `since` ' +
          'and `until` bound and the tier lookback limits, as `extracted_at` for IOC records), those stored together (one ' +
          'run of a feed) by when they were published. `links.next` carries a cursor: a client that walks the pages from the ' +
          'first sees each article once, in order, articles stored meanwhile never shifting a page (they are at the head). ' +
          'Only articles with a title and URL are listed (an imported list may name an article by id alone). ' +
          `\`limit\` defaults to ${DEFAULT_ARTICLES_LIMIT}, at most ${MAX_ARTICLES_LIMIT}; \`since\` is clamped to your tier lookback.`,
        operationId: 'listArticles',
        querystring: ArticlesQuery,
        response: { 200: ArticlesResponse, ...AUTHENTICATED_ERRORS },
      },
    },
    async (request) => {
      const q = resolveArticleQuery(request.query, request.apiKey!.tier);
      const after = request.query.cursor === undefined ? undefined : decodeArticleCursor(request.query.cursor);
      const filters: ArticleFilters = q.source === undefined ? q.filters : { ...q.filters, sourceId: await sourceIdOf(q.source) };
      const rows = await listArticles(db, filters, q.limit, after);
      if (rows.length === 0) await refuseEmptySearch(filters);
      const base = baseOf(request);
      const last = rows.length === q.limit ? rows[rows.length - 1] : undefined;
      return {
        meta: {
          generated_at: new Date().toISOString(),
          ...FEED_META,
          limit: q.limit,
          filters: q.described,
          ...(q.notices.length > 0 && { notices: q.notices }),
        },
        data: rows.map((row) => ({
          id: row.id,
          title: row.title,
          url: articlePageUrl(base, row.id),
          reference_url: row.url,
          source: { name: row.source_name, category: row.category },
          published_at: row.published_at,
          fetched_at: row.fetched_at,
          summary: row.summary,
          ioc_count: row.ioc_count,
        })),
        links: pageLinks(request, base, q.limit, last && encodeArticleCursor({ fetchedAt: last.cursor_fetched_at, listedAt: last.cursor_listed_at, id: last.id })),
      };
    },
  );

  app.get(
    '/articles/:id',
    {
      config: { scope: 'read:iocs' },
      schema: {
        tags: ['Articles'],
        summary: 'One article, with its IOCs',
        description:
          'The article (title, its page here and the publisher\'s, source, published and fetched times, summary), its IOC ' +
          `records grouped by type (at most ${IOCS_PER_TYPE} a type, with each type's count), the ATT&CK techniques and CVEs ` +
          'it names, and its references (what it cites rather than accuses, kept apart from its IOCs). An article is read by ' +
          'id whatever its age, on every tier, as a search finds a record whatever its age: the tier lookback limits the ' +
          'lists, and a record\'s `source.article_url` must lead somewhere.',
        operationId: 'getArticle',
        params: ArticleId,
        querystring: AuthQuery,
        response: { 200: ArticleResponse, ...AUTHENTICATED_ERRORS, 404: { ...ErrorResponse, description: 'No article has that id' } },
      },
    },
    async (request) => {
      const id = request.params.id.toLowerCase();
      const article = await findArticle(db, id);
      if (!article) throw new NotFoundError(`No article has the id ${id}.`);
      const [records, references] = await Promise.all([articleRecords(db, id, IOCS_PER_TYPE), articleReferences(db, id)]);
      const counts: Partial<Record<IocType, number>> = {};
      const iocs: Partial<Record<IocType, Omit<ArticleRecordRow, 'type' | 'type_count'>[]>> = {};
      for (const { type, type_count, ...record } of records) {
        counts[type] = type_count;
        (iocs[type] ??= []).push(record);
      }
      return {
        meta: { generated_at: new Date().toISOString(), ...FEED_META },
        data: {
          id: article.id,
          title: article.title,
          url: articlePageUrl(baseOf(request), article.id),
          reference_url: article.url,
          source: { name: article.source_name, category: article.category },
          published_at: article.published_at,
          fetched_at: article.fetched_at,
          summary: article.summary,
          ioc_count: Object.values(counts).reduce((sum, n) => sum + n, 0),
          ioc_counts: counts,
          iocs,
          mitre_techniques: techniquesOf(records),
          cves: records.filter((r) => r.type === 'cve').map((r) => r.value).sort(),
          references,
        },
      };
    },
  );
};
