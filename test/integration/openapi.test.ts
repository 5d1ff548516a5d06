// /api/openapi.json: generated from the schemas that validate requests, so it describes what the
// server accepts; and it is a valid OpenAPI 3.0 document.
import SwaggerParser from '@apidevtools/swagger-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { LookupQuery } from '../../src/api/routes/lookup.js';
import { ArticlesQuery } from '../../src/api/routes/articles.js';
import { DeleteLifetimeQuery } from '../../src/api/routes/lifecycle.js';
import { RunQuery } from '../../src/api/routes/sources.js';
import { AuthQuery, ChangesQuery, ErrorResponse, ListQuery, SearchQuery, StixQuery } from '../../src/api/schemas.js';
import { appSuite } from '../helpers.js';

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema: Record<string, unknown>;
  description?: string;
}
interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  responses: Record<string, { description: string; content?: Record<string, { schema: Record<string, unknown> }> }>;
  security?: Record<string, string[]>[];
}
interface Document {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, Record<string, unknown>> };
}

type ObjectSchema = { properties: Record<string, Record<string, unknown>>; required?: string[] };

const ROUTES: Record<string, ObjectSchema | undefined> = {
  '/api/v1/iocs': ListQuery as unknown as ObjectSchema,
  '/api/v1/iocs/search': SearchQuery as unknown as ObjectSchema,
  '/api/v1/iocs/changes': ChangesQuery as unknown as ObjectSchema,
  '/api/v1/iocs/revoke': AuthQuery as unknown as ObjectSchema,
  '/api/v1/iocs/restore': AuthQuery as unknown as ObjectSchema,
  '/api/v1/lifetimes': AuthQuery as unknown as ObjectSchema,
  '/api/v1/allowlist': AuthQuery as unknown as ObjectSchema,
  '/api/v1/allowlist/remove': AuthQuery as unknown as ObjectSchema,
  '/api/v1/lookup': LookupQuery as unknown as ObjectSchema,
  '/api/v1/iocs/stix': StixQuery as unknown as ObjectSchema,
  '/api/v1/rules/sigma': StixQuery as unknown as ObjectSchema,
  '/api/v1/iocs/stats': AuthQuery as unknown as ObjectSchema,
  '/api/v1/sources': AuthQuery as unknown as ObjectSchema,
  '/api/v1/misp/feed/manifest.json': AuthQuery as unknown as ObjectSchema,
  '/api/v1/misp/feed/hashes.csv': AuthQuery as unknown as ObjectSchema,
  '/api/v1/misp/feed/{file}': AuthQuery as unknown as ObjectSchema,
  '/api/v1/articles': ArticlesQuery as unknown as ObjectSchema,
  '/api/v1/articles/{id}': AuthQuery as unknown as ObjectSchema,
  '/api/v1/keys': AuthQuery as unknown as ObjectSchema,
  '/api/v1/keys/{id}': AuthQuery as unknown as ObjectSchema,
  '/api/v1/me': AuthQuery as unknown as ObjectSchema,
  '/api/v1/tiers': AuthQuery as unknown as ObjectSchema,
  '/api/v1/sources/{name}/enable': AuthQuery as unknown as ObjectSchema,
  '/api/v1/sources/{name}/disable': AuthQuery as unknown as ObjectSchema,
  '/api/v1/sources/{name}/run': RunQuery as unknown as ObjectSchema,
  '/healthz': undefined,
  '/readyz': undefined,
  '/metrics': undefined,
};

/** The routes with other methods than GET alone. */
const METHODS: Record<string, string[]> = {
  '/api/v1/keys': ['post', 'get'],
  '/api/v1/keys/{id}': ['delete'],
  '/api/v1/sources/{name}/enable': ['post'],
  '/api/v1/sources/{name}/disable': ['post'],
  '/api/v1/sources/{name}/run': ['post'],
  '/api/v1/iocs/revoke': ['post'],
  '/api/v1/iocs/restore': ['post'],
  '/api/v1/lifetimes': ['get', 'put', 'delete'],
  '/api/v1/allowlist': ['get', 'post'],
  '/api/v1/allowlist/remove': ['post'],
};

/** The operations whose query schema is not their path's (in ROUTES), by path and method. */
const METHOD_QUERIES: Record<string, ObjectSchema> = {
  '/api/v1/lifetimes delete': DeleteLifetimeQuery as unknown as ObjectSchema,
};

