// Every error leaves in the documented envelope:
// {"error": {"code", "message", "details"?, "request_id"}}. Status codes come from the error's
// class, never from its message text; 5xx details stay in the log.
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';


export class AppError extends Error {
  /** For a refusal (429, 503), the reason /metrics counts it under when finer than its code. */
  refusal?: string;

  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export class InvalidParameterError extends AppError {
  constructor(parameter: string, message: string, details: Record<string, unknown> = {}) {
    super(400, 'invalid_parameter', message, { parameter, ...details });
  }
}

export class MissingApiKeyError extends AppError {
  constructor() {
    super(
      401,
      'missing_api_key',
      'API key is required. Include it in the Authorization header as "Bearer sk_live_..." or in the X-API-Key header.',
    );
  }
}

export class InvalidApiKeyError extends AppError {
  constructor() {
    super(401, 'invalid_api_key', 'The API key is not valid, or it has been revoked.');
  }
}

export class ExpiredApiKeyError extends AppError {
  constructor(expiredAt: Date) {
    super(401, 'expired_api_key', `The API key expired at ${expiredAt.toISOString()}.`, { expired_at: expiredAt.toISOString() });
  }
}

/** The request is valid, but the state of what it would change forbids it (409). */
export class ConflictError extends AppError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(409, code, message, details);
  }
}

/** What was asked for existed once and is gone for good (410): e.g. changes older than the retained history. */
export class GoneError extends AppError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(410, code, message, details);
  }
}

export class InsufficientScopeError extends AppError {
  constructor(message: string, details: Record<string, unknown>) {
    super(403, 'insufficient_scope', message, details);
  }
}

export class RateLimitError extends AppError {
  constructor(details: Record<string, unknown>, refusal?: string) {
    super(429, 'rate_limit_exceeded', 'Rate limit exceeded. Please wait before making more requests.', details);
    this.refusal = refusal;
  }
}

export class NotFoundError extends AppError {
  constructor(message: string) {
    super(404, 'not_found', message);
  }
}

export interface ErrorEnvelope {
  error: { code: string; message: string; details?: Record<string, unknown>; request_id: string };
}

export function envelope(request: FastifyRequest, code: string, message: string, details?: Record<string, unknown>): ErrorEnvelope {
  return { error: { code, message, ...(details && { details }), request_id: request.id } };
}

// Codes for the errors Fastify itself raises, by status.
const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  431: 'request_header_fields_too_large',
  503: 'service_unavailable',
};

type AjvError = { keyword: string; instancePath: string; message?: string; params: Record<string, unknown> };

type Context = 'querystring' | 'body' | 'params';

/**
 * Turns a schema validation failure into an invalid_parameter error naming the parameter: a
 * query parameter, a path parameter, or a body's field (its first level: `scopes/1` is `scopes`).
 */
export function fromValidation(error: FastifyError, request: FastifyRequest): AppError {
  const first = (error.validation as AjvError[] | undefined)?.[0];
  if (!first) return new InvalidParameterError('unknown', error.message);
  const context = ((error as { validationContext?: Context }).validationContext ?? 'querystring') as Context;
  const noun = context === 'body' ? 'field' : 'parameter';
  const schema = request.routeOptions.schema?.[context] as { properties?: Record<string, unknown> } | undefined;
  const known = Object.keys(schema?.properties ?? {});
  if (first.keyword === 'additionalProperties') {
    const name = String(first.params.additionalProperty);
    return new InvalidParameterError(name, `Unknown ${noun} '${name}'. Known ${noun}s: ${known.join(', ')}.`, {
      allowed_parameters: known,
    });
  }
  const parameter =
    first.keyword === 'required'
      ? String(first.params.missingProperty)
      : first.instancePath.split('/')[1] || (context === 'querystring' ? 'query' : context === 'params' ? known[0] ?? 'path' : 'body');
  if (first.keyword === 'required') {
    return new InvalidParameterError(parameter, `Missing required ${noun} '${parameter}'.`);
  }
  const input = context === 'body' ? request.body : context === 'params' ? request.params : request.query;
  // A credential is never echoed back.
  const value = parameter === 'api_key' ? '[redacted]' : (input as Record<string, unknown> | undefined)?.[parameter];
  if (first.keyword === 'enum') {
    const allowed = first.params.allowedValues as unknown[];
    const details: Record<string, unknown> = { value, allowed };
    if (parameter === 'type') details.valid_types = allowed;
    return new InvalidParameterError(
      parameter,
      `Invalid value for '${parameter}': '${String(value)}'. Allowed: ${allowed.join(', ')}.`,
      details,
    );
  }
  return new InvalidParameterError(parameter, `Invalid value for '${parameter}': ${first.message ?? 'not allowed'}.`, {
    value,
    rule: { [first.keyword]: first.params },
  });
}

