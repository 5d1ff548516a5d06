// The export formats: one file each, one line here. The list endpoint's `format` values, their
// documentation and the permissions they need all derive from this registry.
import { cefExporter } from './cef.js';
import { csvExporter } from './csv.js';
import type { AnyExporter } from './exporter.js';
import { jsonExporter } from './json.js';
import { mispExporter } from './misp.js';
import { openIocExporter } from './openioc.js';
import { sigmaExporter } from './sigma.js';
import { stixExporter } from './stix.js';
import { txtExporter } from './txt.js';

export type { AnyExporter, ExportContext, Exporter, ExportWriter, PageEnd, Reads, ReadItems } from './exporter.js';

const REGISTRY = [jsonExporter, csvExporter, txtExporter, cefExporter, openIocExporter, mispExporter, stixExporter, sigmaExporter] as const;
export const EXPORTERS: readonly AnyExporter[] = REGISTRY;

export type ListFormat = Extract<(typeof REGISTRY)[number], { listed: true }>['format'];

/** The formats of the list endpoint, json first (its default). */
export const LIST_FORMATS = EXPORTERS.filter((e) => e.listed).map((e) => e.format as ListFormat);

export function exporterFor(format: string): AnyExporter | undefined {
  return EXPORTERS.find((e) => e.format === format);
}

/** The `format` parameter's documentation: each listed format's sentence. */
export const LIST_FORMATS_DESCRIPTION = EXPORTERS.filter((e) => e.listed)
  .map((e) => `\`${e.format}\`: ${e.description}`)
  .join(' ');
