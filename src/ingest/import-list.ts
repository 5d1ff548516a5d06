// `socd import`: an operator's own IOC list into the store, all of it in one transaction.
import type { Category, Confidence, Origin } from '../ioc/types.js';
import { warningFor } from '../ioc/warninglist.js';
import { linkableArticles } from '../store/articles.js';
import type { Db } from '../store/db.js';
import { upsertRecords, type NewRecord } from '../store/upsert.js';
import { ensureImportSource } from '../store/sources.js';
import { refreshStats } from '../store/stats.js';
import { publishChanges } from './publish.js';
import { rejectNul } from './nul.js';
import { parseIocList, type ListRow, type ParsedList, type RejectedRow } from './parsers/ioc-list.js';

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
  /** Records naming an article that is another source's in this store: stored without the link. */
  unlinked: number;
  rejected: RejectedRow[];
  sources: string[];
}

const BATCH = 5000;

export async function importIocList(db: Db, text: string, options: ImportOptions = {}): Promise<ImportSummary> {
  const parsed = parseIocList(text);
  const rows = rejectNul(parsed.rows, (row, i) => ({ at: i + 1, value: row.ioc.value }));
  const now = options.now ?? new Date();
  // Group by the source each row goes to: the --source given, or the one the row names.
  const groups = new Map<string, { category: Category; rows: ListRow[] }>();
  for (const row of rows.kept) {
    const name = options.source ?? row.sourceName ?? 'import';
    let group = groups.get(name);
    if (!group) groups.set(name, (group = { category: options.category ?? row.category ?? 'threat-intel', rows: [] }));
    group.rows.push(row);
  }
  const counts = await db.transaction(async (tx) => {
    const tally = { inserted: 0, updated: 0, suppressed: 0, unlinked: 0 };
    for (const [name, group] of groups) {
      const source = await ensureImportSource(tx, name, group.category);
      const articles = await linkableArticles(tx, source.id, group.rows.flatMap((row) => (row.article ? [row.article] : [])));
      // One upsert a batch of one origin: what the export said. An article is kept even when the
      // list gives its id alone (a CSV), so records that share it stay related; a record whose
      // article is another source's is kept without it, as the operator's own.
      const byOrigin = new Map<Origin, NewRecord[]>();
      for (const row of group.rows) {
        const articleId = row.article && articles.has(row.article.id) ? row.article.id : null;
        if (row.article && !articleId) tally.unlinked++;
        const origin = articleId ? 'article' : row.origin === 'article' ? 'import' : (row.origin ?? 'import');
        // As for feed records (pipeline.ts): a benign or reserved value is never high confidence.
        const suppressedReason = warningFor(row.ioc.type, row.ioc.normalized) ?? null;
        if (suppressedReason) tally.suppressed++;
        let batch = byOrigin.get(origin);
        if (!batch) byOrigin.set(origin, (batch = []));
        batch.push({
          ioc: row.ioc,
          confidence: row.confidence ?? options.confidence ?? 'medium',
          firstSeen: row.firstSeen ?? row.lastSeen ?? now,
          lastSeen: row.lastSeen ?? row.firstSeen ?? now,
          context: row.context,
          tags: row.tags,
          mitreTechniques: row.mitreTechniques,
          referenceUrl: row.referenceUrl,
          articleId,
          suppressedReason,
        });
      }
      for (const [origin, records] of byOrigin) {
        for (let i = 0; i < records.length; i += BATCH) {
          const result = await upsertRecords(tx, source, origin, records.slice(i, i + BATCH));
          tally.inserted += result.inserted;
          tally.updated += result.updated;
        }
      }
    }
    return tally;
  });
  if (groups.size > 0) {
    await publishChanges(db);
    await refreshStats(db);
  }
  return {
    format: parsed.format,
    read: parsed.rows.length + parsed.rejected.length,
    ...counts,
    rejected: [...parsed.rejected, ...rows.rejected],
    sources: [...groups.keys()],
  };
}
