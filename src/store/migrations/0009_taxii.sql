-- TAXII 2.1 (src/store/taxii.ts): every version of every STIX object this server has published,
-- with the time it added it. A version is a material change of an indicator (confidence,
-- labels, techniques, revocation), never a re-sighting that only moves last_seen.

-- Indicators a write may have changed materially, for the publisher to look at after the
-- write commits (upsert.ts marks them in the write's own transaction).
create table stix_pending (
  indicator_id uuid primary key references indicators (id) on delete cascade
);

create table stix_versions (
  -- When this server added the version: unique (microseconds), assigned by one publisher at a
  -- time in commit order, so that a client resuming after the last one it saw misses nothing.
  date_added timestamptz primary key,
  object_id text not null,
  object_type text not null,
  -- the version: the object's `modified`
  modified timestamptz not null,
  -- the indicator it describes or comes from; null for ATT&CK attack-patterns
  indicator_id uuid references indicators (id) on delete cascade,
  -- what decides the collections a version is in (null: every collection)
  ioc_type text,
  confidence text,
  previous_confidence text,
  -- the material state this version was published for (indicators and vulnerabilities)
  state text,
  latest boolean not null,
  first boolean not null,
  -- the object itself, as served
  object text not null,
  unique (object_id, modified)
);
create index stix_versions_latest on stix_versions (date_added) where latest;
create index stix_versions_type on stix_versions (ioc_type, date_added);
create index stix_versions_indicator on stix_versions (indicator_id) where latest;

-- Bumped after every write that commits IOC data: block-lists' ETags (nothing changed, 304).
create sequence socd_data_changes;

-- Everything stored so far is published by the first run of the publisher.
insert into stix_pending (indicator_id) select id from indicators;
