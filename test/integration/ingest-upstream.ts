// What the ingestion tests share: a fake of the upstream feeds on loopback (a real node:http
// server on 127.0.0.1, serving the real fixture files), sources that point at it, and
// fingerprints of the stored tables to tell "nothing changed" from "something did".
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { RunOptions } from '../../src/ingest/pipeline.js';
import type { Db, Queryable } from '../../src/store/db.js';
import { addSource, findSource, type SourceDefinition, type SourceRow } from '../../src/store/sources.js';
import { afterAll, beforeAll } from 'vitest';
import { FIXTURES, openTestStore, type Backend, type TestStore } from '../helpers.js';

/**
 * A store on `backend` and a fake upstream, for the tests of one describe block: opened before
 * them, closed after (read `store` and `upstream` inside the tests, once they are open).
 */
export function storeAndUpstream(backend: Backend): { store: TestStore; upstream: FakeUpstream } {
  const bed = {} as { store: TestStore; upstream: FakeUpstream };
  beforeAll(async () => {
    bed.store = await openTestStore(backend);
    bed.upstream = await FakeUpstream.start();
  });
  afterAll(async () => {
    await bed.upstream?.close();
    await bed.store?.close();
  });
  return bed;
}

export interface SeenRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A real HTTP server on 127.0.0.1 that answers each path with the handlers given for it. */
export class FakeUpstream {
  readonly requests: SeenRequest[] = [];
  private readonly routes = new Map<string, Handler[]>();
  private readonly server: http.Server;

