// The admin side of the IOC lifecycle (store/lifecycle.ts): the lifetimes table
// (GET/PUT/DELETE /api/v1/lifetimes), revoking and restoring an indicator
// (POST /api/v1/iocs/revoke, …/restore) and the allow-list (/api/v1/allowlist). `socd lifetimes`,
// `socd revoke|restore` and `socd allowlist` do the same from a shell.
import type { FastifyBaseLogger, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { publishStixVersions } from '../../ingest/publish.js';
import { MAX_INPUT_LENGTH, parseIoc, resolveIocType, type IocType, type NormalizedIoc } from '../../ioc/index.js';
import { IOC_TYPES } from '../../ioc/types.js';
import type { Db } from '../../store/db.js';
import { ADMIN_SCOPE } from '../../store/keys.js';
import {
  deleteLifetime,
  findAllowListed,
  readAllowList,
  readLifecycleState,
  readLifetimes,
  setAllowListed,
  setLifetime,
  setRevoked,
  type AllowListRow,
  type LifetimeRow,
} from '../../store/lifecycle.js';
import { findSource, type SourceRow } from '../../store/sources.js';
import { AppError, ConflictError, InvalidParameterError } from '../errors.js';
import { AuthQuery, AUTHENTICATED_ERRORS, ErrorResponse, IocTypeParam, Nullable, StringEnum, Timestamp } from '../schemas.js';

// Days are bounded: a lifetime is added to timestamps, and a century is past any use.
const Days = (description: string) => Type.Integer({ minimum: 1, maximum: 36_500, description });
const Reason = (description: string) => Type.String({ minLength: 1, maxLength: 1000, description });
const Value = Type.String({ minLength: 1, maxLength: MAX_INPUT_LENGTH, description: 'An IOC value; defanged input is accepted.' });
const TypeField = Type.Optional({ ...IocTypeParam, description: 'The IOC type, when the value alone is ambiguous (default: detected).' });

const LifetimeSchema = Type.Object({
  type: Nullable(StringEnum([...IOC_TYPES], { description: 'null: every type of the source.' })),
  lifetime_days: Nullable(Type.Integer({ description: 'Days after a source last reported a value that it stays valid; null: never expires.' })),
  reason: Type.String(),
  updated_at: Timestamp,
  updated_by: Type.String({ description: '`default`, `catalogue`, or the key or operator that set it.' }),
});
const LifetimesResponse = Type.Object({
  meta: Type.Object({
    generated_at: Timestamp,
    notices: Type.Optional(Type.Array(Type.String(), { description: 'When the change takes effect.' })),
  }),
  data: Type.Object({
    defaults: Type.Array(
      Type.Object({
        ...LifetimeSchema.properties,
        type: StringEnum([...IOC_TYPES]),
        half_life_days: Nullable(Type.Integer({ description: "The lookup's risk score half-life; null: the evidence does not fade." })),
      }),
      { description: 'One per IOC type.' },
    ),
    overrides: Type.Array(Type.Object({ source: Type.String(), ...LifetimeSchema.properties }), {
      description: "A source's lifetimes: for one type, or for every type (`type` null). Its row for the type wins, then its row for every type, then the type's default.",
    }),
  }),
});

const SetLifetimeBody = Type.Object(
  {
    type: TypeField,
    source: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'A source name (see GET /api/v1/sources): an override for that source.' })),
    lifetime_days: Nullable(Days('Days a value stays valid after a source last reported it; null: never expires.')),
    half_life_days: Type.Optional(Nullable(Days("The lookup's risk score half-life (a type's default only); null: no decay."))),
    reason: Reason('Why: shown beside the lifetime.'),
  },
  { additionalProperties: false },
);
type SetLifetimeBody = Static<typeof SetLifetimeBody>;

export const DeleteLifetimeQuery = Type.Object(
  {
    source: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "The source whose override goes (a type's default cannot be removed)." })),
    type: Type.Optional({ ...IocTypeParam, description: "The override's type; without it, the source's override for every type." }),
    api_key: AuthQuery.properties.api_key,
  },
  { additionalProperties: false },
);

const WithdrawBody = Type.Object(
  { value: Value, type: TypeField, reason: Reason('Why: shown on search and lookup, and in the changes feed.') },
  { additionalProperties: false },
);
type WithdrawBody = Static<typeof WithdrawBody>;

const WithdrawalResponse = Type.Object({
  data: Type.Object({
    value: Type.String(),
    type: StringEnum([...IOC_TYPES]),
    status: StringEnum(['new', 'active', 'expired'], {
      description: 'Its validity: `new` (not computed yet: listed), `active` or `expired`, whether revoked or not.',
    }),
    revoked: Type.Boolean(),
    revoked_at: Nullable(Timestamp),
    revoked_by: Nullable(Type.String()),
    reason: Nullable(Type.String({ description: 'Why it is revoked; null when it is not.' })),
    changed: Type.Boolean({ description: 'false: it already was revoked (restored), and nothing changed.' }),
  }),
});

