-- The Articles API (src/store/articles.ts). Articles are listed newest first by when this service
-- stored them (fetched_at: what `since` and the tier lookback bound, as extracted_at does for IOC
-- records, so a poller misses none and an article shows with its records), those stored together
-- (one feed run) by when they were published, never later than when fetched (a feed's future
-- date cannot put an article first; least() skips a null date), then by id. Only articles with
-- a title and URL are listed (one an import knows by id alone is not, until they arrive), so
-- each index holds those alone. Every expression is the statements', word for word.

-- A page is the next entries of this index after the cursor; a source's pages walk its own.
create index articles_listed on articles (fetched_at, (least(published_at, fetched_at)), id) where url is not null;
create index articles_source_listed on articles (source_id, fetched_at, (least(published_at, fetched_at)), id) where url is not null;

-- `q` and `cve_text_search`: full-text search over title, summary and text (not the summary
-- twice: a feed whose items carry their whole text stores it as both). English stemming
-- (`exploited` finds `exploitation`); the parser drops HTML tags and keeps host names, URLs and
-- CVE ids (`cve`, `-2024`, `-3400`, found as a phrase) as tokens. At most the first 100,000
-- characters are read: a tsvector has a 1 MB limit, and an article past it must still be stored.
create index articles_text on articles using gin (
  (to_tsvector('english', left(coalesce(title, '') || ' ' || coalesce(summary, '') || ' ' || coalesce(nullif(content, summary), ''), 100000)))
) where url is not null;

-- Each article's IOC records, counted as they are written (src/store/upsert.ts adds the records a
-- write inserts; records are never deleted but with their article or indicator), so that a page
-- of the list reads one number an article rather than counting each article's records. A table
-- of its own, narrow and with room on its pages: a write adds to a few small rows (updated in
-- place, HOT), rather than to the wide, full-text indexed article row.
create table article_ioc_counts (
  article_id uuid primary key references articles (id) on delete cascade,
  ioc_count integer not null check (ioc_count >= 0)
) with (fillfactor = 50);
-- Counts every article's records again: for the stores this migration finds (and the benchmark's,
-- loaded by COPY).
create function recount_article_iocs() returns void language sql as $$
  insert into article_ioc_counts (article_id, ioc_count)
    select article_id, count(*)::int from sightings where article_id is not null group by 1
  on conflict (article_id) do update set ioc_count = excluded.ioc_count
$$;
select recount_article_iocs();
