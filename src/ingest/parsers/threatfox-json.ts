// ThreatFox JSON: the `export/json/recent` (and `full`) export, an object keyed by IOC id whose
// values are arrays of one IOC {ioc_value, ioc_type, threat_type, malware_printable,
// first_seen_utc, confidence_level, tags: "a,b" ...}; and the API answer
// {"query_status": "ok", "data": [{id, ioc, ioc_type, first_seen: "... UTC", tags: [..] ...}]}.
import type { Confidence, IocType } from '../../ioc/types.js';
import { FeedFormatError, type FeedParser, type FeedRecord, type ParsedFeed } from '../types.js';
import {
  RowError,
  clip,
  collectRow,
  emptyFeed,
  iocOf,
  isObject,
  notBefore,
  optionalDate,
  parseJsonBody,
  portOf,
  requiredDate,
  shapeOf,
  tagsOf,
  textOf,
} from './common.js';

const FORMAT = 'ThreatFox JSON';

const IOC_TYPES: Readonly<Record<string, IocType | 'ip:port'>> = {
  'ip:port': 'ip:port',
  domain: 'domain',
  url: 'url',
  md5_hash: 'md5',
  sha1_hash: 'sha1',
  sha256_hash: 'sha256',
};

const THREAT_PHRASES: Readonly<Record<string, string>> = {
  botnet_cc: 'botnet C2',
  payload_delivery: 'payload delivery',
  payload: 'payload',
  cc_skimming: 'card skimming',
};

const TYPE_PHRASES: Readonly<Record<string, string>> = {
  'ip:port': 'IP:port',
  domain: 'domain',
  url: 'URL',
  md5_hash: 'MD5',
  sha1_hash: 'SHA-1',
  sha256_hash: 'SHA-256',
};

/** ThreatFox's placeholder family (`malware: "unknown"`): not a tag anyone filters on. */
const UNKNOWN_MALWARE = 'unknown malware';
const NO_RESULT_STATUSES: ReadonlySet<string> = new Set(['no_result', 'no_results']);
const HTTP_URL = /^https?:\/\//i;

/** confidence_level 0–100: ≥ 75 → high, ≥ 50 → medium, below (or missing) → low. */
export function confidenceOfLevel(raw: unknown): Confidence {
  const level = typeof raw === 'number' ? raw : Number(textOf(raw) ?? Number.NaN);
  if (Number.isNaN(level)) return 'low';
  if (level >= 75) return 'high';
  return level >= 50 ? 'medium' : 'low';
}

/** `1.2.3.4:443` → host and port; `[2001:db8::1]:443` → IPv6 host and port; no port → none. */
function splitHostPort(value: string): { host: string; port: string | undefined } {
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close === -1) throw new RowError('ip:port value has an unclosed "["');
    const rest = value.slice(close + 1);
    return { host: value.slice(1, close), port: rest.startsWith(':') ? rest.slice(1) : undefined };
  }
  const colon = value.lastIndexOf(':');
  // An IPv6 address without brackets: its last group cannot be told from a port.
  if (colon === -1 || value.indexOf(':') !== colon) return { host: value, port: undefined };
  return { host: value.slice(0, colon), port: value.slice(colon + 1) };
}

/**
 * One IOC, from either shape; `id` is the ThreatFox IOC id when known, `groupKey` the export's key
 * when its array holds several IOCs.
 */
