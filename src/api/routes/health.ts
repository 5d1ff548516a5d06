// Liveness and readiness for orchestrators. /healthz never touches the store: it answers as
// long as the event loop runs. /readyz checks that the store answers, within a deadline, on a
// connection of its own (a pool busy with user queries does not make the instance unready),
// and that the embedded store's data directory is still there.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { Store } from '../../store/open.js';
import { ErrorResponse } from '../schemas.js';

const READY_TIMEOUT_MS = 2000;
const Status = Type.Object({ status: Type.String(), reason: Type.Optional(Type.String()) });
// Query parameters are not used, but still read strictly (a NUL is refused).
const INVALID = { ...ErrorResponse, description: 'Invalid parameter' };

export const healthRoutes: FastifyPluginAsync<{ db: Store; isClosing: () => boolean }> = async (app, { db, isClosing }) => {
  app.get(
    '/healthz',
    { schema: { tags: ['Health'], summary: 'Liveness', operationId: 'getLiveness', response: { 200: Status, 400: INVALID } } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['Health'],
        summary: 'Readiness: the store answers',
        operationId: 'getReadiness',
        response: { 200: Status, 400: INVALID, 503: Status },
      },
    },
    async (request, reply) => {
      if (isClosing()) return reply.status(503).send({ status: 'unavailable', reason: 'shutting down' });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the store did not answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      });
      try {
        await Promise.race([db.session((conn) => conn.query('select 1')), timeout]);
        const problem = db.embedded?.problem();
        if (problem) throw new Error(problem);
        return { status: 'ready' };
      } catch (error) {
        const reason = (error as Error).message;
        request.log.error({ reason }, 'not ready');
        return reply.status(503).send({ status: 'unavailable', reason });
      } finally {
        clearTimeout(timer);
      }
    },
  );
};