const AllowListEntry = Type.Object({
  type: StringEnum([...IOC_TYPES]),
  value: Type.String(),
  reason: Type.String(),
  added_at: Timestamp,
  added_by: Type.String(),
});
const AllowListResponse = Type.Object({
  meta: Type.Object({ generated_at: Timestamp, total: Type.Integer({ minimum: 0 }) }),
  data: Type.Array(AllowListEntry),
});
const AllowListAddBody = Type.Object(
  { value: Value, type: TypeField, reason: Reason('Why it must never be listed (your own asset, known benign…).') },
  { additionalProperties: false },
);
const AllowListRemoveBody = Type.Object(
  { value: Value, type: TypeField, reason: Type.Optional(Reason('Why: the restored event carries it.')) },
  { additionalProperties: false },
);
const AllowListChange = Type.Object({
  data: Type.Object({
    ...AllowListEntry.properties,
    status: Nullable(
      StringEnum(['active', 'expired', 'revoked'], { description: 'The stored indicator now (revoked while on the list); null: none is stored yet.' }),
    ),
    changed: Type.Boolean({ description: 'false: it already was on the list (not on it), and nothing changed.' }),
  }),
});

const ADMIN_ERRORS = {
  ...AUTHENTICATED_ERRORS,
  403: { ...ErrorResponse, description: 'The calling key lacks the admin scope' },
};
const NOT_STORED = { ...ErrorResponse, description: 'No indicator with that value is stored' };

const PENDING =
  'The indicators it covers are computed again by the next publisher run, which this request has started: those whose ' +
  'validity has now ended leave the lists (an `expired` event), those it extends come back (`added`).';

/** Who changed it, as the lifetimes and withdrawals record it. */
const byKey = (request: FastifyRequest) => `key ${request.apiKey!.id} (${request.apiKey!.name})`;

// Tabs and line breaks are text; the rest (NUL, which PostgreSQL refuses in text) are not.
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** A free-text field: not blank, and no control character but tabs and line breaks. */
function text(name: string, value: string): string {
  const trimmed = value.trim();
  if (trimmed === '') throw new InvalidParameterError(name, `Invalid value for '${name}': it is blank.`);
  if (CONTROL.test(trimmed)) throw new InvalidParameterError(name, `Invalid value for '${name}': it contains a control character.`);
  return trimmed;
}

/** The body's value as the store keys it: refanged and normalized (as its type, when given). */
function iocOf(value: string, type: string | undefined): NormalizedIoc {
  const parsed = parseIoc(value, type === undefined ? undefined : resolveIocType(type));
  if (!parsed.ok) throw new InvalidParameterError('value', `Invalid value for 'value': ${parsed.reason}.`, { reason: parsed.reason });
  return parsed.ioc;
}

const notStored = (ioc: NormalizedIoc) =>
  new AppError(404, 'not_found', `No ${ioc.type} ${ioc.value} is stored.`, { parameter: 'value', value: ioc.value, type: ioc.type });


/** The table as GET answers it: the types' defaults, then the sources' overrides. */
function describeLifetimes(rows: LifetimeRow[], notices?: string[]): Static<typeof LifetimesResponse> {
  const defaults = rows.filter((row) => row.source === null).map(({ source: _, ...row }) => ({ ...row, type: row.type! }));
  const overrides = rows.filter((row) => row.source !== null).map(({ half_life_days: _, ...row }) => ({ ...row, source: row.source! }));
  return { meta: { generated_at: new Date().toISOString(), ...(notices && { notices }) }, data: { defaults, overrides } };
}

