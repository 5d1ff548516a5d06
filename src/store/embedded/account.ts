// Who the embedded PostgreSQL runs as. PostgreSQL refuses to run as root, so a root process
// (CI, containers) runs it under an unprivileged system account, created on first use; any
// other user runs it as themselves.
import { spawnSync, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { locateBinaries, mirrorBinaries, type PostgresBinaries } from './binaries.js';
import { EmbeddedStoreError } from './error.js';

export const ACCOUNT_NAME = 'socdefenders';
/** Where a root process keeps the binaries' mirror that the account can reach. */
const ROOT_MIRROR_DIR = '/var/lib/socdefenders';

export interface Runner {
  binaries: PostgresBinaries;
  /** The command and options that run one of the binaries as the account. */
  command(binary: string, args: string[], options?: SpawnOptions): { file: string; args: string[]; options: SpawnOptions };
  /** Gives a file or folder made by this process to the account. */
  chown(file: string): void;
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function accountIds(): { uid: number; gid: number } | undefined {
  const id = (flag: string) => spawnSync('id', [flag, ACCOUNT_NAME], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function createAccount(): { uid: number; gid: number } {
  const attempts: [string, string[]][] = [
    ['useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', ACCOUNT_NAME]],
    // busybox (Alpine): the group first, then the user in it.
    ['addgroup', ['-S', ACCOUNT_NAME]],
    ['adduser', ['-S', '-D', '-H', '-G', ACCOUNT_NAME, ACCOUNT_NAME]],
  ];
  for (const [command, args] of attempts) {
    spawnSync(command, args, { stdio: 'ignore' });
    const ids = accountIds();
    if (ids) return ids;
  }
  throw new EmbeddedStoreError(
    `the embedded PostgreSQL cannot run as root, and the system account "${ACCOUNT_NAME}" could not be created ` +
      '(useradd or adduser): create it, run socd as an ordinary user, or set DATABASE_URL',
  );
}

/** Whether the account can search (traverse) the folder, through every folder above it. */
function canReach(ids: { uid: number; gid: number }, folder: string): boolean {
  return spawnSync('test', ['-x', folder], { uid: ids.uid, gid: ids.gid }).status === 0;
}

/**
 * The runner for a cluster whose files live in `dataDir`. As root, the binaries are mirrored
 * where the account can reach them; a DATA_DIR under a folder the account may not enter (a
 * 0700 home) is reached by granting PostgreSQL's processes the one capability to search
 * folders and read files (CAP_DAC_READ_SEARCH, through util-linux's setpriv), rather than by
 * opening the folders above it to every user.
 */
export async function runnerFor(dataDir: string): Promise<Runner> {
  const binaries = await locateBinaries();
  if (!isRoot()) {
    return { binaries, command: (file, args, options = {}) => ({ file, args, options }), chown: () => {} };
  }
  const ids = accountIds() ?? createAccount();
  const mirrored = mirrorBinaries(binaries, ROOT_MIRROR_DIR);
  fs.mkdirSync(dataDir, { recursive: true });
  if (canReach(ids, dataDir)) {
    return {
      binaries: mirrored,
      command: (file, args, options = {}) => ({ file, args, options: { ...options, uid: ids.uid, gid: ids.gid } }),
      chown: (file) => fs.chownSync(file, ids.uid, ids.gid),
    };
  }
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((file) => fs.existsSync(file));
  if (!setpriv) {
    throw new EmbeddedStoreError(
      `DATA_DIR ${dataDir} lies under a folder that the account "${ACCOUNT_NAME}" may not enter, and setpriv ` +
        '(util-linux) is not installed to let PostgreSQL reach it: install util-linux, or choose a DATA_DIR outside a private home',
    );
  }
  const grant = ['--reuid', String(ids.uid), '--regid', String(ids.gid), '--clear-groups', '--inh-caps=+dac_read_search', '--ambient-caps=+dac_read_search'];
  return {
    binaries: mirrored,
    command: (file, args, options = {}) => ({ file: setpriv, args: [...grant, '--', file, ...args], options }),
    chown: (file) => fs.chownSync(file, ids.uid, ids.gid),
  };
}

/** Runs a binary as the account to its end; throws with what it printed when it fails. */
export function runToEnd(runner: Runner, binary: string, args: string[]): void {
  const { file, args: argv, options } = runner.command(binary, args);
  const result = spawnSync(file, argv, { ...options, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() || String(result.error ?? `exit ${result.status}`);
    throw new EmbeddedStoreError(`${path.basename(binary)} failed: ${output}`);
  }
}
