// GET /api/v1/iocs (in the list formats of the export registry), /api/v1/iocs/search and
// /api/v1/iocs/stix.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { exporterFor } from '../../export/index.js';
import { stixExporter } from '../../export/stix.js';
import { parseIoc, refang } from '../../ioc/index.js';
import { warningFor } from '../../ioc/warninglist.js';
import type { IocType } from '../../ioc/types.js';
import type { Db } from '../../store/db.js';
import { countRecords } from '../../store/iocs.js';
import { searcher } from '../../store/search.js';
import { sendExport } from '../export.js';
import { resolveQuery, type ResolvedQuery } from '../filters.js';
import { assertFormatAllowed } from '../guard.js';
import {
  AUTHENTICATED_ERRORS,
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
  /** Base of the links in responses (PUBLIC_URL). */
  publicUrl: string | undefined;
  /** Whether a proxy's X-Forwarded-Host may give the links' host (TRUST_PROXY). */
  trustProxy: boolean;
}

/**
 * The base of absolute links: PUBLIC_URL, or the host a trusted proxy passed, or else the address
 * this connection reached. Never a Host header that nobody vouched for: behind a shared cache a
 * forged one would be served to everyone.
 */
function linkBase(request: FastifyRequest, publicUrl: string | undefined, trustProxy: boolean): string {
  if (publicUrl) return publicUrl;
  if (trustProxy) return `${request.protocol}://${request.host}`;
  const address = request.socket.localAddress ?? '127.0.0.1';
  const host = address.includes(':') ? `[${address}]` : address;
  return `${request.protocol}://${host}${request.socket.localPort ? `:${request.socket.localPort}` : ''}`;
}

function pageLinks(request: FastifyRequest, origin: string, q: ResolvedQuery, total: number) {
  const url = new URL(request.url, 'http://placeholder');
  const base = origin + url.pathname;
  const params = url.searchParams;
  params.delete('api_key');
  const at = (offset: number) => {
    params.set('limit', String(q.page.limit));
    params.set('offset', String(offset));
    return `${base}?${params}`;
  };
  const { limit, offset } = q.page;
  return {
    self: at(offset),
    ...(offset + limit < total && { next: at(offset + limit) }),
    ...(offset > 0 && { prev: at(Math.max(0, offset - limit)) }),
  };
}

/** A body that is JSON text already, sent as it is (the route's response schema documents it). */
function sendJsonText(reply: FastifyReply, body: string) {
  return reply.type('application/json; charset=utf-8').send(body);
}

export const iocRoutes: FastifyPluginAsync<IocRoutesOptions> = async (fastify, { db, publicUrl, trustProxy }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const search = searcher(db);

  app.get(
    '/iocs',
    {
      config: { scope: 'read:iocs' },
      schema: {
        tags: ['IOCs'],
        summary: 'List IOCs (Indicators of Compromise)',
        description:
          'The IOC records (one per value per reporting source), newest first, in the format `format` names.',
        operationId: 'listIOCs',
        querystring: ListQuery,
        response: { 200: ListResponse, ...AUTHENTICATED_ERRORS },
      },
    },
    async (request, reply) => {
      const key = request.apiKey!;
      const exporter = exporterFor(request.query.format ?? 'json')!;
      assertFormatAllowed(key, exporter);
      const q = resolveQuery(request.query, key.tier);
      const listMeta = async () => {
        const total = await countRecords(db, q.filters);
        const meta = {
          total,
          limit: q.page.limit,
          offset: q.page.offset,
          generated_at: new Date().toISOString(),
          ...FEED_META,
          filters: q.described,
          ...(q.notices.length > 0 && { notices: q.notices }),
        };
        return { meta, links: pageLinks(request, linkBase(request, publicUrl, trustProxy), q, total) };
      };
      return sendExport(request, reply, db, exporter, q, { includeContext: request.query.include_context ?? true, context: { listMeta } });
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
          'Exact lookup on the normalized value (defanged input is refanged first); when nothing matches and q has ' +
          '3 or more characters and is not a complete IP address or full-length hash, a trigram fallback: values ' +
          'containing q ranked by similarity, then near misses. ' +
          'The response says which type was detected and which normalized form was looked up.',
        operationId: 'searchIOCs',
        querystring: SearchQuery,
        response: { 200: SearchResponse, ...AUTHENTICATED_ERRORS },
      },
    },
    async (request, reply) => {
      const started = performance.now();
      const { q } = request.query;
      const includeRelated = request.query.include_related ?? true;
      const parsed = parseIoc(q);
      const normalized = parsed.ok ? parsed.ioc.normalized : refang(q).trim().toLowerCase();
      // The trigram fallback looks for a piece of URL as it was typed: the scheme normalizing
      // gave it is in no value that merely contains the piece (https://..., or a longer host).
      const piece = parsed.ok && parsed.ioc.notes.includes('url_scheme_added') ? normalized.replace(/^http:\/\//, '') : normalized;
      // A near match means something only for a partial value: a complete address or a
      // full-length hash is either known or not (spec README, decision 10).
      const complete = parsed.ok && COMPLETE_TYPES.has(parsed.ioc.type);
      const fuzzy = !complete && normalized.length >= 3 ? piece : undefined;
      const { matchType, matches, related } = await search({ value: normalized, fuzzy, related: includeRelated });
      // Why a known benign value is not found (or is found at low confidence only).
      const warning = parsed.ok ? warningFor(parsed.ioc.type, normalized) : undefined;
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
        `"match_type":"${matchType}","matches":[${matches.join(',')}],"relatedIOCs":[${related.join(',')}],` +
        `"meta":{"total_matches":${matches.length},"related_count":${related.length},` +
        `"search_time_ms":${Math.round(performance.now() - started)}}}`;
      return sendJsonText(reply, `{"meta":${meta},"data":${data}}`);
    },
  );

  app.get(
    '/iocs/stix',
    {
      config: { scope: 'read:stix' },
      schema: {
        tags: ['IOCs'],
        summary: 'Export IOCs as a STIX 2.1 bundle',
        description:
          'An identity for SOC Defenders, then one object per distinct indicator among the matching records ' +
          '(indicators with STIX patterns; CVEs as vulnerability and ATT&CK techniques as attack-pattern objects), ' +
          'with stable ids. `limit` counts indicators. Pro tier.',
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
      return sendExport(request, reply, db, stixExporter, q, { includeContext: true });
    },
  );
};
