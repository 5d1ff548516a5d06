// One run of one source: fetch (conditional), parse, extract IOCs from new articles, check
// values against the warning list, and store it all — records, articles, the run's counts and
// the source's health — in one transaction: a run that fails half-way commits nothing but the
// record of its failure.
import { performance } from 'node:perf_hooks';
import { extractIocs, isHtml } from '../extract/index.js';
import { articleId } from '../ioc/ids.js';
import type { NormalizedIoc } from '../ioc/types.js';
import { warningFor } from '../ioc/warninglist.js';
import { upsertArticle, existingArticleUrls, replaceArticleReferences, type ArticleReference } from '../store/articles.js';
import type { Db, Queryable } from '../store/db.js';
import { upsertRecords, type NewRecord } from '../store/upsert.js';
import { withSourceLock } from '../store/locks.js';
import { findSource, insertRun, recentRuns, updateSourceState, type SourceRow, type SourceRun } from '../store/sources.js';
import { feedRunChannel, type FeedRunEvent } from '../telemetry.js';
import { readableArticle } from './article-text.js';
import { fetchSource, FetchError, type FetchOptions } from './fetch.js';
import { publishChanges } from './publish.js';
import { assessHealth, type Health } from './health.js';
import { PARSERS, type FeedKind } from './parsers/index.js';
import { rejectNul } from './nul.js';
import { FeedFormatError, type FeedArticle, type FeedRecord, type RejectedRow } from './types.js';

export interface RunOptions {
  /** Parse this body instead of fetching the source (socd ingest --file). */
  body?: string;
  /** Where credentials are read from (default process.env). */
  env?: Record<string, string | undefined>;
  now?: () => Date;
  /** Fetch the page of an article whose feed item carries only a summary (default true). */
  fetchArticlePages?: boolean;
  /** Timeouts, size caps and retries of the fetches (tests shorten them). */
  fetch?: Partial<Pick<FetchOptions, 'timeoutMs' | 'maxBytes' | 'attempts' | 'backoffMs'>>;
  onProgress?: (phase: 'articles' | 'store', done: number, total: number) => void;
  /** false: this run does not stand for the scheduled one (a snapshot or a file loaded by hand). */
  scheduled?: boolean;
  /** Skip the run when the source is no longer due (the scheduler's runs). */
  onlyIfDue?: boolean;
}

export interface RunSummary extends SourceRun {
  source: string;
  health: Health | null;
  healthReason: string | null;
}

// A feed item with less text than this is a summary: the article's page is fetched.
const SUMMARY_ONLY_CHARS = 1500;
const ARTICLE_PAGE_LIMITS = { timeoutMs: 20_000, maxBytes: 8 * 1024 * 1024, attempts: 2 };
const STORE_BATCH = 5000;
const REJECTED_SAMPLES = 20;

/** Runs a source now; `skipped` when another run of it holds its lock. */
export async function runSource(db: Db, source: SourceRow, options: RunOptions = {}): Promise<RunSummary> {
  // The row may have been read before another run (another instance) updated the source: work
  // from its state as it is now that the lock is held (validators, failures in a row).
  const clock = options.now ?? (() => new Date());
  let ran: RunSummary | undefined;
  try {
    ran = await withSourceLock(db, source.id, async () => {
      const current = (await findSource(db, source.name)) ?? source;
      // Another instance may have run it between the listing of due sources and this lock.
      if (options.onlyIfDue && !isDue(current, clock())) return undefined;
      return run(db, current, options);
    });
  } catch (error) {
    // A run that could not even record its failure (the store unreachable) failed all the same.
    reportRun(source.name, 'failed');
    throw error;
  }
  const now = clock();
  ran ??= { source: source.name, outcome: 'skipped', startedAt: now, finishedAt: now, health: null, healthReason: null };
  if ((ran.new ?? 0) + (ran.updated ?? 0) > 0) await publishChanges(db);
  reportRun(source.name, ran.outcome);
  return ran;
}

/** Tells whoever watches the process (telemetry.ts: /metrics) how a run ended. */
function reportRun(source: string, outcome: FeedRunEvent['outcome']): void {
  if (feedRunChannel.hasSubscribers) feedRunChannel.publish({ source, outcome } satisfies FeedRunEvent);
}

/** What dueSources asks, for one source. */
function isDue(source: SourceRow, now: Date): boolean {
  if (source.interval_seconds === null) return false;
  return !source.last_run_at || source.last_run_at.getTime() + source.interval_seconds * 1000 <= now.getTime();
}

function authFor(source: SourceRow, env: Record<string, string | undefined>) {
  if (!source.auth_header || !source.auth_env) return { headers: {}, hint: undefined };
  const value = env[source.auth_env];
  if (!value) return { headers: {}, hint: `${source.auth_header} missing (set ${source.auth_env})` };
  return { headers: { [source.auth_header]: value }, hint: `${source.auth_header} rejected (check ${source.auth_env})` };
}

