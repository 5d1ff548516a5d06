// Conditional GET for what pollers fetch every minute (block-lists, their deltas, the MISP feed):
// the ETag names what the answer depends on (the store's state for the window, the query, the
// tier), so that an unchanged answer is a 304 that costs a few index lookups, not a read of the
// records.
import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../store/db.js';
import { windowState } from '../store/changes.js';
import { changesHead } from '../store/lifecycle.js';

/** Whether an If-None-Match header names this tag (weak comparison, RFC 9110 §13.1.2). */
function matches(header: string | undefined, tag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const t = candidate.trim();
    return t === '*' || t.replace(/^W\//, '') === tag;
  });
}

/** Sets the ETag of `state` and the request's query; answers 304 and returns true when the client holds it already. */
async function notModified(request: FastifyRequest, reply: FastifyReply, state: string): Promise<boolean> {
  const url = new URL(request.url, 'http://placeholder');
  url.searchParams.delete('api_key');
  url.searchParams.sort();
  const tag = `"${crypto.hash('sha256', [state, url.pathname, url.search, request.apiKey?.tier.name ?? ''].join('\n'), 'base64url').slice(0, 32)}"`;
  reply.header('ETag', tag);
  // Kept by the client alone, and asked again each time: what the tag is for.
  reply.header('Cache-Control', 'private, no-cache');
  if (!matches(request.headers['if-none-match'], tag)) return false;
  await reply.code(304).send();
  return true;
}

/**
 * Sets the answer's ETag (the records from `since` on, as the request asks for them); answers
 * 304 and returns true when the client holds it already. Besides the writes, the changes feed's
 * head (`head`, read by the caller, or here): the expiry sweep and a revocation change what a list
 * holds without a write of records, and each such change is an event.
 */
export async function answeredNotModified(request: FastifyRequest, reply: FastifyReply, db: Db, since: Date, head?: string): Promise<boolean> {
  const [window, at] = await Promise.all([windowState(db, since), head ?? changesHead(db)]);
  return notModified(request, reply, `${window}/${at}`);
}

/**
 * The same for a block-list delta: it depends on the changes feed alone (its events after
 * `since`, and what the lists hold of their values, which moves only with an event), so on the
 * feed's head, `head`.
 */
export function deltaNotModified(request: FastifyRequest, reply: FastifyReply, head: string): Promise<boolean> {
  return notModified(request, reply, `delta/${head}`);
}
