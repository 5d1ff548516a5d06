// TAXII 2.1 (OASIS, 10 June 2021), read-only: the collections this server offers and the
// resources it answers with. The objects themselves are STIX versions stored as the publisher
// made them (src/ingest/publish.ts), so every page is text already: it is written, not built.
import { Buffer } from 'node:buffer';
import { v5 as uuidv5 } from 'uuid';
import { readDate } from '../ioc/dates.js';
import { IOC_TYPES, type IocType } from '../ioc/types.js';
import type { CollectionFilter, VersionRow } from '../store/taxii.js';
import { SOCD_STIX_NAMESPACE, STIX_MEDIA_TYPE, TYPE_NAMES } from './stix.js';

export const TAXII_MEDIA_TYPE = 'application/taxii+json;version=2.1';

export interface TaxiiCollection {
  id: string;
  alias: string;
  title: string;
  description: string;
  filter: CollectionFilter;
}

const collection = (alias: string, title: string, description: string, filter: CollectionFilter): TaxiiCollection => ({
  id: uuidv5(`taxii-collection:${alias}`, SOCD_STIX_NAMESPACE),
  alias,
  title,
  description,
  filter,
});

const plural = (type: IocType) => (type === 'cve' ? 'Vulnerabilities' : TYPE_NAMES[type].replace(/(s|sh)?$/, (end) => (end ? `${end}es` : 's')));

export const COLLECTIONS: readonly TaxiiCollection[] = [
  collection('indicators', 'All indicators', 'Every indicator, vulnerability and ATT&CK technique, with their relationships.', {}),
  collection(
    'high-confidence',
    'High-confidence indicators',
    'Indicators of high confidence, for automated blocking; a version that lowers one is here too, so that subscribers learn of it.',
    { highConfidence: true },
  ),
  ...IOC_TYPES.map((type) =>
    collection(type, plural(type), `The ${TYPE_NAMES[type]} indicators (and the ATT&CK techniques they indicate).`, { type }),
  ),
];

/** A collection by its id or its alias. */
export function collectionOf(idOrAlias: string): TaxiiCollection | undefined {
  const key = idOrAlias.toLowerCase();
  return COLLECTIONS.find((c) => c.id === key || c.alias === key);
}

export function collectionResource(c: TaxiiCollection) {
  return {
    id: c.id,
    title: c.title,
    description: c.description,
    alias: c.alias,
    can_read: true,
    can_write: false,
    media_types: [STIX_MEDIA_TYPE],
  };
}

// ---- pages ------------------------------------------------------------------------------------

/** `next`: where a page ends (its last date_added), opaque to clients. */
export function encodeNext(dateAdded: string): string {
  return Buffer.from(dateAdded, 'utf8').toString('base64url');
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/i;

/** A `next` token's date_added, or undefined when it is not one of ours. */
export function decodeNext(token: string): string | undefined {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  return isTimestamp(text) && encodeNext(text) === token ? text : undefined;
}

/** Whether `added_after` (or a match[version] timestamp) is a TAXII timestamp, and a time that exists (no 2026-02-30). */
export function isTimestamp(value: string): boolean {
  return RFC3339.test(value) && readDate(value).ok;
}

interface Page {
  rows: VersionRow[];
  more: boolean;
}

const nextOf = (page: Page) => (page.more && page.rows.length > 0 ? `,"next":${JSON.stringify(encodeNext(page.rows.at(-1)!.date_added))}` : '');

/** The envelope of the objects endpoints: the stored objects, written as they are. */
export function envelopeJson(page: Page): string {
  const objects = page.rows.length > 0 ? `,"objects":[${page.rows.map((row) => row.object).join(',')}]` : '';
  return `{"more":${page.more}${nextOf(page)}${objects}}`;
}

export function manifestJson(page: Page): string {
  const records = page.rows.map((row) => ({ id: row.object_id, date_added: row.date_added, version: row.version, media_type: STIX_MEDIA_TYPE }));
  return `{"more":${page.more}${nextOf(page)}${records.length > 0 ? `,"objects":${JSON.stringify(records)}` : ''}}`;
}

export function versionsJson(page: Page): string {
  const versions = page.rows.map((row) => row.version);
  return `{"more":${page.more}${nextOf(page)}${versions.length > 0 ? `,"versions":${JSON.stringify(versions)}` : ''}}`;
}

/** The TAXII error message (§3.6.1): title required; http_status as a string. */
export function taxiiError(status: number, title: string, description: string, extra: { error_id: string; error_code: string; details?: object }) {
  return { title, description, error_id: extra.error_id, error_code: extra.error_code, http_status: String(status), ...(extra.details && { details: extra.details }) };
}

// ---- content negotiation ----------------------------------------------------------------------

/**
 * Whether an Accept header admits TAXII 2.1: `application/taxii+json` without a version or with
 * version 2.1, or a wildcard. No Accept header admits anything (RFC 9110 §12.5.1).
 */
export function acceptsTaxii(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((range) => {
    const [type = '', ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    if (q !== undefined && Number(q.slice(2)) === 0) return false;
    if (type === '*/*' || type === 'application/*') return true;
    if (type !== 'application/taxii+json') return false;
    const version = params.find((p) => p.startsWith('version='));
    return version === undefined || version.slice('version='.length).replace(/"/g, '') === '2.1';
  });
}
