// The embedded store belongs to one process: the lock file, its holder's name in the refusal,
// stale locks taken over; and a second process refused while the store is open here.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockDataDir, StoreLockedError } from '../../src/store/lock.js';
import { createApiKey, listApiKeys } from '../../src/store/keys.js';
import { openStore } from '../../src/store/open.js';
import { loadConfig } from '../../src/config.js';
import { migratedDataDir, tempDir } from '../helpers.js';
import { runSocd } from '../helpers/socd.js';

const dirs: string[] = [];
function dataDir(): string {
  const dir = tempDir('socd-lock-');
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** The pid of a process that has exited (and so is not running). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('lockDataDir', () => {
  it('writes a lock naming this process, and refuses a second holder with StoreLockedError', () => {
    const dir = dataDir();
    const release = lockDataDir(dir, 'socd serve');
    const file = path.join(dir, 'socd.lock');
    const holder = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(holder).toMatchObject({ pid: process.pid, command: 'socd serve', startedAt: expect.any(String) });
    let refusal: unknown;
    try {
      lockDataDir(dir, 'socd import');
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(StoreLockedError);
    const locked = refusal as StoreLockedError;
    expect(locked.holder).toMatchObject({ pid: process.pid, command: 'socd serve' });
    expect(locked.dataDir).toBe(dir);
    expect(locked.message).toContain(`in use by process ${process.pid} (socd serve, started ${holder.startedAt})`);
    expect(locked.message).toContain('DATABASE_URL');
    // The refused attempt left the holder's lock alone.
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(holder);
    release();
  });

  it('releases: the file goes, and the lock can be taken again', () => {
    const dir = dataDir();
    const release = lockDataDir(dir, 'first');
    release();
    expect(fs.existsSync(path.join(dir, 'socd.lock'))).toBe(false);
    const again = lockDataDir(dir, 'second');
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'socd.lock'), 'utf8')).command).toBe('second');
    again();
  });

  it('takes over a lock left by a process that is gone', () => {
    const dir = dataDir();
    const pid = deadPid();
    expect(pid).toBeGreaterThan(0);
    fs.writeFileSync(path.join(dir, 'socd.lock'), JSON.stringify({ pid, command: 'socd serve', startedAt: '2026-01-01T00:00:00Z' }));
    const release = lockDataDir(dir, 'heir');
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'socd.lock'), 'utf8'))).toMatchObject({ pid: process.pid, command: 'heir' });
    release();
  });

  it('takes over an unreadable lock file', () => {
    const dir = dataDir();
    fs.writeFileSync(path.join(dir, 'socd.lock'), '{not json');
    const release = lockDataDir(dir, 'heir');
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'socd.lock'), 'utf8')).pid).toBe(process.pid);
    release();
  });

  it('does not remove a lock that another process has taken since', () => {
    const dir = dataDir();
    const release = lockDataDir(dir, 'first');
    const other = { pid: process.ppid, command: 'someone else', startedAt: new Date().toISOString() };
    fs.writeFileSync(path.join(dir, 'socd.lock'), JSON.stringify(other));
    release();
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'socd.lock'), 'utf8'))).toEqual(other);
  });

  it('creates the data directory when it does not exist', () => {
    const dir = path.join(dataDir(), 'nested', 'data');
    const release = lockDataDir(dir, 'first');
    expect(fs.existsSync(path.join(dir, 'socd.lock'))).toBe(true);
    release();
  });
});

describe('a second process on an embedded store held open here', () => {
  it('is refused with the holder named, exits 1, and leaves the store intact', async () => {
    const config = loadConfig({ DATA_DIR: await migratedDataDir() });
    dirs.push(config.dataDir);
    const db = await openStore(config, 'vitest holder');
    try {
      const { info } = await createApiKey(db, { name: 'before', tier: 'free' });
      const result = await runSocd(['keys', 'list'], { DATA_DIR: config.dataDir, LOG_LEVEL: 'silent' });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(`in use by process ${process.pid} (vitest holder, started `);
      expect(result.stderr).toMatch(/^socd: The embedded database in .+ is in use/);
      // One line, no stack trace.
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      // Still ours, still working.
      expect(JSON.parse(fs.readFileSync(path.join(config.dataDir, 'socd.lock'), 'utf8')).pid).toBe(process.pid);
      expect((await listApiKeys(db)).map((k) => k.id)).toEqual([info.id]);
      await createApiKey(db, { name: 'after', tier: 'free' });
    } finally {
      await db.close();
    }
    expect(fs.existsSync(path.join(config.dataDir, 'socd.lock'))).toBe(false);
    // Once released, the other process gets in, and finds everything written here.
    const listed = await runSocd(['keys', 'list', '--json'], { DATA_DIR: config.dataDir, LOG_LEVEL: 'silent' });
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { name: string }[]).map((k) => k.name)).toEqual(['before', 'after']);
  });
});
