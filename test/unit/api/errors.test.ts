import { describe, expect, it } from 'vitest';
import { clientErrorResponse } from '../../../src/api/errors.js';

function parse(raw: string) {
  const [head, body] = raw.split('\r\n\r\n') as [string, string];
  const [statusLine, ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { statusLine, headers, body };
}

describe('clientErrorResponse', () => {
  it.each([
    ['HPE_HEADER_OVERFLOW', 'HTTP/1.1 431 Request Header Fields Too Large', 'request_header_fields_too_large'],
    ['ERR_HTTP_REQUEST_TIMEOUT', 'HTTP/1.1 408 Request Timeout', 'request_timeout'],
    ['HPE_INVALID_METHOD', 'HTTP/1.1 400 Bad Request', 'bad_request'],
    [undefined, 'HTTP/1.1 400 Bad Request', 'bad_request'],
  ])('answers %s with a complete HTTP response carrying the envelope', (code, statusLine, errorCode) => {
    const { statusLine: line, headers, body } = parse(clientErrorResponse({ code }, 'req_abc'));
    expect(line).toBe(statusLine);
    expect(headers).toMatchObject({ 'content-type': 'application/json; charset=utf-8', 'x-request-id': 'req_abc', connection: 'close' });
    expect(Number(headers['content-length'])).toBe(Buffer.byteLength(body));
    expect(JSON.parse(body)).toEqual({ error: { code: errorCode, message: expect.any(String), request_id: 'req_abc' } });
  });
});
