// The embedded store belongs to one process at a time. Two PGlite instances writing the same
// files would corrupt them, so a lock file records the holder; a second process is refused
// with its name, and a lock left by a dead process is taken over.
import fs from 'node:fs';
import path from 'node:path';

export interface LockHolder {
  pid: number;
  command: string;
  startedAt: string;
  hostname?: string;
}

export class StoreLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    super(
      `The embedded database in ${dataDir} is in use by process ${holder.pid} ` +
        `(${holder.command}, started ${holder.startedAt}). Stop it first, or point DATABASE_URL ` +
        `at a PostgreSQL server so that several processes can share the data.`,
    );
    this.name = 'StoreLockedError';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): LockHolder | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

/** Takes the data directory's lock; returns the function that gives it back. */
export function lockDataDir(dataDir: string, command: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'socd.lock');
  const me: LockHolder = { pid: process.pid, command, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      // 'wx' fails if the file exists: creating it is the atomic test-and-set.
      fs.writeFileSync(file, JSON.stringify(me), { flag: 'wx', mode: 0o644 });
      return () => {
        if (readHolder(file)?.pid === process.pid) fs.rmSync(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readHolder(file);
      if (holder && isAlive(holder.pid)) throw new StoreLockedError(dataDir, holder);
      // Stale (its process is gone) or unreadable: remove it and try again.
      fs.rmSync(file, { force: true });
    }
  }
  throw new Error(`cannot lock ${file}: another process keeps taking it`);
}
