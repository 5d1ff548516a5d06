// The in-memory limiter, on a clock of our own: a minute window, a UTC-day window, and the rule
// that a refused request costs nothing.
import { describe, expect, it } from 'vitest';
import { createMemoryRateLimiter } from '../../../src/api/rate-limit.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
// 2026-05-16T10:00:00Z, the start of a minute.
const T0 = Date.UTC(2026, 4, 16, 10, 0, 0);
const seconds = (ms: number) => Math.floor(ms / 1000);

describe('memory rate limiter', () => {
  it('allows perMinute requests in a minute, then refuses until the next minute', async () => {
    const limiter = createMemoryRateLimiter();
    const budget = { perMinute: 10, perDay: 1000 };
    for (let i = 0; i < 10; i++) {
      const d = await limiter.consume('k', budget, T0 + i * 1000);
      expect(d).toMatchObject({ allowed: true, window: 'minute', limit: 10, remaining: 9 - i, dayLimit: 1000, dayRemaining: 999 - i });
      expect(d.resetAt).toBe(seconds(T0 + MINUTE));
    }
    const refused = await limiter.consume('k', budget, T0 + 59_999);
    expect(refused).toMatchObject({ allowed: false, window: 'minute', limit: 10, remaining: 0, resetAt: seconds(T0 + MINUTE) });
    // Refused requests are not counted: the day still has 990 left.
    expect(refused.dayRemaining).toBe(990);
    const next = await limiter.consume('k', budget, T0 + MINUTE);
    expect(next).toMatchObject({ allowed: true, remaining: 9, resetAt: seconds(T0 + 2 * MINUTE), dayRemaining: 989 });
  });

  it('uses fixed windows aligned to the minute, whatever the first request time', async () => {
    const limiter = createMemoryRateLimiter();
    const budget = { perMinute: 2, perDay: 1000 };
    expect((await limiter.consume('k', budget, T0 + 58_000)).resetAt).toBe(seconds(T0 + MINUTE));
    expect((await limiter.consume('k', budget, T0 + 59_000)).allowed).toBe(true);
    expect((await limiter.consume('k', budget, T0 + 59_500)).allowed).toBe(false);
    // Two seconds later the window has turned.
    expect(await limiter.consume('k', budget, T0 + 60_500)).toMatchObject({ allowed: true, remaining: 1 });
  });

  it('keeps one budget per key', async () => {
    const limiter = createMemoryRateLimiter();
    const budget = { perMinute: 1, perDay: 10 };
    expect((await limiter.consume('a', budget, T0)).allowed).toBe(true);
    expect((await limiter.consume('a', budget, T0)).allowed).toBe(false);
    expect((await limiter.consume('b', budget, T0)).allowed).toBe(true);
  });

  it('refuses for the rest of the UTC day once the day budget is spent, reporting the day window', async () => {
    const limiter = createMemoryRateLimiter();
    const budget = { perMinute: 10, perDay: 3 };
    const dayStart = Date.UTC(2026, 4, 16);
    const midnight = seconds(dayStart + DAY);
    expect(await limiter.consume('k', budget, T0)).toMatchObject({ allowed: true, window: 'minute', limit: 10, remaining: 9 });
    expect(await limiter.consume('k', budget, T0 + 1000)).toMatchObject({ allowed: true, window: 'minute', dayRemaining: 1 });
    // The request that spends the last of the day already reports the day window.
    expect(await limiter.consume('k', budget, T0 + 2000)).toMatchObject({
      allowed: true,
      window: 'day',
      limit: 3,
      remaining: 0,
      resetAt: midnight,
      dayRemaining: 0,
    });
    for (const at of [T0 + 3000, T0 + 5 * MINUTE, dayStart + DAY - 1]) {
      expect(await limiter.consume('k', budget, at)).toMatchObject({
        allowed: false,
        window: 'day',
        limit: 3,
        remaining: 0,
        resetAt: midnight,
        dayLimit: 3,
        dayRemaining: 0,
      });
    }
    // A new UTC day, a new budget.
    expect(await limiter.consume('k', budget, dayStart + DAY)).toMatchObject({ allowed: true, window: 'minute', dayRemaining: 2 });
  });

  it('does not charge the day budget for requests refused by the minute limit', async () => {
    const limiter = createMemoryRateLimiter();
    const budget = { perMinute: 2, perDay: 5 };
    const results: boolean[] = [];
    for (let minute = 0; minute < 3; minute++) {
      // Five attempts a minute: two allowed, three refused.
      for (let i = 0; i < 5; i++) results.push((await limiter.consume('k', budget, T0 + minute * MINUTE + i * 100)).allowed);
    }
    expect(results).toEqual([true, true, false, false, false, true, true, false, false, false, true, false, false, false, false]);
    const last = await limiter.consume('k', budget, T0 + 3 * MINUTE);
    expect(last).toMatchObject({ allowed: false, window: 'day', dayRemaining: 0 });
  });

  it('gives a reset time that makes a sensible Retry-After', async () => {
    const limiter = createMemoryRateLimiter();
    const budget = { perMinute: 1, perDay: 100 };
    const now = T0 + 42_300;
    await limiter.consume('k', budget, now);
    const refused = await limiter.consume('k', budget, now);
    expect(refused.allowed).toBe(false);
    // What the app sends as Retry-After: whole seconds until the window turns, at least 1.
    const retryAfter = Math.max(1, refused.resetAt - Math.floor(now / 1000));
    expect(retryAfter).toBe(18);
  });

  it('forgets keys from earlier days', async () => {
    const limiter = createMemoryRateLimiter();
    const budget = { perMinute: 1, perDay: 1 };
    expect((await limiter.consume('old', budget, T0)).allowed).toBe(true);
    expect((await limiter.consume('old', budget, T0 + 1000)).allowed).toBe(false);
    // The next day another key's request sweeps it; the old key starts afresh.
    expect((await limiter.consume('other', budget, T0 + DAY)).allowed).toBe(true);
    expect((await limiter.consume('old', budget, T0 + DAY)).allowed).toBe(true);
  });
});