function describeFailure(source: SourceRow, error: unknown): string {
  if (error instanceof FetchError) return error.message;
  if (error instanceof FeedFormatError) return `malformed ${source.kind} from ${source.name}: ${error.message}`;
  return `${source.name}: ${(error as Error).message ?? String(error)}`;
}

/** A feed's records with the warning list applied: a benign or reserved value is never high. */
function toNewRecord(record: FeedRecord, articleIdValue: string | null): NewRecord {
  const suppressedReason = record.suppressedReason ?? warningFor(record.ioc.type, record.ioc.normalized);
  return {
    ioc: record.ioc,
    confidence: record.confidence,
    firstSeen: record.firstSeen,
    lastSeen: record.lastSeen,
    context: record.context ?? null,
    tags: record.tags,
    mitreTechniques: record.mitreTechniques,
    industries: record.industries,
    referenceUrl: record.referenceUrl ?? null,
    ports: record.ports,
    entry: record.entry ?? null,
    articleId: articleIdValue,
    suppressedReason: suppressedReason ?? null,
  };
}

interface PreparedArticle {
  id: string;
  item: FeedArticle;
  content: string;
  records: NewRecord[];
  references: ArticleReference[];
}

/**
 * A fetched page as the article: an HTML page's readable part (HTML), a text page as it is;
 * undefined (the feed's summary stays) for anything else, such as a PDF or an empty page.
 */
function articleOfPage(body: string, contentType: string | null, url: string): { content: string; mediaType: string } | undefined {
  if (isHtml(body, contentType)) {
    const readable = readableArticle(body, url);
    return readable === undefined ? undefined : { content: readable.html, mediaType: 'text/html' };
  }
  // Text we were told is text, or bytes sent with no type that do not look like HTML.
  const text = contentType === null || /^\s*text\//i.test(contentType);
  return text && body.trim() !== '' ? { content: body, mediaType: 'text/plain' } : undefined;
}

/** The new articles of a feed with the IOCs extracted from their text. */
async function prepareArticles(db: Queryable, source: SourceRow, items: FeedArticle[], options: RunOptions, now: Date) {
  const known = await existingArticleUrls(db, items.map((item) => item.url));
  const fresh = items.filter((item) => !known.has(item.url));
  const prepared: PreparedArticle[] = [];
  const failures: RejectedRow[] = [];
  for (const [index, item] of fresh.entries()) {
    options.onProgress?.('articles', index, fresh.length);
    let content = item.content ?? item.summary ?? '';
    // A feed item's text declares no type: it is sniffed. A page has its Content-Type.
    let mediaType: string | null = null;
    if (!item.content && content.length < SUMMARY_ONLY_CHARS && options.fetchArticlePages !== false) {
      try {
        const page = await fetchSource({ url: item.url, sourceName: source.name, ...ARTICLE_PAGE_LIMITS, ...options.fetch });
        const read = page.status === 'ok' ? articleOfPage(page.body, page.contentType, item.url) : undefined;
        if (read !== undefined) ({ content, mediaType } = read);
      } catch (error) {
        // The summary is still worth reading; the page's failure is noted with the run.
        failures.push({ at: item.url, value: item.title, reason: `article page not fetched: ${(error as Error).message}` });
      }
    }
    const id = articleId(item.url);
    const extraction = extractIocs(content, { html: isHtml(content, mediaType), articleUrl: item.url, title: item.title });
    const seen = item.publishedAt ?? now;
    const records = extraction.iocs.map((found) => {
      const ioc: NormalizedIoc = { type: found.type, value: found.value, normalized: found.normalized, notes: [] };
      return toNewRecord(
        {
          ioc,
          confidence: found.confidence,
          firstSeen: seen,
          lastSeen: seen,
          tags: extraction.tags,
          context: found.context,
          mitreTechniques: extraction.techniques,
          industries: extraction.industries,
        },
        id,
      );
    });
    const references = extraction.references.map(({ type, value, reason }): ArticleReference => ({ type, value, reason }));
    prepared.push({ id, item, content, records, references });
  }
  options.onProgress?.('articles', fresh.length, fresh.length);
  return { prepared, failures };
}

