// The list endpoint's JSON envelope, written in pieces so that the records can stream:
// {"data": [records...], "meta": ..., "links": ...}.
import type { IocRecord } from '../store/records.js';

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