/** The refusals that a better tier would lift. */
const UPGRADABLE = new Set(['insufficient_scope', 'rate_limit_exceeded']);

/**
 * The one error handler. With `upgradeUrl` (UPGRADE_URL: the operator's page about tiers, absent
 * by default), the refusals a better tier would lift (403, 429) point to it. `onRefusal` hears of
 * every refusal to do work now (429, 503: rate limits, admission), by reason (/metrics counts
 * them), so that a new kind of refusal is counted without more wiring.
 */
export function createErrorHandler(upgradeUrl?: string, onRefusal?: (reason: string) => void, write: ErrorWriter = writeEnvelope) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => handleError(error, request, reply, upgradeUrl, onRefusal, write);
}

/** Sends an error: the envelope, or another body where a standard wants its own (TAXII). */
export type ErrorWriter = (request: FastifyRequest, reply: FastifyReply, error: AppError, details: Record<string, unknown> | undefined) => FastifyReply;

const writeEnvelope: ErrorWriter = (request, reply, error, details) =>
  reply.status(error.statusCode).type('application/json; charset=utf-8').send(envelope(request, error.code, error.message, details));

export const errorHandler = createErrorHandler();

function handleError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
  upgradeUrl: string | undefined,
  onRefusal: ((reason: string) => void) | undefined,
  write: ErrorWriter,
) {
  let app: AppError;
  if (error instanceof AppError) app = error;
  else if (error.validation) app = fromValidation(error, request);
  else if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    app = new AppError(error.statusCode, CODE_BY_STATUS[error.statusCode] ?? 'bad_request', error.message);
  } else if (reply.raw.destroyed) {
    // The work stopped because its client left (client-gone.ts): nobody is there to answer.
    request.log.info({ err: error }, 'request stopped: its client has gone');
    return reply;
  } else {
    request.log.error({ err: error }, 'request failed');
    app = new AppError(500, 'internal_error', 'An internal error occurred. Please try again later.');
  }
  if (onRefusal && (app.statusCode === 429 || app.statusCode === 503)) onRefusal(app.refusal ?? app.code);
  // A 429 says when to come back (its details carry it); a 503, soon.
  const retryAfter = app.details?.retry_after_seconds;
  if (typeof retryAfter === 'number') reply.header('Retry-After', String(retryAfter));
  else if (app.statusCode === 503) reply.header('Retry-After', '5');
  const details = upgradeUrl && UPGRADABLE.has(app.code) ? { ...app.details, upgrade_url: upgradeUrl } : app.details;
  return write(request, reply, app, details);
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply) {
  return reply
    .status(404)
    .send(envelope(request, 'not_found', `No route for ${request.method} ${request.url.split('?')[0]}.`));
}

/**
 * The raw answer to bytes that never became a request (not HTTP, headers or URL over Node's
 * limit, too slow to arrive): Node reports them before Fastify sees a request, so Fastify's
 * default answer would not be the envelope.
 */
export function clientErrorResponse(error: { code?: string }, requestId: string): string {
  const [status, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'The request headers (the URL included) are too large.']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'The request did not arrive in time.']
        : [400, 'The request is not valid HTTP.'];
  const body = JSON.stringify({ error: { code: CODE_BY_STATUS[status], message, request_id: requestId } });
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`
  );
}
