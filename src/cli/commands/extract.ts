// socd extract FILE: the IOCs of an article (plain text or HTML), one JSON object a line; with
// --all, also its references and the values held back, each with its reason.
// Needs no database: it runs the extractor only.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { extractIocs, isHtml, type ExtractedIoc, type HeldValue } from '../../extract/index.js';
import { CONFIDENCES, type Confidence } from '../../ioc/types.js';
import { CliError } from '../context.js';

/** What a file's extension declares, as a server's Content-Type would: the same rule then decides. */
const MEDIA_TYPE_OF_EXTENSION: Readonly<Record<string, string>> = {
  '.html': 'text/html',
  '.htm': 'text/html',
  '.xhtml': 'application/xhtml+xml',
  '.txt': 'text/plain',
  '.text': 'text/plain',
  '.md': 'text/markdown',
};
const RANK: Readonly<Record<Confidence, number>> = { low: 0, medium: 1, high: 2 };

export interface ExtractCommandOptions {
  url?: string;
  title?: string;
  html?: boolean;
  text?: boolean;
  minConfidence?: string;
  all?: boolean;
}

/**
 * HTML or text by the rule ingestion follows (src/extract/is-html.ts): `--html` / `--text`, else
 * the extension, declare a media type; without one (`-`, no known extension) the content is sniffed.
 */
export function isHtmlInput(file: string, content: string, options: ExtractCommandOptions): boolean {
  const declared = options.html ? 'text/html' : options.text ? 'text/plain' : MEDIA_TYPE_OF_EXTENSION[path.extname(file).toLowerCase()];
  return isHtml(content, declared);
}

/** The line printed for one IOC: the fields of the brief, in a fixed order. */
export function formatIocLine(ioc: ExtractedIoc): string {
  return JSON.stringify({ type: ioc.type, value: ioc.value, confidence: ioc.confidence, context: ioc.context, reasons: ioc.reasons });
}

/** The line printed for a value that is not an IOC (`--all`): a reference of the article, or held back. */
export function formatHeldLine(value: HeldValue, kind: 'reference' | 'suppressed'): string {
  return JSON.stringify({ type: value.type, value: value.value, [kind]: true, reason: value.reason, context: value.context });
}

function readInput(file: string): string {
  try {
    return fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
  }
}

export function registerExtract(program: Command): void {
  program
    .command('extract')
    .description('extract the IOCs of an article (plain text or HTML; - for stdin): one JSON object a line')
    .argument('<file>', 'the article to read, or - for standard input')
    .option('--url <url>', "the article's own address: it and its site are not reported")
    .option('--title <title>', "the article's title (evidence for industries and tags)")
    .option('--html', 'read the input as HTML whatever its name')
    .option('--text', 'read the input as plain text whatever its name')
    .option('--min-confidence <level>', `print only IOCs of at least this confidence: ${CONFIDENCES.join(', ')} (default low: all)`)
    .option('--all', "also print what is not an IOC, for debugging: the article's references and the values held back, each with its reason")
    .action((file: string, options: ExtractCommandOptions) => {
      if (options.html && options.text) throw new CliError('--html and --text exclude each other');
      const minimum = options.minConfidence ?? 'low';
      if (!(CONFIDENCES as readonly string[]).includes(minimum)) {
        throw new CliError(`--min-confidence must be one of ${CONFIDENCES.join(', ')}, not "${minimum}"`);
      }
      const content = readInput(file);
      const extraction = extractIocs(content, {
        html: isHtmlInput(file, content, options),
        ...(options.url === undefined ? {} : { articleUrl: options.url }),
        ...(options.title === undefined ? {} : { title: options.title }),
      });
      const lines = extraction.iocs
        .filter((ioc) => RANK[ioc.confidence] >= RANK[minimum as Confidence])
        .map((ioc) => `${formatIocLine(ioc)}\n`);
      if (options.all) {
        lines.push(...extraction.references.map((value) => `${formatHeldLine(value, 'reference')}\n`));
        lines.push(...extraction.suppressed.map((value) => `${formatHeldLine(value, 'suppressed')}\n`));
      }
      process.stdout.write(lines.join(''));
    });
}
