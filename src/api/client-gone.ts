// Work done for a client that has gone is wasted: a route passes this signal down so that what
// only that client waits for stops (see Db.bounded, store/batcher.ts).
import type { FastifyReply } from 'fastify';

/** A signal that aborts when the connection closes before the response to it was sent. */
export function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const response = reply.raw;
  response.once('close', () => {
    if (response.writableEnded) return;
    reply.log.info('request aborted by the client');
    controller.abort();
  });
  return controller.signal;
}
