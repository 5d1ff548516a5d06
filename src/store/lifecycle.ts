// The IOC lifecycle (migration 0015): an indicator's validity (the latest over its sources of
// last_seen + that source's lifetime), its expiry, its withdrawal (revoked, allow-listed), and the
// changes feed that tells subscribers what the lists gained and lost.
//
// Ingestion only moves last_seen. Validity, status and the records' `withdrawn` are written here,
// by the publisher (for what a write reported) and by the sweep (for what is due), one writer at a
// time under the publisher's lock: so every change of what a list holds commits together with its
// event, and events take their `at` in commit order.
import type { IocType } from '../ioc/types.js';
import { noteDataChanged } from './changes.js';
import type { Db, Queryable } from './db.js';
import { keysetAt } from './iocs.js';
import { PUBLISH_LOCK } from './taxii.js';

export type ChangeKind = 'added' | 'updated' | 'expired' | 'revoked' | 'restored';

/** One event of the changes feed. */
export interface ChangeRow {
  /** RFC 3339 UTC to the microsecond: the event's place in the feed (a `since` resumes after it). */
  at: string;
  indicator_id: string;
  type: IocType;
  value: string;
  kind: ChangeKind;
  reason: string | null;
  /** RFC 3339 UTC, or null: never expires (or not known at the event). */
  valid_until: string | null;
}

/** What one refresh or sweep changed: events written, by kind, and the indicators they concern. */
export interface LifecycleCounts {
  added: number;
  updated: number;
  expired: number;
  /** Indicators looked at. */
  checked: number;
}

const ISO = (column: string) => `case when ${column} = 'infinity' then null else socd_iso(${column}) end`;

// The lifetime of each (source, type): the source's row for the type, else the source's row for
// every type, else the type's default. days null: never expires. Materialized: a few hundred rows
// computed once a statement, rather than the lookup inlined into every record the statement reads.
const RULES = `rules as materialized (
  select src.id as source_id, t.ioc_type as type,
    (select l.lifetime_days from lifetimes l
      where (l.source_id = src.id or l.source_id is null) and (l.ioc_type = t.ioc_type or l.ioc_type is null)
      order by l.source_id is null, l.ioc_type is null limit 1) as days
  from sources src cross join (select ioc_type from lifetimes where source_id is null) t
)`;

// Events take `at` a microsecond apart after every event before them (the caller holds the lock);
// statement_timestamp(), not clock_timestamp(): a volatile base would be read again for each row.
const INSERT_EVENTS = (rows: string, order = 'e.id') => `insert into ioc_changes (at, indicator_id, ioc_type, value, kind, reason, valid_until)
  select base.at + (row_number() over (order by ${order}) - 1) * interval '1 microsecond' as at, e.id, e.type, e.value, e.kind, e.reason, e.until
  from (select greatest(statement_timestamp(), coalesce(max(at) + interval '1 microsecond', '-infinity')) as at from ioc_changes) base,
    ${rows} e
  where e.kind is not null`;

/**
 * Computes the validity of these indicators as of $2 and writes what changed: valid_until, status,
 * the records' `withdrawn`, and one event each (added, expired, or updated when an active one's
 * validity moved). `mark`: the ones whose validity moved are marked for a new STIX version.
 */
