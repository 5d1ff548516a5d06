// What block-lists' ETags follow (api/conditional.ts): a counter that moves after every write
// of IOC data commits (migration 0009), and the oldest record of a window.
import type { Queryable } from './db.js';
import { keysetAt } from './iocs.js';

/** After a write commits: the counter that block-lists' ETags follow moves on. */
export async function noteDataChanged(db: Queryable): Promise<void> {
  await db.query("select nextval('socd_data_changes')");
}

/**
 * What a window of records from `since` on depends on, besides the query: where the change
 * counter stands (it moves after every write commits) and the oldest record still in the window
 * (it moves when records age out of a window that ends now).
 */
export async function windowState(db: Queryable, since: Date): Promise<string> {
  const [row] = await db.query<{ state: string }>(
    `select (select last_value::text || is_called::text from socd_data_changes) || '/' ||
       coalesce((select ${keysetAt('min(extracted_at)')} from sightings where extracted_at >= $1::timestamptz), '') as state`,
    [since],
  );
  return row?.state ?? '';
}
