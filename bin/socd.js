#!/usr/bin/env node
// The `socd` command, from the build in dist/ (npm ci builds it; npm run build rebuilds it).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('socd: dist/ is missing; run `npm run build` first.\n');
  process.exit(1);
}
await import(entry.href);
