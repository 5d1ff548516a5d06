// Brings the stored catalogue in line with the reviewed file; every command that runs or lists
// sources calls it first.
import type { Db } from '../store/db.js';
import { syncCatalogue } from '../store/sources.js';
import { readCatalogue } from './catalogue.js';

export async function syncSourceCatalogue(db: Db): Promise<void> {
  await syncCatalogue(db, readCatalogue());
}
