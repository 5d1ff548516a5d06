// GET /api/v1/iocs/stats: the cached aggregates, served from memory.
import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '../errors.js';
import { AuthQuery, AUTHENTICATED_ERRORS, StatsResponse } from '../schemas.js';
import type { StatsCache } from '../stats-cache.js';
import { FEED_META_JSON } from './iocs.js';

export const statsRoutes: FastifyPluginAsync<{ stats: StatsCache }> = async (app, { stats }) => {
  app.get(
    '/iocs/stats',
    {
      config: { scope: 'read:stats' },
      schema: {
        tags: ['Statistics'],
        summary: 'Aggregated IOC statistics and trends',
        description:
          'Pre-computed aggregates, refreshed every `STATS_REFRESH_SECONDS` (10 minutes by default). `X-Cache-Updated-At` ' +
          'and `X-Cache-Age-Seconds` say how fresh they are; `X-Cache-Stale: true` when a refresh was missed. ' +
          '`X-Cache-Refresh-Seconds` (and `meta.refresh_interval_seconds`) is the interval: the next document is due ' +
          'at `X-Cache-Updated-At` plus it (each instance re-reads the cache every 15 seconds), so a client need not ' +
          'ask sooner. Beyond the documented shape: `byConfidence`, `last7d.direction`, `last7d.trendByType` (the ' +
          "trend's seven buckets for each type) and each technique's ATT&CK `name`. Pro tier.",
        operationId: 'getIOCStats',
        querystring: AuthQuery,
        response: { 200: StatsResponse, ...AUTHENTICATED_ERRORS },
      },
    },
    async (_request, reply) => {
      const snapshot = stats.current();
      if (!snapshot) throw new AppError(503, 'service_unavailable', 'Statistics are being computed; try again shortly.');
      const updatedAt = snapshot.updatedAt.toISOString();
      const age = Math.max(0, Math.floor((Date.now() - snapshot.updatedAt.getTime()) / 1000));
      reply
        .header('X-Cache-Updated-At', updatedAt)
        .header('X-Cache-Age-Seconds', String(age))
        .header('X-Cache-Refresh-Seconds', String(stats.refreshSeconds));
      if (age > stats.staleAfterSeconds) reply.header('X-Cache-Stale', 'true');
      // Written out rather than through JSON.stringify: two timestamps and two numbers.
      const meta =
        `{"generated_at":"${new Date().toISOString()}","cache_updated_at":"${updatedAt}","cache_age_seconds":${age},` +
        `"refresh_interval_seconds":${stats.refreshSeconds},${FEED_META_JSON}}`;
      // The document is already JSON text: sent as it is, never re-serialized.
      return reply.type('application/json; charset=utf-8').send(`{"meta":${meta},"data":${snapshot.json}}`);
    },
  );
};