async function run(db: Db, source: SourceRow, options: RunOptions): Promise<RunSummary> {
  const clock = options.now ?? (() => new Date());
  const startedAt = clock();
  const summary: RunSummary = { source: source.name, outcome: 'ok', startedAt, finishedAt: startedAt, health: null, healthReason: null };
  let etag = source.etag;
  let lastModified = source.last_modified;
  try {
    let body = options.body;
    if (body === undefined) {
      if (!source.url) throw new Error('the source has no URL');
      const auth = authFor(source, options.env ?? process.env);
      const started = performance.now();
      const fetched = await fetchSource({
        url: source.url,
        etag,
        lastModified,
        headers: auth.headers,
        authHint: auth.hint,
        sourceName: source.name,
        ...options.fetch,
      });
      summary.fetchMs = performance.now() - started;
      summary.httpStatus = fetched.httpStatus;
      if (fetched.status === 'not_modified') {
        summary.outcome = 'not_modified';
        return await db.transaction((tx) => finish(tx, source, summary, { etag, lastModified }, clock, options));
      }
      body = fetched.body;
      summary.bytes = fetched.bytes;
      ({ etag, lastModified } = fetched);
    } else {
      summary.bytes = Buffer.byteLength(body);
    }

    const parseStarted = performance.now();
    const parser = PARSERS[source.kind as FeedKind];
    if (!parser) throw new Error(`no parser for kind "${source.kind}"`);
    const parsed = parser(body, { now: startedAt });
    const feedRecords = rejectNul(parsed.records, (record, i) => ({ at: i + 1, value: record.ioc.value }));
    const feedArticles = rejectNul(parsed.articles, (article) => ({ at: article.url, value: article.title }));
    const { prepared, failures } = await prepareArticles(db, source, feedArticles.kept, options, startedAt);
    summary.parseMs = performance.now() - parseStarted;

    const records = feedRecords.kept.map((record) => toNewRecord(record, null));
    const all = [...records, ...prepared.flatMap((article) => article.records)];
    const rejected = [...parsed.rejected, ...feedRecords.rejected, ...feedArticles.rejected, ...failures];
    Object.assign(summary, {
      fetched: parsed.records.length + parsed.articles.length + parsed.rejected.length,
      parsed: all.length,
      suppressed: all.filter((record) => record.suppressedReason).length,
      rejected: rejected.length,
      articles: prepared.length,
      rejectedSamples: rejected.slice(0, REJECTED_SAMPLES),
    });

    const storeStarted = performance.now();
    return await db.transaction(async (tx) => {
      const sourceRef = { id: source.id, name: source.name, category: source.category };
      for (const article of prepared) {
        const stored = await upsertArticle(tx, {
          id: article.id,
          sourceId: source.id,
          title: article.item.title,
          url: article.item.url,
          guid: article.item.guid,
          publishedAt: article.item.publishedAt ?? null,
          summary: article.item.summary ?? null,
          content: article.content,
        });
        await replaceArticleReferences(tx, stored, article.references);
      }
      let inserted = 0;
      let updated = 0;
      const batches = [
        ...chunk(records, STORE_BATCH).map((batch) => ['feed', batch] as const),
        ...chunk(prepared.flatMap((article) => article.records), STORE_BATCH).map((batch) => ['article', batch] as const),
      ];
      for (const [index, [origin, batch]] of batches.entries()) {
        options.onProgress?.('store', index, batches.length);
        const counts = await upsertRecords(tx, sourceRef, origin, batch);
        inserted += counts.inserted;
        updated += counts.updated;
      }
      options.onProgress?.('store', batches.length, batches.length);
      summary.new = inserted;
      summary.updated = updated;
      summary.storeMs = performance.now() - storeStarted;
      return finish(tx, source, summary, { etag, lastModified }, clock, options);
    });
  } catch (error) {
    summary.outcome = 'failed';
    // Nothing of the run was stored, whatever it had counted before failing: it brought nothing
    // new (and so does not reset the source's staleness either).
    summary.new = 0;
    summary.updated = 0;
    summary.articles = 0;
    summary.httpStatus = error instanceof FetchError ? error.httpStatus : summary.httpStatus;
    summary.error = describeFailure(source, error);
    // What was fetched is not kept: the next run fetches it again in full.
    return db.transaction((tx) => finish(tx, source, summary, { etag: source.etag, lastModified: source.last_modified }, clock, options));
  }
}

function chunk<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** Records the run and the source's new state and health. */
async function finish(
  db: Queryable,
  source: SourceRow,
  summary: RunSummary,
  conditional: { etag: string | null; lastModified: string | null },
  clock: () => Date,
  options: RunOptions,
): Promise<RunSummary> {
  summary.finishedAt = clock();
  await insertRun(db, source.id, summary);
  const failed = summary.outcome === 'failed';
  const broughtNew = (summary.new ?? 0) > 0 || (summary.articles ?? 0) > 0;
  const consecutiveFailures = failed ? source.consecutive_failures + 1 : 0;
  const lastNewAt = broughtNew ? summary.finishedAt : source.last_new_at;
  const runs = await recentRuns(db, source.id);
  const { health, reason } = assessHealth({
    recentRuns: runs.map((r) => ({ outcome: r.outcome, error: r.error, finishedAt: r.finished_at })),
    consecutiveFailures,
    lastNewAt,
    staleAfterSeconds: source.stale_after_seconds,
    now: summary.finishedAt,
  });
  await updateSourceState(db, source.id, {
    etag: conditional.etag,
    lastModified: conditional.lastModified,
    consecutiveFailures,
    lastRunAt: options.scheduled === false ? source.last_run_at : summary.startedAt,
    lastSuccessAt: failed ? source.last_success_at : summary.finishedAt,
    lastNewAt,
    health,
    healthReason: reason,
  });
  summary.health = health;
  summary.healthReason = reason;
  return summary;
}
