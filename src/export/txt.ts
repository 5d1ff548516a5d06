// Block-lists: one value a line, LF line ends, as firewalls and EDRs read them.
export function toTxtLines(values: string[]): string {
  return values.length === 0 ? '' : values.join('\n') + '\n';
}
