// Articles: the reports IOCs are extracted from (one row per URL), and those an imported list
// names by id alone, until their title and URL arrive; and their reads for the Articles API.
import type { Category, Confidence, IocType } from '../ioc/types.js';
import type { Queryable } from './db.js';
import { keysetAt } from './iocs.js';

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

// ---- reading articles (the Articles API) ------------------------------------------------------

/**
 * The list's order (0012_articles.sql): when stored, then, among articles stored together (a feed
 * run), when published (never later than when fetched; when fetched if undated: least() skips a
 * null), then id. The indexes articles_listed and articles_source_listed hold this key.
 */
const publishedAt = (a: string) => `least(${a}.published_at, ${a}.fetched_at)`;
const orderKey = (a: string) => `${a}.fetched_at, ${publishedAt(a)}, ${a}.id`;

/** A place in the list's order: fetched_at and the publication time as keysetAt writes them, and the id. */
export interface ArticleKeyset {
  fetchedAt: string;
  listedAt: string;
  id: string;
}
/** The text `q` and `cve_text_search` search, as the index articles_text holds it. */
const articleText = (a: string) =>
  `to_tsvector('english', left(coalesce(${a}.title, '') || ' ' || coalesce(${a}.summary, '') || ' ' || coalesce(nullif(${a}.content, ${a}.summary), ''), 100000))`;

export interface ArticleFilters {
  /** One source's articles (sources.id). */
  sourceId?: number;
  category?: Category;
  /** Inclusive lower bound on when an article was stored (fetched_at). */
  since: Date;
  /** Exclusive upper bound on when an article was stored. */
  until?: Date;
  /** Words to find in the title, summary and text (websearch_to_tsquery: `"a phrase"`, `or`, `-word`). */
  text?: string;
  /** A CVE id, lower case (its normalized form): articles with a record of it, or whose text names it. */
  cve?: string;
}

/** An article as the list shows it, with its place in the order (keysetAt's text). */
export interface ArticleRow {
  id: string;
  title: string;
  url: string;
  source_name: string;
  category: Category;
  published_at: string | null;
  fetched_at: string;
  summary: string | null;
  ioc_count: number;
  cursor_fetched_at: string;
  cursor_listed_at: string;
}

/** The WHERE clause of a filtered page (only the filters given are written: each combination plans on its own). */
function articleFilterClause(f: ArticleFilters, after?: ArticleKeyset): { where: string; params: unknown[] } {
  const clauses = ['a.url is not null'];
  const params: unknown[] = [];
  const add = (value: unknown, clause: (param: string) => string) => {
    params.push(value);
    clauses.push(clause(`$${params.length}`));
  };
  add(f.since, (p) => `a.fetched_at >= ${p}::timestamptz`);
  if (f.until) add(f.until, (p) => `a.fetched_at < ${p}::timestamptz`);
  // One source, by its id: the planner weighs the value (a rare source walks articles_source_listed).
  if (f.sourceId !== undefined) add(f.sourceId, (p) => `a.source_id = ${p}::integer`);
  if (f.category) add(f.category, (p) => `a.source_id in (select id from sources where category = ${p}::text)`);
  if (f.text !== undefined) add(f.text, (p) => `${articleText('a')} @@ websearch_to_tsquery('english', ${p}::text)`);
  if (f.cve !== undefined) {
    // The articles the extractor found the CVE in (its records: the indicator's unique index, then
    // sightings_record), and those whose text names it (articles_text): both indexed.
    add(f.cve, (p) => `a.id in (
      select s.article_id from indicators i join sightings s on s.indicator_id = i.id
      where i.value_normalized = ${p}::text and i.type = 'cve' and s.article_id is not null
      union
      select t.id from articles t where t.url is not null and ${articleText('t')} @@ phraseto_tsquery('english', ${p}::text))`);
  }
  if (after) {
    params.push(after.fetchedAt, after.listedAt, after.id);
    const n = params.length;
    clauses.push(`(${orderKey('a')}) < ($${n - 2}::timestamptz, $${n - 1}::timestamptz, $${n}::uuid)`);
  }
  return { where: clauses.join(' and '), params };
}

