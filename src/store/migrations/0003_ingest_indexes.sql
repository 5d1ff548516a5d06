-- Ingestion speed (npm run bench prints it beside a COPY of the same rows): index what the
-- search needs, not more, and let a re-sighting rewrite its rows without touching an index.

-- The trigram index is what limits ingest: a sha256 alone is 60-odd trigrams, and hashes, under
-- a third of the values of the bench's corpus, make 55% of the entries. A hash is looked up
-- whole or by its beginning (a truncated hash, as reports print them), not by a piece of its
-- middle, and a hash "like" another one is another file: the trigram fallback covers every
-- other type, and a hash is found by its beginning on a plain btree. The search statements carry these same predicates (src/store/iocs.ts), so
-- that the planner can use the partial indexes.
drop index indicators_value_trgm;
create index indicators_value_trgm on indicators using gin (value_normalized gin_trgm_ops)
  where type not in ('md5', 'sha1', 'sha256', 'sha512');
create index indicators_hash_prefix on indicators (value_normalized text_pattern_ops)
  where type in ('md5', 'sha1', 'sha256', 'sha512');

-- A feed lists mostly what it listed before: the re-sighting moves last_seen and nothing that
-- is indexed, so the new row version can stay on its page (a HOT update: no index entry at all)
-- when the page has room for it; the old version is pruned once the run has committed. New
-- pages keep that room: with half of a run's records re-sightings (npm run bench), 85 left one
-- update in five to go elsewhere and into every index, 70 almost none.
alter table indicators set (fillfactor = 70);
alter table sightings set (fillfactor = 70);
