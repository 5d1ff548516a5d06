// TAXII 2.1 under /api/taxii2/ (read-only): discovery, one API root, its collections, and each
// collection's objects, manifest, objects by id and their versions. The same keys and scopes
// as /api/v1 (HTTP Basic with the key as password too), TAXII's media type and error body.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Config } from '../../config.js';
import {
  acceptsTaxii,
  collectionOf,
  collectionResource,
  COLLECTIONS,
  decodeNext,
  envelopeJson,
  isTimestamp,
  manifestJson,
  TAXII_MEDIA_TYPE,
  taxiiError,
  versionsJson,
  type TaxiiCollection,
} from '../../export/taxii.js';
import type { Db } from '../../store/db.js';
import { readVersions, type VersionQuery, type VersionRow } from '../../store/taxii.js';
import { AppError, InvalidParameterError, NotFoundError, type ErrorWriter } from '../errors.js';
import { linkBase } from '../links.js';

export const TAXII_PREFIX = '/api/taxii2';
const API_ROOT = 'socd';
const DEFAULT_PAGE = 1000;

/** The TAXII error message instead of the envelope; a 401 names Basic, which TAXII clients speak. */
export const writeTaxiiError: ErrorWriter = (request, reply, error, details) => {
  if (error.statusCode === 401) reply.header('WWW-Authenticate', 'Basic realm="SOC Defenders TAXII", charset="UTF-8"');
  const title = error.statusCode >= 500 ? 'Internal error' : error.message.split('. ')[0]!.replace(/\.$/, '');
  const body = taxiiError(error.statusCode, title, error.message, { error_id: request.id, error_code: error.code, ...(details && { details }) });
  return sendTaxiiBody(reply.status(error.statusCode), JSON.stringify(body));
};

export function taxiiNotFound(request: FastifyRequest, reply: FastifyReply) {
  return writeTaxiiError(request, reply, new NotFoundError(`No TAXII resource at ${request.url.split('?')[0]}.`), undefined);
}

const Text = (description: string) => Type.Optional(Type.String({ description }));
const PagingParams = {
  added_after: Text('Only versions this server added after this time (RFC 3339).'),
  limit: Type.Optional(Type.Integer({ minimum: 1, description: `Objects per page (default ${DEFAULT_PAGE}, at most the tier's row cap).` })),
  next: Text('The `next` of the previous page, to continue it.'),
  'match[spec_version]': Text('Comma-separated STIX versions (all objects here are 2.1).'),
  api_key: Text('The API key, when it cannot be sent in a header.'),
};
const VersionParam = { 'match[version]': Text('`last` (default), `first`, `all`, or versions (timestamps); comma-separated, OR.') };
const ObjectsQuery = Type.Object({
  ...PagingParams,
  ...VersionParam,
  'match[id]': Text('Comma-separated object ids.'),
  'match[type]': Text('Comma-separated STIX types (indicator, vulnerability, attack-pattern, relationship).'),
});
const ObjectQuery = Type.Object({ ...PagingParams, ...VersionParam });
const VersionsQuery = Type.Object(PagingParams);
type Query = Partial<Record<'added_after' | 'next' | 'match[spec_version]' | 'match[version]' | 'match[id]' | 'match[type]', string>> & { limit?: number };

const CollectionParams = Type.Object({ collection: Type.String() });
const ObjectParams = Type.Object({ collection: Type.String(), object: Type.String() });

const list = (value: string | undefined) =>
  value
    ?.split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');

/** The read a request asks for, its parameters checked. */
function versionQuery(query: Query, maxLimit: number, defaultVersion: 'last' | 'all'): VersionQuery {
  let addedAfter = query.added_after;
  if (addedAfter !== undefined && !isTimestamp(addedAfter)) {
    throw new InvalidParameterError('added_after', `'added_after' is not an RFC 3339 timestamp: '${addedAfter}'.`);
  }
  if (query.next !== undefined) {
    addedAfter = decodeNext(query.next);
    if (addedAfter === undefined) throw new InvalidParameterError('next', "'next' is not a token this server gave: send it as the previous page's `next` was.");
  }
  const given = list(query['match[version]']);
  const versions = given && given.length > 0 ? given : [defaultVersion];
  for (const version of versions) {
    if (!['last', 'first', 'all'].includes(version) && !isTimestamp(version)) {
      throw new InvalidParameterError('match[version]', `'match[version]' takes last, first, all or timestamps: '${version}' is none.`);
    }
  }
  const specVersions = list(query['match[spec_version]']);
  return {
    addedAfter,
    limit: Math.min(query.limit ?? DEFAULT_PAGE, maxLimit),
    ids: list(query['match[id]']),
    types: list(query['match[type]']),
    versions,
    specVersionMatches: specVersions === undefined || specVersions.includes('2.1'),
  };
}

function sendTaxii(reply: FastifyReply, body: string | object, rows?: VersionRow[]) {
  if (rows && rows.length > 0) {
    reply.header('X-TAXII-Date-Added-First', rows[0]!.date_added);
    reply.header('X-TAXII-Date-Added-Last', rows.at(-1)!.date_added);
  }
  return sendTaxiiBody(reply, typeof body === 'string' ? body : JSON.stringify(body));
}

