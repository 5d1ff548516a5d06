// POST, GET /api/v1/keys and DELETE /api/v1/keys/{id}: API keys managed over HTTP by a key with
// the admin scope. The rules of a new key are the store's (store/keys.ts), the same as
// `socd keys create`; this plugin maps their refusals to the error envelope.
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from 'typebox';
import type { Db } from '../../store/db.js';
import {
  ADMIN_SCOPE,
  createApiKey,
  getApiKey,
  isKeyId,
  KEY_NAME_MAX,
  KeyError,
  listApiKeys,
  revokeApiKey,
  SCOPES,
  type ApiKeyInfo,
} from '../../store/keys.js';
import type { Authenticator } from '../auth.js';
import type { AppError } from '../errors.js';
import { ConflictError, InsufficientScopeError, InvalidParameterError, NotFoundError } from '../errors.js';
import { AuthQuery, AUTHENTICATED_ERRORS, ErrorResponse, Nullable, Timestamp } from '../schemas.js';


const USAGE_NOTE =
  'Requests authenticated with the key in the current UTC day and month. Each instance adds its counts to the ' +
  'store once a minute (and when it stops): counts from other instances may be up to a minute late; this ' +
  "instance's own are included at once.";

const Usage = Type.Object({ today: Type.Integer({ minimum: 0 }), month: Type.Integer({ minimum: 0 }) }, { description: USAGE_NOTE });

export const KeySchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  prefix: Type.String({ description: 'The first characters of the key, to recognise it by.' }),
  tier: Type.String(),
  scopes: Type.Array(Type.String()),
  admin: Type.Boolean({ description: 'Whether the key has the admin scope: it manages keys.' }),
  created_at: Timestamp,
  expires_at: Nullable(Timestamp),
  last_used_at: Nullable({ ...Timestamp, description: 'Written with the usage counts, once a minute.' }),
  revoked_at: Nullable(Timestamp),
  usage: Usage,
});

const CreateKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: KEY_NAME_MAX, description: 'A name to recognise the key by.' }),
    tier: Type.Optional(Type.String({ description: "The key's tier; default: the calling key's. Not one ranked above it." })),
    scopes: Type.Optional(
      Type.Array(Type.Unsafe<string>({ type: 'string', enum: [...SCOPES] }), {
        uniqueItems: true,
        description:
          "Default: the tier's scopes that the calling key has. Only scopes of the tier, and of the calling key; " +
          '`admin` only when named (or with `admin: true`).',
      }),
    ),
    admin: Type.Optional(Type.Boolean({ description: 'Grants the admin scope (managing keys). Never granted by default.' })),
    expires_at: Type.Optional(Type.String({ format: 'date-time', description: 'When the key stops working: a future time, ISO 8601.' })),
    expires_in_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 36_500, description: 'Or: how many days from now.' })),
  },
  { additionalProperties: false },
);
type CreateKeyBody = Static<typeof CreateKeyBody>;

const KeyParams = Type.Object({ id: Type.String({ format: 'uuid', description: 'The key id (see GET /api/v1/keys).' }) });

const ERRORS = {
  ...AUTHENTICATED_ERRORS,
  401: { ...ErrorResponse, description: 'Missing, invalid, revoked or expired API key (`expired_api_key`)' },
  403: { ...ErrorResponse, description: 'The calling key lacks the admin scope, or asks for more than it has' },
};

