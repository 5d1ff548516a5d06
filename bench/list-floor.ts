// The list's floor (bench/list.ts), served by bench/bare-server.ts when FLOOR_DATABASE_URL is set:
// the page of records the list serves, read by the very statement the service runs (the store's
// streamRecords, on a pool of the service's size) and written as the list's JSON, with no count,
// no key, no rate limit, no links: what a page costs at least.
import type { FastifyInstance } from 'fastify';
import { decodeCursor } from '../src/api/cursor.js';
import { jsonListHead, jsonListRecords } from '../src/export/json.js';
import { streamRecords, toIocRecord, type Page } from '../src/store/iocs.js';
import { openPostgres } from '../src/store/postgres.js';

export function listFloorRoutes(app: FastifyInstance, connectionString: string, lookbackDays: number): void {
  const db = openPostgres({ kind: 'external', connectionString, poolSize: 10, statementTimeoutMs: 600_000, applicationName: 'bench floor' });
  app.addHook('onClose', () => db.close());
  app.get<{ Querystring: { limit?: string; offset?: string; cursor?: string } }>('/floor/list', async (request, reply) => {
    const { limit = '100', offset = '0', cursor } = request.query;
    const page: Page = { limit: Number(limit), offset: Number(offset), ...(cursor && { after: decodeCursor(cursor) }) };
    const filters = { since: new Date(Date.now() - lookbackDays * 86_400_000) };
    let body = jsonListHead();
    let first = true;
    for await (const rows of streamRecords(db, filters, page)) {
      body += jsonListRecords(rows.map((row) => toIocRecord(row)), first);
      first = first && rows.length === 0;
    }
    return reply.type('application/json; charset=utf-8').send(body + ']}');
  });
}
