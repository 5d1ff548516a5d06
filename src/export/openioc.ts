// OpenIOC 1.1 (namespace http://openioc.org/schemas/OpenIOC_1.1, Mandiant's ioc.xsd) for EDRs
// and the tools that read Mandiant indicators: one `OpenIOC` document, its `criteria` one
// `Indicator operator="OR"` of one `IndicatorItem` a value, each naming the search term of the
// OpenIOC term dictionary (iocterms/current.iocterms) that matches the value's type. Types with
// no term (SHA-512, CVE, ATT&CK) are left out.
import { randomUUID } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';
import type { IocType } from '../ioc/types.js';
import type { IndicatorRef } from '../store/records.js';
import type { Exporter } from './exporter.js';

/** The term of each type: its document, its search (`document/field`) and its Content type. */
export const OPENIOC_TERMS: Partial<Readonly<Record<IocType, { document: string; search: string; content: string }>>> = {
  ipv4: { document: 'PortItem', search: 'PortItem/remoteIP', content: 'IP' },
  ipv6: { document: 'PortItem', search: 'PortItem/remoteIP', content: 'IP' },
  domain: { document: 'DnsEntryItem', search: 'DnsEntryItem/Host', content: 'string' },
  url: { document: 'UrlHistoryItem', search: 'UrlHistoryItem/URL', content: 'string' },
  md5: { document: 'FileItem', search: 'FileItem/Md5sum', content: 'md5' },
  sha1: { document: 'FileItem', search: 'FileItem/Sha1sum', content: 'sha1' },
  sha256: { document: 'FileItem', search: 'FileItem/Sha256sum', content: 'sha256' },
  email: { document: 'Email', search: 'Email/From', content: 'string' },
};

/** The namespace of the ids of IndicatorItems: each value keeps its item id from export to export. */
const ITEM_NAMESPACE = '6f8e5c1e-3b1d-4f57-9a3e-0c6d8d9b5a21';
const XML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function xmlText(text: string): string {
  // Characters XML 1.0 cannot carry at all are dropped; the five markup characters are escaped.
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '').replace(/[&<>"']/g, (c) => XML_ESCAPES[c] as string);
}

/** `2026-07-24T08:30:00Z`: xs:dateTime in seconds. */
function dateTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

export function openIocHead(now: Date): string {
  const at = dateTime(now);
  return (
    '<?xml version="1.0" encoding="utf-8"?>\n' +
    `<OpenIOC xmlns="http://openioc.org/schemas/OpenIOC_1.1" id="${randomUUID()}" last-modified="${at}" published-date="${at}">\n` +
    '  <metadata>\n' +
    '    <short_description>socdefenders indicators</short_description>\n' +
    '    <description>Indicators of compromise exported by socdefenders: any one of them is a match.</description>\n' +
    '    <authored_by>socdefenders</authored_by>\n' +
    `    <authored_date>${at}</authored_date>\n` +
    '    <links />\n' +
    '  </metadata>\n' +
    '  <criteria>\n' +
    `    <Indicator operator="OR" id="${randomUUID()}">\n`
  );
}

/** The IndicatorItems of these indicators (the types OpenIOC has a term for). */
export function openIocItems(indicators: readonly IndicatorRef[]): string {
  let out = '';
  for (const indicator of indicators) {
    const term = OPENIOC_TERMS[indicator.type];
    if (term === undefined) continue;
    out +=
      `      <IndicatorItem id="${uuidv5(indicator.id, ITEM_NAMESPACE)}" condition="is" preserve-case="false" negate="false">\n` +
      `        <Context document="${term.document}" search="${term.search}" type="mir" />\n` +
      `        <Content type="${term.content}">${xmlText(indicator.value)}</Content>\n` +
      '      </IndicatorItem>\n';
  }
  return out;
}

export const OPENIOC_TAIL = '    </Indicator>\n  </criteria>\n</OpenIOC>\n';

export const openIocExporter = {
  format: 'openioc',
  mediaType: 'application/xml; charset=utf-8',
  filename: 'iocs.ioc',
  scope: 'read:iocs',
  reads: 'indicators',
  listed: true,
  description:
    'an OpenIOC 1.1 document: one IndicatorItem a distinct value under one OR (IPs as PortItem/remoteIP, domains DnsEntryItem/Host, URLs UrlHistoryItem/URL, MD5/SHA-1/SHA-256 FileItem, e-mails Email/From; no SHA-512, CVE or ATT&CK term exists).',
  writer: () => ({ head: () => openIocHead(new Date()), batch: openIocItems, tail: () => OPENIOC_TAIL }),
} as const satisfies Exporter<'indicators'>;
