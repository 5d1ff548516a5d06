-- The stats document gains last7d.trendByType: the seven rolling 24-hour buckets of `trend`, for
-- each IOC type, for the dashboard's sparklines. refresh_stats_cache() of 0001, whole, with both
-- read from one pass over the week's records (`daily`) rather than a count per bucket, and its
-- feedHealth from the view feed_health.

-- The feeds' health as the sources table has it now. The document's feedHealth is read from it
-- when computed, and again each time an instance re-reads the cache (src/store/stats.ts): a feed
-- that breaks shows on the dashboard within seconds, not at the next refresh.
create view feed_health as
  select
    count(*)::int as total,
    count(*) filter (where health = 'healthy')::int as healthy,
    count(*) filter (where health = 'degraded')::int as degraded,
    count(*) filter (where health = 'error')::int as error
  from sources where kind <> 'import' and enabled;

create or replace function refresh_stats_cache() returns timestamptz language sql as $$
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
  -- each record of the last seven days counted once, by type and day (width_bucket: a binary
  -- search of the days' starts); the trend and its split by type both read these few rows
  daily as (
    select type, width_bucket(extracted_at, (select array_agg(day_start order by d) from days)) - 1 as d, count(*)::int as n
    from recent where extracted_at > now() - interval '7 days' and extracted_at <= now()
    group by 1, 2
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
          select json_agg(coalesce((select sum(n) from daily x where x.d = d.d), 0)::int order by d.d) from days d),
        -- this week against the week before: within 10% is stable
        'direction', (
          select case
            when this_week > last_week * 1.1 then 'up'
            when this_week < last_week * 0.9 then 'down'
            else 'stable' end
          from week),
        -- the same buckets for each type: a day's counts add up to its trend
        'trendByType', (
          select json_object_agg(t.type, (
            select json_agg(coalesce((select n from daily x where x.d = d.d and x.type = t.type), 0) order by d.d) from days d))
          from types t)),
      'feedHealth', (select row_to_json(f) from feed_health f),
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

-- A store that has a document gets the new field now, not at the next refresh.
select refresh_stats_cache() where exists (select 1 from stats_cache);
