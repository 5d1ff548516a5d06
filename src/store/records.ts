// The shapes the store reads IOCs as, for the exporters to turn into wire formats (they are the
// only bridge between the two). Timestamps come already formatted (ISO 8601, UTC, `Z`).
import type { Category, Confidence, IocType, Origin } from '../ioc/types.js';

/** One IOC record: a value as one source reported it (a sighting). What list and search return. */
export interface IocRecord {
  id: string;
  type: IocType;
  value: string;
  confidence: Confidence;
  /** `YYYY-MM-DDTHH:MM:SSZ` */
  first_seen: string;
  last_seen: string;
  source: {
    article_id: string | null;
    article_title: string | null;
    /** The article's page on this service (spec README, decision 11): `/item/<id>` as read, the API makes it absolute. */
    article_url: string | null;
    /** The publisher's page: the article's URL, else the record's own upstream page (a URLhaus entry, a ThreatFox reference). */
    reference_url: string | null;
    feed_name: string;
    category: Category;
    origin: Origin;
  };
  context?: string | null;
  tags: string[];
  mitre_techniques: string[];
}

/** What the CSV writes of a record: its ten columns, the tags already joined with commas. */
export type CsvRecord = Pick<IocRecord, 'id' | 'type' | 'value' | 'confidence' | 'first_seen' | 'last_seen'> &
  Pick<IocRecord['source'], 'article_id' | 'feed_name' | 'category'> & {
    /** comma-separated */
    tags: string;
  };

/** One distinct indicator (type + normalized value): what a format that lists values needs of it. */
export type IndicatorRef = Pick<IndicatorSummary, 'id' | 'type' | 'value'>;

/** One distinct indicator (type + normalized value) with what all its records say. */
export interface IndicatorSummary {
  /** Stable: derived from type and normalized value. */
  id: string;
  type: IocType;
  value: string;
  confidence: Confidence;
  /** `YYYY-MM-DDTHH:MM:SS.mmmZ` (STIX wants millisecond precision) */
  first_seen: string;
  last_seen: string;
  sources: string[];
  tags: string[];
  mitre_techniques: string[];
  /** A few sentences from the records, most recent first. */
  contexts: string[];
  reference_urls: string[];
  /** On a warning list, revoked by an admin or allow-listed: withdrawn (STIX `revoked`). */
  revoked?: boolean;
  /** `YYYY-MM-DDTHH:MM:SS.mmmZ`: the end of its validity (lifecycle.ts); null: never expires, or not computed yet. */
  valid_until?: string | null;
  /** In the lists (not expired, not revoked). */
  listed?: boolean;
  /** RFC 3339: when its validity or withdrawal last changed (STIX: a new version). */
  lifecycle_at?: string | null;
  /** Its current STIX object: 0 the first; n after its n-th restore (export/stix.ts StixSummary). */
  stix_chain?: number;
}
