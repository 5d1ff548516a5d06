// Time parameters go through the one date reader (src/ioc/dates.ts): no zone means UTC, and a
// value that is not a date is a 400 naming its parameter.
import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../../src/api/errors.js';
import { parseTime, resolveQuery } from '../../../src/api/filters.js';
import type { Tier } from '../../../src/store/keys.js';

const PRO: Tier = {
  name: 'pro',
  rank: 1,
  requests_per_minute: 1000,
  requests_per_day: 1_000_000,
  lookback_days: 365,
  max_limit: 10_000,
  list_formats: ['json', 'csv', 'txt'],
  scopes: ['read:iocs'],
};
const NOW = new Date('2026-06-01T00:00:00Z');

describe('parseTime', () => {
  it.each([
    ['2026-01-01 10:00', '2026-01-01T10:00:00.000Z'],
    ['2026-05-16T00:00:00', '2026-05-16T00:00:00.000Z'],
    ['2026-05-16', '2026-05-16T00:00:00.000Z'],
    ['2026-05-16T00:00:00Z', '2026-05-16T00:00:00.000Z'],
    // An unencoded `+` arrives as a space.
    ['2026-05-16T02:00:00 02:00', '2026-05-16T00:00:00.000Z'],
    ['2026-05-16 02:00 0200', '2026-05-16T00:00:00.000Z'],
  ])('%s is %s', (text, expected) => {
    expect(parseTime('since', text).toISOString()).toBe(expected);
  });

  it.each(['1', 'yesterday', '2026-02-30', '2026-13-45', '2026-02-29T10:00:00Z'])('refuses %j with a 400 naming the parameter', (text) => {
    let error: unknown;
    try {
      parseTime('until', text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidParameterError);
    expect(error).toMatchObject({ statusCode: 400, code: 'invalid_parameter', details: { parameter: 'until', value: text } });
  });

  it('gives the filters the UTC instant', () => {
    const resolved = resolveQuery({ since: '2026-01-01 10:00', until: '2026-01-02 10:00' }, PRO, 'stored', NOW);
    expect(resolved.filters.since?.toISOString()).toBe('2026-01-01T10:00:00.000Z');
    expect(resolved.described).toMatchObject({ since: '2026-01-01T10:00:00Z', until: '2026-01-02T10:00:00Z' });
  });
});
