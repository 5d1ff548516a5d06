// socd import FILE: an operator's own IOC list (CSV or JSON as the API exports them, or bare
// values one a line).
import fs from 'node:fs';
import type { Command } from 'commander';
import { importIocList } from '../../ingest/import-list.js';
import { ListFormatError } from '../../ingest/parsers/ioc-list.js';
import { CATEGORIES, CONFIDENCES, type Category, type Confidence } from '../../ioc/types.js';
import { SourceError } from '../../store/sources.js';
import { CliError, printJson, withStore } from '../context.js';

function oneOf<T extends string>(name: string, allowed: readonly T[], value: string | undefined): T | undefined {
  if (value !== undefined && !(allowed as readonly string[]).includes(value)) {
    throw new CliError(`--${name} must be one of ${allowed.join(', ')}, not "${value}"`);
  }
  return value as T | undefined;
}

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('import an IOC list: CSV or JSON as the API exports them, or bare values one a line (- for stdin)')
    .argument('<file>', 'the file to import')
    .option('--source <name>', 'the source the IOCs are filed under (default: as the file says, else "import")')
    .option('--category <category>', `source category: ${CATEGORIES.join(', ')} (default threat-intel)`)
    .option('--confidence <level>', `for values that carry none: ${CONFIDENCES.join(', ')} (default medium)`)
    .option('--json', 'print the summary as JSON')
    .action(async (file: string, options: { source?: string; category?: string; confidence?: string; json?: boolean }) => {
      const category = oneOf<Category>('category', CATEGORIES, options.category);
      const confidence = oneOf<Confidence>('confidence', CONFIDENCES, options.confidence);
      let text: string;
      try {
        text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
      } catch (error) {
        throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
      }
      const summary = await withStore('socd import', async (db) => {
        try {
          return await importIocList(db, text, { source: options.source, category, confidence });
        } catch (error) {
          if (error instanceof SourceError || error instanceof ListFormatError) throw new CliError(error.message);
          throw error;
        }
      });
      if (options.json) return printJson(summary);
      const out = process.stdout;
      out.write(`Read ${summary.read} ${summary.format === 'lines' ? 'lines' : `${summary.format} rows`} from ${file}.\n`);
      out.write(`Imported into ${summary.sources.join(', ') || '(nothing)'}: ${summary.inserted} new, ${summary.updated} updated.\n`);
      if (summary.suppressed > 0) {
        out.write(`${summary.suppressed} on the warning list of benign or reserved values: stored at low confidence.\n`);
      }
      if (summary.unlinked > 0) {
        out.write(`${summary.unlinked} name an article that is another source's in this store: stored without it.\n`);
      }
      if (summary.rejected.length > 0) {
        out.write(`Skipped ${summary.rejected.length} that are not IOCs:\n`);
        for (const r of summary.rejected) out.write(`  line ${r.at}: ${JSON.stringify(r.value)}: ${r.reason}\n`);
      }
    });
}
