// `socd serve` as a user starts it: a process of its own, configured by its environment, its
// JSON log lines read as they come, stopped by SIGTERM.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawnSocd, waitForExit, type SocdResult } from './socd.js';

export type LogLine = Record<string, unknown> & { msg: string };

export interface Served {
  url: string;
  pid: number;
  /** The JSON log lines written so far. */
  lines: LogLine[];
  stdout(): string;
  stderr(): string;
  exited: Promise<SocdResult>;
  /** Resolves when a log line matching `test` has been written. */
  waitForLine(test: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
}

// Every service a test starts, so that one a failed test left running is killed after it.
const started = new Set<ChildProcessWithoutNullStreams>();

/** For afterEach: kills the services the test left running. */
export function killStarted(): void {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  started.clear();
}

/**
 * Starts `socd serve` on a port of its choosing and waits for its `listening on` line. The
 * ingestion scheduler is off unless `env` turns it on (INGEST): a test never fetches the real
 * feeds, and a run of one in progress would hold a shutdown open.
 */
export async function startServe(env: Record<string, string>): Promise<Served> {
  const child = spawnSocd(['serve'], { PORT: '0', LOG_LEVEL: 'info', INGEST: 'false', ...env });
  started.add(child);
  const exited = waitForExit(child);
  const lines: LogLine[] = [];
  let stdout = '';
  let stderr = '';
  let partial = '';
  const watchers = new Set<() => void>();
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
    partial += chunk;
    const complete = partial.split('\n');
    partial = complete.pop()!;
    for (const line of complete.filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
    for (const watcher of watchers) watcher();
  });
  child.stderr.on('data', (chunk: string) => (stderr += chunk));

  const waitForLine = (test: (line: LogLine) => boolean, timeoutMs = 60_000) =>
    new Promise<LogLine>((resolve, reject) => {
      const check = () => {
        const found = lines.find(test);
        if (found) {
          watchers.delete(check);
          clearTimeout(timer);
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        watchers.delete(check);
        reject(new Error(`no such log line within ${timeoutMs} ms; stdout:\n${stdout}\nstderr:\n${stderr}`));
      }, timeoutMs);
      watchers.add(check);
      check();
      void exited.then(() => {
        check();
        if (watchers.has(check)) {
          watchers.delete(check);
          clearTimeout(timer);
          reject(new Error(`socd serve exited; stdout:\n${stdout}\nstderr:\n${stderr}`));
        }
      });
    });

  const listening = await waitForLine((line) => line.msg.startsWith('listening on '));
  return { url: listening.url as string, pid: child.pid!, lines, stdout: () => stdout, stderr: () => stderr, exited, waitForLine };
}

export function get(url: string, key?: string) {
  return fetch(url, { headers: key ? { authorization: `Bearer ${key}` } : {} });
}

export async function stop(served: Served): Promise<SocdResult> {
  process.kill(served.pid, 'SIGTERM');
  return served.exited;
}

