// What feed parsers and the article extractor hand to the ingestion pipeline.
import type { Confidence, Industry, NormalizedIoc } from '../ioc/types.js';

/** One IOC as a feed row (or an article) reports it. */
export interface FeedRecord {
  ioc: NormalizedIoc;
  confidence: Confidence;
  firstSeen: Date;
  lastSeen: Date;
  /** Malware family, threat type, the feed's own tags; lower-case. */
  tags: string[];
  /** A sentence or the feed's own description of the row. */
  context?: string;
  /** The upstream page for this row (URLhaus entry, ThreatFox reference). */
  referenceUrl?: string;
  /** Ports the value was reported on (ThreatFox ip:port, Feodo Tracker C2 port). */
  ports?: number[];
  /**
   * The feed's own key for what it reported together (a ThreatFox submission's reference): the
   * lookup's related IOCs of the same entry. None for a row that stands alone.
   */
  entry?: string;
  mitreTechniques?: string[];
  industries?: Industry[];
  /** Why the value is on a warning list (benign, reserved): it is never given high confidence. */
  suppressedReason?: string;
}

/** One item of an RSS or Atom feed. */
export interface FeedArticle {
  /** The item's guid/id, or its link. */
  guid: string;
  title: string;
  url: string;
  publishedAt?: Date;
  /** Short text from the feed (description/summary), HTML or plain. */
  summary?: string;
  /** Full content when the feed carries it (content:encoded, Atom content), HTML or plain. */
  content?: string;
  author?: string;
}

/** A row a parser could not turn into an IOC, with the reason in words. */
export interface RejectedRow {
  /** Line number, record key or item index. */
  at: number | string;
  value: string;
  reason: string;
}

export interface ParsedFeed {
  records: FeedRecord[];
  articles: FeedArticle[];
  rejected: RejectedRow[];
}

/** A parser reads the whole body of one fetch; it never throws on a bad row. */
export type FeedParser = (body: string, options?: { now?: Date }) => ParsedFeed;

/** The body as a whole is not the format (truncated JSON, HTML error page…): the run fails. */
export class FeedFormatError extends Error {
  override name = 'FeedFormatError';
}
