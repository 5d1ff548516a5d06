// The dashboard built from web/, and one embedded PostgreSQL for the whole suite, started as the
// product starts it (in a DATA_DIR of its own): each suite then works in a database of its own
// on it, as on an external server.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildWeb } from '../scripts/build-web.js';
import { useEmbeddedServer } from '../src/store/embedded/server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The embedded test server's connection string (the superuser, database postgres). */
    embeddedUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The dashboard's suites test web/ as it is, not an older build; built once, before any of
  // them serves it.
  await buildWeb();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'socd-test-server-'));
  const server = await useEmbeddedServer(dataDir, 'tests');
  project.provide('embeddedUrl', server.url);
  return async () => {
    await server.release();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
}
