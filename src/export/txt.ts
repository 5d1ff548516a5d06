// Block-lists: one value a line, LF line ends, as firewalls and EDRs read them.
import type { Exporter } from './exporter.js';

export function toTxtLines(values: string[]): string {
  return values.length === 0 ? '' : values.join('\n') + '\n';
}

export const txtExporter = {
  format: 'txt',
  mediaType: 'text/plain; charset=utf-8',
  scope: 'read:iocs',
  reads: 'values',
  listed: true,
  conditional: true,
  description: 'each distinct value once, one a line, for block-lists.',
  writer: () => ({ head: () => '', batch: toTxtLines, tail: () => '' }),
} as const satisfies Exporter<'values'>;
