-- The lookup's related IOCs from the same feed entry (src/store/lookup.ts): a feed's own key for
-- what it reported together, as its parser reads it (src/ingest/parsers/threatfox-json.ts: a
-- submission's reference, the report or sample page its IOCs share, else its IOC id). Null for
-- articles (they relate by article_id) and for feeds whose rows stand alone.
alter table sightings add column entry text;

-- Other records of an entry, found by (source, entry). Partial: most records have none, and a
-- re-sighting with the same entry changes nothing indexed (it stays a HOT update).
create index sightings_entry on sightings (source_id, entry) where entry is not null;

-- The CVEs and ATT&CK techniques an article names, for the lookup of any of its IOCs: a few rows
-- an article, found without reading a long report's every record.
create index sightings_article_terms on sightings (article_id) where type in ('cve', 'mitre_attack');
