// Query parameters are read strictly, before the schema coerces them: an integer is decimal
// digits alone (the schema's coercion would read 0x10, 0b11, 1e1, " 5" or Infinity as numbers),
// and no parameter may carry a NUL, which PostgreSQL refuses in text (a 500 otherwise).
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { InvalidParameterError } from './errors.js';

const DECIMAL = /^[0-9]+$/;

type QuerySchema = { properties?: Record<string, { type?: string }> };

export function strictQuery(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  const query = request.query as Record<string, unknown> | undefined;
  if (!query) return done();
  const properties = (request.routeOptions.schema?.querystring as QuerySchema | undefined)?.properties ?? {};
  for (const [name, raw] of Object.entries(query)) {
    for (const value of Array.isArray(raw) ? raw : [raw]) {
      if (typeof value !== 'string') continue;
      if (value.includes('\u0000')) {
        return done(new InvalidParameterError(name, `Invalid value for '${name}': it contains a NUL character.`));
      }
      if (properties[name]?.type === 'integer' && !DECIMAL.test(value)) {
        return done(new InvalidParameterError(name, `Invalid value for '${name}': a whole number in decimal digits is expected.`));
      }
    }
  }
  done();
}
