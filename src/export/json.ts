// The list endpoint's JSON envelope, written in pieces so that the records can stream:
// {"data": [records...], "meta": ..., "links": ...}.
import type { IocRecord } from '../store/records.js';
import type { Exporter } from './exporter.js';

export function jsonListHead(): string {
  return '{"data":[';
}

/** The records of one batch; `first` says whether any record was written before. */
export function jsonListRecords(records: IocRecord[], first: boolean): string {
  if (records.length === 0) return '';
  const body = records.map((record) => JSON.stringify(record)).join(',');
  return first ? body : ',' + body;
}

export function jsonListTail(meta: object, links: object): string {
  return `],"meta":${JSON.stringify(meta)},"links":${JSON.stringify(links)}}`;
}

export const jsonExporter = {
  format: 'json',
  mediaType: 'application/json; charset=utf-8',
  scope: 'read:iocs',
  reads: 'records',
  listed: true,
  description: 'the full envelope, the records with `meta` and `links`.',
  writer: (context) => {
    // Asked for at once: the total is counted while the records stream (on another connection),
    // so a count never delays the first byte; `meta` comes after the records (JSON gives the
    // order of an object's members no meaning).
    const meta = context.listMeta();
    meta.catch(() => {}); // awaited by the tail; a stream that fails first must not leave it unhandled
    return {
      head: jsonListHead,
      batch: jsonListRecords,
      // The links come last too: `next` starts after the page's last row.
      tail: async (end) => jsonListTail(await meta, context.listLinks(end)),
    };
  },
} as const satisfies Exporter<'records'>;
