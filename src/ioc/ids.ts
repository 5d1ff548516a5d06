// Stable ids, so that every export (JSON, STIX, TAXII, MISP...) names an IOC the same way on
// every server and every run. Both functions are frozen: changing the namespace, the input
// format or the hash changes every id we have ever exported, and downstream tools would see
// each indicator and record as new.
import { parse as parseUuid, v5 as uuidV5 } from 'uuid';
import type { IocType } from './types.js';

/** Our UUIDv5 namespace. Generated once with crypto.randomUUID(); never change it. */
export const SOCD_NAMESPACE = '3cfa6b68-5e35-4105-85fd-703a0ef34ce2';
const NAMESPACE_BYTES = parseUuid(SOCD_NAMESPACE); // parsed once, not on every call

/** Id of an indicator: UUIDv5 of `${type}:${normalized}` (the normalized lookup key). */
export function indicatorId(type: IocType, normalized: string): string {
  return uuidV5(`${type}:${normalized}`, NAMESPACE_BYTES);
}

/**
 * Id of a record (one indicator as one source reported it): UUIDv5 of
 * `${indicatorId}|${sourceName}|${articleId ?? ''}`. Source names are slugs without `|`.
 */
export function recordId(indicatorId: string, sourceName: string, articleId: string | null): string {
  return uuidV5(`${indicatorId}|${sourceName}|${articleId ?? ''}`, NAMESPACE_BYTES);
}

/** Id of an article: UUIDv5 of `article:${url}` (its URL as the feed gives it). */
export function articleId(url: string): string {
  return uuidV5(`article:${url}`, NAMESPACE_BYTES);
}

/**
 * Our id of an article another service names by an id that is not a UUID (the reference
 * service's `abc123`): UUIDv5 of `foreign-article:${id}`. The same foreign id gives the same
 * article in every import; the prefix keeps it apart from articleId's URLs.
 */
export function foreignArticleId(id: string): string {
  return uuidV5(`foreign-article:${id}`, NAMESPACE_BYTES);
}
