// GET /api/v1/iocs (in the list formats of the export registry), /api/v1/iocs/search and
// /api/v1/iocs/stix.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { EXPORTERS, exporterFor, type AnyExporter, type PageEnd } from '../../export/index.js';
import { sigmaExporter } from '../../export/sigma.js';
import { stixExporter } from '../../export/stix.js';
import { parseIoc, refang } from '../../ioc/index.js';
import { warningFor } from '../../ioc/warninglist.js';
import type { IocType } from '../../ioc/types.js';
import type { Config } from '../../config.js';
import type { Db } from '../../store/db.js';
import { pageEvents } from '../../store/events.js';
import { changesHead } from '../../store/lifecycle.js';
import { fuzzyPiece, lifecycleOf, MAX_FUZZY_PIECE, searcher } from '../../store/search.js';
import { Admission } from '../admission.js';
import { CHANGES_SINCE_HEADER, sendDelta } from '../changes-feed.js';
import { clientGone } from '../client-gone.js';
import { answeredNotModified } from '../conditional.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { InvalidParameterError } from '../errors.js';
import { linkBase, withArticleBase } from '../links.js';
import { sendExport, type ReadOptions } from '../export.js';
import { resolveQuery, type ResolvedQuery } from '../filters.js';
import { assertFormatAllowed } from '../guard.js';
import { createListTotals } from '../list-total.js';
import {
  AUTHENTICATED_ERRORS,
  HISTORY_GONE,
  ListQuery,
  ListResponse,
  SearchQuery,
  SearchResponse,
  StixQuery,
} from '../schemas.js';

export const FEED_META = { feed_version: '1.0', source: 'SOC Defenders' } as const;
/** Types whose detected value is whole: no trigram stage for them. */
const COMPLETE_TYPES: ReadonlySet<IocType> = new Set(['ipv4', 'ipv6', 'md5', 'sha1', 'sha256', 'sha512']);
/** FEED_META's members as JSON text: "feed_version":...,"source":... */
export const FEED_META_JSON = JSON.stringify(FEED_META).slice(1, -1);

export interface IocRoutesOptions {
  db: Db;
  /** PUBLIC_URL (the links' base), TRUST_PROXY (whether a proxy's X-Forwarded-Host may give their host) and the search's limits. */
  config: Pick<Config, 'publicUrl' | 'trustProxy' | 'searchFuzzyBudgetMs' | 'searchFuzzyPerKey' | 'searchFuzzyPerInstance' | 'listTotalExactUpTo'>;
}

/**
 * The page's links. `next` starts after the page's last row (a keyset cursor), and is there when
 * the page is full, whatever the total says; `prev` steps back by offset, on offset pages.
 */
function pageLinks(request: FastifyRequest, origin: string, q: ResolvedQuery, end: PageEnd) {
  const url = new URL(request.url, 'http://placeholder');
  const base = origin + url.pathname;
  const params = url.searchParams;
  params.delete('api_key');
  params.set('limit', String(q.page.limit));
  const at = (place: { offset: number } | { cursor: string }) => {
    const link = new URLSearchParams(params);
    link.delete('offset');
    link.delete('cursor');
    if ('cursor' in place) link.set('cursor', place.cursor);
    else link.set('offset', String(place.offset));
    return `${base}?${link}`;
  };
  const { limit, offset, after } = q.page;
  return {
    self: after ? at({ cursor: encodeCursor(after) }) : at({ offset }),
    ...(end.rows === limit && end.last && { next: at({ cursor: encodeCursor(end.last) }) }),
    ...(!after && offset > 0 && { prev: at({ offset: Math.max(0, offset - limit) }) }),
  };
}

/** Whether a cursor pages a format: records, one a row, or MISP events (not distinct values). */
const pagesByCursor = (exporter: AnyExporter): boolean => ['records', 'csv-records', 'events'].includes(exporter.reads);
const CURSOR_FORMATS = EXPORTERS.filter((exporter) => exporter.listed && pagesByCursor(exporter)).map((exporter) => exporter.format);