describe('GET /api/openapi.json', () => {
  const { t } = appSuite('embedded');
  let doc: Document;
  /** Each documented operation of ROUTES, with its path and query schema. */
  const operations = () =>
    Object.entries(ROUTES).flatMap(([path, schema]) =>
      Object.entries(doc.paths[path]!).map(([method, op]) => [path, METHOD_QUERIES[`${path} ${method}`] ?? schema, op] as const),
    );
  beforeAll(async () => {
    const res = await t.app.inject({ url: '/api/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    doc = res.json();
  });

  it('needs no key', async () => {
    expect(doc.openapi).toBe('3.0.3');
    expect(doc.info.title).toBe('SOC Defenders Threat Intelligence API');
  });

  it('is a valid OpenAPI 3.0 document', async () => {
    // validate() dereferences in place: give it a copy.
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
    // The validator does find faults (it checks against the OpenAPI 3.0 JSON schema): a parameter
    // without its `in`, a type that is not one.
    const broken = structuredClone(doc);
    delete (broken.paths['/api/v1/iocs']!.get!.parameters![0] as Partial<Parameter>).in;
    await expect(SwaggerParser.validate(broken as never)).rejects.toThrow();
    const mistyped = structuredClone(doc);
    mistyped.paths['/api/v1/iocs']!.get!.parameters![0]!.schema.type = 'strnig';
    await expect(SwaggerParser.validate(mistyped as never)).rejects.toThrow();
    // What that schema does not check: every security requirement names a declared scheme.
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const requirement of Object.values(item).flatMap((op) => op.security ?? [])) {
        for (const name of Object.keys(requirement)) expect(doc.components.securitySchemes, path).toHaveProperty(name);
      }
    }
  });

  it('describes every route, each with its methods (GET alone unless METHODS says), and nothing else', () => {
    expect(Object.keys(doc.paths).sort()).toEqual(Object.keys(ROUTES).sort());
    for (const [path, item] of Object.entries(doc.paths)) expect(Object.keys(item), path).toEqual(METHODS[path] ?? ['get']);
  });

  it('gives each route the query parameters of the schema that validates it', () => {
    for (const [path, schema, op] of operations()) {
      // (Path parameters are the path's own: `{file}`.)
      const parameters = (op.parameters ?? []).filter((p) => p.in !== 'path');
      if (!schema) {
        expect(parameters, path).toEqual([]);
        continue;
      }
      expect(parameters.map((p) => p.name).sort(), path).toEqual(Object.keys(schema.properties).sort());
      for (const p of parameters) {
        const source = schema.properties[p.name]!;
        expect(p.in).toBe('query');
        expect(Boolean(p.required), `${path} ${p.name} required`).toBe((schema.required ?? []).includes(p.name));
        for (const field of ['type', 'enum', 'default', 'minimum', 'maximum', 'minLength', 'maxLength']) {
          expect(p.schema[field], `${path} ${p.name} ${field}`).toEqual(source[field]);
        }
        if (source.description) expect(p.description ?? p.schema.description).toBe(source.description);
      }
    }
  });

  it('documents the enums the list endpoint accepts', () => {
    const byName = Object.fromEntries(doc.paths['/api/v1/iocs']!.get!.parameters!.map((p) => [p.name, p.schema]));
    expect(byName.type!.enum).toEqual([
      'ipv4', 'ipv6', 'domain', 'url', 'md5', 'sha1', 'sha256', 'sha512', 'email', 'cve', 'mitre_attack', 'mitre-attack',
    ]);
    expect(byName.category!.enum).toEqual(['news', 'research', 'threat-intel', 'vendor', 'government']);
    expect(byName.confidence!.enum).toEqual(['high', 'medium', 'low']);
    expect(byName.format).toMatchObject({ enum: ['json', 'csv', 'txt', 'cef', 'openioc', 'misp'], default: 'json' });
    expect(byName.limit).toMatchObject({ type: 'integer', minimum: 1, default: 100 });
    expect(byName.offset).toMatchObject({ type: 'integer', minimum: 0, default: 0 });
    expect(byName.include_context).toMatchObject({ type: 'boolean', default: true });
  });

  it('accepts every documented enum value and refuses others', async () => {
    const pro = await t.key('pro');
    const params = doc.paths['/api/v1/iocs']!.get!.parameters!;
    for (const p of params.filter((x) => Array.isArray(x.schema.enum))) {
      for (const value of p.schema.enum as string[]) {
        const res = await t.app.inject({ url: `/api/v1/iocs?${p.name}=${value}&limit=1`, headers: { 'x-api-key': pro } });
        expect(res.statusCode, `${p.name}=${value}`).toBe(200);
      }
      const res = await t.app.inject({ url: `/api/v1/iocs?${p.name}=not-documented`, headers: { 'x-api-key': pro } });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details.allowed).toEqual(p.schema.enum);
    }
  });

  it('declares the two key schemes, required on /api/v1 and not on the health checks', () => {
    expect(doc.components.securitySchemes).toEqual({
      BearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      ApiKeyAuth: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-API-Key' }),
    });
    for (const [path, , { security }] of operations()) {
      if (path.startsWith('/api/v1/')) expect(security, path).toEqual([{ BearerAuth: [] }, { ApiKeyAuth: [] }]);
      else expect(security ?? [], path).toEqual([]);
    }
  });

  it('documents the error envelope for 400, 401, 403, 429 and 500 on every /api/v1 route', () => {
    const envelope = ErrorResponse as unknown as { required: string[]; properties: { error: ObjectSchema } };
    for (const [path, , op] of operations().filter(([p]) => p.startsWith('/api/v1/'))) {
      expect(op.operationId, path).toEqual(expect.any(String));
      expect(op.responses['200'] ?? op.responses['201'], path).toBeDefined();
      for (const status of ['400', '401', '403', '429', '500']) {
        const response = op.responses[status];
        expect(response?.description, `${path} ${status}`).toEqual(expect.any(String));
        const schema = response!.content!['application/json']!.schema as { required: string[]; properties: { error: ObjectSchema } };
        expect(schema.required).toEqual(envelope.required);
        expect(schema.properties.error.required).toEqual(['code', 'message', 'request_id']);
        expect(Object.keys(schema.properties.error.properties).sort()).toEqual(['code', 'details', 'message', 'request_id']);
      }
    }
    // The health checks: 400 for a query value they refuse (a NUL), and readiness its 503.
    expect(Object.keys(doc.paths['/healthz']!.get!.responses).sort()).toEqual(['200', '400']);
    expect(Object.keys(doc.paths['/readyz']!.get!.responses).sort()).toEqual(['200', '400', '503']);
  });

  it('documents the API key routes: the body of POST, the id of DELETE, their refusals, the tag', () => {
    const post = doc.paths['/api/v1/keys']!.post! as Operation & { requestBody: { content: Record<string, { schema: ObjectSchema }> }; tags: string[] };
    const body = post.requestBody.content['application/json']!.schema;
    expect(Object.keys(body.properties).sort()).toEqual(['admin', 'expires_at', 'expires_in_days', 'name', 'scopes', 'tier']);
    expect(body.required).toEqual(['name']);
    expect(body.properties.name).toMatchObject({ minLength: 1, maxLength: 100 });
    expect(body.properties.expires_at).toMatchObject({ format: 'date-time' });
    expect(Object.keys(post.responses)).toContain('201');
    expect(post.tags).toEqual(['API Keys']);
    const del = doc.paths['/api/v1/keys/{id}']!.delete!;
    expect(del.parameters!.find((p) => p.in === 'path')).toMatchObject({ name: 'id', required: true, schema: { format: 'uuid' } });
    expect(Object.keys(del.responses)).toEqual(expect.arrayContaining(['200', '404', '409']));
    expect((doc as unknown as { tags: { name: string }[] }).tags.map((tag) => tag.name)).toContain('API Keys');
    // The usage counts say how late they may be.
    expect(JSON.stringify(doc.paths['/api/v1/me']!.get!.responses['200'])).toContain('up to a minute late');
  });

  it('documents the lifecycle routes: their bodies and refusals', () => {
    type WithBody = Operation & { requestBody: { content: Record<string, { schema: ObjectSchema }> } };
    const bodyOf = (op: Operation | undefined) => (op as WithBody).requestBody.content['application/json']!.schema;
    const put = doc.paths['/api/v1/lifetimes']!.put!;
    const lifetime = bodyOf(put);
    expect(Object.keys(lifetime.properties).sort()).toEqual(['half_life_days', 'lifetime_days', 'reason', 'source', 'type']);
    expect(lifetime.required?.sort()).toEqual(['lifetime_days', 'reason']);
    expect(lifetime.properties.lifetime_days).toMatchObject({ type: 'integer', minimum: 1, nullable: true });
    expect(Object.keys(put.responses)).toEqual(expect.arrayContaining(['200', '404']));
    expect(Object.keys(doc.paths['/api/v1/lifetimes']!.delete!.responses)).toEqual(expect.arrayContaining(['200', '404']));
    for (const action of ['revoke', 'restore']) {
      const op = doc.paths[`/api/v1/iocs/${action}`]!.post!;
      expect(bodyOf(op).required?.sort(), action).toEqual(['reason', 'value']);
      expect(Object.keys(op.responses), action).toEqual(expect.arrayContaining(['200', '404']));
    }
    expect(Object.keys(doc.paths['/api/v1/iocs/restore']!.post!.responses)).toContain('409');
    expect(Object.keys(doc.paths['/api/v1/allowlist']!.post!.responses)).toEqual(expect.arrayContaining(['200', '201']));
    expect(bodyOf(doc.paths['/api/v1/allowlist/remove']!.post).required).toEqual(['value']);
  });

  it('describes the response the server sends', async () => {
    // The list schema has the fields of a real answer: a response of the documented shape.
    const pro = await t.key('pro');
    const res = await t.app.inject({ url: '/api/v1/iocs?limit=1', headers: { 'x-api-key': pro } });
    const documented = doc.paths['/api/v1/iocs']!.get!.responses['200']!.content!['application/json']!.schema as ObjectSchema;
    expect(Object.keys(res.json()).sort()).toEqual(Object.keys(documented.properties).sort());
  });
});
