// Where ../shared (the spec, fixtures and official standards) is: SOCD_SHARED_DIR if set, else
// beside this checkout, else beside the checkout it was cloned from (CI clones into /tmp).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function cloneOrigin(): string | undefined {
  try {
    const origin = execFileSync('git', ['-C', REPO_ROOT, 'remote', 'get-url', 'origin'], { encoding: 'utf8', stdio: 'pipe' }).trim();
    // A local path only: a URL's parent folder is not on this machine.
    return origin && !/^[a-z][a-z0-9+.-]*:\/\/|^[^/]+@[^/]+:/i.test(origin) ? path.resolve(REPO_ROOT, origin) : undefined;
  } catch {
    return undefined;
  }
}

function findShared(): string {
  if (process.env.SOCD_SHARED_DIR) return path.resolve(process.env.SOCD_SHARED_DIR);
  const beside = path.resolve(REPO_ROOT, '..', 'shared');
  if (existsSync(beside)) return beside;
  const origin = cloneOrigin();
  const besideOrigin = origin && path.resolve(origin, '..', 'shared');
  return besideOrigin && existsSync(besideOrigin) ? besideOrigin : beside;
}

export const SHARED_DIR = findShared();
