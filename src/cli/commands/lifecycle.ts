// socd lifetimes [list|set|unset], socd revoke|restore, socd allowlist [list|add|remove] and
// socd expire: the IOC lifecycle for the operator (store/lifecycle.ts), as /api/v1/lifetimes,
// /api/v1/iocs/revoke|restore and /api/v1/allowlist do over HTTP. They work while the service
// runs: the next publisher run (the scheduler's, or the one these commands start) applies them.
import os from 'node:os';
import type { Command } from 'commander';
import { expireAndPublish, publishStixVersions } from '../../ingest/publish.js';
import { IOC_TYPES, parseIoc, resolveIocType, type IocType, type NormalizedIoc } from '../../ioc/index.js';
import type { Db } from '../../store/db.js';
import {
  deleteLifetime,
  readAllowList,
  readLifetimes,
  setAllowListed,
  setLifetime,
  setRevoked,
  type LifetimeRow,
} from '../../store/lifecycle.js';
import { findSource, type SourceRow } from '../../store/sources.js';
import { CliError, printJson, withStore } from '../context.js';

/** Who changed it, as the lifetimes and withdrawals record it. */
function operator(): string {
  try {
    return `socd (${os.userInfo().username})`;
  } catch {
    // No entry for this uid (some containers).
    return 'socd';
  }
}

/** `<days|never>`: whole days from 1 to 36,500, or never (null). */
function parseDays(option: string, text: string): number | null {
  if (text === 'never') return null;
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 36_500) {
    throw new CliError(`${option}: "${text}" is not a number of days (1 to 36500) or never`);
  }
  return Number(text);
}

function parseType(text: string): IocType {
  const type = resolveIocType(text);
  if (!type) throw new CliError(`unknown IOC type "${text}"; types: ${IOC_TYPES.join(', ')}`);
  return type;
}

function parseValue(text: string, type?: string): NormalizedIoc {
  const parsed = parseIoc(text, type === undefined ? undefined : parseType(type));
  if (!parsed.ok) throw new CliError(`"${text}" is not an IOC: ${parsed.reason}`);
  return parsed.ioc;
}

function reasonOf(text: string): string {
  if (text.trim() === '') throw new CliError('--reason: give a reason that is not blank');
  return text.trim();
}

async function sourceNamed(db: Db, name: string): Promise<SourceRow> {
  const source = await findSource(db, name);
  if (!source) throw new CliError(`no source named "${name}" (see socd sources list)`);
  return source;
}

const days = (n: number | null) => (n === null ? 'never' : `${n} days`);

/** The reason, and who set it unless it is the shipped default. */
const why = (row: LifetimeRow) => (row.updated_by === 'default' ? row.reason : `${row.reason} (set by ${row.updated_by}, ${row.updated_at})`);

function printLifetimes(rows: LifetimeRow[]): void {
  const out = process.stdout;
  out.write(`${'TYPE'.padEnd(13)}${'LIFETIME'.padEnd(11)}${'HALF-LIFE'.padEnd(11)}REASON\n`);
  for (const row of rows.filter((r) => r.source === null)) {
    out.write(`${row.type!.padEnd(13)}${days(row.lifetime_days).padEnd(11)}${days(row.half_life_days).padEnd(11)}${why(row)}\n`);
  }
  const overrides = rows.filter((r) => r.source !== null);
  if (overrides.length === 0) return void out.write('\nNo source overrides.\n');
  const width = Math.max(...overrides.map((row) => row.source!.length)) + 2;
  out.write(`\n${'SOURCE'.padEnd(width)}${'TYPE'.padEnd(13)}${'LIFETIME'.padEnd(11)}REASON\n`);
  for (const row of overrides) {
    out.write(`${row.source!.padEnd(width)}${(row.type ?? '*').padEnd(13)}${days(row.lifetime_days).padEnd(11)}${why(row)}\n`);
  }
}

