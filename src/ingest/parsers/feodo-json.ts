// Feodo Tracker `ipblocklist.json`: an array of botnet C2 servers {ip_address, port, status,
// hostname, as_number, as_name, country, first_seen, last_online, malware}. One ipv4 record each.
import { FeedFormatError, type FeedParser, type FeedRecord, type ParsedFeed } from '../types.js';
import {
  RowError,
  collectRow,
  confidenceOfStatus,
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

const FORMAT = 'Feodo Tracker JSON';

/** One C2 server as both Feodo Tracker formats describe it. */
export interface FeodoRow {
  ip: unknown;
  port: unknown;
  status: unknown;
  firstSeen: unknown;
  lastOnline: unknown;
  malware: unknown;
  hostname?: unknown;
  asNumber?: unknown;
  asName?: unknown;
  country?: unknown;
}

/**
 * firstSeen = first_seen; lastSeen = last_online (a bare day) but never before firstSeen.
 * Confidence: `online` → high (the C2 answered at the last check), `offline` → medium (it was a
 * validated C2, but is down now). Tags: the malware family, lower-cased, and `botnet_cc`.
 */
export function readFeodoRow(row: FeodoRow): FeedRecord {
  const address = textOf(row.ip);
  const ioc = iocOf(address, address?.includes(':') ? 'ipv6' : 'ipv4', 'ip address');
  const port = textOf(row.port) === undefined ? undefined : portOf(row.port, 'port');
  const firstSeen = requiredDate(row.firstSeen, 'first_seen');
  const lastSeen = notBefore(firstSeen, optionalDate(row.lastOnline, 'last_online'));
  const status = textOf(row.status)?.toLowerCase();
  const malware = textOf(row.malware);
  if (malware === undefined) throw new RowError('malware is missing');
  let context = `${malware} botnet C2`;
  if (port !== undefined) context += ` on port ${port}`;
  if (status !== undefined) context += `, ${status}`;
  const asNumber = textOf(row.asNumber);
  const autonomousSystem = [asNumber === undefined ? undefined : `AS${asNumber}`, textOf(row.asName)].filter(Boolean).join(' ');
  const network = [autonomousSystem, textOf(row.country)].filter(Boolean).join(', ');
  if (network !== '') context += `; ${network}`;
  const hostname = textOf(row.hostname);
  if (hostname !== undefined) context += `; hostname ${hostname}`;
  return {
    ioc,
    confidence: confidenceOfStatus(status),
    firstSeen,
    lastSeen,
    tags: tagsOf(malware, 'botnet_cc'),
    context,
    referenceUrl: `https://feodotracker.abuse.ch/browse/host/${ioc.value}/`,
    ...(port !== undefined ? { ports: [port] } : {}),
  };
}

export const parseFeodoJson: FeedParser = (body) => {
  const document = parseJsonBody(body, FORMAT);
  if (!Array.isArray(document)) throw new FeedFormatError(`${FORMAT}: expected an array of C2 entries, got ${shapeOf(document)}`);
  const feed: ParsedFeed = emptyFeed();
  document.forEach((entry: unknown, index) => {
    const value = isObject(entry) ? String(entry.ip_address ?? '') : JSON.stringify(entry) ?? '';
    collectRow(feed, index, value, () => {
      if (!isObject(entry)) throw new RowError(`entry is ${shapeOf(entry)}, not an object`);
      return readFeodoRow({
        ip: entry.ip_address,
        port: entry.port,
        status: entry.status,
        firstSeen: entry.first_seen,
        lastOnline: entry.last_online,
        malware: entry.malware,
        hostname: entry.hostname,
        asNumber: entry.as_number,
        asName: entry.as_name,
        country: entry.country,
      });
    });
  });
  return feed;
};