/** Sent as bytes: Fastify would rewrite the media type of a JSON string (quoted version, a charset), which TAXII clients compare literally. */
function sendTaxiiBody(reply: FastifyReply, json: string) {
  return reply.header('content-type', TAXII_MEDIA_TYPE).send(Buffer.from(json, 'utf8'));
}

function collectionFrom(params: { collection: string }): TaxiiCollection {
  const found = collectionOf(params.collection);
  if (!found) throw new NotFoundError(`No collection '${params.collection}' (GET the collections for their ids).`);
  return found;
}

export interface TaxiiRoutesOptions {
  db: Db;
  config: Pick<Config, 'publicUrl' | 'trustProxy' | 'bodyLimitBytes'>;
}

export const taxiiRoutes: FastifyPluginAsync<TaxiiRoutesOptions> = async (fastify, { db, config }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  // TAXII's media type, or 406 before any work.
  app.addHook('onRequest', (request, _reply, done) => {
    if (acceptsTaxii(request.headers.accept)) return done();
    done(new AppError(406, 'not_acceptable', `This TAXII server answers ${TAXII_MEDIA_TYPE} only; the Accept header admits none of it.`, { accept: request.headers.accept }));
  });
  const scope = { scope: 'read:stix' } as const;
  // TAXII's own specification documents these routes (their trailing slashes are its rule): not the OpenAPI document.
  const schema = <S extends object>(summary: string, extra?: S) => ({ hide: true, summary, ...(extra as S) });
  const apiRoot = (request: FastifyRequest) => `${linkBase(request, config.publicUrl, config.trustProxy)}${TAXII_PREFIX}/${API_ROOT}/`;
  const maxLimit = (request: FastifyRequest) => request.apiKey!.tier.max_limit;

  app.get('/', { config: scope, schema: schema('TAXII discovery') }, async (request, reply) =>
    sendTaxii(reply, {
      title: 'SOC Defenders TAXII Server',
      description: 'Indicators of compromise from public threat feeds and security articles, as STIX 2.1.',
      default: apiRoot(request),
      api_roots: [apiRoot(request)],
    }),
  );

  app.get(`/${API_ROOT}/`, { config: scope, schema: schema('The API root') }, async (_request, reply) =>
    sendTaxii(reply, {
      title: 'SOC Defenders',
      description: 'Read-only collections of STIX 2.1 indicators, vulnerabilities and ATT&CK techniques.',
      versions: [TAXII_MEDIA_TYPE],
      max_content_length: config.bodyLimitBytes,
    }),
  );

  app.get(`/${API_ROOT}/collections/`, { config: scope, schema: schema('The collections') }, async (_request, reply) =>
    sendTaxii(reply, { collections: COLLECTIONS.map(collectionResource) }),
  );

  app.get(
    `/${API_ROOT}/collections/:collection/`,
    { config: scope, schema: schema('A collection', { params: CollectionParams }) },
    async (request, reply) => sendTaxii(reply, collectionResource(collectionFrom(request.params))),
  );

  /**
   * A page of the collection's versions (of one object, when `objectId` is given: a 404 when the
   * collection has none of it at all); the objects themselves or only their ids and versions.
   */
  async function pageOf(
    request: FastifyRequest & { params: { collection: string; object?: string }; query: Query },
    defaultVersion: 'last' | 'all',
    withObject: boolean,
  ) {
    const c = collectionFrom(request.params);
    const objectId = request.params.object;
    const q = versionQuery(request.query, maxLimit(request), defaultVersion);
    const page = await readVersions(db, c.filter, q, { withObject, objectId });
    if (objectId !== undefined && page.rows.length === 0 && !q.addedAfter) await assertObjectExists(c, objectId);
    return page;
  }
  const objects = { params: CollectionParams, querystring: ObjectsQuery };
  const object = { params: ObjectParams, querystring: ObjectQuery };

  app.get(`/${API_ROOT}/collections/:collection/objects/`, { config: scope, schema: schema('The objects of a collection', objects) }, async (request, reply) => {
    const page = await pageOf(request, 'last', true);
    return sendTaxii(reply, envelopeJson(page), page.rows);
  });

  app.get(`/${API_ROOT}/collections/:collection/manifest/`, { config: scope, schema: schema('The manifest of a collection', objects) }, async (request, reply) => {
    const page = await pageOf(request, 'last', false);
    return sendTaxii(reply, manifestJson(page), page.rows);
  });

  app.get(`/${API_ROOT}/collections/:collection/objects/:object/`, { config: scope, schema: schema('An object of a collection', object) }, async (request, reply) => {
    const page = await pageOf(request, 'last', true);
    return sendTaxii(reply, envelopeJson(page), page.rows);
  });

  app.get(
    `/${API_ROOT}/collections/:collection/objects/:object/versions/`,
    { config: scope, schema: schema('The versions of an object', { params: ObjectParams, querystring: VersionsQuery }) },
    async (request, reply) => {
      const page = await pageOf(request, 'all', false);
      return sendTaxii(reply, versionsJson(page), page.rows);
    },
  );

  /** A 404 for an object that this collection has no version of at all. */
  async function assertObjectExists(c: TaxiiCollection, objectId: string) {
    const any = await readVersions(db, c.filter, { limit: 1, versions: ['all'], specVersionMatches: true }, { withObject: false, objectId });
    if (any.rows.length === 0) throw new NotFoundError(`No object '${objectId}' in the collection '${c.alias}'.`);
  }
};