// The page is chosen off the index first; only its rows are joined and formatted. ioc_count is
// kept by the writes (0012_articles.sql).
const selectArticlePage = (where: string, n: number) => `select p.id, p.title, p.url, src.name as source_name, src.category,
    socd_iso(p.published_at) as published_at, socd_iso(p.fetched_at) as fetched_at, p.summary, coalesce(c.ioc_count, 0) as ioc_count,
    ${keysetAt('p.fetched_at')} as cursor_fetched_at, ${keysetAt('p.listed_at')} as cursor_listed_at
  from (
    select a.id, a.title, a.url, a.source_id, a.published_at, a.fetched_at, a.summary, ${publishedAt('a')} as listed_at
    from articles a where ${where}
    order by a.fetched_at desc, ${publishedAt('a')} desc, a.id desc limit $${n + 1}::bigint
  ) p join sources src on src.id = p.source_id
  left join article_ioc_counts c on c.article_id = p.id
  order by p.fetched_at desc, p.listed_at desc, p.id desc`;

/** One page of the described articles, newest first (see orderKey), starting after `after`. */
export async function listArticles(db: Queryable, filters: ArticleFilters, limit: number, after?: ArticleKeyset): Promise<ArticleRow[]> {
  const { where, params } = articleFilterClause(filters, after);
  return db.query<ArticleRow>(selectArticlePage(where, params.length), [...params, limit]);
}

const SEARCHABLE = `select numnode(websearch_to_tsquery('english', $1::text)) > 0 as searchable`;

/** Whether `text` has words to search for: not only stop words (`the`) or punctuation. */
export async function isSearchableText(db: Queryable, text: string): Promise<boolean> {
  const [row] = await db.query<{ searchable: boolean }>(SEARCHABLE, [text]);
  return row?.searchable ?? false;
}

/** One article, with what its source says of it; title and url are null for one an import knows by id alone. */
export interface ArticleDetailRow {
  id: string;
  title: string | null;
  url: string | null;
  source_name: string;
  category: Category;
  published_at: string | null;
  fetched_at: string;
  summary: string | null;
}

const SELECT_ARTICLE = `select a.id, a.title, a.url, src.name as source_name, src.category,
    socd_iso(a.published_at) as published_at, socd_iso(a.fetched_at) as fetched_at, a.summary
  from articles a join sources src on src.id = a.source_id where a.id = $1::uuid`;

export async function findArticle(db: Queryable, id: string): Promise<ArticleDetailRow | undefined> {
  return (await db.query<ArticleDetailRow>(SELECT_ARTICLE, [id]))[0];
}

/** One of an article's records, and how many records of its type the article has. */
export interface ArticleRecordRow {
  id: string;
  type: IocType;
  value: string;
  confidence: Confidence;
  context: string | null;
  tags: string[];
  mitre_techniques: string[];
  type_count: number;
}

// Each type's best records (highest confidence, then by value), at most $2 a type, with the
// type's count: one statement over the article's entries of sightings_related.
const SELECT_ARTICLE_RECORDS = `select id, type, value, confidence, context, tags, mitre_techniques, type_count from (
    select s.id, s.type, i.value, s.confidence, s.context, s.tags, s.mitre_techniques,
      row_number() over (partition by s.type order by case s.confidence when 'high' then 0 when 'medium' then 1 else 2 end, i.value, s.id) as n,
      count(*) over (partition by s.type)::int as type_count
    from sightings s join indicators i on i.id = s.indicator_id
    where s.article_id = $1::uuid
  ) r where n <= $2::bigint order by type, n`;

/** An article's records, at most `perType` of each type (the best first), each with its type's count. */
export async function articleRecords(db: Queryable, articleId: string, perType: number): Promise<ArticleRecordRow[]> {
  return db.query<ArticleRecordRow>(SELECT_ARTICLE_RECORDS, [articleId, perType]);
}
