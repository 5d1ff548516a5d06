// An article's extraction as the rows the ingestion pipeline stores (src/ingest/types.ts
// FeedRecord): one record per IOC, carrying the article's techniques, industries and tags.
import type { FeedRecord } from '../ingest/types.js';
import type { NormalizationNote } from '../ioc/types.js';
import type { Extraction } from './types.js';

export interface ArticleRecordOptions {
  /** When the article was published (or fetched): first and last seen of every record. */
  seenAt: Date;
  /** The article's address, kept as each record's reference. */
  articleUrl?: string;
}

export function toFeedRecords(extraction: Extraction, options: ArticleRecordOptions): FeedRecord[] {
  return extraction.iocs.map((ioc) => {
    const notes: NormalizationNote[] = ioc.reasons.includes('defanged') ? ['refanged'] : [];
    const record: FeedRecord = {
      ioc: { type: ioc.type, value: ioc.value, normalized: ioc.normalized, notes },
      confidence: ioc.confidence,
      firstSeen: options.seenAt,
      lastSeen: options.seenAt,
      tags: extraction.tags,
      context: ioc.context,
      mitreTechniques: extraction.techniques,
      industries: extraction.industries,
    };
    if (options.articleUrl !== undefined) record.referenceUrl = options.articleUrl;
    if (ioc.suppressedReason !== undefined) record.suppressedReason = ioc.suppressedReason;
    return record;
  });
}