const REFRESH = (mark: boolean) => `with ${RULES},
computed as (
  select s.indicator_id as id,
    max(case when r.days is null then 'infinity'::timestamptz else s.last_seen + r.days * interval '1 day' end) as until
  from sightings s join rules r on r.source_id = s.source_id and r.type = s.type
  where s.indicator_id in (select unnest($1::uuid[]))
  group by 1
),
-- What each becomes, beside what it was: the indicators as the statement's snapshot shows them
-- (read once here, for the update, the events and the records). due_at: when an active one that
-- will expire is due in the sweep's queue (null: it leaves the queue).
next as (
  select c.id, c.until, case when c.until <= $2::timestamptz then 'expired' else 'active' end as status,
    case when c.until > $2::timestamptz and c.until < 'infinity' then c.until end as due_at,
    o.status as was, o.valid_until as until_was, o.revoked_at is not null as revoked
  from computed c join indicators o on o.id = c.id
),
-- The ones that changed, as they were and become.
diff as (
  update indicators i set valid_until = n.until, status = n.status, lifecycle_at = $2::timestamptz
  from next n where i.id = n.id and (n.until_was is distinct from n.until or n.was <> n.status)
  returning i.id, i.type, i.value, i.last_seen, n.was, n.until_was, n.revoked, n.status, n.until
),
-- Every record of every indicator looked at says what its indicator is: also a record a write
-- added while a sweep or a revocation ran beside it (that write's mark brings it here).
listed as (
  update sightings s set withdrawn = w.withdrawn
  from (select id, case when revoked then 'revoked' when status = 'expired' then 'expired' end as withdrawn from next) w
  where s.indicator_id = w.id and s.withdrawn is distinct from w.withdrawn
),
-- The sweep's queue. (The removals are driven by next, a key lookup each: an anti-join against it
-- is rescanned row by row under a generic plan, which misjudges its size.)
queued as (
  insert into lifecycle_due (indicator_id, due_at)
  select id, due_at from next where due_at is not null
  on conflict (indicator_id) do update set due_at = excluded.due_at where lifecycle_due.due_at <> excluded.due_at
),
dequeued as (
  delete from lifecycle_due q using next n where q.indicator_id = n.id and n.due_at is null
),
${mark ? `marked as (
  insert into stix_pending (indicator_id, reported)
  select id, false from diff where until is distinct from until_was order by 1
  on conflict do nothing
),` : ''}
events as (${INSERT_EVENTS(`(select d.id, d.type, d.value, d.until,
      case
        when d.revoked then null
        when d.status = 'active' and d.was <> 'active' then 'added'
        when d.status = 'expired' and d.was <> 'expired' then 'expired'
        when d.status = 'active' then 'updated'
      end as kind,
      case
        when d.status = 'active' and d.was = 'new' then 'new: valid until ' || coalesce(${ISO('d.until')}, 'further notice')
        when d.status = 'active' and d.was = 'expired' then 'reported again after it expired: valid until ' || coalesce(${ISO('d.until')}, 'further notice')
        when d.status = 'expired' then 'not reported since ' || socd_iso(d.last_seen) || ': its lifetime ended on ' || socd_iso(d.until)
        else 'valid until ' || coalesce(${ISO('d.until')}, 'further notice') || ' (was ' || coalesce(${ISO('d.until_was')}, 'further notice') || ')'
      end as reason
    from diff d)`)}
  returning indicator_id, kind
)
select indicator_id as id, kind from events
union all select null, null from computed`;

/**
 * Brings these indicators' lifecycle up to date as of `now` (the caller holds the publisher's lock,
 * in a transaction). `mark`: those whose validity moved get a new STIX version from the publisher.
 */
export async function refreshLifecycle(tx: Queryable, ids: readonly string[], now: Date, mark: boolean): Promise<LifecycleCounts & { evented: Set<string> }> {
  const counts = { added: 0, updated: 0, expired: 0, checked: 0, evented: new Set<string>() };
  if (ids.length === 0) return counts;
  // A row per event, and a row of nulls per indicator looked at.
  for (const row of await tx.query<{ id: string | null; kind: 'added' | 'updated' | 'expired' | null }>(REFRESH(mark), [ids, now])) {
    if (row.kind === null) counts.checked++;
    else {
      counts[row.kind]++;
      counts.evented.add(row.id!);
    }
  }
  return counts;
}

/** Writes events for these indicators, in this order, after every event before them (the caller holds the lock). */
export async function insertChanges(
  tx: Queryable,
  events: readonly { indicatorId: string; kind: ChangeKind; reason: string | null }[],
): Promise<void> {
  if (events.length === 0) return;
  await tx.query(
    INSERT_EVENTS(
      `(select i.id, i.type, i.value, i.valid_until as until, e.kind, e.reason, e.n
        from unnest($1::uuid[], $2::text[], $3::text[]) with ordinality as e (id, kind, reason, n) join indicators i on i.id = e.id)`,
      'e.n',
    ),
    [events.map((e) => e.indicatorId), events.map((e) => e.kind), events.map((e) => e.reason)],
  );
}

/** Runs fn as the lifecycle's only writer (the publisher's lock), in a transaction of its own. */
export function asLifecycleWriter<T>(db: Db, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [PUBLISH_LOCK]);
    return fn(tx);
  });
}