export const lifecycleRoutes: FastifyPluginAsync<{ db: Db }> = async (fastify, { db }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  // Publisher runs not waited for: the app's close waits for them.
  const background = new Set<Promise<unknown>>();
  fastify.addHook('onClose', async () => void (await Promise.allSettled(background)));

  /**
   * After a change: the publisher applies it in the background (new STIX versions; what a lifetime
   * change expires or brings back), so that an instance without the scheduler applies it too.
   */
  function changed(log: FastifyBaseLogger) {
    const run: Promise<unknown> = publishStixVersions(db)
      .catch((err) => log.error({ err }, 'publishing STIX versions failed'))
      .finally(() => background.delete(run));
    background.add(run);
  }

  async function sourceNamed(name: string): Promise<SourceRow> {
    const source = await findSource(db, name);
    if (!source) throw new AppError(404, 'not_found', `No source is named "${name}" (see GET /api/v1/sources).`, { parameter: 'source', value: name });
    return source;
  }

  app.get(
    '/lifetimes',
    {
      config: { scope: 'read:iocs' },
      schema: {
        tags: ['IOCs'],
        summary: 'The IOC lifetimes',
        description:
          "How long a value stays in the lists after a source last reported it: each type's default (with the lookup's risk " +
          "score half-life) and the sources' overrides, each with its reason. An indicator is valid until the latest, over " +
          'its sources, of `last_seen` + that lifetime; then it leaves every list (it stays findable).',
        operationId: 'listLifetimes',
        querystring: AuthQuery,
        response: { 200: LifetimesResponse, ...AUTHENTICATED_ERRORS },
      },
    },
    async () => describeLifetimes(await readLifetimes(db)),
  );

  app.put(
    '/lifetimes',
    {
      config: { scope: ADMIN_SCOPE },
      schema: {
        tags: ['IOCs'],
        summary: 'Set a lifetime',
        description:
          "Sets a type's default (`type`), a source's override for every type (`source`) or for one (`source` and `type`). " +
          '`lifetime_days` null: never expires. `half_life_days` is for a type\'s default only. Answers the whole table. ' +
          PENDING +
          ' Admin scope.',
        operationId: 'setLifetime',
        querystring: AuthQuery,
        body: SetLifetimeBody,
        response: { 200: LifetimesResponse, ...ADMIN_ERRORS, 404: { ...ErrorResponse, description: 'No source has that name' } },
      },
    },
    async (request) => {
      const body: SetLifetimeBody = request.body;
      if (body.type === undefined && body.source === undefined) throw new InvalidParameterError('type', 'Give type, source, or both.');
      if (body.source !== undefined && body.half_life_days !== undefined) {
        throw new InvalidParameterError('half_life_days', "A half-life is a type's default: give it without source.");
      }
      const reason = text('reason', body.reason);
      const source = body.source === undefined ? null : await sourceNamed(text('source', body.source));
      await setLifetime(db, {
        sourceId: source?.id ?? null,
        type: body.type === undefined ? null : resolveIocType(body.type)!,
        lifetimeDays: body.lifetime_days,
        halfLifeDays: body.half_life_days,
        reason,
        by: byKey(request),
      });
      request.log.info({ source: source?.name, type: body.type, lifetime_days: body.lifetime_days }, 'lifetime set');
      changed(request.log);
      return describeLifetimes(await readLifetimes(db), [PENDING]);
    },
  );

  app.delete(
    '/lifetimes',
    {
      config: { scope: ADMIN_SCOPE },
      schema: {
        tags: ['IOCs'],
        summary: "Remove a source's lifetime",
        description:
          "Removes a source's override (for one type, or for every type without `type`): its values follow the type's " +
          `default again. A type's default cannot be removed (set it instead). Answers the whole table. ${PENDING} Admin scope.`,
        operationId: 'deleteLifetime',
        querystring: DeleteLifetimeQuery,
        response: { 200: LifetimesResponse, ...ADMIN_ERRORS, 404: { ...ErrorResponse, description: 'No such source, or no such override' } },
      },
    },
    async (request) => {
      const { source: name, type } = request.query;
      if (name === undefined) throw new InvalidParameterError('source', "Missing required parameter 'source': a type's default cannot be removed, only set.");
      const source = await sourceNamed(name);
      const iocType: IocType | null = type === undefined ? null : resolveIocType(type)!;
      if (!(await deleteLifetime(db, source.id, iocType))) {
        throw new AppError(404, 'not_found', `${source.name} has no lifetime of its own for ${iocType ?? 'every type'}.`, { parameter: 'source' });
      }
      request.log.info({ source: source.name, type: iocType }, 'lifetime removed');
      changed(request.log);
      return describeLifetimes(await readLifetimes(db), [PENDING]);
    },
  );

  for (const [action, revoked] of [
    ['revoke', true],
    ['restore', false],
  ] as const) {
    app.post(
      `/iocs/${action}`,
      {
        config: { scope: ADMIN_SCOPE },
        schema: {
          tags: ['IOCs'],
          summary: revoked ? 'Revoke an indicator' : 'Restore a revoked indicator',
          description: revoked
            ? 'The value (refanged and normalized) leaves every list at once, and re-ingesting it does not bring it back; ' +
              'search and lookup still find it, with the reason. Subscribers get a `revoked` event and a revoked STIX ' +
              'version. Revoking a revoked value changes nothing (`changed: false`). Admin scope.'
            : 'Undoes a revocation: the value rejoins the lists (unless it has expired meanwhile), with a `restored` event. A ' +
              'value on the allow-list is 409: remove it from the allow-list instead. Admin scope.',
          operationId: `${action}IOC`,
          querystring: AuthQuery,
          body: WithdrawBody,
          response: {
            200: WithdrawalResponse,
            ...ADMIN_ERRORS,
            404: NOT_STORED,
            ...(!revoked && { 409: { ...ErrorResponse, description: 'The value is on the allow-list' } }),
          },
        },
      },
      async (request) => {
        const body: WithdrawBody = request.body;
        const ioc = iocOf(body.value, body.type);
        const reason = text('reason', body.reason);
        const result = await setRevoked(db, ioc, { revoked, reason, by: byKey(request) }, new Date());
        if (!result) throw notStored(ioc);
        if (result.allowListed) {
          throw new ConflictError('allow_listed', `${ioc.value} is on the allow-list: remove it from the allow-list (POST /api/v1/allowlist/remove) to restore it.`, {
            parameter: 'value',
            value: ioc.value,
          });
        }
        const { indicator } = result;
        if (result.changed) {
          request.log.info({ type: ioc.type, value: ioc.value, reason }, `indicator ${action}d`);
          changed(request.log);
        }
        return {
          data: {
            value: indicator.value,
            type: indicator.type,
            status: indicator.status,
            revoked: indicator.revoked_at !== null,
            revoked_at: indicator.revoked_at,
            revoked_by: indicator.revoked_by,
            reason: indicator.revoked_reason,
            changed: result.changed,
          },
        };
      },
    );
  }

  app.get(
    '/allowlist',
    {
      config: { scope: ADMIN_SCOPE },
      schema: {
        tags: ['IOCs'],
        summary: 'The allow-list',
        description: 'Values that are never listed, whoever reports them, newest first, with their reason. Admin scope.',
        operationId: 'listAllowList',
        querystring: AuthQuery,
        response: { 200: AllowListResponse, ...ADMIN_ERRORS },
      },
    },
    async () => {
      const rows = await readAllowList(db);
      return { meta: { generated_at: new Date().toISOString(), total: rows.length }, data: rows };
    },
  );

  /** The allow-list's entry for the value (after a change) and its stored indicator's state. */
  async function allowListAnswer(ioc: NormalizedIoc, entry: AllowListRow, changedNow: boolean) {
    const state = await readLifecycleState(db, ioc.type, ioc.normalized);
    return { data: { ...entry, status: state?.status ?? null, changed: changedNow } };
  }

  app.post(
    '/allowlist',
    {
      config: { scope: ADMIN_SCOPE },
      schema: {
        tags: ['IOCs'],
        summary: 'Add a value to the allow-list',
        description:
          'The value (refanged and normalized) is never listed: a stored indicator is revoked with the reason at once, and a ' +
          'value not stored yet is stored revoked when a source reports it. 201 when added, 200 when it already was there ' +
          '(its entry as it stands). Admin scope.',
        operationId: 'addToAllowList',
        querystring: AuthQuery,
        body: AllowListAddBody,
        response: { 200: AllowListChange, 201: AllowListChange, ...ADMIN_ERRORS },
      },
    },
    async (request, reply) => {
      const ioc = iocOf(request.body.value, request.body.type);
      const reason = text('reason', request.body.reason);
      const added = await setAllowListed(db, ioc, { listed: true, reason, by: byKey(request) }, new Date());
      if (added) {
        request.log.info({ type: ioc.type, value: ioc.value, reason }, 'value allow-listed');
        changed(request.log);
      }
      const entry = (await findAllowListed(db, ioc.type, ioc.normalized))!;
      return reply.status(added ? 201 : 200).send(await allowListAnswer(ioc, entry, added));
    },
  );

  app.post(
    '/allowlist/remove',
    {
      config: { scope: ADMIN_SCOPE },
      schema: {
        tags: ['IOCs'],
        summary: 'Remove a value from the allow-list',
        description:
          'The indicator the allow-list revoked is restored (one an admin revoked stays revoked). Answers the entry as it ' +
          'was. Admin scope.',
        operationId: 'removeFromAllowList',
        querystring: AuthQuery,
        body: AllowListRemoveBody,
        response: { 200: AllowListChange, ...ADMIN_ERRORS, 404: { ...ErrorResponse, description: 'The value is not on the allow-list' } },
      },
    },
    async (request) => {
      const ioc = iocOf(request.body.value, request.body.type);
      const reason = request.body.reason === undefined ? 'removed from the allow-list' : text('reason', request.body.reason);
      const entry = await findAllowListed(db, ioc.type, ioc.normalized);
      if (!entry || !(await setAllowListed(db, ioc, { listed: false, reason, by: byKey(request) }, new Date()))) {
        throw new AppError(404, 'not_found', `${ioc.value} is not on the allow-list.`, { parameter: 'value', value: ioc.value });
      }
      request.log.info({ type: ioc.type, value: ioc.value, reason }, 'value removed from the allow-list');
      changed(request.log);
      return allowListAnswer(ioc, entry, true);
    },
  );
};
