// Runs the `socd` command from source, as a user would run the built one: a child process
// with its own environment (nothing of this process's store, Redis or port settings leaks in).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { REPO_ROOT } from '../helpers.js';

const INHERITED_OUT = ['DATABASE_URL', 'REDIS_URL', 'PORT', 'HOST', 'DATA_DIR', 'LOG_LEVEL', 'PUBLIC_URL'];

function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const name of INHERITED_OUT) delete base[name];
  return { ...base, ...env };
}

export interface SocdResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `socd ARGS` (node --import tsx src/main.ts); the caller owns the process. */
export function spawnSocd(args: string[], env: Record<string, string>): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: REPO_ROOT,
    env: childEnv(env),
    stdio: 'pipe',
  });
}

/** Collects a child's output until it exits. */
export function waitForExit(child: ChildProcessWithoutNullStreams): Promise<SocdResult> {
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs `socd ARGS` to the end; `input` is written to its standard input. */
export async function runSocd(args: string[], env: Record<string, string>, input?: string): Promise<SocdResult> {
  const child = spawnSocd(args, env);
  const done = waitForExit(child);
  if (input !== undefined) child.stdin.end(input);
  else child.stdin.end();
  return done;
}
