// What the changes feed's readers share (routes/changes.ts, and the list's block-list deltas in
// routes/iocs.ts): a point of the feed is an event's `at` (unique, in commit order), so "the events
// after it" is stable under inserts; it is not clamped by the tier lookback (a clamped delta would
// silently miss removals), and older than the retained history it is refused with 410.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toTxtLines } from '../export/txt.js';
import type { Db } from '../store/db.js';
import type { Tier } from '../store/keys.js';
import { changesCompleteSince, changesHead, readDelta } from '../store/lifecycle.js';
import { deltaNotModified } from './conditional.js';
import { GoneError } from './errors.js';
import { resolveDelta } from './filters.js';
import type { ListQuery } from './schemas.js';

/** The header that says where an answer stands in the changes feed: the `since` of the delta that follows it. */
export const CHANGES_SINCE_HEADER = 'X-Changes-Since';

/** 410 for a `since` before the retained history: the events between are gone, a delta from it would be wrong. */
export function assertInHistory(since: string, completeSince: string): void {
  if (since < completeSince) {
    throw new GoneError(
      'history_gone',
      `'since' (${since}) is older than the retained history of changes, which starts at ${completeSince}: ` +
        'fetch the whole list again, and follow the changes from its X-Changes-Since.',
      { parameter: 'since', since, complete_since: completeSince },
    );
  }
}

/** The request's URL on `base`, without the key, with these parameters set. */
export function linkTo(request: FastifyRequest, base: string, set: Record<string, string>): string {
  const url = new URL(request.url, 'http://placeholder');
  const params = url.searchParams;
  params.delete('api_key');
  for (const [name, value] of Object.entries(set)) params.set(name, value);
  return `${base}${url.pathname}?${params}`;
}

/**
 * A block-list delta (`delta=true`): `+value` / `-value` lines from `since` on, a page of `limit`
 * events. X-Changes-Since is where the page ends: the last event read when the page is full
 * (a Link rel="next" then names the next page), else the feed's head, read before the events
 * (an event committed meanwhile is in the page or the next delta, never in neither).
 */
export async function sendDelta(
  request: FastifyRequest,
  reply: FastifyReply,
  db: Db,
  query: ListQuery,
  tier: Tier,
  base: string,
): Promise<FastifyReply> {
  const delta = resolveDelta(query, tier);
  const [completeSince, head] = await Promise.all([changesCompleteSince(db), changesHead(db)]);
  assertInHistory(delta.since, completeSince);
  if (await deltaNotModified(request, reply, head)) return reply;
  const { lines, next } = await readDelta(db, delta.since, delta.limit, delta.filters);
  reply.header(CHANGES_SINCE_HEADER, next ?? head);
  if (next) reply.header('Link', `<${linkTo(request, base, { since: next, limit: String(delta.limit) })}>; rel="next"`);
  return reply.type('text/plain; charset=utf-8').send(toTxtLines(lines.map((line) => (line.listed ? '+' : '-') + line.value)));
}
