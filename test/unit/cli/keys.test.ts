// `socd keys create --expires`: a date, a time with its zone, or a duration from now.
import { describe, expect, it } from 'vitest';
import { parseExpiry } from '../../../src/cli/commands/keys.js';
import { CliError } from '../../../src/cli/context.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');

describe('parseExpiry', () => {
  it.each([
    ['90d', '2026-08-30T12:00:00.000Z'],
    ['12h', '2026-06-02T00:00:00.000Z'],
    ['30m', '2026-06-01T12:30:00.000Z'],
    ['2027-01-31', '2027-01-31T00:00:00.000Z'],
    ['2027-01-31T10:00:00Z', '2027-01-31T10:00:00.000Z'],
    ['2027-01-31T10:00+02:00', '2027-01-31T08:00:00.000Z'],
  ])('reads %s', (text, expected) => {
    expect(parseExpiry(text, NOW).toISOString()).toBe(expected);
  });

  it.each(['tomorrow', '90', '90 d', '1y', '2027-01-31T10:00', '2027-13-45T10:00:00Z', '2027-13-45', ''])('refuses %j, naming the option', (text) => {
    expect(() => parseExpiry(text, NOW)).toThrow(CliError);
    expect(() => parseExpiry(text, NOW)).toThrow(/^--expires: /);
  });
});
