// Articles: the reports IOCs are extracted from (one row per URL).
import type { Queryable } from './db.js';

export interface NewArticle {
  id: string;
  sourceId: number;
  title: string;
  url: string;
  guid?: string | null;
  publishedAt?: Date | null;
  summary?: string | null;
  content?: string | null;
}

// Keyed by URL: a re-fetched article keeps its id and takes the newer text.
const UPSERT_ARTICLE = `insert into articles (id, source_id, title, url, published_at, summary, content, guid)
  values ($1, $2, $3, $4, $5, $6, $7, $8)
  on conflict (url) do update set title = excluded.title, published_at = coalesce(excluded.published_at, articles.published_at),
    summary = coalesce(excluded.summary, articles.summary), content = coalesce(excluded.content, articles.content)
  returning id`;

/** Stores an article; returns its id (the existing one when the URL is known). */
export async function upsertArticle(db: Queryable, article: NewArticle): Promise<string> {
  const [row] = await db.query<{ id: string }>(UPSERT_ARTICLE, [
    article.id,
    article.sourceId,
    article.title,
    article.url,
    article.publishedAt ?? null,
    article.summary ?? null,
    article.content ?? null,
    article.guid ?? null,
  ]);
  return row!.id;
}

const SELECT_KNOWN_URLS = `select url from articles where url = any($1::text[])`;

/** Which of these article URLs are already stored. */
export async function existingArticleUrls(db: Queryable, urls: string[]): Promise<Set<string>> {
  if (urls.length === 0) return new Set();
  const rows = await db.query<{ url: string }>(SELECT_KNOWN_URLS, [urls]);
  return new Set(rows.map((row) => row.url));
}
