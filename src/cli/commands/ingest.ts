// socd ingest [--source NAME] [--file PATH]: run sources now, or load one file as a source,
// with a progress bar on a terminal and a summary at the end.
import fs from 'node:fs';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { runSource, type RunSummary } from '../../ingest/pipeline.js';
import { syncSourceCatalogue } from '../../ingest/setup.js';
import { findSource, listSources } from '../../store/sources.js';
import { refreshStats } from '../../store/stats.js';
import { CliError, printJson, withStore } from '../context.js';

function summaryLine(s: RunSummary): string {
  const ms = s.finishedAt.getTime() - s.startedAt.getTime();
  if (s.outcome === 'failed') return `${s.source}: FAILED after ${ms} ms: ${s.error}`;
  if (s.outcome === 'skipped') return `${s.source}: skipped (another run of it is in progress)`;
  if (s.outcome === 'not_modified') return `${s.source}: not modified since the last run (${ms} ms)`;
  return (
    `${s.source}: read ${s.fetched ?? 0} rows/items; IOCs ${s.new ?? 0} new, ${s.updated ?? 0} updated, ` +
    `${s.suppressed ?? 0} on a warning list, ${s.rejected ?? 0} rejected` +
    `${s.articles ? `; ${s.articles} new articles` : ''} (${ms} ms; health ${s.health})`
  );
}

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .description('run sources now (all enabled ones, or --source), or load --file as a source')
    .option('--source <name>', 'only this source')
    .option('--file <path>', 'parse this file as the source given by --source, instead of fetching it')
    .option('--json', 'print the summaries as JSON')
    .action(async (options: { source?: string; file?: string; json?: boolean }) => {
      if (options.file && !options.source) throw new CliError('--file needs --source: which source (and so which format) it is');
      let body: string | undefined;
      if (options.file) {
        try {
          body = fs.readFileSync(options.file === '-' ? 0 : options.file, 'utf8');
        } catch (error) {
          throw new CliError(`cannot read ${options.file}: ${(error as Error).message}`);
        }
      }
      const interactive = process.stderr.isTTY && !options.json;
      const summaries = await withStore('socd ingest', async (db) => {
        await syncSourceCatalogue(db);
        const sources = options.source
          ? [await findSource(db, options.source)]
          : (await listSources(db)).filter((s) => s.enabled && s.kind !== 'import');
        if (options.source && sources[0] === undefined) throw new CliError(`no source named "${options.source}" (see socd sources list)`);
        if (sources.length === 0 && !options.json) process.stdout.write('No source is enabled (see socd sources list and enable).\n');
        if (sources[0]?.kind === 'import') {
          throw new CliError(`"${sources[0].name}" holds imported lists, not a feed: nothing to fetch or parse (add to it with socd import)`);
        }
        const results: RunSummary[] = [];
        for (const source of sources as NonNullable<(typeof sources)[number]>[]) {
          const bar = interactive ? new SingleBar({ format: `${source.name.padEnd(30)} {phase} [{bar}] {value}/{total}`, hideCursor: true }) : undefined;
          bar?.start(1, 0, { phase: 'fetch   ' });
          const summary = await runSource(db, source, {
            body,
            scheduled: body === undefined,
            onProgress: (phase, done, total) => {
              bar?.setTotal(Math.max(total, 1));
              bar?.update(done, { phase: phase.padEnd(8) });
            },
          });
          bar?.stop();
          results.push(summary);
          if (!options.json) process.stdout.write(summaryLine(summary) + '\n');
          if (!options.json && summary.rejectedSamples?.length) {
            for (const r of summary.rejectedSamples.slice(0, 5)) process.stdout.write(`    rejected at ${r.at}: ${JSON.stringify(r.value)}: ${r.reason}\n`);
          }
        }
        // What came in shows in the stats at once.
        if (results.some((r) => (r.new ?? 0) + (r.updated ?? 0) > 0)) await refreshStats(db);
        return results;
      });
      if (options.json) printJson(summaries);
      if (summaries.some((s) => s.outcome === 'failed')) process.exitCode = 1;
    });
}
