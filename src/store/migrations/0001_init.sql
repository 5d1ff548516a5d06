-- The core data model (see ARCHITECTURE.md): indicators (one per distinct type + normalized
-- value), sightings (one per indicator as one source reported it: the API's "IOC record"),
-- the sources and articles they come from, API keys and tiers, and the stats cache.

create extension if not exists pg_trgm;

-- Timestamps as the API writes them, formatted by the database so exports stay cheap.
create function socd_iso(ts timestamptz) returns text language sql stable parallel safe
  as $$ select to_char(ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;
create function socd_iso_ms(ts timestamptz) returns text language sql stable parallel safe
  as $$ select to_char(ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

-- The stronger of two confidence levels (high > medium > low).
create function socd_max_confidence(a text, b text) returns text language sql immutable parallel safe
  as $$ select case when 'high' in (a, b) then 'high' when 'medium' in (a, b) then 'medium' else 'low' end $$;

-- Tiers are data: limits, lookback, formats and scopes per tier.
create table tiers (
  name text primary key,
  requests_per_minute integer not null check (requests_per_minute > 0),
  requests_per_day integer not null check (requests_per_day > 0),
  lookback_days integer not null check (lookback_days > 0),
  max_limit integer not null check (max_limit > 0),
  list_formats text[] not null,
  scopes text[] not null
);
insert into tiers (name, requests_per_minute, requests_per_day, lookback_days, max_limit, list_formats, scopes) values
  ('free', 10, 1000, 1, 100, '{json}', '{read:iocs}'),
  ('pro', 1000, 1000000, 365, 10000, '{json,csv,txt}', '{read:iocs,read:stix,read:stats,admin}');

create table api_keys (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  -- the first characters of the key, to recognise it in lists; the key itself is never stored
  prefix text not null,
  key_hash bytea not null unique,
  tier text not null references tiers (name),
  scopes text[] not null,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);

create table sources (
  id integer generated always as identity primary key,
  name text not null unique,
  -- the feed format (urlhaus-csv, threatfox-json, rss, ...) or 'import' for an operator's list
  kind text not null,
  url text,
  category text not null check (category in ('news', 'research', 'threat-intel', 'vendor', 'government')),
  interval_seconds integer check (interval_seconds > 0),
  enabled boolean not null default true,
  health text not null default 'healthy' check (health in ('healthy', 'degraded', 'error')),
  health_reason text,
  last_run_at timestamptz,
  last_success_at timestamptz,
  created_at timestamptz not null default now()
);

create table articles (
  id uuid primary key,
  source_id integer not null references sources (id),
  title text not null,
  url text not null unique,
  published_at timestamptz,
  summary text,
  content text,
  fetched_at timestamptz not null default now()
);
create index articles_fetched_at on articles (fetched_at);

create table indicators (
  -- derived from type and normalized value (src/ioc/ids.ts): the same IOC keeps its id everywhere
  id uuid primary key,
  type text not null check (type in ('ipv4', 'ipv6', 'domain', 'url', 'md5', 'sha1', 'sha256', 'sha512', 'email', 'cve', 'mitre_attack')),
  value text not null,
  value_normalized text not null,
  confidence text not null check (confidence in ('high', 'medium', 'low')),
  first_seen timestamptz not null,
  last_seen timestamptz not null,
  unique (value_normalized, type)
);
-- The search fallback: substring (LIKE) and similarity lookups on the normalized value.
create index indicators_value_trgm on indicators using gin (value_normalized gin_trgm_ops);

create table sightings (
  -- derived from indicator, source and article (src/ioc/ids.ts)
  id uuid primary key,
  indicator_id uuid not null references indicators (id) on delete cascade,
  -- the indicator's type, copied so that a type filter walks its own slice of the paging index
  type text not null,
  source_id integer not null references sources (id),
  article_id uuid references articles (id) on delete cascade,
  origin text not null check (origin in ('feed', 'article', 'import')),
  confidence text not null check (confidence in ('high', 'medium', 'low')),
  context text,
  tags text[] not null default '{}',
  mitre_techniques text[] not null default '{}',
  industries text[] not null default '{}',
  reference_url text,
  first_seen timestamptz not null,
  last_seen timestamptz not null,
  -- when we stored it: `since`/`until` filter on it
  extracted_at timestamptz not null default now(),
  -- re-ingesting the same record moves last_seen, never duplicates
  constraint sightings_record unique nulls not distinct (indicator_id, source_id, article_id)
);
create index sightings_paging on sightings (extracted_at, id);
create index sightings_type_paging on sightings (type, extracted_at, id);
create index sightings_article on sightings (article_id) where article_id is not null;

-- One JSON document, written by refresh_stats_cache() and served from memory.
create table stats_cache (
  id boolean primary key default true check (id),
  -- json, not jsonb: the keys keep the order they are written in
  data json not null,
  updated_at timestamptz not null
);

create function refresh_stats_cache() returns timestamptz language sql as $$
  with
  -- one pass over the records for every breakdown that is not about time
  groups as (
    select type, source_id, confidence, count(*)::int as n from sightings group by 1, 2, 3
  ),
  recent as (
    select type, extracted_at from sightings where extracted_at > now() - interval '14 days'
  ),
  types as (
    select unnest(array['ipv4', 'ipv6', 'domain', 'url', 'md5', 'sha1', 'sha256', 'sha512', 'email', 'cve', 'mitre_attack']) as type
  ),
  days as (
    select d, now() - (7 - d) * interval '1 day' as day_start from generate_series(0, 6) d
  ),
  techniques as (
    select technique as id, count(*)::int as n from (
      select unnest(mitre_techniques) as technique from sightings where mitre_techniques <> '{}'
      union all
      select i.value from sightings s join indicators i on i.id = s.indicator_id where s.type = 'mitre_attack'
    ) t group by 1 order by 2 desc, 1 limit 10
  ),
  cves as (
    select i.value as id, count(*)::int as n
    from sightings s join indicators i on i.id = s.indicator_id
    where s.type = 'cve' group by 1 order by 2 desc, 1 limit 10
  ),
  week as (
    select
      count(*) filter (where extracted_at > now() - interval '7 days')::int as this_week,
      count(*) filter (where extracted_at <= now() - interval '7 days')::int as last_week
    from recent
  ),
  feeds as (
    select
      count(*)::int as total,
      count(*) filter (where health = 'healthy')::int as healthy,
      count(*) filter (where health = 'degraded')::int as degraded,
      count(*) filter (where health = 'error')::int as error
    from sources where kind <> 'import' and enabled
  ),
  document as (
    select json_build_object(
      'totalIOCs', (select coalesce(sum(n), 0)::int from groups),
      'totalArticles', (select count(*)::int from articles),
      'byType', (select json_object_agg(t.type, coalesce((select sum(n) from groups g where g.type = t.type), 0)::int) from types t),
      'bySource', coalesce((
        select json_object_agg(name, n) from (
          select src.name, sum(g.n)::int as n from groups g join sources src on src.id = g.source_id group by 1
        ) x), '{}'::json),
      'byCategory', (
        select json_object_agg(c.category, coalesce(x.n, 0)) from
          unnest(array['news', 'research', 'threat-intel', 'vendor', 'government']) as c (category)
          left join (
            select src.category, sum(g.n)::int as n from groups g join sources src on src.id = g.source_id group by 1
          ) x on x.category = c.category),
      'byConfidence', (
        select json_object_agg(c.confidence, coalesce(x.n, 0)) from
          unnest(array['high', 'medium', 'low']) as c (confidence)
          left join (select confidence, sum(n)::int as n from groups group by 1) x on x.confidence = c.confidence),
      'last24h', json_build_object(
        'newIOCs', (select count(*)::int from recent where extracted_at > now() - interval '1 day'),
        'newArticles', (select count(*)::int from articles where fetched_at > now() - interval '1 day'),
        'byType', coalesce((
          select json_object_agg(type, n) from (
            select type, count(*)::int as n from recent where extracted_at > now() - interval '1 day' group by 1
          ) x), '{}'::json)),
      'last7d', json_build_object(
        'newIOCs', (select this_week from week),
        'newArticles', (select count(*)::int from articles where fetched_at > now() - interval '7 days'),
        -- seven rolling 24-hour buckets, oldest first, ending now
        'trend', (
          select json_agg((select count(*) from recent r
                            where r.extracted_at > d.day_start and r.extracted_at <= d.day_start + interval '1 day')::int
                           order by d.d)
          from days d),
        -- this week against the week before: within 10% is stable
        'direction', (
          select case
            when this_week > last_week * 1.1 then 'up'
            when this_week < last_week * 0.9 then 'down'
            else 'stable' end
          from week)),
      'feedHealth', (select row_to_json(feeds) from feeds),
      'topMitreTechniques', coalesce((select json_agg(json_build_object('id', id, 'count', n) order by n desc, id) from techniques), '[]'::json),
      'topCVEs', coalesce((select json_agg(json_build_object('id', id, 'count', n) order by n desc, id) from cves), '[]'::json),
      'lastUpdated', (select socd_iso(max(extracted_at)) from sightings)
    ) as data
  )
  insert into stats_cache (id, data, updated_at)
  select true, data, now() from document
  on conflict (id) do update set data = excluded.data, updated_at = excluded.updated_at
  returning updated_at;
$$;
