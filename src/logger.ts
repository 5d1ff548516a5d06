// Structured JSON logs (pino). Credentials are redacted wherever they could appear.
import { pino, type Logger } from 'pino';
import type { Config } from './config.js';

// pino's isoTime, formatted once a millisecond however many lines are written in it.
let lastMs = -1;
let lastTime = '';
function isoTime(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastTime = `,"time":"${new Date(now).toISOString()}"`;
  }
  return lastTime;
}

export function createLogger(config: Pick<Config, 'logLevel'>, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { service: 'socdefenders' },
      timestamp: isoTime,
      redact: {
        paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'headers.authorization', 'headers["x-api-key"]', 'key', 'apiKey'],
        censor: '[redacted]',
      },
    },
    // Lines are written in batches of 4 KiB, and at least every 250 ms: a write per line costs a
    // busy server a system call per request. Whatever is still buffered is written on exit.
    destination ?? pino.destination({ fd: 1, sync: false, minLength: 4096, periodicFlush: 250 }),
  );
}
