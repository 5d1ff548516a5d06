// The one date reader (src/ioc/dates.ts) of imports, feeds and query parameters.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { readDate } from '../../../src/ioc/dates.js';
import { REPO_ROOT } from '../../helpers.js';

const iso = (text: string) => {
  const read = readDate(text);
  return read.ok ? read.date.toISOString() : read.reason;
};

describe('readDate', () => {
  it.each([
    // No zone means UTC, with a T or a space, with or without seconds.
    ['2026-01-01 10:00', '2026-01-01T10:00:00.000Z'],
    ['2026-01-01T10:00', '2026-01-01T10:00:00.000Z'],
    ['2026-01-01', '2026-01-01T00:00:00.000Z'],
    ['2026-08-18 16:17:08', '2026-08-18T16:17:08.000Z'],
    ['2021-03-05 15:14:06 UTC', '2021-03-05T15:14:06.000Z'],
    ['2025-08-25T17:04:19.9796Z', '2025-08-25T17:04:19.979Z'],
    ['2026-05-16T02:00:00+02:00', '2026-05-16T00:00:00.000Z'],
    ['2026-05-15T20:00:00-0400', '2026-05-16T00:00:00.000Z'],
    ['2026-05-16t05:30:00+05:30', '2026-05-16T00:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['  2026-01-01T10:00:00Z  ', '2026-01-01T10:00:00.000Z'],
    // RFC 2822, as RSS writes pubDate.
    ['Tue, 18 Aug 2026 16:17:08 GMT', '2026-08-18T16:17:08.000Z'],
    ['18 Aug 2026 16:17:08 +0200', '2026-08-18T14:17:08.000Z'],
    ['Wed, 19 Jul 2023 09:59:54 EDT', '2023-07-19T13:59:54.000Z'],
    // A year before 100 is that year, not 19xx.
    ['0050-01-01', '0050-01-01T00:00:00.000Z'],
  ])('%s is %s', (text, expected) => {
    expect(iso(text)).toBe(expected);
  });

  it.each([
    '1',
    '2026',
    '1700000000',
    'yesterday',
    '',
    '2026-02-30',
    '2025-02-29',
    '2026-13-01',
    '2026-04-31 10:00',
    '2026-01-01 24:00',
    '2026-01-01T10:60',
    '2026-01-01T10:00:00+24:00',
    '2026-01-01T10:00:00+02:60',
    '01/02/2026',
    '24/07/2026 13:50',
    '2026-1-1',
    '20260101T100000Z',
    'Tue, 31 Feb 2026 10:00:00 GMT',
    'Tue, 18 Foo 2026 10:00:00 GMT',
  ])('refuses %j with a reason', (text) => {
    const read = readDate(text);
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.reason).toMatch(/\w/);
  });

  it("reads a time without a zone as UTC whatever the process's time zone", () => {
    // A process of its own: the zone of a running process is not to be changed under vitest.
    const script = `import('./src/ioc/dates.ts').then(({ readDate }) => {
      const read = (text) => { const r = readDate(text); return r.ok ? r.date.toISOString() : r.reason; };
      console.log(JSON.stringify([new Date(2026, 0, 1).getTimezoneOffset(), read('2026-01-01 10:00'), read('2026-01-01')]));
    })`;
    for (const zone of ['Asia/Tokyo', 'America/New_York', 'Pacific/Chatham']) {
      const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: REPO_ROOT,
        env: { ...process.env, TZ: zone },
        encoding: 'utf8',
      });
      expect(child.stderr).toBe('');
      const [offset, dateTime, date] = JSON.parse(child.stdout) as [number, string, string];
      expect(offset, zone).not.toBe(0);
      expect(dateTime, zone).toBe('2026-01-01T10:00:00.000Z');
      expect(date, zone).toBe('2026-01-01T00:00:00.000Z');
    }
  });
});
