-- The IOC lifecycle (src/store/lifecycle.ts): lifetimes as data, an indicator's validity and
-- withdrawal, the allow-list, and the changes feed.

-- How long a value stays valid after a source last reported it: one row per IOC type (the
-- defaults, source_id null) and overrides per source (for every type, or one type). Resolution:
-- the source's row for the type, else the source's row for every type, else the type's.
-- lifetime_days null: never expires. half_life_days (type rows only): how fast the lookup's risk
-- score fades the evidence (null: it does not fade).
create table lifetimes (
  source_id integer references sources (id) on delete cascade,
  ioc_type text check (ioc_type in ('ipv4', 'ipv6', 'domain', 'url', 'md5', 'sha1', 'sha256', 'sha512', 'email', 'cve', 'mitre_attack')),
  lifetime_days integer check (lifetime_days > 0),
  half_life_days integer check (half_life_days > 0),
  reason text not null,
  updated_at timestamptz not null default now(),
  -- who set it: 'default', 'catalogue', or the key or operator that changed it
  updated_by text not null default 'default',
  constraint lifetimes_scope unique nulls not distinct (source_id, ioc_type),
  check (source_id is not null or ioc_type is not null),
  check (source_id is null or half_life_days is null)
);
insert into lifetimes (ioc_type, lifetime_days, half_life_days, reason) values
  ('ipv4', 30, 14, 'an address is reassigned within days or weeks (cloud and VPS hosts, DHCP), and a C2 moves when it is burned: a month without a report and it is more likely someone else''s'),
  ('ipv6', 30, 14, 'as IPv4: hosts are renumbered and cloud prefixes reassigned within days or weeks'),
  ('domain', 90, 60, 'a registration lasts months; an abandoned domain is parked or re-registered only slowly'),
  ('url', 60, 30, 'a path dies when its page is cleaned or its host taken down, usually within weeks'),
  ('email', 90, 30, 'sender addresses are cheap and rotated from one campaign to the next'),
  ('md5', 365, null, 'a hash names the same file forever, but a file no one has reported for a year is rarely met again: a year, and it lives on while it is reported'),
  ('sha1', 365, null, 'a hash names the same file forever, but a file no one has reported for a year is rarely met again: a year, and it lives on while it is reported'),
  ('sha256', 365, null, 'a hash names the same file forever, but a file no one has reported for a year is rarely met again: a year, and it lives on while it is reported'),
  ('sha512', 365, null, 'a hash names the same file forever, but a file no one has reported for a year is rarely met again: a year, and it lives on while it is reported'),
  ('cve', null, 365, 'a vulnerability does not stop existing: an unpatched system stays exposed for months or years (its score fades with the reports of exploitation)'),
  ('mitre_attack', null, null, 'an ATT&CK technique is a behaviour, not a value to block: it never expires');

-- An indicator's lifecycle, written by the sweep and the publisher (never by ingestion, which only
-- moves last_seen): status 'new' until its validity is first computed, then 'active' or
-- 'expired'; valid_until the latest over its sources of last_seen + lifetime ('infinity': never).
alter table indicators
  add column status text not null default 'new' check (status in ('new', 'active', 'expired')),
  add column valid_until timestamptz,
  -- when its validity, status or withdrawal last changed (STIX `since` reads it)
  add column lifecycle_at timestamptz,
  add column revoked_at timestamptz,
  add column revoked_reason text,
  add column revoked_by text;
-- The sweep's work, kept beside indicators rather than as indexes on status or valid_until: with
-- no index on them, the sweep's writes to indicators are HOT updates; with one, each expiry would
-- add an entry to every index of indicators (its value's among them): a quarter of the sweep's time.
-- due_at: an active indicator's valid_until (one that never expires is not queued), '-infinity'
-- for one not computed yet (an upgraded store's, below; a new value is the publisher's).
create table lifecycle_due (
  indicator_id uuid primary key references indicators (id) on delete cascade,
  due_at timestamptz not null
);
create index lifecycle_due_at on lifecycle_due (due_at, indicator_id);
insert into lifecycle_due (indicator_id, due_at) select id, '-infinity' from indicators;

-- Whether a record is listed: null, or why not ('expired', 'revoked'), copied from its indicator
-- so that "active only" walks an index of its own (a partial one: the listed records).
alter table sightings add column withdrawn text check (withdrawn in ('expired', 'revoked'));
create index sightings_listed_paging on sightings (extracted_at, id) where withdrawn is null;
create index sightings_listed_type_paging on sightings (type, extracted_at, id) where withdrawn is null;

-- Why the publisher looks at an indicator: a write reported it (an `updated` event when nothing
-- else changes), or the sweep or a lifetime change did (a new STIX version only).
alter table stix_pending add column reported boolean not null default true;

-- Values that must never be listed (the operator's own assets, known benign): a stored indicator
-- is revoked when its value is added, a new one is stored revoked.
create table allow_list (
  ioc_type text not null,
  value_normalized text not null,
  value text not null,
  reason text not null,
  added_at timestamptz not null default now(),
  added_by text not null,
  primary key (value_normalized, ioc_type)
);

-- The changes feed: every change of what the lists hold, in commit order. `at` is unique and
-- assigned by one writer at a time (the publisher's advisory lock) after the writes before it
-- have committed, so a reader resuming after the last `at` it saw misses nothing.
create table ioc_changes (
  at timestamptz primary key,
  indicator_id uuid not null,
  ioc_type text not null,
  value text not null,
  kind text not null check (kind in ('added', 'updated', 'expired', 'revoked', 'restored')),
  reason text,
  valid_until timestamptz
);
create index ioc_changes_type on ioc_changes (ioc_type, at);

-- Since when the feed is complete: events before it were never written (before this migration)
-- or pruned. A `since` before it answers 410.
create table change_history (
  id boolean primary key default true check (id),
  complete_since timestamptz not null
);
insert into change_history (complete_since) values (now());
