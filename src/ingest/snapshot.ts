// The bundled snapshot of public feed samples (snapshot/), loaded on the first start of an
// empty embedded database through the same parsers and pipeline as the live feeds.
import fs from 'node:fs';
import type { Db } from '../store/db.js';
import { findSource } from '../store/sources.js';
import { runSource, type RunSummary } from './pipeline.js';

// The folder stays at the repository's root: from src/ingest/ and dist/ingest/ alike.
const SNAPSHOT_DIR = new URL('../../snapshot/', import.meta.url);

/** Snapshot file → the catalogue source it belongs to. */
export const SNAPSHOT_FILES: Record<string, string> = {
  'urlhaus.csv': 'URLhaus',
  'feodotracker.json': 'Feodo Tracker',
  'threatfox.json': 'ThreatFox',
  'cisa-kev.json': 'CISA KEV',
  'cisa-advisories.xml': 'CISA Cybersecurity Advisories',
};

export async function isStoreEmpty(db: Db): Promise<boolean> {
  return (await db.query('select 1 from sightings limit 1')).length === 0;
}

/** Loads every snapshot file as a run of its source (not counted as the source's scheduled run). */
export async function loadSnapshot(db: Db): Promise<RunSummary[]> {
  const summaries: RunSummary[] = [];
  for (const [file, name] of Object.entries(SNAPSHOT_FILES)) {
    const source = await findSource(db, name);
    if (!source) continue;
    const body = fs.readFileSync(new URL(file, SNAPSHOT_DIR), 'utf8');
    summaries.push(await runSource(db, source, { body, fetchArticlePages: false, scheduled: false }));
  }
  return summaries;
}