  private constructor() {
    this.server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const seen = this.requests.filter((r) => r.path === url.pathname).length;
      this.requests.push({ path: url.pathname, headers: req.headers });
      const handlers = this.routes.get(url.pathname);
      if (!handlers) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no such feed');
        return;
      }
      // The nth request gets the nth handler; the last one answers every later request.
      handlers[Math.min(seen, handlers.length - 1)]!(req, res);
    });
  }

  static async start(): Promise<FakeUpstream> {
    const upstream = new FakeUpstream();
    await new Promise<void>((resolve) => upstream.server.listen(0, '127.0.0.1', resolve));
    return upstream;
  }

  url(pathname: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${pathname}`;
  }

  /** Answers `pathname` with these handlers in turn (replacing what it answered before). */
  on(pathname: string, ...handlers: Handler[]): this {
    this.routes.set(pathname, handlers);
    return this;
  }

  requestsTo(pathname: string): SeenRequest[] {
    return this.requests.filter((r) => r.path === pathname);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export function fixture(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, 'feeds', name), 'utf8');
}

export const FEODO_JSON = 'feodotracker-ipblocklist-2026-07-24.json';
export const THREATFOX_JSON = 'threatfox-export-json-recent-2026-07-24-first1000.json';
export const URLHAUS_CSV = 'urlhaus-csv-online-2026-08-18-head.csv';
export const FEODO_CSV = 'feodotracker-ipblocklist-2024-04-04.csv';
export const CISA_RSS = 'cisa-cybersecurity-advisories-2025-07-24-subset.xml';

export interface BodyOptions {
  etag?: string;
  lastModified?: string;
  contentType?: string;
  /** Send without Content-Length, in chunks of this size (Transfer-Encoding: chunked). */
  chunkSize?: number;
}

/**
 * Serves a body as the real feeds do: with its validators, and 304 to a request that presents
 * them (If-None-Match takes precedence over If-Modified-Since, as in RFC 9110).
 */
export function serve(body: string | (() => string), options: BodyOptions = {}): Handler {
  return (req, res) => {
    const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/octet-stream' };
    if (options.etag) headers.etag = options.etag;
    if (options.lastModified) headers['last-modified'] = options.lastModified;
    const ifNoneMatch = req.headers['if-none-match'];
    const ifModifiedSince = req.headers['if-modified-since'];
    const fresh =
      ifNoneMatch !== undefined
        ? options.etag !== undefined && ifNoneMatch === options.etag
        : ifModifiedSince !== undefined && options.lastModified !== undefined && ifModifiedSince === options.lastModified;
    if (fresh) {
      res.writeHead(304, headers).end();
      return;
    }
    const bytes = Buffer.from(typeof body === 'function' ? body() : body, 'utf8');
    if (options.chunkSize) {
      res.writeHead(200, headers);
      for (let i = 0; i < bytes.length; i += options.chunkSize) res.write(bytes.subarray(i, i + options.chunkSize));
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': String(bytes.length) }).end(bytes);
  };
}

export function serveFixture(name: string, options: BodyOptions = {}): Handler {
  return serve(() => fixture(name), options);
}

export function status(code: number, text = ''): Handler {
  return (_req, res) => {
    res.writeHead(code, { 'content-type': 'text/plain' }).end(text);
  };
}

/** Never answers (the connection stays open until the client gives up or the server closes). */
export const hang: Handler = () => {};

/** Declares the whole body's length, sends half of it, and drops the connection. */
export function truncated(body: string): Handler {
  return (_req, res) => {
    const bytes = Buffer.from(body, 'utf8');
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(bytes.length) });
    res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.socket?.destroy());
  };
}

/**
 * A handler that holds each request until release(). `arrived` resolves at the first request,
 * `arrivals(n)` at the nth.
 */
export function gate(then: Handler): { handler: Handler; arrived: Promise<void>; arrivals(n: number): Promise<void>; release(): void } {
  let count = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const arrivals = (n: number) =>
    count >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }));
  return {
    handler: (req, res) => {
      count++;
      for (const waiter of waiters.filter((w) => w.n <= count)) waiter.resolve();
      void opened.then(() => then(req, res));
    },
    arrived: arrivals(1),
    arrivals,
    release: () => open(),
  };
}

let sourceCount = 0;

/** An operator source of this kind pointing at the fake upstream, with a path of its own. */
export async function fakeSource(
  db: Db,
  upstream: FakeUpstream,
  kind: string,
  extra: Partial<SourceDefinition> = {},
): Promise<SourceRow & { path: string }> {
  const n = ++sourceCount;
  const pathname = `/feeds/${kind}/${n}`;
  const row = await addSource(db, {
    name: `Test ${kind} ${n}`,
    kind,
    url: upstream.url(pathname),
    category: 'threat-intel',
    intervalSeconds: 3600,
    staleAfterSeconds: null,
    auth: null,
    ...extra,
  });
  return { ...row, path: pathname };
}

/** The source as stored now (runSource takes the row it is given: pass it a fresh one). */
export async function reload(db: Queryable, source: SourceRow): Promise<SourceRow> {
  const row = await findSource(db, source.name);
  if (!row) throw new Error(`source ${source.name} is gone`);
  return row;
}

/** Short timeouts, one attempt, no article pages from the internet. */
export function fastRun(extra: RunOptions = {}): RunOptions {
  return { fetchArticlePages: false, env: {}, ...extra, fetch: { timeoutMs: 5000, attempts: 1, backoffMs: 1, ...extra.fetch } };
}

export interface TableState {
  rows: number;
  digest: string;
}

/** Row counts and a digest of every column of every row of the stored IOC tables. */
export async function storedState(db: Queryable): Promise<Record<'indicators' | 'sightings' | 'articles', TableState>> {
  const state = async (table: string) =>
    (
      await db.query<TableState>(
        `select count(*)::int as rows, md5(coalesce(string_agg(t::text, E'\\n' order by t.id), '')) as digest from ${table} t`,
      )
    )[0]!;
  return { indicators: await state('indicators'), sightings: await state('sightings'), articles: await state('articles') };
}

/** What one source has stored: its records and articles. */
export async function sourceCounts(db: Queryable, sourceId: number): Promise<{ sightings: number; articles: number }> {
  const [row] = await db.query<{ sightings: number; articles: number }>(
    `select (select count(*)::int from sightings where source_id = $1) as sightings,
            (select count(*)::int from articles where source_id = $1) as articles`,
    [sourceId],
  );
  return row!;
}

export interface RunRow {
  outcome: string;
  http_status: number | null;
  error: string | null;
  fetched: number;
  parsed: number;
  new: number;
  updated: number;
  suppressed: number;
  rejected: number;
  articles: number;
  bytes: number;
}

/** The source's recorded runs, oldest first. */
export async function runsOf(db: Queryable, sourceId: number): Promise<RunRow[]> {
  return db.query<RunRow>(
    `select outcome, http_status, error, fetched, parsed, new, updated, suppressed, rejected, articles, bytes::int as bytes
     from source_runs where source_id = $1 order by started_at, id`,
    [sourceId],
  );
}

/** A clock that moves on by `stepMs` each time it is read. */
export function steppingClock(start: Date, stepMs = 1000): { now: () => Date; set(at: Date): void } {
  let t = start.getTime();
  return {
    now: () => {
      const at = new Date(t);
      t += stepMs;
      return at;
    },
    set: (at: Date) => {
      t = at.getTime();
    },
  };
}
