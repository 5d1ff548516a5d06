// The base of the absolute links the API writes (list pages, TAXII API roots, articles' pages).
import type { FastifyRequest } from 'fastify';
import { ARTICLE_PAGE_PATH } from '../store/iocs.js';

/**
 * The base of absolute links: PUBLIC_URL, or the host a trusted proxy passed, or else the address
 * this connection reached. Never a Host header that nobody vouched for: behind a shared cache a
 * forged one would be served to everyone.
 */
export function linkBase(request: FastifyRequest, publicUrl: string | undefined, trustProxy: boolean): string {
  if (publicUrl) return publicUrl;
  if (trustProxy) return `${request.protocol}://${request.host}`;
  const address = request.socket.localAddress ?? '127.0.0.1';
  const host = address.includes(':') ? `[${address}]` : address;
  return `${request.protocol}://${host}${request.socket.localPort ? `:${request.socket.localPort}` : ''}`;
}

/** An article's page on this service (spec README, decision 11): `<base>/item/<id>`. */
export function articlePageUrl(base: string, id: string): string {
  return `${base}${ARTICLE_PAGE_PATH}${id}`;
}

const RELATIVE_ARTICLE_URL = `"article_url":"${ARTICLE_PAGE_PATH}`;

/**
 * JSON text whose records were written by the database (store/iocs.ts RECORD_JSON, with
 * `"article_url":"/item/<id>"`), their article_url made absolute. A plain replace is safe: inside
 * a JSON string every `"` is escaped, so the sequence can only be the member itself.
 */
export function withArticleBase(json: string, base: string): string {
  return json.replaceAll(RELATIVE_ARTICLE_URL, `"article_url":${JSON.stringify(base).slice(0, -1)}${ARTICLE_PAGE_PATH}`);
}
