// GET /api/v1/iocs/changes: the changes feed, what the lists gained and lost after a point of it
// (changes-feed.ts says what a point is).
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '../../config.js';
import type { Db } from '../../store/db.js';
import { changesCompleteSince, readChanges } from '../../store/lifecycle.js';
import { assertInHistory, linkTo } from '../changes-feed.js';
import { resolveChanges } from '../filters.js';
import { linkBase } from '../links.js';
import { AUTHENTICATED_ERRORS, ChangesQuery, ChangesResponse, HISTORY_GONE } from '../schemas.js';
import { FEED_META } from './iocs.js';

export interface ChangesRoutesOptions {
  db: Db;
  config: Pick<Config, 'publicUrl' | 'trustProxy'>;
}

export const changesRoutes: FastifyPluginAsync<ChangesRoutesOptions> = async (fastify, { db, config }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/iocs/changes',
    {
      config: { scope: 'read:iocs' },
      schema: {
        tags: ['IOCs'],
        summary: 'The changes feed: what the lists gained and lost',
        description:
          'The events after `since`, oldest first: `added`, `updated`, `expired`, `revoked` and `restored`, each with the ' +
          'indicator, its time (`at`, to the microsecond: the event\'s place in the feed) and the reason. Page with ' +
          '`links.next` (`since` = `meta.next_since`, present when the page is full): the pages are stable while events ' +
          'are added. To keep a list up to date, fetch it whole once, then follow the feed (or the list\'s `delta=true` ' +
          'lines) from its `X-Changes-Since` header. The feed is not clamped by your tier lookback; a `since` older than ' +
          'the retained history (`meta.complete_since`) is refused with 410 `history_gone`: fetch the whole list again.',
        operationId: 'listIOCChanges',
        querystring: ChangesQuery,
        response: { 200: ChangesResponse, ...HISTORY_GONE, ...AUTHENTICATED_ERRORS },
      },
    },
    async (request) => {
      const q = resolveChanges(request.query, request.apiKey!.tier);
      const completeSince = await changesCompleteSince(db);
      const since = q.since ?? completeSince;
      assertInHistory(since, completeSince);
      const events = await readChanges(db, since, q.limit, q.type);
      const nextSince = events.length === q.limit ? events.at(-1)!.at : undefined;
      const base = linkBase(request, config.publicUrl, config.trustProxy);
      const limit = String(q.limit);
      return {
        meta: {
          since,
          ...(nextSince && { next_since: nextSince }),
          complete_since: completeSince,
          limit: q.limit,
          generated_at: new Date().toISOString(),
          ...FEED_META,
          ...(q.notices.length > 0 && { notices: q.notices }),
        },
        data: events.map((event) => ({
          at: event.at,
          kind: event.kind,
          indicator: { id: event.indicator_id, type: event.type, value: event.value },
          reason: event.reason,
          valid_until: event.valid_until,
        })),
        links: {
          self: linkTo(request, base, { since, limit }),
          ...(nextSince && { next: linkTo(request, base, { since: nextSince, limit }) }),
        },
      };
    },
  );
};