/** What a sweep did. */
export interface SweepResult extends LifecycleCounts {
  /** Events pruned from the feed (older than the retention). */
  pruned: number;
}

// Small enough that every statement of a batch walks indexes, in either plan mode (bench/lifecycle.ts).
const SWEEP_BATCH = 2_500;

/**
 * The expiry sweep: the queue's indicators that are due (active ones whose valid_until has passed,
 * and an upgraded store's, not computed yet) are brought up to date as of `now` (a due one that
 * was reported again is extended, else it expires), a batch a transaction; then events older than
 * `retentionDays` are pruned. One instance at a time across a cluster (the publisher's lock); the
 * new STIX versions are left to the publisher.
 */
export async function sweepLifecycle(db: Db, now: Date, options: { retentionDays?: number; batch?: number } = {}): Promise<SweepResult> {
  const total: SweepResult = { added: 0, updated: 0, expired: 0, checked: 0, pruned: 0 };
  const batch = options.batch ?? SWEEP_BATCH;
  for (;;) {
    const counts = await asLifecycleWriter(db, async (tx) => {
      const rows = await tx.query<{ id: string }>(
        `select indicator_id as id from lifecycle_due where due_at <= $2::timestamptz order by due_at limit $1`,
        [batch, now],
      );
      const ids = rows.map((row) => row.id);
      const { evented: _, ...counts } = await refreshLifecycle(tx, ids, now, true);
      // One whose records are all gone cannot be computed: it leaves the queue too.
      if (counts.checked < ids.length) {
        await tx.query(
          'delete from lifecycle_due q where q.indicator_id = any($1::uuid[]) and not exists (select 1 from sightings s where s.indicator_id = q.indicator_id)',
          [ids],
        );
      }
      // Each one leaves the queue or moves past `now`: done when a batch is not full.
      return { ...counts, more: rows.length >= batch };
    });
    total.added += counts.added;
    total.updated += counts.updated;
    total.expired += counts.expired;
    total.checked += counts.checked;
    if (!counts.more) break;
  }
  if (options.retentionDays !== undefined) total.pruned = await pruneChanges(db, new Date(now.getTime() - options.retentionDays * 86_400_000));
  return total;
}

/** Drops the events up to `before`; the feed is complete only after it (readers ask for events after a point). */
export async function pruneChanges(db: Db, before: Date): Promise<number> {
  return asLifecycleWriter(db, async (tx) => {
    const [row] = await tx.query<{ n: number }>(
      `with pruned as (delete from ioc_changes where at <= $1::timestamptz returning 1),
       moved as (update change_history set complete_since = $1::timestamptz where complete_since < $1::timestamptz)
       select count(*)::int as n from pruned`,
      [before],
    );
    return row?.n ?? 0;
  });
}

// ---- withdrawal ----------------------------------------------------------------------------------

/** An indicator as its withdrawal shows it. */
export interface WithdrawalRow {
  id: string;
  type: IocType;
  value: string;
  status: 'new' | 'active' | 'expired';
  revoked_at: string | null;
  revoked_reason: string | null;
  revoked_by: string | null;
}

const WITHDRAWAL_COLUMNS = `id, type, value, status, socd_iso(revoked_at) as revoked_at, revoked_reason, revoked_by`;

/**
 * Revokes (or restores) the stored indicator (type, normalized value): its records leave (or
 * rejoin) every list, with a `revoked` (`restored`) event and a new STIX version. Undefined when
 * no such indicator is stored; unchanged (and no event) when it already was.
 */
export async function setRevoked(
  db: Db,
  key: { type: IocType; normalized: string },
  change: { revoked: boolean; reason: string; by: string },
  now: Date,
): Promise<Withdrawal | undefined> {
  const result = await asLifecycleWriter(db, (tx) => setRevokedIn(tx, key, change, now));
  // The lists changed: their ETags move on.
  if (result?.changed) await noteDataChanged(db);
  return result;
}

/** What a revocation or restore did: changed, or not (already so, or the allow-list holds the value, which stays revoked). */
export interface Withdrawal {
  indicator: WithdrawalRow;
  changed: boolean;
  allowListed?: AllowListRow;
}

