// The feed parsers by format: a source names its kind, the fetcher hands the body to PARSERS[kind].
// (An operator's own IOC list is imported through ioc-list.ts, which is not a feed format.)
import type { FeedParser } from '../types.js';
import { parseCisaKev } from './cisa-kev.js';
import { parseFeodoCsv } from './feodo-csv.js';
import { parseFeodoJson } from './feodo-json.js';
import { parseRssOrAtom } from './rss.js';
import { parseThreatfoxJson } from './threatfox-json.js';
import { parseUrlhausCsv } from './urlhaus-csv.js';
import { parseUrlhausHostfile } from './urlhaus-hostfile.js';

export const FEED_KINDS = [
  'urlhaus-csv',
  'urlhaus-hostfile',
  'feodo-json',
  'feodo-csv',
  'threatfox-json',
  'cisa-kev',
  'rss',
] as const;
/** A feed format; `rss` reads RSS 2.0, RSS 1.0 and Atom alike. */
export type FeedKind = (typeof FEED_KINDS)[number];

export const PARSERS: Readonly<Record<FeedKind, FeedParser>> = {
  'urlhaus-csv': parseUrlhausCsv,
  'urlhaus-hostfile': parseUrlhausHostfile,
  'feodo-json': parseFeodoJson,
  'feodo-csv': parseFeodoCsv,
  'threatfox-json': parseThreatfoxJson,
  'cisa-kev': parseCisaKev,
  rss: parseRssOrAtom,
};

export function isFeedKind(name: string): name is FeedKind {
  return (FEED_KINDS as readonly string[]).includes(name);
}

export {
  parseCisaKev,
  parseFeodoCsv,
  parseFeodoJson,
  parseRssOrAtom,
  parseThreatfoxJson,
  parseUrlhausCsv,
  parseUrlhausHostfile,
};
