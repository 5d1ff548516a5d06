// After a write commits: the counter that block-lists' ETags follow moves on, and the
// indicators the write changed materially get new STIX versions, which TAXII serves
// (store/taxii.ts says why publishing after the commit keeps TAXII paging complete).
import { ATTACK_PATTERN_TIMESTAMP, isRevokedState, stixMaterialState, stixVersionObjects, toStixTimestamp } from '../export/stix.js';
import { noteDataChanged } from '../store/changes.js';
import type { Db, Queryable } from '../store/db.js';
import { summarizeIndicators } from '../store/iocs.js';
import { insertChanges, refreshLifecycle, sweepLifecycle, type SweepResult } from '../store/lifecycle.js';
import { insertVersions, latestVersions, publishedObjects, withPendingIndicators, type NewVersion } from '../store/taxii.js';

const BATCH = 2000;

/** After a write that changed IOC data commits: the ETags move on, and what changed is published. */
export async function publishChanges(db: Db): Promise<number> {
  await noteDataChanged(db);
  return publishStixVersions(db);
}

/**
 * The expiry sweep (lifecycle.ts), then the STIX versions of what it and the writes before it
 * changed; the ETags move on when the sweep changed a list.
 */
export async function expireAndPublish(db: Db, now: Date, retentionDays?: number): Promise<SweepResult & { versions: number }> {
  const swept = await sweepLifecycle(db, now, { retentionDays });
  if (swept.added + swept.updated + swept.expired > 0) await noteDataChanged(db);
  return { ...swept, versions: await publishStixVersions(db, () => now) };
}

/**
 * Publishes what writes have marked since the last run (also run on a timer, for a write whose
 * process stopped before it published); returns how many versions it added.
 */
export async function publishStixVersions(db: Db, now: () => Date = () => new Date()): Promise<number> {
  let added = 0;
  let listsChanged = false;
  for (;;) {
    const batch = await withPendingIndicators(db, BATCH, async (tx, { ids, reported }) => {
      if (ids.length === 0) return undefined;
      const at = now();
      // Their lifecycle first (a new value's validity, an expired one reported again), so that
      // the version says it; then what a write reported without changing that is an update.
      const lifecycle = await refreshLifecycle(tx, ids, at, false);
      listsChanged ||= lifecycle.added + lifecycle.expired > 0;
      const versions = await newVersions(tx, ids, new Set([...reported].filter((id) => !lifecycle.evented.has(id))), at);
      await insertVersions(tx, versions);
      return versions.length;
    });
    if (batch === undefined) break;
    added += batch;
  }
  // A value that expired or came back changed the lists: their ETags move on.
  if (listsChanged) await noteDataChanged(db);
  return added;
}

/**
 * The versions of these indicators whose material state differs from their latest one; the
 * changes feed has an `updated` event for each of `updated` (reported by a write, with no event
 * of its lifecycle just now) that is listed.
 */
async function newVersions(tx: Queryable, ids: string[], updated: Set<string>, now: Date): Promise<NewVersion[]> {
  const [summaries, latest] = await Promise.all([summarizeIndicators(tx, ids), latestVersions(tx, ids)]);
  const latestOf = new Map(latest.map((version) => [version.indicator_id, version]));
  const versions: NewVersion[] = [];
  const attackPatterns = new Map<string, string>();
  const updates: { indicatorId: string; kind: 'updated'; reason: string }[] = [];
  for (const ind of summaries) {
    const latestObject = latestOf.get(ind.id);
    if (updated.has(ind.id) && ind.listed) {
      const was = latestObject?.confidence;
      const reason = was && was !== ind.confidence ? `confidence ${was} → ${ind.confidence}` : `reported by ${ind.sources.join(', ')}`;
      updates.push({ indicatorId: ind.id, kind: 'updated', reason });
    }
    // STIX 2.1 §3.6: "once an object is marked as revoked, later versions of that object MUST NOT
    // be created". A value still withdrawn has nothing more to publish; a restored one is published
    // again as a new object, its first version (StixSummary.stix_chain: the object's id).
    const revokedBefore = latestObject?.state != null && isRevokedState(latestObject.state);
    if (revokedBefore && ind.revoked) continue;
    const previous = revokedBefore ? undefined : latestObject;
    const chain = latestObject ? latestObject.objects - (revokedBefore ? 0 : 1) : 0;
    const state = stixMaterialState(ind);
    if (previous?.state === state) continue;
    // `created` never changes between versions, though first_seen may move earlier.
    const created = previous?.created ?? toStixTimestamp(ind.first_seen);
    const modified = laterOf(now, created, previous?.modified);
    const { object, relationships, attackPatterns: patterns } = stixVersionObjects({ ...ind, first_seen: created, stix_chain: chain }, modified);
    for (const pattern of patterns) attackPatterns.set(pattern.id, pattern.json);
    if (!object) continue;
    const about = { indicatorId: ind.id, iocType: ind.type, confidence: ind.confidence, previousConfidence: previous?.confidence ?? null, first: !previous };
    versions.push({ ...about, objectId: object.id, objectType: object.type, modified, state, object: object.json });
    for (const r of relationships) versions.push({ ...about, objectId: r.id, objectType: r.type, modified, state: null, object: r.json });
  }
  const known = await publishedObjects(tx, [...attackPatterns.keys(), ...versions.filter((v) => v.objectType === 'relationship').map((v) => v.objectId)]);
  // A technique new to an indicator's version is the first version of its relationship.
  for (const v of versions) if (v.objectType === 'relationship') v.first = !known.has(v.objectId);
  // An attack-pattern never changes (its version is the ATT&CK release's): published once, in every collection, before what refers to it.
  const patterns: NewVersion[] = [...attackPatterns]
    .filter(([id]) => !known.has(id))
    .map(([id, json]) => ({
      objectId: id, objectType: 'attack-pattern', modified: ATTACK_PATTERN_TIMESTAMP,
      indicatorId: null, iocType: null, confidence: null, previousConfidence: null, state: null, first: true, object: json,
    }));
  await insertChanges(tx, updates);
  return [...patterns, ...versions];
}

/** RFC 3339 with milliseconds: now, unless that is not after `created` and a previous version. */
function laterOf(now: Date, created: string, previous?: string): string {
  let at = Math.max(now.getTime(), Date.parse(created));
  if (previous !== undefined) at = Math.max(at, Date.parse(previous) + 1);
  return new Date(at).toISOString();
}
