// socd sources list|enable|disable|add
import type { Command } from 'commander';
import { CatalogueError, checkSourceSpec } from '../../ingest/catalogue.js';
import { syncSourceCatalogue } from '../../ingest/setup.js';
import { describeSource } from '../../ingest/source-status.js';
import { addSource, findSource, listSourceStatus, setSourceEnabled, SourceError, type SourceStatus } from '../../store/sources.js';
import { CliError, printJson, withStore } from '../context.js';

function line(s: SourceStatus): string {
  const state = s.enabled ? s.health : 'disabled';
  const run = s.last_run
    ? `last run ${s.last_run.started_at.toISOString()} ${s.last_run.outcome} (+${s.last_run.new} new, ${s.last_run.updated} updated, ${s.last_run.rejected} rejected)`
    : 'never run';
  const reason = s.health_reason && s.enabled ? ` — ${s.health_reason}` : '';
  return `${s.name.padEnd(36)} ${s.kind.padEnd(15)} ${s.category.padEnd(12)} ${state.padEnd(9)} ${run}${reason}`;
}

export function registerSources(program: Command): void {
  const sources = program.command('sources').description('the source catalogue: feeds and article sites');

  sources
    .command('list')
    .description('list the sources with their health')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const all = await withStore('socd sources list', async (db) => {
        await syncSourceCatalogue(db);
        return listSourceStatus(db);
      });
      if (options.json) return printJson(all.map((s) => describeSource(s)));
      for (const s of all) process.stdout.write(line(s) + '\n');
    });

  for (const [command, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    sources
      .command(command)
      .description(`${command} a source by name`)
      .argument('<name>', 'the source name (see sources list)')
      .action(async (name: string) => {
        const source = await withStore(`socd sources ${command}`, async (db) => {
          await syncSourceCatalogue(db);
          return setSourceEnabled(db, name, enabled);
        });
        if (!source) throw new CliError(`no source named "${name}" (see socd sources list)`);
        process.stdout.write(`${source.name} ${enabled ? 'enabled' : 'disabled'}.\n`);
      });
  }

  sources
    .command('add')
    .description('add a source of your own')
    .requiredOption('--name <name>', 'a unique name')
    .requiredOption('--kind <kind>', 'the feed format: urlhaus-csv, urlhaus-hostfile, feodo-json, feodo-csv, threatfox-json, cisa-kev, rss')
    .requiredOption('--url <url>', 'where to fetch it')
    .requiredOption('--category <category>', 'news, research, threat-intel, vendor or government')
    .option('--interval <duration>', 'how often to fetch it (e.g. 30m, 6h)', '1h')
    .option('--stale-after <duration>', 'degraded when nothing new for this long')
    .option('--auth-header <header>', 'a header carrying a credential (e.g. Auth-Key)')
    .option('--auth-env <variable>', 'the environment variable holding that credential')
    .action(async (options: Record<string, string | undefined>) => {
      let spec;
      try {
        spec = checkSourceSpec({
          name: options.name,
          kind: options.kind,
          url: options.url,
          category: options.category,
          interval: options.interval,
          stale_after: options.staleAfter,
          auth: options.authHeader || options.authEnv ? { header: options.authHeader, env: options.authEnv } : undefined,
        });
      } catch (error) {
        if (error instanceof CatalogueError) throw new CliError(error.message);
        throw error;
      }
      const source = await withStore('socd sources add', async (db) => {
        // The catalogue first, so that a name of it is taken even on a new store; and names
        // are told apart regardless of case, as enable, disable and ingest find them.
        await syncSourceCatalogue(db);
        const existing = await findSource(db, spec.name);
        if (existing) throw new CliError(`a source named "${existing.name}" already exists`);
        try {
          return await addSource(db, spec);
        } catch (error) {
          if (error instanceof SourceError) throw new CliError(error.message);
          throw error;
        }
      });
      process.stdout.write(`Added ${source.name} (${source.kind}, ${source.category}, every ${source.interval_seconds} s).\n`);
    });
}
