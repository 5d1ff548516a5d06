// Brings the stored catalogue in line with the reviewed file; every command that runs or lists
// sources calls it first.
import type { Db } from '../store/db.js';
import { seedSourceLifetime } from '../store/lifecycle.js';
import { findSource, syncCatalogue } from '../store/sources.js';
import { readCatalogue } from './catalogue.js';

export async function syncSourceCatalogue(db: Db): Promise<void> {
  const specs = readCatalogue();
  await syncCatalogue(db, specs);
  // A feed that publishes its own validity: its lifetime, unless an admin has set another.
  for (const spec of specs) {
    if (!spec.lifetime) continue;
    const source = await findSource(db, spec.name);
    if (source) await seedSourceLifetime(db, source.id, spec.lifetime.days, spec.lifetime.reason);
  }
}
