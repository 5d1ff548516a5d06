// ArcSight Common Event Format for SIEMs: one event a record, one line an event (UTF-8, LF).
// `CEF:0|socdefenders|socdefenders|<version>|<IOC type>|IOC <type>|<severity>|<extension>`.
// Header fields escape `\` and `|`; extension values escape `\`, `=` and line breaks (the
// ArcSight CEF specification; ../shared/spec/formats.md). The value goes in the field of the
// CEF dictionary that means it (`dst`, `dhost`, `request`, `fileHash`…), every custom field
// with its `…Label` partner.
import { createRequire } from 'node:module';
import ipaddr from 'ipaddr.js';
import type { Confidence } from '../ioc/types.js';
import type { IocRecord } from '../store/records.js';
import type { Exporter } from './exporter.js';

const { version: PRODUCT_VERSION } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** Severity 0–10 from confidence: high is High (8), medium Medium (5), low Low (3). */
export const CEF_SEVERITY: Readonly<Record<Confidence, number>> = { high: 8, medium: 5, low: 3 };

export function cefHeaderField(text: string): string {
  // A header field is one line: a line break would end the event.
  return text.replace(/[\r\n]+/g, ' ').replace(/[\\|]/g, (c) => `\\${c}`);
}

export function cefExtensionValue(text: string): string {
  return text.replace(/\r\n|[\\=\r\n]/g, (c) => (c === '\\' ? '\\\\' : c === '=' ? '\\=' : c === '\r' ? '\\r' : '\\n'));
}

const HASH_ALGORITHMS: Readonly<Record<string, string>> = { md5: 'MD5', sha1: 'SHA-1', sha256: 'SHA-256', sha512: 'SHA-512' };

/** The dictionary fields that carry the value, by type (a network, not an address, goes in a custom string). */
function valueFields(record: IocRecord): [string, string][] {
  const { type, value } = record;
  const network = value.includes('/');
  switch (type) {
    case 'ipv4':
      return network ? [['cs3', value], ['cs3Label', 'Network']] : [['dst', value]];
    case 'ipv6':
      return network || !ipaddr.IPv6.isValid(value) ? [['cs3', value], ['cs3Label', 'Network']] : [['c6a1', value], ['c6a1Label', 'Indicator address']];
    case 'domain':
      return [['dhost', value]];
    case 'url':
      return [['request', value]];
    case 'md5':
    case 'sha1':
    case 'sha256':
    case 'sha512':
      return [['fileHash', value], ['cs2', HASH_ALGORITHMS[type] as string], ['cs2Label', 'Hash algorithm']];
    case 'email':
      return [['cs3', value], ['cs3Label', 'Email address']];
    case 'cve':
      return [['cs5', value], ['cs5Label', 'CVE']];
    case 'mitre_attack':
      return [];
  }
}

/** One record's event line. */
export function cefLine(record: IocRecord): string {
  const techniques = record.type === 'mitre_attack' ? [record.value, ...record.mitre_techniques.filter((t) => t !== record.value)] : record.mitre_techniques;
  const fields: [string, string][] = [
    ...valueFields(record),
    ['externalId', record.id],
    ['rt', String(Date.parse(record.last_seen))],
    ['cat', record.source.category],
    ['cs1', record.source.feed_name],
    ['cs1Label', 'Source'],
    ['cn1', String(CEF_SEVERITY[record.confidence] * 10)],
    ['cn1Label', 'Confidence'],
    ['deviceCustomDate1', String(Date.parse(record.first_seen))],
    ['deviceCustomDate1Label', 'First seen'],
    ['deviceCustomDate2', String(Date.parse(record.last_seen))],
    ['deviceCustomDate2Label', 'Last seen'],
  ];
  if (techniques.length > 0) fields.push(['cs4', techniques.join(',')], ['cs4Label', 'MITRE ATT&CK']);
  if (record.tags.length > 0) fields.push(['cs6', record.tags.join(',')], ['cs6Label', 'Tags']);
  // The publisher's page (the article's, or the feed entry's), not this service's page for it.
  const reference = record.source.reference_url;
  if (reference !== null) fields.push(['flexString1', reference], ['flexString1Label', 'Reference']);
  if (record.context) fields.push(['msg', record.context]);
  const header = ['CEF:0', 'socdefenders', 'socdefenders', PRODUCT_VERSION, record.type, `IOC ${record.type}`, String(CEF_SEVERITY[record.confidence])];
  const extension = fields.map(([key, value]) => `${key}=${cefExtensionValue(value)}`).join(' ');
  return `${header.map((field, i) => (i === 0 ? field : cefHeaderField(field))).join('|')}|${extension}\n`;
}

export const cefExporter = {
  format: 'cef',
  mediaType: 'text/plain; charset=utf-8',
  filename: 'iocs.cef',
  scope: 'read:iocs',
  reads: 'records',
  listed: true,
  conditional: true,
  description:
    'ArcSight CEF, one event a record (severity 8, 5, 3 for high, medium, low confidence; the value in `dst`, `c6a1`, `dhost`, `request`, `fileHash` or a labelled custom field).',
  writer: () => ({ head: () => '', batch: (records: IocRecord[]) => records.map(cefLine).join(''), tail: () => '' }),
} as const satisfies Exporter<'records'>;
