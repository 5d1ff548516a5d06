-- API keys managed over HTTP (src/api/routes/keys.ts): keys can expire, tiers are ordered so that
-- a key cannot grant a tier above its own, requests are counted per key and day, and `admin` is
-- no longer a tier's scope: it is granted to a key explicitly, or not at all.

alter table api_keys add column expires_at timestamptz;

-- "Above" between tiers: a higher rank is more. A tier without a rank (one an operator adds and
-- does not rank) is granted only by keys of that same tier.
alter table tiers add column rank integer;
update tiers set rank = 0 where name = 'free';
update tiers set rank = 1 where name = 'pro';

-- Requests authenticated with each key, per UTC day: each instance adds what it counted when it
-- flushes (src/api/auth.ts), so the counts are shared by every instance.
create table api_key_usage (
  key_id uuid not null references api_keys (id) on delete cascade,
  day date not null,
  requests bigint not null check (requests >= 0),
  primary key (key_id, day)
);

-- Admin is not a tier: the pro tier's scopes included it, and a new key got every scope of its
-- tier, so every pro key could manage keys. It stays with the first-start key alone: the first
-- key of the store, which `serve` names 'admin' when the store has no key (createAdminKeyIfMissing).
-- Every other key loses it; migrate.ts reports the note set here (socd migrate prints it, serve logs it).
update tiers set scopes = array_remove(scopes, 'admin');
do $$
declare
  first_start uuid;
  taken text[];
begin
  select id into first_start from api_keys where name = 'admin'
    and id = (select id from api_keys order by created_at, id limit 1);
  with changed as (
    update api_keys set scopes = array_remove(scopes, 'admin')
    where 'admin' = any (scopes) and id is distinct from first_start
    returning id, name
  )
  select array_agg(format('%s (%s)', id, name) order by id) into taken from changed;
  if taken is not null then
    raise notice 'removed the admin scope from % API key(s): %', cardinality(taken), array_to_string(taken, ', ');
    perform set_config('socd.migration_note', format(
      'removed the admin scope from %s API key(s), which had it as part of the pro tier: %s. '
      'Admin is granted explicitly now: `socd keys create --admin`, or POST /api/v1/keys with an admin key.',
      cardinality(taken), array_to_string(taken, ', ')), true);
  end if;
end $$;