async function setRevokedIn(
  tx: Queryable,
  key: { type: IocType; normalized: string },
  change: { revoked: boolean; reason: string; by: string; byAllowList?: boolean },
  now: Date,
): Promise<Withdrawal | undefined> {
  // Only the allow-list restores a value it holds (checked under the lock: an addition cannot slip in between).
  const allowListed = change.revoked || change.byAllowList ? undefined : await findAllowListed(tx, key.type, key.normalized);
  const [updated] = allowListed
    ? []
    : change.revoked
    ? await tx.query<WithdrawalRow>(
        `update indicators set revoked_at = $3, revoked_reason = $4, revoked_by = $5, lifecycle_at = $3
         where value_normalized = $1 and type = $2 and revoked_at is null returning ${WITHDRAWAL_COLUMNS}`,
        [key.normalized, key.type, now, change.reason, change.by],
      )
    : await tx.query<WithdrawalRow>(
        `update indicators set revoked_at = null, revoked_reason = null, revoked_by = null, lifecycle_at = $3
         where value_normalized = $1 and type = $2 and revoked_at is not null returning ${WITHDRAWAL_COLUMNS}`,
        [key.normalized, key.type, now],
      );
  if (!updated) {
    const [stored] = await tx.query<WithdrawalRow>(`select ${WITHDRAWAL_COLUMNS} from indicators where value_normalized = $1 and type = $2`, [
      key.normalized,
      key.type,
    ]);
    return stored && { indicator: stored, changed: false, ...(allowListed && { allowListed }) };
  }
  await tx.query(
    `update sightings set withdrawn = $2 where indicator_id = $1 and withdrawn is distinct from $2`,
    [updated.id, change.revoked ? 'revoked' : updated.status === 'expired' ? 'expired' : null],
  );
  await tx.query(
    `insert into stix_pending (indicator_id, reported) values ($1, false) on conflict do nothing`,
    [updated.id],
  );
  await insertChanges(tx, [{ indicatorId: updated.id, kind: change.revoked ? 'revoked' : 'restored', reason: change.reason }]);
  return { indicator: updated, changed: true };
}

/** A value of the allow-list. */
export interface AllowListRow {
  type: IocType;
  value: string;
  reason: string;
  added_at: string;
  added_by: string;
}

export const ALLOW_LISTED = 'allow-listed: ';

const ALLOW_LIST_COLUMNS = 'ioc_type as type, value, reason, socd_iso(added_at) as added_at, added_by';

export function readAllowList(db: Queryable): Promise<AllowListRow[]> {
  return db.query<AllowListRow>(`select ${ALLOW_LIST_COLUMNS} from allow_list order by added_at desc, value`);
}

/** The allow-list's entry for (type, normalized value), if it holds one. */
export async function findAllowListed(db: Queryable, type: IocType, normalized: string): Promise<AllowListRow | undefined> {
  const [row] = await db.query<AllowListRow>(`select ${ALLOW_LIST_COLUMNS} from allow_list where ioc_type = $1 and value_normalized = $2`, [
    type,
    normalized,
  ]);
  return row;
}

/**
 * Adds a value to the allow-list (its stored indicator, if any, is revoked with the reason; a
 * new one will be stored revoked), or removes it (the indicator it revoked is restored). Returns
 * whether the list changed.
 */
export async function setAllowListed(
  db: Db,
  ioc: { type: IocType; normalized: string; value: string },
  change: { listed: boolean; reason: string; by: string },
  now: Date,
): Promise<boolean> {
  const changed = await asLifecycleWriter(db, async (tx) => {
    const rows = change.listed
      ? await tx.query(
          `insert into allow_list (ioc_type, value_normalized, value, reason, added_at, added_by) values ($1, $2, $3, $4, $5, $6)
           on conflict do nothing returning 1`,
          [ioc.type, ioc.normalized, ioc.value, change.reason, now, change.by],
        )
      : await tx.query('delete from allow_list where ioc_type = $1 and value_normalized = $2 returning 1', [ioc.type, ioc.normalized]);
    if (rows.length === 0) return false;
    const [indicator] = await tx.query<{ revoked_reason: string | null }>(
      'select revoked_reason from indicators where value_normalized = $1 and type = $2',
      [ioc.normalized, ioc.type],
    );
    // Restored only if the allow-list revoked it (an admin's own revocation stands).
    if (indicator && (change.listed || indicator.revoked_reason?.startsWith(ALLOW_LISTED))) {
      const reason = change.listed ? ALLOW_LISTED + change.reason : change.reason;
      await setRevokedIn(tx, ioc, { revoked: change.listed, reason, by: change.by, byAllowList: true }, now);
    }
    return true;
  });
  if (changed) await noteDataChanged(db);
  return changed;
}

