// Errors outside the endpoints' own logic: unknown routes, URLs, bodies and bytes too large or
// not HTTP at all, and internal failures. Every one of them answers in the error envelope.
import net from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { appSuite, BACKENDS, openTestStore, startTestApp, type TestApp } from '../helpers.js';

type Response = Awaited<ReturnType<TestApp['app']['inject']>>;

function expectEnvelope(res: Response, status: number, code: string) {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json();
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error).toMatchObject({ code, message: expect.any(String), request_id: res.headers['x-request-id'] });
  return body.error as { code: string; message: string; details?: unknown; request_id: string };
}

/** Sends raw bytes to a listening server and returns what comes back before it closes. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.write(bytes);
  });
}

function parseRaw(answer: string) {
  const [head, ...rest] = answer.split('\r\n\r\n');
  const [statusLine, ...headerLines] = head!.split('\r\n');
  const headers = Object.fromEntries(
    headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  return { status: Number(statusLine!.split(' ')[1]), headers, body: JSON.parse(rest.join('\r\n\r\n')) };
}

describe.each(BACKENDS)('errors and limits on %s', (backend) => {
  const { store, t } = appSuite(backend);
  let pro: string;
  beforeAll(async () => {
    pro = await t.key('pro');
  });

  it('answers an unknown route with 404 not_found in the envelope', async () => {
    for (const [method, url] of [
      ['GET', '/nope'],
      ['GET', '/api/v2/iocs'],
      ['DELETE', '/healthz'],
      ['GET', '/api/openapi.yaml'],
    ] as const) {
      const error = expectEnvelope(await t.app.inject({ method, url }), 404, 'not_found');
      expect(error.message).toBe(`No route for ${method} ${url}.`);
    }
    // The message never repeats the query string (it may hold a key).
    const error = expectEnvelope(await t.app.inject({ url: `/nope?api_key=${pro}` }), 404, 'not_found');
    expect(error.message).not.toContain(pro);
  });

  it('authenticates an unknown route under /api/v1 before answering 404', async () => {
    expectEnvelope(await t.app.inject({ url: '/api/v1/no-such-route' }), 401, 'missing_api_key');
    const res = await t.app.inject({ url: '/api/v1/no-such-route', headers: { authorization: `Bearer ${pro}` } });
    expectEnvelope(res, 404, 'not_found');
    expect(res.headers['x-ratelimit-limit']).toBe('1000');
    // A method the route does not have is an unknown route too.
    expectEnvelope(
      await t.app.inject({ method: 'PUT', url: '/api/v1/iocs', headers: { authorization: `Bearer ${pro}` } }),
      404,
      'not_found',
    );
  });

  it('answers a URL longer than MAX_URL_LENGTH with 414 uri_too_long', async () => {
    const max = store.config.maxUrlLength;
    expect(max).toBe(8192);
    const base = '/api/v1/iocs?limit=1&industry=';
    const atLimit = base + 'a'.repeat(max - base.length);
    expect(atLimit).toHaveLength(max);
    const ok = await t.app.inject({ url: atLimit, headers: { authorization: `Bearer ${pro}` } });
    expect(ok.statusCode).not.toBe(414);
    const tooLong = await t.app.inject({ url: atLimit + 'a', headers: { authorization: `Bearer ${pro}` } });
    const error = expectEnvelope(tooLong, 414, 'uri_too_long');
    expect(error.message).toContain(String(max));
    // Before authentication: a long URL without a key is still a 414.
    expectEnvelope(await t.app.inject({ url: atLimit + 'a' }), 414, 'uri_too_long');
  });

  it('answers a body over BODY_LIMIT_BYTES with 413 payload_too_large, even on a route that takes none', async () => {
    const huge = 'x'.repeat(store.config.bodyLimitBytes + 1);
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${pro}` };
    expectEnvelope(await t.app.inject({ method: 'POST', url: '/api/v1/iocs', payload: huge, headers }), 413, 'payload_too_large');
    expectEnvelope(
      await t.app.inject({ method: 'POST', url: '/healthz', payload: huge, headers: { 'content-type': 'text/plain' } }),
      413,
      'payload_too_large',
    );
    // Without a key the body is never read: authentication answers first.
    expectEnvelope(
      await t.app.inject({ method: 'POST', url: '/api/v1/iocs', payload: huge, headers: { 'content-type': 'application/json' } }),
      401,
      'missing_api_key',
    );
    // A small body on a route that takes none: just the unknown route.
    expectEnvelope(await t.app.inject({ method: 'POST', url: '/api/v1/iocs', payload: '{}', headers }), 404, 'not_found');
    // A body that is not what its content-type says.
    expectEnvelope(
      await t.app.inject({ method: 'POST', url: '/healthz', payload: '{"a":', headers: { 'content-type': 'application/json' } }),
      400,
      'bad_request',
    );
  });

  describe('over a real socket', () => {
    let port: number;
    beforeAll(async () => {
      await t.app.listen({ host: '127.0.0.1', port: 0 });
      port = (t.app.server.address() as net.AddressInfo).port;
    });

    it('answers headers over Node limit (a very long URL) with 431 in the envelope', async () => {
      const answer = await rawExchange(port, `GET /api/v1/iocs?industry=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
      const { status, headers, body } = parseRaw(answer);
      expect(status).toBe(431);
      expect(headers['content-type']).toMatch(/^application\/json/);
      expect(body).toEqual({
        error: { code: 'request_header_fields_too_large', message: expect.any(String), request_id: headers['x-request-id'] },
      });
      expect(body.error.request_id).toMatch(/^req_/);
    });

    it('answers bytes that are not HTTP with 400 in the envelope', async () => {
      const { status, body } = parseRaw(await rawExchange(port, 'HELLO THERE\r\n\r\n'));
      expect(status).toBe(400);
      expect(body.error.code).toBe('bad_request');
    });

    it('answers a URL over MAX_URL_LENGTH but within Node limit with 414 in the envelope', async () => {
      const { status, body, headers } = parseRaw(
        await rawExchange(port, `GET /api/v1/iocs?industry=${'a'.repeat(9000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
      );
      expect(status).toBe(414);
      expect(body.error).toMatchObject({ code: 'uri_too_long', request_id: headers['x-request-id'] });
    });
  });
});

describe.each(BACKENDS)('internal failures on %s', (backend) => {
  it('hides the details of a 500 from the client and logs them', async () => {
    const store = await openTestStore(backend);
    const t = await startTestApp(store);
    try {
      const pro = await t.key('pro');
      await store.db.query('drop table sightings cascade');
      const res = await t.app.inject({ url: '/api/v1/iocs', headers: { authorization: `Bearer ${pro}` } });
      const error = expectEnvelope(res, 500, 'internal_error');
      expect(error.message).toBe('An internal error occurred. Please try again later.');
      expect(error.details).toBeUndefined();
      expect(res.body).not.toMatch(/sightings|relation|stack|at /);
      // The log has what the client does not: the database's own message, under the same id.
      const logged = t.logs.lines.filter((line) => line.request_id === error.request_id);
      const failure = logged.find((line) => line.level === 50);
      expect(failure?.msg).toBe('request failed');
      const err = failure?.err as { message: string; stack: string; code?: string };
      expect(err.message).toMatch(/relation "sightings" does not exist/);
      expect(err.code).toBe('42P01');
      expect(err.stack).toEqual(expect.any(String));
      expect(logged.find((line) => line.msg === 'request')?.status).toBe(500);
    } finally {
      await t.close();
      await store.close();
    }
  });

  it('answers 500 internal_error when the store is gone', async () => {
    const store = await openTestStore(backend);
    const t = await startTestApp(store);
    try {
      const pro = await t.key('pro');
      // The store closes (and, on PostgreSQL, its database is dropped) under the running app.
      await store.close();
      const res = await t.app.inject({ url: '/api/v1/iocs', headers: { authorization: `Bearer ${pro}` } });
      expectEnvelope(res, 500, 'internal_error');
      expect(t.logs.lines.some((line) => line.level === 50 && line.request_id === res.headers['x-request-id'])).toBe(true);
      // Liveness does not depend on the store; readiness does.
      expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200);
      expect((await t.app.inject({ url: '/readyz' })).statusCode).toBe(503);
    } finally {
      await t.close();
    }
  });
});
