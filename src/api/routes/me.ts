// GET /api/v1/me: the calling key as the API sees it (its tier, scopes, formats, limits and
// usage), so that a client (the dashboard too) knows what it may ask for; and GET /api/v1/tiers,
// what each tier gives, so that it can say what another tier would add. Any valid key may call them.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { Db } from '../../store/db.js';
import { ADMIN_SCOPE, getApiKey, listTiers, type Tier } from '../../store/keys.js';
import type { Authenticator } from '../auth.js';
import { allowedListFormats, ANY_KEY } from '../guard.js';
import { AuthQuery, AUTHENTICATED_ERRORS, ErrorResponse, Nullable, Timestamp } from '../schemas.js';


const TierLimits = {
  name: Type.String(),
  requests_per_minute: Type.Integer(),
  requests_per_day: Type.Integer(),
  lookback_days: Type.Integer({ description: 'How far back `since` may reach.' }),
  max_limit: Type.Integer({ description: 'The largest `limit` a request is given.' }),
};

const TiersResponse = Type.Object({
  data: Type.Array(
    Type.Object({
      ...TierLimits,
      rank: Nullable(Type.Integer({ description: 'Tiers are ordered by rank (higher gives more); null: outside the order.' })),
      formats: Type.Array(Type.String(), { description: 'The `format` values of GET /api/v1/iocs the tier allows.' }),
      scopes: Type.Array(Type.String(), { description: "The scopes the tier's keys may have." }),
    }),
  ),
});

const MeResponse = Type.Object({
  data: Type.Object({
    key: Type.Object({
      id: Type.String({ format: 'uuid' }),
      name: Type.String(),
      prefix: Type.String(),
      created_at: Timestamp,
      expires_at: Nullable(Timestamp),
    }),
    tier: Type.Object(TierLimits),
    scopes: Type.Array(Type.String(), { description: 'What the key may call: its scopes that its tier allows, and `admin` if granted.' }),
    admin: Type.Boolean(),
    formats: Type.Array(Type.String(), { description: 'The `format` values of GET /api/v1/iocs this key may ask for.' }),
    usage: Type.Object(
      { today: Type.Integer({ minimum: 0 }), month: Type.Integer({ minimum: 0 }) },
      {
        description:
          'Requests authenticated with this key in the current UTC day and month, this one included. Other ' +
          "instances' counts reach the store once a minute, so they may be up to a minute late.",
      },
    ),
    rate_limit: Type.Object(
      {
        limit: Type.Integer(),
        remaining: Type.Integer(),
        reset_at: Timestamp,
        day_limit: Type.Integer(),
        day_remaining: Type.Integer(),
      },
      { description: 'After this request: as the X-RateLimit-* headers say.' },
    ),
  }),
});

/** A tier's limits, as both answers give them. */
function limitsOf(tier: Tier) {
  return {
    name: tier.name,
    requests_per_minute: tier.requests_per_minute,
    requests_per_day: tier.requests_per_day,
    lookback_days: tier.lookback_days,
    max_limit: tier.max_limit,
  };
}

export const meRoutes: FastifyPluginAsync<{ db: Db; authenticator: Authenticator }> = async (app, { db, authenticator }) => {
  app.get(
    '/me',
    {
      config: { scope: ANY_KEY },
      schema: {
        tags: ['API Keys'],
        summary: 'The calling key: tier, scopes, formats, limits and usage',
        description: 'Any valid key may call it, whatever its scopes.',
        operationId: 'getMe',
        querystring: AuthQuery,
        response: {
          200: MeResponse,
          ...AUTHENTICATED_ERRORS,
          401: { ...ErrorResponse, description: 'Missing, invalid, revoked or expired API key (`expired_api_key`)' },
        },
      },
    },
    async (request) => {
      const key = request.apiKey!;
      const decision = request.rateLimit!;
      const stored = await getApiKey(db, key.id);
      const { tier } = key;
      return {
        data: {
          key: { id: key.id, name: key.name, prefix: key.prefix, created_at: key.created_at, expires_at: key.expires_at },
          tier: limitsOf(tier),
          scopes: key.scopes,
          admin: key.scopes.includes(ADMIN_SCOPE),
          formats: allowedListFormats(key),
          usage: authenticator.usage(key.id, stored?.usage ?? { today: 0, month: 0 }),
          rate_limit: {
            limit: decision.limit,
            remaining: decision.remaining,
            reset_at: new Date(decision.resetAt * 1000).toISOString(),
            day_limit: decision.dayLimit,
            day_remaining: decision.dayRemaining,
          },
        },
      };
    },
  );

  app.get(
    '/tiers',
    {
      config: { scope: ANY_KEY },
      schema: {
        tags: ['API Keys'],
        summary: 'The tiers: limits, lookback, formats and scopes of each',
        description: 'Any valid key may call it: what another tier would give (keys of a tier are made by an admin).',
        operationId: 'listTiers',
        querystring: AuthQuery,
        response: { 200: TiersResponse, ...AUTHENTICATED_ERRORS },
      },
    },
    async () => ({
      data: (await listTiers(db)).map((tier) => ({ ...limitsOf(tier), rank: tier.rank, formats: tier.list_formats, scopes: tier.scopes })),
    }),
  );
};
