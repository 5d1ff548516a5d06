// The MISP feed at /api/v1/misp/feed/: what a MISP instance's "MISP Feed" source pulls
// (manifest.json, hashes.csv, one <uuid>.json an event), over the tier's lookback. Event uuids
// are stable, so MISP updates an event it has rather than copying it; every file answers
// If-None-Match with 304 while nothing changed.
import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { mispEventUuid, mispExporter, mispHashLine, mispManifestEntry, toMispEvent } from '../../export/misp.js';
import type { Db } from '../../store/db.js';
import { articleEvent, readEvents, streamEventHashes, summarizeEvents, type EventRef } from '../../store/events.js';
import type { RecordFilters } from '../../store/iocs.js';
import { answeredNotModified } from '../conditional.js';
import { NotFoundError } from '../errors.js';
import { resolveQuery } from '../filters.js';
import { assertFormatAllowed } from '../guard.js';
import { AuthQuery, AUTHENTICATED_ERRORS } from '../schemas.js';

const EVENT_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.json$/;
const DAY_MS = 86_400_000;

export const mispFeedRoutes: FastifyPluginAsync<{ db: Db }> = async (fastify, { db }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  /**
   * The feed's window (the tier's lookback), once the key may have MISP; undefined once a 304 is
   * sent. Withdrawn records included: an instance that holds their events learns from the
   * attributes that they expired or were revoked (export/misp.ts), where a list leaves them out.
   */
  const window = async (request: FastifyRequest, reply: FastifyReply): Promise<RecordFilters | undefined> => {
    const key = request.apiKey!;
    assertFormatAllowed(key, mispExporter);
    const { filters } = resolveQuery({}, key.tier);
    return (await answeredNotModified(request, reply, db, filters.since)) ? undefined : { ...filters, lifecycle: 'all' };
  };
  const schema = (summary: string, description: string, operationId: string, type: string) => ({
    tags: ['IOCs'],
    summary,
    description,
    operationId,
    querystring: AuthQuery,
    response: { 200: { description: summary, type }, ...AUTHENTICATED_ERRORS },
  });

  app.get(
    '/misp/feed/manifest.json',
    {
      config: { scope: 'read:iocs' },
      schema: schema(
        'MISP feed: the manifest',
        'Every event of the feed (one per article and per feed and day, over your tier\'s lookback) by uuid: info, Orgc, date, timestamp, threat level, analysis, tags. Point a MISP "MISP Feed" source at `/api/v1/misp/feed/`, with the key in a header. An event keeps its expired and revoked values, so that an instance holding it learns of them: the attribute of an expired value has `to_ids` false, a revoked one is `deleted`, and the event\'s timestamp moves.',
        'mispFeedManifest',
        'object',
      ),
    },
    async (request, reply) => {
      const filters = await window(request, reply);
      if (!filters) return reply;
      const events = await summarizeEvents(db, filters);
      return reply.type('application/json; charset=utf-8').send(`{${events.map(mispManifestEntry).join(',')}}`);
    },
  );

  app.get(
    '/misp/feed/hashes.csv',
    {
      config: { scope: 'read:iocs' },
      schema: schema('MISP feed: hashes.csv', 'One line per attribute: the MD5 of its value (hex), then its event\'s uuid.', 'mispFeedHashes', 'string'),
    },
    async (request, reply) => {
      const filters = await window(request, reply);
      if (!filters) return reply;
      async function* lines() {
        const uuids = new Map<string, string>();
        for await (const batch of streamEventHashes(db, filters!)) {
          let text = '';
          for (const row of batch) {
            const key = row.article_id ?? `${row.source}/${row.day}`;
            let uuid = uuids.get(key);
            if (!uuid) uuids.set(key, (uuid = mispEventUuid({ source: row.source, article: row.article_id ? { id: row.article_id } : null, day: row.day })));
            text += mispHashLine(row.md5, uuid);
          }
          yield text;
        }
      }
      return reply.type('text/csv; charset=utf-8').send(Readable.from(lines()));
    },
  );

  app.get(
    '/misp/feed/:file',
    {
      config: { scope: 'read:iocs' },
      schema: {
        ...schema('MISP feed: an event', 'The event `<uuid>.json` of the manifest, whole: `{"Event":{…}}`.', 'mispFeedEvent', 'object'),
        params: Type.Object({ file: Type.String({ description: '`<event uuid>.json`' }) }),
      },
    },
    async (request, reply) => {
      const uuid = EVENT_FILE.exec(request.params.file)?.[1];
      if (!uuid) throw new NotFoundError(`No file ${request.params.file} in the MISP feed: its files are manifest.json, hashes.csv and <event uuid>.json.`);
      const filters = await window(request, reply);
      if (!filters) return reply;
      const key = (await articleEvent(db, uuid)) ?? (await feedDayEvent(db, uuid, filters.since));
      const [event] = key ? await readEvents(db, filters, [key]) : [];
      if (!event || event.records.length === 0) throw new NotFoundError(`No event ${uuid} in the MISP feed (its manifest lists them).`);
      return reply.type('application/json; charset=utf-8').send(`{"Event":${JSON.stringify(toMispEvent(event, false))}}`);
    },
  );
};

/** The feed and day whose event has this uuid, among the days since `since`: the uuid is derived from them. */
async function feedDayEvent(db: Db, uuid: string, since: Date): Promise<EventRef | undefined> {
  const sources = await db.query<{ id: number; name: string }>('select id, name from sources');
  for (let at = Date.now(); at >= since.getTime() - DAY_MS; at -= DAY_MS) {
    const day = new Date(at).toISOString().slice(0, 10);
    for (const source of sources) {
      if (mispEventUuid({ source: source.name, article: null, day }) === uuid) return { article_id: null, source_id: source.id, day };
    }
  }
  return undefined;
}
