// GET /api/v1/iocs (json, csv, txt), /api/v1/iocs/search and /api/v1/iocs/stix.
import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { csvHeader, csvLines } from '../../export/csv.js';
import { jsonListHead, jsonListRecords, jsonListTail } from '../../export/json.js';
import { createStixBundleWriter } from '../../export/stix.js';
import { toTxtLines } from '../../export/txt.js';
import { parseIoc, refang } from '../../ioc/index.js';
import type { Db } from '../../store/db.js';
import {
  countRecords,
  streamCsvRecords,
  streamIndicatorIds,
  streamRecords,
  streamValues,
  summarizeIndicators,
  toIocRecord,
} from '../../store/iocs.js';
import { searcher } from '../../store/search.js';
import { InsufficientScopeError } from '../errors.js';
import { resolveQuery, type ResolvedQuery } from '../filters.js';
import {
  AUTHENTICATED_ERRORS,
  ListQuery,
  ListResponse,
  SearchQuery,
  SearchResponse,
  StixQuery,
} from '../schemas.js';

export const FEED_META = { feed_version: '1.0', source: 'SOC Defenders' } as const;
/** FEED_META's members as JSON text: "feed_version":...,"source":... */
export const FEED_META_JSON = JSON.stringify(FEED_META).slice(1, -1);

export interface IocRoutesOptions {
  db: Db;
  /** Base of the links in responses; default: the request's own scheme and host. */
  publicUrl: string | undefined;
}

function pageLinks(request: FastifyRequest, publicUrl: string | undefined, q: ResolvedQuery, total: number) {
  const url = new URL(request.url, 'http://placeholder');
  const base = `${publicUrl ?? `${request.protocol}://${request.host}`}${url.pathname}`;
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

/** Streams a body made of string pieces; nothing is held whole in memory. */
function sendStream(reply: FastifyReply, contentType: string, body: AsyncIterable<string>) {
  return reply.type(contentType).send(Readable.from(body));
}

async function* txtBody(db: Db, q: ResolvedQuery) {
  for await (const values of streamValues(db, q.filters, q.page)) yield toTxtLines(values);
}

// Each body sends its first piece only with the first query's rows: once a byte is sent the status
// is 200, so a database that fails at once must fail before it (a 500, not a truncated 200).

async function* csvBody(db: Db, q: ResolvedQuery) {
  let head = csvHeader();
  for await (const rows of streamCsvRecords(db, q.filters, q.page)) {
    yield head + csvLines(rows);
    head = '';
  }
  if (head) yield head;
}

// The records first and `meta` after them: the total is counted while the records stream (on
// PostgreSQL on another connection), so a large count never delays the first byte. JSON gives
// the order of an object's members no meaning.
async function* jsonBody(db: Db, q: ResolvedQuery, includeContext: boolean, tail: () => Promise<string>) {
  let first = true;
  for await (const rows of streamRecords(db, q.filters, q.page)) {
    yield (first ? jsonListHead() : '') + jsonListRecords(rows.map((row) => toIocRecord(row, includeContext)), first);
    first = false;
  }
  yield (first ? jsonListHead() : '') + (await tail());
}

async function* stixBody(db: Db, q: ResolvedQuery) {
  const writer = createStixBundleWriter();
  let head = writer.head();
  for await (const batch of streamIndicatorIds(db, q.filters, q.page, 1000)) {
    const summaries = await summarizeIndicators(db, batch.map((i) => i.id));
    yield head + summaries.map((summary) => writer.objects(summary)).join('');
    head = '';
  }
  yield head + writer.tail();
}

export const iocRoutes: FastifyPluginAsync<IocRoutesOptions> = async (fastify, { db, publicUrl }) => {
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
          'The IOC records (one per value per reporting source), newest first. `format=csv` gives the 10-column CSV; ' +
          '`format=txt` gives each distinct value once, one per line, for block-lists.',
        operationId: 'listIOCs',
        querystring: ListQuery,
        response: { 200: ListResponse, ...AUTHENTICATED_ERRORS },
      },
    },
    async (request, reply) => {
      const key = request.apiKey!;
      const format = request.query.format ?? 'json';
      if (!key.tier.list_formats.includes(format)) {
        throw new InsufficientScopeError(`The ${format} format is not available on the ${key.tier.name} tier.`, {
          parameter: 'format',
          allowed_formats: key.tier.list_formats,
          tier: key.tier.name,
        });
      }
      const q = resolveQuery(request.query, key.tier);
      if (format === 'txt') {
        return sendStream(reply, 'text/plain; charset=utf-8', txtBody(db, q));
      }
      if (format === 'csv') {
        reply.header('Content-Disposition', 'attachment; filename="iocs.csv"');
        return sendStream(reply, 'text/csv; charset=utf-8; header=present', csvBody(db, q));
      }
      const counting = countRecords(db, q.filters);
      counting.catch(() => {}); // awaited by the tail; a failed stream must not leave it unhandled
      const tail = async () => {
        const total = await counting;
        const meta = {
          total,
          limit: q.page.limit,
          offset: q.page.offset,
          generated_at: new Date().toISOString(),
          ...FEED_META,
          filters: q.described,
          ...(q.notices.length > 0 && { notices: q.notices }),
        };
        return jsonListTail(meta, pageLinks(request, publicUrl, q, total));
      };
      const body = jsonBody(db, q, request.query.include_context ?? true, tail);
      return sendStream(reply, 'application/json; charset=utf-8', body);
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
          '3 or more characters, a trigram fallback: values containing q ranked by similarity, then near misses. ' +
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
      const fuzzy = normalized.length >= 3 ? piece : undefined;
      const { matchType, matches, related } = await search({ value: normalized, fuzzy, related: includeRelated });
      // The records come as JSON text (the database writes them): the body is written around them,
      // in the order of SearchResponse, rather than parsed, built as objects and serialized again.
      const json = JSON.stringify;
      const meta = `{"generated_at":"${new Date().toISOString()}",${FEED_META_JSON}}`;
      const data =
        // Only an exact match is a finding; fuzzy candidates are suggestions (match_type says which).
        `{"found":${matchType === 'exact'},"query":${json(q)},"detected_type":${json(parsed.ok ? parsed.ioc.type : null)},` +
        `"normalized":${json(normalized)},"normalization_notes":${json(parsed.ok ? parsed.ioc.notes : [])},` +
        (parsed.ok ? '' : `"detection_note":${json(parsed.reason)},`) +
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
      const stixMedia = /application\/stix\+json/i.test(request.headers.accept ?? '');
      const type = stixMedia ? 'application/stix+json;version=2.1' : 'application/json; charset=utf-8';
      return sendStream(reply, type, stixBody(db, q));
    },
  );
};
