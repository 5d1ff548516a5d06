// Articles: the reports IOCs are extracted from (one row per URL), and those an imported list
// names by id alone, until their title and URL arrive.
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

// Keyed by URL: a re-fetched article keeps its id and takes the newer text. An article an import
// knew only by its id (0006_listed_articles.sql) is filled in here when the feed brings it: it is
// this feed's article (its id is the URL's, src/ioc/ids.ts), so it takes its text and its source.
const UPSERT_ARTICLE = `with described as (
    update articles set source_id = $2::integer, title = $3::text, url = $4::text, published_at = $5::timestamptz,
      summary = $6::text, content = $7::text, guid = $8::text, fetched_at = now()
    where id = $1::uuid and url is null and not exists (select 1 from articles taken where taken.url = $4::text)
    returning id
  ), inserted as (
    insert into articles (id, source_id, title, url, published_at, summary, content, guid)
    select $1::uuid, $2::integer, $3::text, $4::text, $5::timestamptz, $6::text, $7::text, $8::text
    where not exists (select 1 from described)
    on conflict (url) do update set title = excluded.title, published_at = coalesce(excluded.published_at, articles.published_at),
      summary = coalesce(excluded.summary, articles.summary), content = coalesce(excluded.content, articles.content)
    returning id
  )
  select id from described union all select id from inserted`;

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

/** A link, site or address an article cites (src/extract: `references`). */
export interface ArticleReference {
  type: 'url' | 'domain' | 'email';
  value: string;
  reason: string;
}

const DELETE_REFERENCES = `delete from article_references where article_id = $1::uuid`;
const INSERT_REFERENCES = `insert into article_references (article_id, type, value, reason)
  select $1::uuid, r.type, r.value, r.reason from unnest($2::text[], $3::text[], $4::text[]) as r (type, value, reason)
  on conflict do nothing`;

/** Replaces an article's references with those of its latest reading. */
export async function replaceArticleReferences(db: Queryable, articleId: string, references: readonly ArticleReference[]): Promise<void> {
  await db.query(DELETE_REFERENCES, [articleId]);
  if (references.length === 0) return;
  await db.query(INSERT_REFERENCES, [articleId, references.map((r) => r.type), references.map((r) => r.value), references.map((r) => r.reason)]);
}

const SELECT_REFERENCES = `select type, value, reason from article_references where article_id = $1::uuid order by type, value`;

export async function articleReferences(db: Queryable, articleId: string): Promise<ArticleReference[]> {
  return db.query<ArticleReference>(SELECT_REFERENCES, [articleId]);
}

const SELECT_KNOWN_URLS = `select url from articles where url = any($1::text[])`;

/** Which of these article URLs are already stored. */
export async function existingArticleUrls(db: Queryable, urls: string[]): Promise<Set<string>> {
  if (urls.length === 0) return new Set();
  const rows = await db.query<{ url: string }>(SELECT_KNOWN_URLS, [urls]);
  return new Set(rows.map((row) => row.url));
}

// An imported list names articles by id, and a JSON export also gives their title and URL. Each
// is stored if new, known by its id alone when the list says no more (a CSV); one known only by
// its id takes the title and URL a list gives it later (unless another article has that URL). A
// described article is never changed. A record may then link only an article of its own source:
// an article has one source.
const INSERT_LISTED_ARTICLES = `insert into articles (id, source_id) select unnest($2::uuid[]), $1 on conflict do nothing`;
const DESCRIBE_LISTED_ARTICLES = `update articles a set title = d.title, url = d.url
  from unnest($2::uuid[], $3::text[], $4::text[]) as d (id, title, url)
  where a.id = d.id and a.source_id = $1 and a.url is null
    and not exists (select 1 from articles taken where taken.url = d.url)`;
const SELECT_SOURCE_ARTICLES = `select id from articles where source_id = $1 and id = any($2::uuid[])`;

/** An article as a list names it: its id, and its title and URL when the list has them. */
export interface ArticleRef {
  id: string;
  title?: string;
  url?: string;
}

/** Stores the articles a list names for one source; returns the ids among `articles` it has. */
export async function linkableArticles(db: Queryable, sourceId: number, articles: ArticleRef[]): Promise<Set<string>> {
  if (articles.length === 0) return new Set();
  const ids = [...new Set(articles.map((a) => a.id))];
  await db.query(INSERT_LISTED_ARTICLES, [sourceId, ids]);
  // One description an id and a URL (the first), so that no two rows take the same URL.
  const byUrl = new Map<string, ArticleRef>();
  const byId = new Set<string>();
  for (const a of articles) {
    if (!a.title || !a.url || byId.has(a.id) || byUrl.has(a.url)) continue;
    byId.add(a.id);
    byUrl.set(a.url, a);
  }
  const described = [...byUrl.values()];
  if (described.length > 0) {
    await db.query(DESCRIBE_LISTED_ARTICLES, [sourceId, described.map((a) => a.id), described.map((a) => a.title), described.map((a) => a.url)]);
  }
  const rows = await db.query<{ id: string }>(SELECT_SOURCE_ARTICLES, [sourceId, ids]);
  return new Set(rows.map((row) => row.id));
}
