// GET /api/v1/sources: the source catalogue with each source's health and last run, for
// monitoring which feeds went quiet or broke, and why.
import type { FastifyPluginAsync } from 'fastify';
import { describeSource } from '../../ingest/source-status.js';
import type { Db } from '../../store/db.js';
import { listSourceStatus } from '../../store/sources.js';
import { AuthQuery, AUTHENTICATED_ERRORS, SourcesResponse } from '../schemas.js';
import { FEED_META } from './iocs.js';

export const sourcesRoutes: FastifyPluginAsync<{ db: Db }> = async (app, { db }) => {
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
      return {
        meta: { generated_at: new Date().toISOString(), ...FEED_META, total: sources.length },
        data: sources.map((s) => describeSource(s)),
      };
    },
  );
};
