// Conditional GET for what pollers fetch every minute (block-lists, the MISP feed): the ETag
// names what the answer depends on (the store's state for the window, the query, the tier), so
// that an unchanged answer is a 304 that costs two index lookups, not a read of the records.
import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../store/db.js';
import { windowState } from '../store/changes.js';

/** Whether an If-None-Match header names this tag (weak comparison, RFC 9110 §13.1.2). */
function matches(header: string | undefined, tag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const t = candidate.trim();
    return t === '*' || t.replace(/^W\//, '') === tag;
  });
}

/**
 * Sets the answer's ETag (the records from `since` on, as the request asks for them); answers
 * 304 and returns true when the client holds it already.
 */
export async function answeredNotModified(request: FastifyRequest, reply: FastifyReply, db: Db, since: Date): Promise<boolean> {
  const url = new URL(request.url, 'http://placeholder');
  url.searchParams.delete('api_key');
  url.searchParams.sort();
  const state = await windowState(db, since);
  const tag = `"${crypto.hash('sha256', [state, url.pathname, url.search, request.apiKey?.tier.name ?? ''].join('\n'), 'base64url').slice(0, 32)}"`;
  reply.header('ETag', tag);
  // Kept by the client alone, and asked again each time: what the tag is for.
  reply.header('Cache-Control', 'private, no-cache');
  if (!matches(request.headers['if-none-match'], tag)) return false;
  await reply.code(304).send();
  return true;
}