/**
 * The keyset a `cursor` parameter names. A cursor pages records: not the distinct values of
 * `txt`, and not together with an offset.
 */
function cursorOf(cursor: string, offset: number | undefined, exporter: AnyExporter) {
  const after = decodeCursor(cursor);
  if (!pagesByCursor(exporter)) {
    throw new InvalidParameterError('cursor', `'cursor' pages records and events (${CURSOR_FORMATS.join(', ')}), not the ${exporter.format} format: page it with 'offset'.`, {
      format: exporter.format,
    });
  }
  if (offset) throw new InvalidParameterError('offset', "'offset' cannot be combined with 'cursor': the cursor says where the page starts.");
  return after;
}

/** A body that is JSON text already, sent as it is (the route's response schema documents it). */
function sendJsonText(reply: FastifyReply, body: string) {
  return reply.type('application/json; charset=utf-8').send(body);
}

/**
 * What the trigram fallback looks for, or undefined when a near match cannot mean anything (spec
 * README, decision 10): a complete address or a full-length hash is either known or not.
 */
function fuzzyPieceOf(parsed: ReturnType<typeof parseIoc>, normalized: string): ReturnType<typeof fuzzyPiece> {
  if (parsed.ok && COMPLETE_TYPES.has(parsed.ioc.type)) return undefined;
  // A piece of URL is looked for as it was typed: the scheme normalizing gave it is in no value
  // that merely contains the piece (https://..., or a longer host).
  const typed = parsed.ok && parsed.ioc.notes.includes('url_scheme_added') ? normalized.replace(/^http:\/\//, '') : normalized;
  return fuzzyPiece(typed);
}

export const iocRoutes: FastifyPluginAsync<IocRoutesOptions> = async (fastify, { db, config }) => {
  const { publicUrl, trustProxy } = config;
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const search = searcher(db, config.searchFuzzyBudgetMs);
  const fuzzyAdmission = new Admission('similarity searches', {
    perKey: config.searchFuzzyPerKey,
    perInstance: config.searchFuzzyPerInstance,
  });

  // meta.total, shared by the list's requests: a bounded count, or a full one a minute old.
  const totals = createListTotals(db, {
    exactUpTo: config.listTotalExactUpTo,
    onError: (err) => fastify.log.warn({ err }, 'counting the list total failed'),
  });

  app.get(
    '/iocs',
    {
      config: { scope: 'read:iocs' },
      schema: {
        tags: ['IOCs'],
        summary: 'List IOCs (Indicators of Compromise)',
        description:
          'The IOC records (one per value per reporting source), newest first, in the format `format` names. ' +
          'Records of expired indicators are left out unless `include_expired=true`; revoked and allow-listed values ' +
          'always are. Every answer carries an `X-Changes-Since` header: where the list stands in the changes feed ' +
          '(read before its records). A client that keeps the list follows the changes from there: ' +
          '`GET /api/v1/iocs/changes?since=…`, or `format=txt&delta=true&since=…` for `+value` / `-value` lines.',
        operationId: 'listIOCs',
        querystring: ListQuery,
        response: { 200: ListResponse, ...HISTORY_GONE, ...AUTHENTICATED_ERRORS },
      },
    },
    async (request, reply) => {
      const key = request.apiKey!;
      const exporter = exporterFor(request.query.format ?? 'json')!;
      assertFormatAllowed(key, exporter);
      const base = linkBase(request, publicUrl, trustProxy);
      if (request.query.delta) return sendDelta(request, reply, db, request.query, key.tier, base);
      const q = resolveQuery(request.query, key.tier);
      if (request.query.cursor !== undefined) q.page.after = cursorOf(request.query.cursor, request.query.offset, exporter);
      // Where the list stands in the changes feed, read before its records: a delta from there
      // misses no change made while they are read (one it repeats changes nothing).
      const head = await changesHead(db);
      reply.header(CHANGES_SINCE_HEADER, head);
      if (exporter.conditional && (await answeredNotModified(request, reply, db, q.filters.since, head))) return reply;
      const listMeta = async () => {
        const { total, exact } = await totals.count(q.filters, q.sinceIsLookback);
        return {
          total,
          total_exact: exact,
          limit: q.page.limit,
          offset: q.page.offset,
          generated_at: new Date().toISOString(),
          ...FEED_META,
          filters: q.described,
          ...(q.notices.length > 0 && { notices: q.notices }),
        };
      };
      const listLinks = (end: PageEnd) => pageLinks(request, base, q, end);
      const context = { listMeta, listLinks };
      const options: ReadOptions = { includeContext: request.query.include_context ?? true, articleBase: base };
      if (exporter.reads === 'events') {
        // MISP's body has no room for links: the next page is in a Link header, known before the body.
        const events = (options.events = await pageEvents(db, q.filters, q.page));
        const last = events.at(-1);
        const next = last && listLinks({ rows: events.length, last: last.cursor }).next;
        if (next) reply.header('Link', `<${next}>; rel="next"`);
      }
      return sendExport(request, reply, db, exporter, q, { ...options, context });
    },
  );

  app.get(
    '/iocs/search',
    {
      config: { scope: 'read:iocs' },
      schema: {
        tags: ['IOCs'],
        summary: 'Search for a specific IOC value',
        description:
          'Exact lookup on the normalized value (defanged input is refanged first); when nothing matches, q is not a ' +
          'complete IP address or full-length hash and has three letters or digits in a row, a trigram fallback on ' +
          'its first 64 characters: values containing them ranked by similarity, then near misses. The fallback has ' +
          'a time budget of its own, and runs a few at a time per API key and per server: beyond that it is refused ' +
          'with 429 (per key) or 503 (per server) and Retry-After. ' +
          'The response says which type was detected and which normalized form was looked up, and for an exact match ' +
          'where the value stands in its lifecycle (`lifecycle`): expired and revoked values stay findable, and say when and why.',
        operationId: 'searchIOCs',
        querystring: SearchQuery,
        response: { 200: SearchResponse, ...AUTHENTICATED_ERRORS },
      },
    },
    async (request, reply) => {
      const started = performance.now();
      const signal = clientGone(reply);
      const { q } = request.query;
      const parsed = parseIoc(q);
      const normalized = parsed.ok ? parsed.ioc.normalized : refang(q).trim().toLowerCase();
      const { matches: exact, related, lifecycles } = await search.exact(normalized, request.query.include_related ?? true, signal);
      let matches = exact;
      let fuzzyStage: 'not_needed' | 'not_applicable' | 'done' | 'budget_spent' = 'not_needed';
      const notices: string[] = [];
      if (exact.length === 0) {
        const fuzzy = fuzzyPieceOf(parsed, normalized);
        if (fuzzy === undefined) fuzzyStage = 'not_applicable';
        else {
          // The expensive stage is admitted, a few at a time, or refused with when to retry.
          const release = fuzzyAdmission.admit(request.apiKey!.id);
          try {
            const found = await search.fuzzy(fuzzy.piece, signal);
            matches = found.matches;
            fuzzyStage = found.stopped ? 'budget_spent' : 'done';
          } finally {
            release();
          }
          if (fuzzy.cut) notices.push(`The similarity search looked for the first ${MAX_FUZZY_PIECE} characters of q.`);
          if (fuzzyStage === 'budget_spent') {
            notices.push(`The similarity search stopped at its time budget (${config.searchFuzzyBudgetMs} ms); a more specific q narrows it.`);
          }
        }
      }
      const matchType = exact.length > 0 ? 'exact' : matches.length > 0 ? 'fuzzy' : 'none';
      // Why a known benign value is not found (or is found at low confidence only).
      const warning = parsed.ok ? warningFor(parsed.ioc.type, normalized) : undefined;
      // Where an exact match stands in its lifecycle: expired and revoked values stay findable.
      const lifecycle = lifecycleOf(lifecycles, parsed.ok ? parsed.ioc.type : undefined);
      // The records come as JSON text (the database writes them): the body is written around them,
      // in the order of SearchResponse, rather than parsed, built as objects and serialized again.
      const json = JSON.stringify;
      const meta = `{"generated_at":"${new Date().toISOString()}",${FEED_META_JSON}}`;
      const data =
        // "Whether any matches were found" (iocs-search.md); match_type tells exact from fuzzy.
        `{"found":${matches.length > 0},"query":${json(q)},"detected_type":${json(parsed.ok ? parsed.ioc.type : null)},` +
        `"normalized":${json(normalized)},"normalization_notes":${json(parsed.ok ? parsed.ioc.notes : [])},` +
        (parsed.ok ? '' : `"detection_note":${json(parsed.reason)},`) +
        (warning === undefined ? '' : `"warning_list":${json(warning)},`) +
        `"lifecycle":${json(lifecycle)},` +
        `"match_type":"${matchType}","matches":[${matches.join(',')}],"relatedIOCs":[${related.join(',')}],` +
        `"meta":{"total_matches":${matches.length},"related_count":${related.length},` +
        `"search_time_ms":${Math.round(performance.now() - started)},"fuzzy_stage":"${fuzzyStage}"` +
        (notices.length > 0 ? `,"notices":${json(notices)}` : '') +
        '}}';
      // The records' article_url, `/item/<id>` as the database wrote it, made absolute once for the body.
      return sendJsonText(reply, withArticleBase(`{"meta":${meta},"data":${data}}`, linkBase(request, publicUrl, trustProxy)));
    },
  );

  app.get(
    stixExporter.route,
    {
      config: { scope: 'read:stix' },
      schema: {
        tags: ['IOCs'],
        summary: 'Export IOCs as a STIX 2.1 bundle',
        description:
          'An identity for SOC Defenders, then one object per distinct indicator among the matching records ' +
          '(indicators with STIX patterns; CVEs as vulnerability and ATT&CK techniques as attack-pattern objects), ' +
          'with stable ids. `limit` counts indicators. Expired indicators are left out unless `include_expired=true`; ' +
          'with a `since` (an incremental export), the indicators that expired or were revoked since are carried as their ' +
          'new version (`valid_until` in the past, or `revoked: true`). Pro tier.',
        operationId: 'exportSTIX',
        querystring: StixQuery,
        response: {
          200: { description: 'A STIX 2.1 bundle', type: 'object', additionalProperties: true },
          ...AUTHENTICATED_ERRORS,
        },
      },
    },
    async (request, reply) => {
      const q = resolveQuery(request.query, request.apiKey!.tier, 'stored-or-seen');
      // Incremental: the indicators that expired or were revoked since are carried too (their new
      // version says so), for the subscribers that hold them; a full export leaves them out.
      if (q.filters.changedSince) q.filters.lifecycle = 'all';
      return sendExport(request, reply, db, stixExporter, q, { includeContext: true });
    },
  );

  app.get(
    sigmaExporter.route,
    {
      config: { scope: 'read:iocs' },
      schema: {
        tags: ['IOCs'],
        summary: 'Sigma detection rules for the matching IOCs',
        description:
          'Multi-document YAML (SigmaHQ rule specification v2): one rule a kind of log and confidence, at most 200 values a rule ' +
          '(more are split into parts): IP addresses for firewall logs (`dst_ip`), domains for DNS queries (`query`), URLs for ' +
          'proxy logs (`c-uri`), MD5/SHA-1/SHA-256 for Windows process creation. `level` follows confidence, ATT&CK techniques ' +
          'are `attack.tNNNN` tags, references are the values\' articles and pages, and rule ids are stable. The list\'s filters; ' +
          '`limit` counts indicators.',
        operationId: 'exportSigmaRules',
        querystring: StixQuery,
        response: {
          200: { description: 'Sigma rules, YAML documents separated by `---`', type: 'string' },
          ...AUTHENTICATED_ERRORS,
        },
      },
    },
    async (request, reply) => {
      const q = resolveQuery(request.query, request.apiKey!.tier, 'stored-or-seen');
      return sendExport(request, reply, db, sigmaExporter, q, { includeContext: false });
    },
  );
};
