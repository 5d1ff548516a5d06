// socd keys create|list|revoke
import type { Command } from 'commander';
import { createApiKey, KeyError, listApiKeys, revokeApiKey } from '../../store/keys.js';
import { CliError, printJson, withStore } from '../context.js';

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('manage API keys');

  keys
    .command('create')
    .description('create an API key; it is printed once and only its hash is stored')
    .requiredOption('--tier <tier>', 'free or pro')
    .option('--name <name>', 'a name to recognise the key by', 'unnamed')
    .option('--scopes <scopes>', 'comma-separated scopes (default: every scope of the tier)')
    .option('--json', 'print JSON')
    .action(async (options: { tier: string; name: string; scopes?: string; json?: boolean }) => {
      const scopes = options.scopes?.split(',').map((s) => s.trim()).filter(Boolean);
      const { key, info } = await withStore('socd keys create', async (db) => {
        try {
          return await createApiKey(db, { name: options.name, tier: options.tier, scopes });
        } catch (error) {
          if (error instanceof KeyError) throw new CliError(error.message);
          throw error;
        }
      });
      if (options.json) return printJson({ ...info, key });
      process.stdout.write(
        `Created key ${info.id} "${info.name}" (tier ${info.tier}; scopes ${info.scopes.join(', ')}):\n\n` +
          `    ${key}\n\nStore it now: it is not shown again.\n`,
      );
    });

  keys
    .command('list')
    .description('list API keys (never the keys themselves)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const all = await withStore('socd keys list', (db) => listApiKeys(db));
      if (options.json) return printJson(all);
      if (all.length === 0) return void process.stdout.write('No keys.\n');
      for (const k of all) {
        const state = k.revoked_at ? `revoked ${k.revoked_at.toISOString()}` : 'active';
        const used = k.last_used_at ? k.last_used_at.toISOString() : 'never';
        process.stdout.write(
          `${k.id}  ${k.prefix}…  ${k.name}  tier=${k.tier}  scopes=${k.scopes.join(',')}  ${state}  last used ${used}\n`,
        );
      }
    });

  keys
    .command('revoke')
    .description('revoke an API key by id')
    .argument('<id>', 'the key id (see keys list)')
    .action(async (id: string) => {
      const revoked = await withStore('socd keys revoke', (db) => revokeApiKey(db, id));
      if (!revoked) throw new CliError(`no active key with id ${id}`);
      process.stdout.write(`Revoked ${id}.\n`);
    });
}