function readIoc(entry: Record<string, unknown>, id: string | undefined, groupKey: string | undefined): FeedRecord {
  const rawType = textOf(entry.ioc_type);
  if (rawType === undefined) throw new RowError('ioc_type is missing');
  const type = IOC_TYPES[rawType.toLowerCase()];
  if (type === undefined) throw new RowError(`unknown ioc_type "${rawType}"`);
  const value = textOf(entry.ioc_value ?? entry.ioc);
  let ports: number[] | undefined;
  let ioc;
  if (type === 'ip:port') {
    if (value === undefined) throw new RowError('ioc_value is missing');
    const { host, port } = splitHostPort(value);
    ioc = iocOf(host, host.includes(':') ? 'ipv6' : 'ipv4', 'ioc_value');
    if (port !== undefined) ports = [portOf(port, 'port')];
  } else {
    ioc = iocOf(value, type, 'ioc_value');
  }
  const firstSeen = requiredDate(entry.first_seen_utc ?? entry.first_seen, 'first_seen');
  const lastSeen = notBefore(firstSeen, optionalDate(entry.last_seen_utc ?? entry.last_seen, 'last_seen'));
  const malware = textOf(entry.malware_printable) ?? textOf(entry.malware);
  const threatType = textOf(entry.threat_type);
  const reporter = textOf(entry.reporter);
  const level = textOf(entry.confidence_level);

  let context = `${malware ?? 'Malware'} ${THREAT_PHRASES[threatType ?? ''] ?? threatType ?? 'indicator'} ${TYPE_PHRASES[rawType] ?? rawType}`;
  if (reporter !== undefined) context += ` reported to ThreatFox by ${reporter}`;
  if (level !== undefined) context += ` (confidence ${level}/100)`;
  if (entry.is_compromised === true) context += '; flagged by ThreatFox as a compromised host';
  const aliases = textOf(entry.malware_alias);
  if (aliases !== undefined) context += `; aliases: ${aliases}`;

  const reference = textOf(entry.reference);
  const referenceUrl =
    reference !== undefined && HTTP_URL.test(reference) ? reference : id !== undefined ? `https://threatfox.abuse.ch/ioc/${id}/` : undefined;
  const familyTag = malware !== undefined && malware.toLowerCase() !== UNKNOWN_MALWARE ? malware : undefined;
  // The entry: IOCs submitted together cite one reference (a MalwareBazaar sample's page, a
  // sandbox lookup, a post) while each gets an id of its own, so the reference groups them (a C2
  // address with its sample's hash); else an export key that holds several IOCs. An IOC with
  // neither stands alone: no entry, so that a later record without one keeps the reference
  // another record of the same value gave (one record per value and source).
  const group = reference !== undefined && HTTP_URL.test(reference) ? reference : groupKey;
  return {
    ioc,
    confidence: confidenceOfLevel(entry.confidence_level),
    firstSeen,
    lastSeen,
    tags: tagsOf(familyTag, threatType, entry.tags),
    context,
    ...(referenceUrl !== undefined ? { referenceUrl } : {}),
    ...(ports !== undefined ? { ports } : {}),
    ...(group !== undefined ? { entry: group } : {}),
  };
}

function valueOf(entry: unknown): string {
  if (!isObject(entry)) return JSON.stringify(entry) ?? '';
  return textOf(entry.ioc_value ?? entry.ioc) ?? '';
}

function readEntry(feed: ParsedFeed, at: string | number, entry: unknown, id: string | undefined, groupKey?: string): void {
  collectRow(feed, at, valueOf(entry), () => {
    if (!isObject(entry)) throw new RowError(`entry is ${shapeOf(entry)}, not an object`);
    return readIoc(entry, id, groupKey);
  });
}

/** The API's `data` array: each record carries its own `id`. */
function readApiRecords(feed: ParsedFeed, records: unknown[]): void {
  records.forEach((entry, index) => {
    const id = isObject(entry) ? textOf(entry.id) : undefined;
    readEntry(feed, id ?? index, entry, id);
  });
}

function readApiAnswer(feed: ParsedFeed, answer: Record<string, unknown>): void {
  const status = String(answer.query_status);
  if (NO_RESULT_STATUSES.has(status)) return;
  if (status !== 'ok') {
    const detail = typeof answer.data === 'string' ? `: ${answer.data}` : '';
    throw new FeedFormatError(`${FORMAT}: the API answered query_status "${status}"${detail}`);
  }
  if (!Array.isArray(answer.data)) throw new FeedFormatError(`${FORMAT}: query_status is ok but data is ${shapeOf(answer.data)}, not an array`);
  readApiRecords(feed, answer.data);
}

/** The export: `{"<id>": [{...}], ...}`; a key whose value is not an array of IOCs is rejected. */
function readExport(feed: ParsedFeed, document: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(document)) {
    if (!Array.isArray(value)) {
      feed.rejected.push({ at: key, value: clip(JSON.stringify(value) ?? ''), reason: `value is ${shapeOf(value)}, not an array of IOCs` });
      continue;
    }
    if (value.length === 0) {
      feed.rejected.push({ at: key, value: '[]', reason: 'empty array: no IOC under this id' });
      continue;
    }
    value.forEach((entry, index) => readEntry(feed, value.length === 1 ? key : `${key}[${index}]`, entry, key, value.length > 1 ? key : undefined));
  }
}

export const parseThreatfoxJson: FeedParser = (body) => {
  const document = parseJsonBody(body, FORMAT);
  const feed: ParsedFeed = emptyFeed();
  if (Array.isArray(document)) readApiRecords(feed, document);
  else if (isObject(document) && 'query_status' in document) readApiAnswer(feed, document);
  else if (isObject(document)) readExport(feed, document);
  else throw new FeedFormatError(`${FORMAT}: expected the export object or the API answer, got ${shapeOf(document)}`);
  return feed;
};
