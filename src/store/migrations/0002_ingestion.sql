-- Ingestion: the source catalogue's schedule and fetch state, a log of every run with its
-- counts and timings (what feed health is computed from), ports kept with their records,
-- and warning-list state on indicators.

alter table sources
  -- where the source came from: the reviewed catalogue, or `socd sources add`
  add column origin text not null default 'catalogue' check (origin in ('catalogue', 'operator', 'import')),
  -- a header whose value is read from an environment variable at fetch time (never stored)
  add column auth_header text,
  add column auth_env text,
  -- no new IOCs (or articles) for this long means the source has gone quiet: degraded
  add column stale_after_seconds integer check (stale_after_seconds > 0),
  -- conditional requests
  add column etag text,
  add column last_modified text,
  add column consecutive_failures integer not null default 0,
  -- when a run last brought something new
  add column last_new_at timestamptz;

update sources set origin = 'import' where kind = 'import';

create table source_runs (
  id bigint generated always as identity primary key,
  source_id integer not null references sources (id) on delete cascade,
  started_at timestamptz not null,
  finished_at timestamptz not null,
  outcome text not null check (outcome in ('ok', 'not_modified', 'failed', 'skipped')),
  http_status integer,
  -- the cause in words, for a failed run
  error text,
  bytes bigint not null default 0,
  -- rows or items read, parsed into IOCs, new and updated records, warning-listed, rejected
  fetched integer not null default 0,
  parsed integer not null default 0,
  new integer not null default 0,
  updated integer not null default 0,
  suppressed integer not null default 0,
  rejected integer not null default 0,
  articles integer not null default 0,
  -- the first rejected rows with their reasons
  rejected_samples jsonb not null default '[]',
  fetch_ms integer not null default 0,
  parse_ms integer not null default 0,
  store_ms integer not null default 0
);
create index source_runs_recent on source_runs (source_id, started_at desc);

-- A ThreatFox `ip:port` or a Feodo Tracker C2 keeps its port with the record.
alter table sightings add column ports integer[] not null default '{}';

-- Why a value is benign or reserved (warning list): it is never exported as high confidence.
alter table indicators add column suppressed_reason text;

-- An article's identity in its feed, so a re-published item is not stored twice.
alter table articles add column guid text;
