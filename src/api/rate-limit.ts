// Per-key request budgets in two fixed windows, a minute and a UTC day. A request is counted
// only when both windows have room, so waiting out a minute limit costs no daily budget.
// Counters live in memory for one embedded process, or in Redis so that instances share them.
import { Redis } from 'ioredis';

export interface Budget {
  perMinute: number;
  perDay: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** The window that decides: the day once its budget is spent, else the minute. */
  window: 'minute' | 'day';
  limit: number;
  remaining: number;
  /** Unix seconds when that window resets. */
  resetAt: number;
  dayLimit: number;
  dayRemaining: number;
}

export interface RateLimiter {
  /** Counted in memory, the decision comes at once; in Redis, as a promise. */
  consume(keyId: string, budget: Budget, now?: number): RateLimitDecision | Promise<RateLimitDecision>;
  close(): Promise<void>;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

function decide(budget: Budget, minuteCount: number, dayCount: number, allowed: boolean, now: number): RateLimitDecision {
  const minuteReset = Math.floor(now / MINUTE + 1) * (MINUTE / 1000);
  const dayReset = Math.floor(now / DAY + 1) * (DAY / 1000);
  const dayRemaining = Math.max(0, budget.perDay - dayCount);
  const dayDecides = dayRemaining === 0;
  return {
    allowed,
    window: dayDecides ? 'day' : 'minute',
    limit: dayDecides ? budget.perDay : budget.perMinute,
    remaining: dayDecides ? 0 : Math.max(0, budget.perMinute - minuteCount),
    resetAt: dayDecides ? dayReset : minuteReset,
    dayLimit: budget.perDay,
    dayRemaining,
  };
}

export function createMemoryRateLimiter(): RateLimiter {
  type Counters = { minute: number; minuteCount: number; day: number; dayCount: number };
  const counters = new Map<string, Counters>();
  let lastSweep = 0;
  return {
    consume(keyId, budget, now = Date.now()) {
      const minute = Math.floor(now / MINUTE);
      const day = Math.floor(now / DAY);
      if (minute !== lastSweep) {
        // Forget keys idle since an earlier day, once a minute.
        lastSweep = minute;
        for (const [id, c] of counters) if (c.day !== day) counters.delete(id);
      }
      let c = counters.get(keyId);
      if (!c) counters.set(keyId, (c = { minute, minuteCount: 0, day, dayCount: 0 }));
      if (c.minute !== minute) Object.assign(c, { minute, minuteCount: 0 });
      if (c.day !== day) Object.assign(c, { day, dayCount: 0 });
      const allowed = c.minuteCount < budget.perMinute && c.dayCount < budget.perDay;
      if (allowed) {
        c.minuteCount++;
        c.dayCount++;
      }
      return decide(budget, c.minuteCount, c.dayCount, allowed, now);
    },
    async close() {},
  };
}

// Both windows checked and counted in one atomic round trip.
const CONSUME_SCRIPT = `
local m = tonumber(redis.call('GET', KEYS[1]) or '0')
local d = tonumber(redis.call('GET', KEYS[2]) or '0')
if m >= tonumber(ARGV[1]) or d >= tonumber(ARGV[2]) then return {m, d, 0} end
m = redis.call('INCR', KEYS[1])
if m == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
d = redis.call('INCR', KEYS[2])
if d == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[4]) end
return {m, d, 1}`;

type RedisWithConsume = Redis & {
  consumeBudget(minuteKey: string, dayKey: string, perMinute: number, perDay: number, minuteTtl: number, dayTtl: number): Promise<[number, number, number]>;
};

export interface RedisRateLimiterOptions {
  url: string;
  /** Called when Redis cannot be reached; the request is then let through. */
  onError?: (error: Error) => void;
  keyPrefix?: string;
}

export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const redis = new Redis(options.url, {
    // Fail fast rather than queue requests while Redis is away.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 1000,
    lazyConnect: false,
  }) as RedisWithConsume;
  redis.on('error', () => {});
  redis.defineCommand('consumeBudget', { numberOfKeys: 2, lua: CONSUME_SCRIPT });
  const prefix = options.keyPrefix ?? 'socd:rl:';
  // Not yet connected is not an outage: the first requests wait for the first connection (up
  // to the command timeout, or its first failure) instead of passing unlimited.
  let firstConnection: Promise<void> | undefined = new Promise<void>((resolve) => {
    const settle = () => {
      clearTimeout(timer);
      firstConnection = undefined;
      resolve();
    };
    const timer = setTimeout(settle, 1000);
    redis.once('ready', settle);
    redis.once('error', settle);
  });
  return {
    async consume(keyId, budget, now = Date.now()) {
      if (firstConnection) await firstConnection;
      const minute = Math.floor(now / MINUTE);
      const day = Math.floor(now / DAY);
      // The {hash tag} keeps both counters of a key on one Redis Cluster slot.
      const base = `${prefix}{${keyId}}`;
      try {
        const [m, d, ok] = await redis.consumeBudget(
          `${base}:m:${minute}`,
          `${base}:d:${day}`,
          budget.perMinute,
          budget.perDay,
          MINUTE * 2,
          DAY + MINUTE,
        );
        return decide(budget, m, d, ok === 1, now);
      } catch (error) {
        // A limiter outage must not take the API down with it.
        options.onError?.(error as Error);
        return decide(budget, 0, 0, true, now);
      }
    },
    async close() {
      redis.disconnect();
    },
  };
}