// ---- lifetimes ------------------------------------------------------------------------------------

/** One row of the lifetimes table. */
export interface LifetimeRow {
  /** null: the type's default (every source). */
  source: string | null;
  /** null: every type of the source. */
  type: IocType | null;
  /** null: never expires. */
  lifetime_days: number | null;
  /** The risk score's half-life (type defaults only); null: does not fade. */
  half_life_days: number | null;
  reason: string;
  updated_at: string;
  updated_by: string;
}

export function readLifetimes(db: Queryable): Promise<LifetimeRow[]> {
  return db.query<LifetimeRow>(
    `select src.name as source, l.ioc_type as type, l.lifetime_days, l.half_life_days, l.reason,
       socd_iso(l.updated_at) as updated_at, l.updated_by
     from lifetimes l left join sources src on src.id = l.source_id
     order by src.name nulls first, l.ioc_type nulls first`,
  );
}

/** A lifetime to set: a type's default (source null, half-life included) or a source's override. */
export interface LifetimeChange {
  sourceId: number | null;
  type: IocType | null;
  lifetimeDays: number | null;
  /** Type defaults only; undefined keeps the stored one. */
  halfLifeDays?: number | null;
  reason: string;
  by: string;
}

/** The indicators a rule's scope covers, marked for the publisher to compute again. */
function recheck(tx: Queryable, sourceId: number | null, type: IocType | null) {
  const clauses = [];
  const params: unknown[] = [];
  if (type) clauses.push(`type = $${params.push(type)}`);
  if (sourceId !== null) clauses.push(`id in (select indicator_id from sightings where source_id = $${params.push(sourceId)})`);
  return tx.query(
    `insert into stix_pending (indicator_id, reported)
     select id, false from indicators where status <> 'new' and ${clauses.join(' and ')} order by 1 on conflict do nothing`,
    params,
  );
}

/**
 * Sets a lifetime (inserted or replaced): the indicators it covers are computed again by the next
 * publisher run, which writes what expires or comes back, with its events.
 */
