// The processes of an embedded PostgreSQL and their memory, read from /proc (Linux).
import fs from 'node:fs';
import path from 'node:path';
import { CLUSTER_DIR } from '../src/store/embedded/server.js';

/** The postmaster's pid: line 1 of postmaster.pid in the cluster (DATA_DIR/postgres). */
export function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir, CLUSTER_DIR, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function stat(pid: number): { state: string; ppid: number } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
  const [state, ppid] = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: state ?? '', ppid: Number(ppid) };
}

/** Running, not a zombie (an exited process nobody reaped still answers kill(pid, 0)). */
export function isRunning(pid: number): boolean {
  const s = stat(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X';
}

function pids(): number[] {
  return fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** The running processes whose parent is `ppid`. */
export function childrenOf(ppid: number): number[] {
  return pids().filter((pid) => stat(pid)?.ppid === ppid && isRunning(pid));
}

/** Proportional set size in kB (shared pages divided among the processes that map them). */
export function pssKb(pid: number): number {
  const text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const match = /^Pss:\s+(\d+) kB/m.exec(text);
  if (!match) throw new Error(`/proc/${pid}/smaps_rollup has no Pss line`);
  return Number(match[1]);
}

/**
 * Processes left running for the cluster of `dataDir`: any of `known` (its postmaster and
 * backends seen earlier), the postmaster its pid file names, or a process with the cluster on
 * its command line.
 */
export function leftovers(dataDir: string, known: number[] = []): number[] {
  const cluster = path.join(dataDir, CLUSTER_DIR);
  const found = new Set(known.filter(isRunning));
  const pid = postmasterPid(dataDir);
  if (pid !== undefined && isRunning(pid)) found.add(pid);
  for (const other of pids()) {
    try {
      if (fs.readFileSync(`/proc/${other}/cmdline`, 'utf8').split('\0').includes(cluster) && isRunning(other)) found.add(other);
    } catch {
      // gone meanwhile
    }
  }
  return [...found];
}
