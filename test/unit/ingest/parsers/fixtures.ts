// Reads the real feed samples copied into test/fixtures/feeds/ (see test/fixtures/README.md).
import { readFileSync } from 'node:fs';

export function readFeed(name: string): string {
  return readFileSync(new URL(`../../../fixtures/feeds/${name}`, import.meta.url), 'utf8');
}

/** The text's lines (LF) with line `n` (1-based) replaced by `line`, or removed when undefined. */
export function replaceLine(text: string, n: number, line: string | undefined): string {
  const lines = text.split('\n');
  if (line === undefined) lines.splice(n - 1, 1);
  else lines[n - 1] = line;
  return lines.join('\n');
}

export function lineOf(text: string, n: number): string {
  return text.split('\n')[n - 1] ?? '';
}
