// socd keys create|list|revoke: the same rules and fields as /api/v1/keys (store/keys.ts), for the
// operator, who has no key to be limited by. They work while the service runs: a revocation
// reaches every running instance at once (the store notifies it).
import type { Command } from 'commander';
import { createApiKey, KeyError, listApiKeys, revokeApiKey, type ApiKeyInfo } from '../../store/keys.js';
import { CliError, printJson, withStore } from '../context.js';

const DURATION = /^(\d{1,6})([dhm])$/;
const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000 } as const;

/** `--expires`: a date (`2027-01-31`, midnight UTC), a time (ISO 8601 with its zone), or a duration from now (`90d`, `12h`, `30m`). */
export function parseExpiry(text: string, now = Date.now()): Date {
  const duration = DURATION.exec(text);
  if (duration) return new Date(now + Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS]);
  // A time without a zone would be read in this machine's: refused rather than guessed.
  const date = /^\d{4}-\d\d-\d\d$/.test(text)
    ? new Date(`${text}T00:00:00Z`)
    : /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/i.test(text)
      ? new Date(text)
      : undefined;
  if (date && !Number.isNaN(date.getTime())) return date;
  throw new CliError(`--expires: "${text}" is not a date (2027-01-31), a time with its zone (2027-01-31T12:00:00Z) or a duration (90d, 12h, 30m)`);
}

function describeKey(k: ApiKeyInfo, now = Date.now()): string {
  const state = k.revoked_at
    ? `revoked ${k.revoked_at.toISOString()}`
    : k.expires_at && k.expires_at.getTime() <= now
      ? `expired ${k.expires_at.toISOString()}`
      : 'active';
  const expires = k.expires_at ? k.expires_at.toISOString() : 'never';
  const used = k.last_used_at ? k.last_used_at.toISOString() : 'never';
  return (
    `${k.id}  ${k.prefix}…  ${k.name}  tier=${k.tier}  scopes=${k.scopes.join(',')}  admin=${k.admin ? 'yes' : 'no'}  ${state}  ` +
    `expires ${expires}  last used ${used}  requests today ${k.usage.today}, this month ${k.usage.month}`
  );
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('manage API keys (also over HTTP: /api/v1/keys, with an admin key)');

  keys
    .command('create')
    .description('create an API key; it is printed once and only its hash is stored')
    .requiredOption('--tier <tier>', 'free or pro')
    .option('--name <name>', 'a name to recognise the key by', 'unnamed')
    .option('--scopes <scopes>', 'comma-separated scopes (default: every scope of the tier; never admin)')
    .option('--admin', 'grant the admin scope: the key manages keys over HTTP')
    .option('--expires <when>', 'when the key stops working: a date (2027-01-31, UTC), a time with its zone, or a duration (90d, 12h, 30m)')
    .option('--json', 'print JSON')
    .action(async (options: { tier: string; name: string; scopes?: string; admin?: boolean; expires?: string; json?: boolean }) => {
      const scopes = options.scopes?.split(',').map((s) => s.trim()).filter(Boolean);
      const expiresAt = options.expires === undefined ? undefined : parseExpiry(options.expires);
      const { key, info } = await withStore('socd keys create', async (db) => {
        try {
          return await createApiKey(db, { name: options.name, tier: options.tier, scopes, admin: options.admin, expiresAt });
        } catch (error) {
          if (error instanceof KeyError) throw new CliError(error.message);
          throw error;
        }
      });
      if (options.json) return printJson({ ...info, key });
      const expires = info.expires_at ? `; expires ${info.expires_at.toISOString()}` : '';
      process.stdout.write(
        `Created key ${info.id} "${info.name}" (tier ${info.tier}; scopes ${info.scopes.join(', ')}${expires}):\n\n` +
          `    ${key}\n\nStore it now: it is not shown again.\n`,
      );
    });

  keys
    .command('list')
    .description('list API keys with their expiry and usage (never the keys themselves)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const all = await withStore('socd keys list', (db) => listApiKeys(db));
      if (options.json) return printJson(all);
      if (all.length === 0) return void process.stdout.write('No keys.\n');
      for (const k of all) process.stdout.write(`${describeKey(k)}\n`);
    });

  keys
    .command('revoke')
    .description('revoke an API key by id: every running instance refuses it at once')
    .argument('<id>', 'the key id (see keys list)')
    .option('--force', 'revoke it even if it is the last admin key that works')
    .action(async (id: string, options: { force?: boolean }) => {
      const revoked = await withStore('socd keys revoke', async (db) => {
        try {
          return await revokeApiKey(db, id, { force: options.force });
        } catch (error) {
          if (error instanceof KeyError) throw new CliError(error.message);
          throw error;
        }
      });
      if (!revoked) throw new CliError(`no active key with id ${id}`);
      process.stdout.write(`Revoked ${id}.\n`);
    });
}
