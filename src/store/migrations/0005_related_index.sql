-- The related IOCs of a search (SEARCH_RELATED in src/store/iocs.ts) are an article's best
-- records: highest confidence, then newest. This index holds each article's records in that
-- order, so the ten best are its first ten entries, read without a sort; it replaces the plain
-- index on article_id, whose work (the cascade from a deleted article) it does as well.
-- The rank is the statement's expression, word for word.
drop index sightings_article;
create index sightings_related on sightings
  (article_id, (case confidence when 'high' then 0 when 'medium' then 1 else 2 end), extracted_at desc, id)
  where article_id is not null;
