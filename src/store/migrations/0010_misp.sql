-- MISP joins the formats of the paid tier (src/export/misp.ts): the list's format=misp and the
-- MISP feed at /api/v1/misp/feed/.
update tiers set list_formats = array_append(list_formats, 'misp') where name = 'pro' and not ('misp' = any (list_formats));

-- A feed's event is its records of one day: read by source and time, not by scanning every
-- source's records of that day (src/store/events.ts).
create index sightings_feed_day on sightings (source_id, extracted_at) where article_id is null;
