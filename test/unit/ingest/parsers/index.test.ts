import { describe, expect, it } from 'vitest';
import { FEED_KINDS, PARSERS, isFeedKind, type FeedKind } from '../../../../src/ingest/parsers/index.js';
import { FeedFormatError } from '../../../../src/ingest/types.js';
import { readFeed } from './fixtures.js';

const SAMPLES: Record<FeedKind, { file: string; records: number; articles: number }> = {
  'urlhaus-csv': { file: 'urlhaus-csv-online-2026-08-18-head.csv', records: 78, articles: 0 },
  'urlhaus-hostfile': { file: 'urlhaus-hostfile-2020-04-14.txt', records: 869, articles: 0 },
  'feodo-json': { file: 'feodotracker-ipblocklist-2026-07-24.json', records: 5, articles: 0 },
  'feodo-csv': { file: 'feodotracker-ipblocklist-2024-04-04.csv', records: 28, articles: 0 },
  'threatfox-json': { file: 'threatfox-export-json-recent-2026-07-24-first1000.json', records: 1000, articles: 0 },
  'cisa-kev': { file: 'cisa-kev-2025-08-25.json', records: 1404, articles: 0 },
  rss: { file: 'cisa-cybersecurity-advisories-2025-07-24-subset.xml', records: 0, articles: 5 },
};

const HTML_ERROR_PAGE =
  '<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1></body></html>\n';

describe('PARSERS', () => {
  it('has one parser per feed kind', () => {
    expect(Object.keys(PARSERS).sort()).toEqual([...FEED_KINDS].sort());
    expect(isFeedKind('rss')).toBe(true);
    expect(isFeedKind('atom')).toBe(false);
  });

  it.each(FEED_KINDS)('%s reads its real sample without rejections', (kind) => {
    const sample = SAMPLES[kind];
    const feed = PARSERS[kind](readFeed(sample.file));
    expect([feed.records.length, feed.articles.length, feed.rejected.length]).toEqual([sample.records, sample.articles, 0]);
  });

  it.each(FEED_KINDS)('%s throws FeedFormatError on an HTML error page', (kind) => {
    expect(() => PARSERS[kind](HTML_ERROR_PAGE)).toThrow(FeedFormatError);
  });

  it.each(FEED_KINDS)('%s throws FeedFormatError on an empty body', (kind) => {
    expect(() => PARSERS[kind]('')).toThrow(FeedFormatError);
  });

  it.each(FEED_KINDS)("%s reads nothing from another feed's body: it rejects every row or refuses the body", (kind) => {
    for (const other of FEED_KINDS.filter((candidate) => candidate !== kind)) {
      let outcome: string;
      try {
        const feed = PARSERS[kind](readFeed(SAMPLES[other].file));
        outcome = `${feed.records.length + feed.articles.length} read`;
      } catch (error) {
        outcome = error instanceof FeedFormatError ? 'refused' : `threw ${String(error)}`;
      }
      expect([other, outcome]).toSatisfy(([, result]: [string, string]) => result === 'refused' || result === '0 read');
    }
  });
});
