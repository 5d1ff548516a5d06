// fetchSource against a real HTTP server on loopback: what it sends (validators, credentials),
// how many attempts the server sees for each kind of failure, and the cause in words.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchError, fetchSource, type FetchOptions } from '../../src/ingest/fetch.js';
import { FEODO_JSON, FakeUpstream, fixture, hang, serveFixture, status, truncated } from './ingest-upstream.js';

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await FakeUpstream.start();
});
afterAll(async () => {
  await upstream?.close();
});

let pathCount = 0;
/** A path of its own for each test, answered by these handlers in turn. */
function route(...handlers: Parameters<FakeUpstream['on']>[1][]): { path: string; url: string } {
  const path = `/fetch/${++pathCount}`;
  upstream.on(path, ...handlers);
  return { path, url: upstream.url(path) };
}

const FAST: Partial<FetchOptions> = { timeoutMs: 5000, attempts: 1, backoffMs: 1, sourceName: 'Fake Feed' };

async function failure(options: FetchOptions): Promise<FetchError> {
  try {
    await fetchSource(options);
  } catch (error) {
    expect(error).toBeInstanceOf(FetchError);
    return error as FetchError;
  }
  throw new Error('fetchSource succeeded');
}

describe('conditional requests', () => {
  it('sends no validators the first time, and returns the body with the ETag and Last-Modified it got', async () => {
    const lastModified = 'Fri, 24 Jul 2026 14:00:00 GMT';
    const { path, url } = route(serveFixture(FEODO_JSON, { etag: '"feodo-1"', lastModified }));
    const result = await fetchSource({ ...FAST, url });
    expect(result).toMatchObject({ status: 'ok', httpStatus: 200, etag: '"feodo-1"', lastModified, attempts: 1 });
    if (result.status !== 'ok') throw new Error('unreachable');
    expect(result.body).toBe(fixture(FEODO_JSON));
    expect(result.bytes).toBe(Buffer.byteLength(fixture(FEODO_JSON)));
    const [request] = upstream.requestsTo(path);
    expect(request!.headers['if-none-match']).toBeUndefined();
    expect(request!.headers['if-modified-since']).toBeUndefined();
    expect(request!.headers['user-agent']).toMatch(/^socdefenders\//);
  });

  it('sends If-None-Match and If-Modified-Since when given them, and reports a 304 as not_modified', async () => {
    const lastModified = 'Fri, 24 Jul 2026 14:00:00 GMT';
    const { path, url } = route(serveFixture(FEODO_JSON, { etag: '"feodo-2"', lastModified }));
    const result = await fetchSource({ ...FAST, url, etag: '"feodo-2"', lastModified });
    expect(result).toEqual({ status: 'not_modified', httpStatus: 304, attempts: 1 });
    const [request] = upstream.requestsTo(path);
    expect(request!.headers['if-none-match']).toBe('"feodo-2"');
    expect(request!.headers['if-modified-since']).toBe(lastModified);
  });

  it('gets the whole body again when the server has a newer version (the validator no longer matches)', async () => {
    const { url } = route(serveFixture(FEODO_JSON, { etag: '"feodo-new"' }));
    const result = await fetchSource({ ...FAST, url, etag: '"feodo-old"' });
    expect(result).toMatchObject({ status: 'ok', httpStatus: 200, etag: '"feodo-new"' });
  });
});

describe('retries', () => {
  it('tries a 500 `attempts` times, then fails with the status and the cause in words', async () => {
    const { path, url } = route(status(500, 'Internal Server Error'));
    const error = await failure({ ...FAST, url, attempts: 3, backoffMs: 5 });
    expect(upstream.requestsTo(path)).toHaveLength(3);
    expect(error.message).toBe('500 from Fake Feed: server error');
    expect(error).toMatchObject({ httpStatus: 500, transient: true, attempts: 3 });
  });

  it('retries a 429 and a 503 and succeeds on the third attempt', async () => {
    const { path, url } = route(status(429, 'slow down'), status(503, 'maintenance'), serveFixture(FEODO_JSON));
    const result = await fetchSource({ ...FAST, url, attempts: 3, backoffMs: 5 });
    expect(result).toMatchObject({ status: 'ok', httpStatus: 200, attempts: 3 });
    expect(upstream.requestsTo(path)).toHaveLength(3);
  });

  it('does not retry what will not pass: 404, 401', async () => {
    const notFound = route(status(404));
    const error = await failure({ ...FAST, url: notFound.url, attempts: 3, backoffMs: 5 });
    expect(error.message).toBe('404 from Fake Feed: not found (has the feed moved?)');
    expect(error).toMatchObject({ httpStatus: 404, transient: false, attempts: 1 });
    expect(upstream.requestsTo(notFound.path)).toHaveLength(1);

    const unauthorized = route(status(401));
    await failure({ ...FAST, url: unauthorized.url, attempts: 3, backoffMs: 5 });
    expect(upstream.requestsTo(unauthorized.path)).toHaveLength(1);
  });
});

describe('credentials', () => {
  const SECRET = 'f3c1d2e4-test-auth-key-0000';

  it('sends the credential header, and never puts its value in the error', async () => {
    const { path, url } = route(status(401, 'Unauthorized'));
    const error = await failure({
      ...FAST,
      url,
      sourceName: 'ThreatFox',
      headers: { 'Auth-Key': SECRET },
      authHint: 'Auth-Key rejected (check ABUSECH_AUTH_KEY)',
    });
    expect(upstream.requestsTo(path)[0]!.headers['auth-key']).toBe(SECRET);
    expect(error.message).toBe('401 from ThreatFox: Auth-Key rejected (check ABUSECH_AUTH_KEY)');
    expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toContain(SECRET);
  });

  it('names the missing variable when no credential was sent', async () => {
    const { path, url } = route(status(401, 'Unauthorized'));
    const error = await failure({ ...FAST, url, sourceName: 'ThreatFox', authHint: 'Auth-Key missing (set ABUSECH_AUTH_KEY)' });
    expect(upstream.requestsTo(path)[0]!.headers['auth-key']).toBeUndefined();
    expect(error.message).toBe('401 from ThreatFox: Auth-Key missing (set ABUSECH_AUTH_KEY)');
    expect(error.httpStatus).toBe(401);
  });
});

describe('timeouts, truncation and size', () => {
  it('gives up on a server that never answers after timeoutMs, each attempt', async () => {
    const { path, url } = route(hang);
    const error = await failure({ ...FAST, url, timeoutMs: 150, attempts: 2, backoffMs: 5 });
    expect(error.message).toBe('cannot reach Fake Feed: no answer within 150 ms');
    expect(error).toMatchObject({ httpStatus: null, transient: true, attempts: 2 });
    expect(upstream.requestsTo(path)).toHaveLength(2);
  });

  it('times out a body that stops half-way (headers sent, then silence)', async () => {
    const { url } = route((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('['.padEnd(100, ' '));
    });
    const error = await failure({ ...FAST, url, timeoutMs: 150 });
    expect(error.message).toBe('no complete answer within 150 ms from Fake Feed');
    expect(error.transient).toBe(true);
  });

  it('fails a body cut off before its Content-Length, and retries it', async () => {
    const { path, url } = route(truncated(fixture(FEODO_JSON)));
    const error = await failure({ ...FAST, url, attempts: 2, backoffMs: 5 });
    expect(error.message).toBe('the response was cut off from Fake Feed');
    expect(error).toMatchObject({ httpStatus: 200, transient: true, attempts: 2 });
    expect(upstream.requestsTo(path)).toHaveLength(2);
  });

  it('refuses a response whose Content-Length is over the cap, without retrying', async () => {
    const { path, url } = route(serveFixture(FEODO_JSON));
    const size = Buffer.byteLength(fixture(FEODO_JSON));
    const error = await failure({ ...FAST, url, maxBytes: 1000, attempts: 3, backoffMs: 5 });
    expect(error.message).toBe(`response from Fake Feed is ${size} bytes, over the 1000-byte cap`);
    expect(error.transient).toBe(false);
    expect(upstream.requestsTo(path)).toHaveLength(1);
  });

  it('stops reading a chunked response (no Content-Length) once it passes the cap', async () => {
    const { url } = route(serveFixture(FEODO_JSON, { chunkSize: 256 }));
    const error = await failure({ ...FAST, url, maxBytes: 1000 });
    expect(error.message).toBe('response from Fake Feed exceeds the 1000-byte cap');
    // Under the cap, the same chunked response is read whole.
    const whole = await fetchSource({ ...FAST, url, maxBytes: 4096 });
    expect(whole.status === 'ok' && whole.body).toBe(fixture(FEODO_JSON));
  });

  it('reaches no one when nothing listens on the port', async () => {
    // A port that was just free: start a server, note its port, close it.
    const closed = await FakeUpstream.start();
    const url = closed.url('/gone');
    await closed.close();
    const error = await failure({ ...FAST, url });
    expect(error.message).toMatch(/^cannot reach Fake Feed: /);
    expect(error.transient).toBe(true);
  });
});
