// The sources: GET /api/v1/sources, the catalogue with each source's health and last run, for
// monitoring which feeds went quiet or broke, and why; and for admins, POST …/{name}/enable,
// …/disable and …/run (run it now), as `socd sources enable|disable` and `socd ingest --source` do.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { runSource } from '../../ingest/pipeline.js';
import { describeSource } from '../../ingest/source-status.js';
import type { Db } from '../../store/db.js';
import { findSource, findSourceStatus, listSourceStatus, setSourceEnabled, type SourceRow } from '../../store/sources.js';
import { refreshStats } from '../../store/stats.js';
import { AppError, NotFoundError } from '../errors.js';
import type { StatsCache } from '../stats-cache.js';
import { AuthQuery, AUTHENTICATED_ERRORS, ErrorResponse, SourceResponse, SourceRunResponse, SourcesResponse } from '../schemas.js';
import { FEED_META } from './iocs.js';

const SourceName = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200, description: 'The source name, in any case (see GET /api/v1/sources).' }) });
export const RunQuery = Type.Object(
  {
    wait: Type.Optional(Type.Boolean({ default: true, description: 'Wait for the run to finish (default), or answer 202 at once.' })),
    api_key: AuthQuery.properties.api_key,
  },
  { additionalProperties: false },
);
const ADMIN_ERRORS = { ...AUTHENTICATED_ERRORS, 404: { ...ErrorResponse, description: 'No source has that name' } };

const meta = () => ({ generated_at: new Date().toISOString(), ...FEED_META });

// Not through the TypeBox type provider: a source's times are Dates here, strings on the wire.
export const sourcesRoutes: FastifyPluginAsync<{ db: Db; stats: StatsCache }> = async (app, { db, stats }) => {
  // Runs not waited for: the app's close waits for them, so none is cut off halfway.
  const background = new Set<Promise<unknown>>();
  app.addHook('onClose', async () => void (await Promise.allSettled(background)));

  /** The source named in the path, or 404; a source of imported lists is no feed to manage here. */
  async function sourceNamed(name: string): Promise<SourceRow> {
    const source = await findSource(db, name);
    if (!source || source.kind === 'import') throw new NotFoundError(`No source is named "${name}" (see GET /api/v1/sources).`);
    return source;
  }
  const described = async (name: string) => describeSource((await findSourceStatus(db, name))!);

  app.get(
    '/sources',
    {
      config: { scope: 'read:iocs' },
      schema: {
        tags: ['Sources'],
        summary: 'The sources and their health',
        description:
          'Every source in the catalogue: kind, URL, category, schedule, whether it is enabled, its health ' +
          '(`healthy`, `degraded`: recent failures or nothing new for longer than expected, `error`: the last runs ' +
          'failed) with the cause in words, and its last run with counts and timings.',
        operationId: 'listSources',
        querystring: AuthQuery,
        response: {
          200: SourcesResponse,
          ...AUTHENTICATED_ERRORS,
        },
      },
    },
    async () => {
      const sources = (await listSourceStatus(db)).filter((s) => s.kind !== 'import');
      return { meta: { ...meta(), total: sources.length }, data: sources.map((s) => describeSource(s)) };
    },
  );

  for (const [action, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    app.post<{ Params: { name: string } }>(
      `/sources/:name/${action}`,
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['Sources'],
          summary: `${enabled ? 'Enable' : 'Disable'} a source`,
          description: enabled
            ? 'The scheduler runs the source again at its interval. Admin scope.'
            : 'The scheduler stops running the source; its records stay. Admin scope.',
          operationId: `${action}Source`,
          params: SourceName,
          querystring: AuthQuery,
          response: { 200: SourceResponse, ...ADMIN_ERRORS },
        },
      },
      async (request) => {
        const source = await sourceNamed(request.params.name);
        await setSourceEnabled(db, source.name, enabled);
        request.log.info({ source: source.name, enabled }, `source ${source.name} ${action}d`);
        return { meta: meta(), data: await described(source.name) };
      },
    );
  }

  app.post<{ Params: { name: string }; Querystring: { wait?: boolean } }>(
    '/sources/:name/run',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['Sources'],
        summary: 'Run a source now',
        description:
          'Fetches and ingests the source now, enabled or not, whatever its schedule, holding its lock like a scheduled run ' +
          '(one run of a source at a time across every instance: 409 `run_in_progress` while another holds it). ' +
          'By default the answer waits for the run and gives the source as it left it (`last_run` is this run, failed or not); ' +
          'with `wait=false` it answers 202 at once and the run goes on. Admin scope.',
        operationId: 'runSource',
        params: SourceName,
        querystring: RunQuery,
        response: {
          200: SourceRunResponse,
          202: SourceRunResponse,
          ...ADMIN_ERRORS,
          409: { ...ErrorResponse, description: 'Another run of the source is in progress' },
        },
      },
    },
    async (request, reply) => {
      const source = await sourceNamed(request.params.name);
      if (source.url === null) throw new NotFoundError(`"${source.name}" has no URL to fetch.`);
      const log = request.log.child({ source: source.name });
      const run = runSource(db, source).then(async (summary) => {
        log.info({ outcome: summary.outcome, new: summary.new, updated: summary.updated, error: summary.error }, `source ${source.name} run by hand: ${summary.outcome}`);
        // What came in, and the feed's health, show in this instance's stats at once, as after
        // `socd ingest` (the other instances re-read the table within their poll).
        if ((summary.new ?? 0) + (summary.updated ?? 0) > 0) await refreshStats(db);
        await stats.reload();
        return summary;
      });
      if (request.query.wait === false) {
        const tracked = run.catch((err) => log.error({ err }, `source ${source.name}: run crashed`)).finally(() => background.delete(tracked));
        background.add(tracked);
        return reply.code(202).send({ meta: meta(), data: { state: 'started' as const, source: await described(source.name) } });
      }
      const summary = await run;
      if (summary.outcome === 'skipped') {
        throw new AppError(409, 'run_in_progress', `Another run of "${source.name}" is in progress; its outcome will show in GET /api/v1/sources.`, { source: source.name });
      }
      return { meta: meta(), data: { state: 'finished' as const, source: await described(source.name) } };
    },
  );
};