export async function setLifetime(db: Db, change: LifetimeChange): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(
      `insert into lifetimes (source_id, ioc_type, lifetime_days, half_life_days, reason, updated_at, updated_by)
       values ($1, $2, $3, $4, $5, now(), $6)
       on conflict on constraint lifetimes_scope do update set lifetime_days = excluded.lifetime_days,
         half_life_days = case when $7 then excluded.half_life_days else lifetimes.half_life_days end,
         reason = excluded.reason, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      [change.sourceId, change.type, change.lifetimeDays, change.halfLifeDays ?? null, change.reason, change.by, change.halfLifeDays !== undefined],
    );
    await recheck(tx, change.sourceId, change.type);
  });
}

/** Removes a source's override (a type's default cannot be removed); returns whether there was one. */
export async function deleteLifetime(db: Db, sourceId: number, type: IocType | null): Promise<boolean> {
  return db.transaction(async (tx) => {
    const rows = await tx.query('delete from lifetimes where source_id = $1 and ioc_type is not distinct from $2 returning 1', [sourceId, type]);
    if (rows.length > 0) await recheck(tx, sourceId, type);
    return rows.length > 0;
  });
}

/** A source's lifetime as its catalogue entry declares it: set unless an admin has set one. */
export async function seedSourceLifetime(db: Queryable, sourceId: number, lifetimeDays: number, reason: string): Promise<void> {
  await db.query(
    `insert into lifetimes (source_id, ioc_type, lifetime_days, reason, updated_by) values ($1, null, $2, $3, 'catalogue')
     on conflict on constraint lifetimes_scope do update set lifetime_days = excluded.lifetime_days, reason = excluded.reason
     where lifetimes.updated_by = 'catalogue'`,
    [sourceId, lifetimeDays, reason],
  );
}

// ---- reading the feed -----------------------------------------------------------------------------

/** Since when the feed is complete (RFC 3339, microseconds): a `since` before it cannot be answered. */
export async function changesCompleteSince(db: Queryable): Promise<string> {
  const [row] = await db.query<{ at: string }>(`select ${keysetAt('complete_since')} as at from change_history`);
  return row!.at;
}

/** The newest event's place (or the start of the history when there is none): where a list stands in the feed. */
export async function changesHead(db: Queryable): Promise<string> {
  const [row] = await db.query<{ at: string }>(
    `select ${keysetAt('coalesce((select max(at) from ioc_changes), (select complete_since from change_history))')} as at`,
  );
  return row!.at;
}

/** Events after `after`, oldest first, at most `limit` (of one type, when given). */
export function readChanges(db: Queryable, after: string, limit: number, type?: IocType): Promise<ChangeRow[]> {
  const params: unknown[] = [after, limit];
  const byType = type ? `and ioc_type = $${params.push(type)}` : '';
  return db.query<ChangeRow>(
    `select ${keysetAt('at')} as at, indicator_id, ioc_type as type, value, kind, reason, ${ISO('valid_until')} as valid_until
     -- ioc_changes.at, the column (its index), not the output's text of the same name
     from ioc_changes where at > $1::timestamptz ${byType} order by ioc_changes.at limit $2::bigint`,
    params,
  );
}

/** What a delta line's membership is judged on: the list's filters that a record carries. */
export interface DeltaFilters {
  type?: IocType;
  confidence?: string;
  category?: string;
}

/** One line of a block-list delta: the value, and whether the list holds it now. */
export interface DeltaLine {
  value: string;
  listed: boolean;
}

/**
 * A block-list delta: the values with events after `after` (at most `limit` events read), each
 * once, in the order of its last event, with whether the list (these filters, active records)
 * holds it now. Applied in order to the list as it stood at `after`, they give the list as it
 * stands. `next`: the last event read, when `limit` were (more may follow).
 */
export async function readDelta(db: Queryable, after: string, limit: number, filters: DeltaFilters): Promise<{ lines: DeltaLine[]; next?: string }> {
  const params: unknown[] = [after, limit];
  const byType = filters.type ? `and ioc_type = $${params.push(filters.type)}` : '';
  const record: string[] = [];
  if (filters.confidence) record.push(`and s.confidence = $${params.push(filters.confidence)}`);
  if (filters.category) record.push(`and s.source_id in (select id from sources where category = $${params.push(filters.category)})`);
  const rows = await db.query<{ value: string; listed: boolean; last: string; read: number; next: string }>(
    `with read as (
       select at, indicator_id from ioc_changes where at > $1::timestamptz ${byType} order by at limit $2::bigint
     ),
     latest as (select indicator_id, max(at) as at from read group by 1)
     select i.value, exists (select 1 from sightings s where s.indicator_id = i.id and s.withdrawn is null ${record.join(' ')}) as listed,
       (select count(*) from read)::int as read, (select ${keysetAt('max(at)')} from read) as next
     from latest l join indicators i on i.id = l.indicator_id
     order by l.at`,
    params,
  );
  const full = (rows[0]?.read ?? 0) >= limit;
  return { lines: rows.map(({ value, listed }) => ({ value, listed })), ...(full && { next: rows[0]!.next }) };
}

/** An indicator's lifecycle, as search and lookup show it. */
export interface LifecycleState {
  status: 'active' | 'expired' | 'revoked';
  /** RFC 3339 UTC; null: never expires (or not computed yet). */
  valid_until: string | null;
  revoked_at: string | null;
  reason: string | null;
}

/** The lifecycle of the stored indicator (type, normalized value), if there is one. */
export async function readLifecycleState(db: Queryable, type: IocType, normalized: string): Promise<LifecycleState | undefined> {
  const [row] = await db.query<LifecycleState>(
    `select case when revoked_at is not null then 'revoked' when status = 'expired' then 'expired' else 'active' end as status,
       ${ISO('valid_until')} as valid_until, socd_iso(revoked_at) as revoked_at, revoked_reason as reason
     from indicators where value_normalized = $1 and type = $2`,
    [normalized, type],
  );
  return row;
}