/** The store's words as an API message: a sentence. */
const sentence = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}${text.endsWith('.') ? '' : '.'}`;

/** A refusal of the store's key rules, as the API answers it; `rename` maps a store parameter to the one the client sent. */
function fromKeyError(error: KeyError, rename: Record<string, string> = {}): AppError {
  const parameter = rename[error.parameter] ?? error.parameter;
  const message = sentence(error.message);
  if (error.refusal === 'forbidden') return new InsufficientScopeError(message, { parameter, ...error.details });
  if (error.refusal === 'conflict') return new ConflictError('last_admin_key', message, { parameter, ...error.details });
  return new InvalidParameterError(parameter, message, error.details);
}

export const keysRoutes: FastifyPluginAsync<{ db: Db; authenticator: Authenticator }> = async (app, { db, authenticator }) => {
  /** What the store says, with the requests this instance counted and has not written yet. */
  const withUnflushed = (key: ApiKeyInfo): ApiKeyInfo => ({ ...key, usage: authenticator.usage(key.id, key.usage) });

  app.post<{ Body: CreateKeyBody }>(
    '/keys',
    {
      config: { scope: ADMIN_SCOPE },
      schema: {
        tags: ['API Keys'],
        summary: 'Create an API key',
        description:
          'The new key is in the answer, once: only its SHA-256 is stored, and nothing logs it. Admin scope. ' +
          "A key grants neither a scope it does not have, nor a tier ranked above its own (403 `insufficient_scope`, " +
          '`details.parameter` naming the field), nor a key that outlives it (`expires_at` defaults to the calling ' +
          "key's expiry, if it has one). `admin` is granted only when asked for. Each invalid field is a 400 " +
          '`invalid_parameter` naming it.',
        operationId: 'createApiKey',
        querystring: AuthQuery,
        body: CreateKeyBody,
        response: {
          201: Type.Object({ data: Type.Object({ ...KeySchema.properties, key: Type.String({ description: 'The key: store it now, it is not shown again.' }) }) }),
          ...ERRORS,
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (body.expires_at !== undefined && body.expires_in_days !== undefined) {
        throw new InvalidParameterError('expires_in_days', 'Give expires_at or expires_in_days, not both.');
      }
      const expiresAt =
        body.expires_at !== undefined
          ? new Date(body.expires_at)
          : body.expires_in_days !== undefined
            ? new Date(Date.now() + body.expires_in_days * 86_400_000)
            : undefined;
      let created: Awaited<ReturnType<typeof createApiKey>>;
      try {
        created = await createApiKey(
          db,
          { name: body.name, tier: body.tier, scopes: body.scopes, admin: body.admin, expiresAt },
          request.apiKey!,
        );
      } catch (error) {
        if (error instanceof KeyError) throw fromKeyError(error, body.expires_in_days !== undefined ? { expires_at: 'expires_in_days' } : {});
        throw error;
      }
      request.log.info({ created_key_id: created.info.id, tier: created.info.tier, admin: created.info.admin }, 'API key created');
      return reply.status(201).header('Cache-Control', 'no-store').send({ data: { ...created.info, key: created.key } });
    },
  );

  app.get(
    '/keys',
    {
      config: { scope: ADMIN_SCOPE },
      schema: {
        tags: ['API Keys'],
        summary: 'List the API keys',
        description:
          'Every key, revoked and expired ones too, oldest first: its metadata and prefix, never the key. Admin scope. ' +
          USAGE_NOTE,
        operationId: 'listApiKeys',
        querystring: AuthQuery,
        response: {
          200: Type.Object({
            meta: Type.Object({ generated_at: Timestamp, total: Type.Integer({ minimum: 0 }) }),
            data: Type.Array(KeySchema),
          }),
          ...ERRORS,
        },
      },
    },
    async () => {
      const keys = (await listApiKeys(db)).map(withUnflushed);
      return { meta: { generated_at: new Date().toISOString(), total: keys.length }, data: keys };
    },
  );

  app.delete<{ Params: Static<typeof KeyParams> }>(
    '/keys/:id',
    {
      config: { scope: ADMIN_SCOPE },
      schema: {
        tags: ['API Keys'],
        summary: 'Revoke an API key',
        description:
          'Revoked at once, on every instance: its next request is a 401 (each instance drops it from its cache when ' +
          'the revocation commits). Admin scope; a key may revoke itself. The last admin key that works is kept ' +
          '(409 `last_admin_key`): create another admin key first, or use `socd keys revoke --force`.',
        operationId: 'revokeApiKey',
        querystring: AuthQuery,
        params: KeyParams,
        response: {
          200: Type.Object({ data: KeySchema }),
          ...ERRORS,
          404: { ...ErrorResponse, description: 'No active key has this id' },
          409: { ...ErrorResponse, description: 'The last admin key that works' },
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      if (!isKeyId(id)) throw new InvalidParameterError('id', `Invalid value for 'id': a key id (a UUID) is expected.`);
      let revoked: boolean;
      try {
        revoked = await revokeApiKey(db, id);
      } catch (error) {
        if (error instanceof KeyError) throw fromKeyError(error);
        throw error;
      }
      if (!revoked) throw new NotFoundError(`No active API key has the id ${id}.`);
      // This instance answers only once it no longer accepts the key (the others hear the NOTIFY).
      authenticator.forget(id);
      request.log.info({ revoked_key_id: id }, 'API key revoked');
      return { data: withUnflushed((await getApiKey(db, id))!) };
    },
  );
};