export function registerLifecycle(program: Command): void {
  const lifetimes = program.command('lifetimes').description('how long IOCs stay listed after a source last reported them (also GET/PUT /api/v1/lifetimes)');

  lifetimes
    .command('list', { isDefault: true })
    .description("each type's lifetime and half-life, and the sources' overrides, with their reasons")
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const rows = await withStore('socd lifetimes', (db) => readLifetimes(db));
      if (options.json) return printJson(rows);
      printLifetimes(rows);
    });

  lifetimes
    .command('set')
    .description("set a type's lifetime, or a source's (--source; * for every type of it)")
    .argument('<type>', 'an IOC type, or * (with --source) for every type')
    .argument('<days>', 'days after the last report, or never')
    .requiredOption('--reason <text>', 'why: shown beside the lifetime')
    .option('--source <name>', 'an override for this source')
    .option('--half-life <days>', "the lookup's risk score half-life (a type's default only): days or never")
    .action(async (typeText: string, daysText: string, options: { reason: string; source?: string; halfLife?: string }) => {
      const type = typeText === '*' ? null : parseType(typeText);
      if (type === null && options.source === undefined) throw new CliError('* (every type) is for a source: give --source');
      if (options.halfLife !== undefined && options.source !== undefined) throw new CliError("--half-life is a type's default: give it without --source");
      const lifetimeDays = parseDays('<days>', daysText);
      const halfLifeDays = options.halfLife === undefined ? undefined : parseDays('--half-life', options.halfLife);
      const reason = reasonOf(options.reason);
      await withStore('socd lifetimes set', async (db) => {
        const source = options.source === undefined ? null : await sourceNamed(db, options.source);
        await setLifetime(db, { sourceId: source?.id ?? null, type, lifetimeDays, halfLifeDays, reason, by: operator() });
        // The publisher applies it: new STIX versions, what a lifetime change expires or brings back.
        await publishStixVersions(db);
        const scope = source ? `${source.name}, ${type ?? 'every type'}` : type!;
        process.stdout.write(`Lifetime of ${scope}: ${days(lifetimeDays)}. The values it covers are up to date.\n`);
      });
    });

  lifetimes
    .command('unset')
    .description("remove a source's override (a type's lifetime cannot be removed: set it)")
    .requiredOption('--source <name>', 'the source')
    .option('--type <type>', 'its override for this type (default: its override for every type)')
    .action(async (options: { source: string; type?: string }) => {
      const type = options.type === undefined ? null : parseType(options.type);
      await withStore('socd lifetimes unset', async (db) => {
        const source = await sourceNamed(db, options.source);
        if (!(await deleteLifetime(db, source.id, type))) throw new CliError(`${source.name} has no lifetime of its own for ${type ?? 'every type'}`);
        // The publisher applies it: new STIX versions, what a lifetime change expires or brings back.
        await publishStixVersions(db);
        process.stdout.write(`Removed the lifetime of ${source.name}, ${type ?? 'every type'}: its values follow the types' lifetimes.\n`);
      });
    });

  for (const [command, revoked] of [
    ['revoke', true],
    ['restore', false],
  ] as const) {
    program
      .command(command)
      .description(revoked ? 'revoke an indicator: it leaves every list, and re-ingesting it does not bring it back' : 'undo a revocation')
      .argument('<value>', 'the IOC value (defanged is fine)')
      .requiredOption('--reason <text>', 'why: shown on search and lookup, and in the changes feed')
      .option('--type <type>', 'the IOC type, when the value alone is ambiguous')
      .action(async (value: string, options: { reason: string; type?: string }) => {
        const ioc = parseValue(value, options.type);
        const reason = reasonOf(options.reason);
        await withStore(`socd ${command}`, async (db) => {
          const result = await setRevoked(db, ioc, { revoked, reason, by: operator() }, new Date());
          if (!result) throw new CliError(`no ${ioc.type} ${ioc.value} is stored`);
          if (result.allowListed) throw new CliError(`${ioc.value} is on the allow-list: remove it (socd allowlist remove ${ioc.value}) to restore it`);
          if (!result.changed) return void process.stdout.write(`${ioc.value} already was ${revoked ? 'revoked' : 'not revoked'}.\n`);
          await publishStixVersions(db);
          process.stdout.write(`${revoked ? 'Revoked' : 'Restored'} ${ioc.type} ${ioc.value}.\n`);
        });
      });
  }

  const allowlist = program.command('allowlist').description('values that are never listed, whoever reports them (also /api/v1/allowlist)');

  allowlist
    .command('list', { isDefault: true })
    .description('the allow-list, newest first')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const rows = await withStore('socd allowlist', (db) => readAllowList(db));
      if (options.json) return printJson(rows);
      if (rows.length === 0) return void process.stdout.write('The allow-list is empty.\n');
      for (const row of rows) process.stdout.write(`${row.type.padEnd(13)}${row.value}  added ${row.added_at} by ${row.added_by}: ${row.reason}\n`);
    });

  allowlist
    .command('add')
    .description('add a value: a stored indicator is revoked now, a new one is stored revoked')
    .argument('<value>', 'the IOC value (defanged is fine)')
    .requiredOption('--reason <text>', 'why it must never be listed')
    .option('--type <type>', 'the IOC type, when the value alone is ambiguous')
    .action(async (value: string, options: { reason: string; type?: string }) => {
      const ioc = parseValue(value, options.type);
      const reason = reasonOf(options.reason);
      await withStore('socd allowlist add', async (db) => {
        if (!(await setAllowListed(db, ioc, { listed: true, reason, by: operator() }, new Date()))) {
          return void process.stdout.write(`${ioc.value} already is on the allow-list.\n`);
        }
        await publishStixVersions(db);
        process.stdout.write(`Added ${ioc.type} ${ioc.value} to the allow-list.\n`);
      });
    });

  allowlist
    .command('remove')
    .description('remove a value: the indicator the allow-list revoked is restored')
    .argument('<value>', 'the IOC value (defanged is fine)')
    .option('--reason <text>', 'why (the restored event carries it)', 'removed from the allow-list')
    .option('--type <type>', 'the IOC type, when the value alone is ambiguous')
    .action(async (value: string, options: { reason: string; type?: string }) => {
      const ioc = parseValue(value, options.type);
      const reason = reasonOf(options.reason);
      await withStore('socd allowlist remove', async (db) => {
        if (!(await setAllowListed(db, ioc, { listed: false, reason, by: operator() }, new Date()))) {
          throw new CliError(`${ioc.value} is not on the allow-list`);
        }
        await publishStixVersions(db);
        process.stdout.write(`Removed ${ioc.type} ${ioc.value} from the allow-list.\n`);
      });
    });

  program
    .command('expire')
    .description('run the expiry sweep now: values whose lifetime has ended leave the lists (the scheduler runs it too)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const { swept, retention } = await withStore('socd expire', async (db, config) => ({
        swept: await expireAndPublish(db, new Date(), config.changesRetentionDays),
        retention: config.changesRetentionDays,
      }));
      if (options.json) return printJson({ ...swept, retention_days: retention });
      process.stdout.write(
        `Checked ${swept.checked} indicators: ${swept.expired} expired, ${swept.added} added, ${swept.updated} updated.\n` +
          `Pruned ${swept.pruned} events older than ${retention} days from the changes feed. Published ${swept.versions} STIX versions.\n`,
      );
    });
}
