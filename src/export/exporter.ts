// What an export format is: its media type, the scope a key needs for it, what it reads from
// the store, and a writer that streams it in three pieces (head, one batch at a time, tail).
import type { Scope } from '../store/keys.js';
import type { EventRecords } from '../store/events.js';
import type { CsvRecord, IndicatorRef, IndicatorSummary, IocRecord } from '../store/records.js';

/** What each kind of read gives a writer, a batch at a time. */
export interface ReadItems {
  /** IOC records (one per value per source), as the list's JSON shows them. */
  records: IocRecord;
  /** The same records as the CSV's ten columns. */
  'csv-records': CsvRecord;
  /** Each distinct value once. */
  values: string;
  /** Each distinct indicator once: its id, type and value. */
  indicators: IndicatorRef;
  /** Each distinct indicator once, with what all its records say. */
  summaries: IndicatorSummary;
  /** MISP events: an article's records, or a feed's of one day. */
  events: EventRecords;
}
export type Reads = keyof ReadItems;

/**
 * How a page of records ended: how many rows it had and, when it was full, where the next page
 * starts (its last row's extracted_at as PostgreSQL writes it, and its id).
 */
export interface PageEnd {
  rows: number;
  last?: { at: string; id: string };
}

/** What a writer may need of the request it answers. */
export interface ExportContext {
  /** The list's `meta`: asked for before the records are read, so that its count runs meanwhile. */
  listMeta(): Promise<object>;
  /** The list's `links`, once the records are written. */
  listLinks(end: PageEnd): object;
}

export interface ExportWriter<T> {
  head(): string;
  /** One batch; `first` says whether nothing was written before it. */
  batch(items: T[], first: boolean): string;
  /** `end`: the page the batches made (records and csv-records reads; an empty page otherwise). */
  tail(end: PageEnd): string | Promise<string>;
}

export interface Exporter<R extends Reads = Reads> {
  /** The `format` parameter's value. */
  format: string;
  mediaType: string;
  /** A media type given instead when the request's Accept header names it. */
  negotiated?: string;
  /** Sent as Content-Disposition: a file to save. */
  filename?: string;
  scope: Scope;
  reads: R;
  /** Polled like a block-list: carries an ETag, and answers If-None-Match with 304 when nothing changed. */
  conditional?: boolean;
  /** Served as a `format` of the list endpoint (otherwise at `route`, under /api/v1). */
  listed: boolean;
  route?: string;
  /** One sentence for the API description. */
  description: string;
  writer(context: ExportContext): ExportWriter<ReadItems[R]>;
}

/** Any one exporter, whatever it reads. */
export type AnyExporter = { [R in Reads]: Exporter<R> }[Reads];
