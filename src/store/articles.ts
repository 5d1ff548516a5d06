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

// An imported list names articles by id, and a JSON export also gives their title and URL.
// Those described in full are stored if new (an id or URL already taken is left as it is);
// a record may then link only an article of its own source: an article has one source.
const INSERT_LISTED_ARTICLES = `insert into articles (id, source_id, title, url)
  select id, $1, title, url from unnest($2::uuid[], $3::text[], $4::text[]) as a (id, title, url)
  on conflict do nothing`;
const SELECT_SOURCE_ARTICLES = `select id from articles where source_id = $1 and id = any($2::uuid[])`;

/** An article as a list names it: its id, and its title and URL when the list has them. */
export interface ArticleRef {
  id: string;
  title?: string;
  url?: string;
}

/** Stores the fully described articles of one source; returns the ids among `articles` it has. */
export async function linkableArticles(db: Queryable, sourceId: number, articles: ArticleRef[]): Promise<Set<string>> {
  if (articles.length === 0) return new Set();
  const described = [...new Map(articles.filter((a) => a.title && a.url).map((a) => [a.id, a])).values()];
  if (described.length > 0) {
    await db.query(INSERT_LISTED_ARTICLES, [sourceId, described.map((a) => a.id), described.map((a) => a.title), described.map((a) => a.url)]);
  }
  const rows = await db.query<{ id: string }>(SELECT_SOURCE_ARTICLES, [sourceId, [...new Set(articles.map((a) => a.id))]]);
  return new Set(rows.map((row) => row.id));
}
