// `socd import`: an operator's own IOC list into the store, all of it in one transaction.
import type { Category, Confidence } from '../ioc/types.js';
import { warningFor } from '../ioc/warninglist.js';
import type { Db } from '../store/db.js';
import { upsertRecords, type NewRecord } from '../store/iocs.js';
import { ensureImportSource } from '../store/sources.js';
import { refreshStats } from '../store/stats.js';
import { parseIocList, type ParsedList, type RejectedRow } from './parsers/ioc-list.js';

export interface ImportOptions {
  /** Overrides the source each row names; default "import". */
  source?: string;
  /** Overrides the category each row names; default threat-intel. */
  category?: Category;
  /** For rows that carry none (bare values); default medium. */
  confidence?: Confidence;
  now?: Date;
}

export interface ImportSummary {
  format: ParsedList['format'];
  read: number;
  inserted: number;
  updated: number;
  /** Values on the warning list (benign or reserved), stored below high confidence. */
  suppressed: number;
  rejected: RejectedRow[];
  sources: string[];
}

const BATCH = 5000;

export async function importIocList(db: Db, text: string, options: ImportOptions = {}): Promise<ImportSummary> {
  const parsed = parseIocList(text);
  const now = options.now ?? new Date();
  // Group by the source each row goes to: the --source given, or the one the row names.
  const groups = new Map<string, { category: Category; records: NewRecord[] }>();
  for (const row of parsed.rows) {
    const name = options.source ?? row.sourceName ?? 'import';
    const category = options.category ?? row.category ?? 'threat-intel';
    let group = groups.get(name);
    if (!group) groups.set(name, (group = { category, records: [] }));
    group.records.push({
      ioc: row.ioc,
      confidence: row.confidence ?? options.confidence ?? 'medium',
      firstSeen: row.firstSeen ?? row.lastSeen ?? now,
      lastSeen: row.lastSeen ?? row.firstSeen ?? now,
      context: row.context,
      tags: row.tags,
      mitreTechniques: row.mitreTechniques,
      // As for feed records (pipeline.ts): a benign or reserved value is never high confidence.
      suppressedReason: warningFor(row.ioc.type, row.ioc.normalized) ?? null,
    });
  }
  const counts = await db.transaction(async (tx) => {
    let inserted = 0;
    let updated = 0;
    for (const [name, group] of groups) {
      const source = await ensureImportSource(tx, name, group.category);
      for (let i = 0; i < group.records.length; i += BATCH) {
        const result = await upsertRecords(tx, source, 'import', group.records.slice(i, i + BATCH));
        inserted += result.inserted;
        updated += result.updated;
      }
    }
    return { inserted, updated };
  });
  if (groups.size > 0) await refreshStats(db);
  return {
    format: parsed.format,
    read: parsed.rows.length + parsed.rejected.length,
    ...counts,
    suppressed: [...groups.values()].reduce((n, group) => n + group.records.filter((r) => r.suppressedReason).length, 0),
    rejected: parsed.rejected,
    sources: [...groups.keys()],
  };
}
