// STIX 2.1 export: IndicatorSummary rows → one bundle, streamed object by object.
// Pure: strings in, strings out. Every id and timestamp comes from the data or a constant, so the
// same rows always give the same objects (only the bundle id is new each time) and downstream
// dedup and TAXII versioning behave. See ../shared/spec/formats.md (STIX 2.1).
import { Buffer } from 'node:buffer';
import { v4 as uuidv4, v5 as uuidv5, parse as parseUuid } from 'uuid';
import { attackTechnique, attackTechniqueUrl, isAttackTechniqueId, normalizeAttackTechniqueId } from '../ioc/attack.js';
import { indicatorId } from '../ioc/ids.js';
import { HASH_TYPES, type Confidence, type IocType } from '../ioc/types.js';
import type { IndicatorSummary } from '../store/records.js';
import type { Exporter } from './exporter.js';

export const STIX_MEDIA_TYPE = 'application/stix+json;version=2.1';

/** Our own UUIDv5 namespace for ids we derive (identity, technique attack-patterns, relationships). */
export const SOCD_STIX_NAMESPACE = 'be591621-72d3-4906-8efb-5a86270dcdfd';

/** high/medium/low → STIX `confidence` (0–100). */
export const STIX_CONFIDENCE: Readonly<Record<Confidence, number>> = { high: 85, medium: 50, low: 15 };

/** Fixed so the identity object is byte-identical in every export. */
export const SOCD_IDENTITY_TIMESTAMP = '2025-01-01T00:00:00.000Z';
/** The ATT&CK release the technique table comes from (v18.1); bump with the table so renames become new versions. */
export const ATTACK_PATTERN_TIMESTAMP = '2025-11-13T00:00:00.000Z';

const NAMESPACE_BYTES = parseUuid(SOCD_STIX_NAMESPACE);
// Names go in as bytes: Buffer's native UTF-8 encoder is several times faster than uuid's own.
const deriveUuid = (name: string): string => uuidv5(Buffer.from(name, 'utf8'), NAMESPACE_BYTES);

export const SOCD_IDENTITY_ID = `identity--${deriveUuid('identity:SOC Defenders')}`;

// ---- wire types -------------------------------------------------------------------------------

export interface StixExternalReference {
  source_name: string;
  url?: string;
  external_id?: string;
}
export interface StixKillChainPhase {
  kill_chain_name: string;
  phase_name: string;
}
interface StixCommon {
  spec_version: '2.1';
  id: string;
  created_by_ref?: string;
  created: string;
  modified: string;
  confidence?: number;
  labels?: string[];
  revoked?: boolean;
  external_references?: StixExternalReference[];
}
export interface StixIdentity extends StixCommon {
  type: 'identity';
  name: string;
  identity_class: 'organization';
}
export interface StixIndicator extends StixCommon {
  type: 'indicator';
  name: string;
  description?: string;
  indicator_types: string[];
  pattern: string;
  pattern_type: 'stix';
  pattern_version: '2.1';
  valid_from: string;
  valid_until?: string;
  kill_chain_phases?: readonly StixKillChainPhase[];
}
export interface StixAttackPattern extends StixCommon {
  type: 'attack-pattern';
  name: string;
  description?: string;
  kill_chain_phases?: readonly StixKillChainPhase[];
}
export interface StixVulnerability extends StixCommon {
  type: 'vulnerability';
  name: string;
  description?: string;
}
export interface StixRelationship extends StixCommon {
  type: 'relationship';
  relationship_type: string;
  source_ref: string;
  target_ref: string;
}
export type StixObject = StixIdentity | StixIndicator | StixAttackPattern | StixVulnerability | StixRelationship;
export interface StixBundle {
  type: 'bundle';
  id: string;
  objects: StixObject[];
}

/**
 * An indicator as the STIX writers take it: the store's summary, and two optional facts of its
 * STIX life (absent: an indicator never revoked and restored, dated by last_seen alone).
 */
export interface StixSummary extends IndicatorSummary {
  /**
   * Its STIX object: 0 the first one (`indicator--<indicator id>`), n the object it got after its
   * n-th restore. STIX 2.1 §3.6: "Revocation is permanent: once an object is marked as revoked,
   * later versions of that object MUST NOT be created", so a value restored after its object was
   * revoked is published again as a new object (a new id, its own first version), and the
   * revoked one stays revoked for good.
   */
  stix_chain?: number;
  /** RFC 3339: when its validity or withdrawal last changed (a new version: `modified` moves). */
  lifecycle_at?: string | null;
}

// ---- the bundle writer ------------------------------------------------------------------------

export interface StixBundleOptions {
  /** Reserved: nothing in the output depends on the clock yet (timestamps come from the data). */
  now?: Date;
}

export interface StixBundleWriter {
  /** `{"type":"bundle","id":…,"objects":[<identity>` */
  head(): string;
  /** `,<object>…` for one indicator: the object itself, technique attack-patterns not yet written, relationships. */
  objects(ind: StixSummary): string;
  /** `]}` */
  tail(): string;
}

const IDENTITY: StixIdentity = {
  type: 'identity',
  spec_version: '2.1',
  id: SOCD_IDENTITY_ID,
  created: SOCD_IDENTITY_TIMESTAMP,
  modified: SOCD_IDENTITY_TIMESTAMP,
  name: 'SOC Defenders',
  identity_class: 'organization',
};
const IDENTITY_JSON = JSON.stringify(IDENTITY);

/** A writer for one bundle; it remembers which technique attack-patterns it has written. */
export function createStixBundleWriter(_opts: StixBundleOptions = {}): StixBundleWriter {
  const writtenTechniques = new Set<string>();
  return {
    head: () => `{"type":"bundle","id":"bundle--${uuidv4()}","objects":[${IDENTITY_JSON}`,
    objects: (ind) => indicatorObjectsJson(ind, writtenTechniques),
    tail: () => ']}',
  };
}

export const stixExporter = {
  format: 'stix',
  mediaType: 'application/json; charset=utf-8',
  negotiated: 'application/stix+json;version=2.1',
  scope: 'read:stix',
  reads: 'summaries',
  listed: false,
  description: 'a STIX 2.1 bundle, one object per distinct indicator.',
  route: '/iocs/stix',
  writer: () => {
    const bundle = createStixBundleWriter();
    return { head: bundle.head, batch: (summaries) => summaries.map(bundle.objects).join(''), tail: bundle.tail };
  },
} as const satisfies Exporter<'summaries'>;

/** The whole bundle as an object: for tests and small exports (large ones stream the writer). */
export function toStixBundle(rows: readonly StixSummary[], opts?: StixBundleOptions): StixBundle {
  const writer = createStixBundleWriter(opts);
  let json = writer.head();
  for (const row of rows) json += writer.objects(row);
  return JSON.parse(json + writer.tail()) as StixBundle;
}

function indicatorObjectsJson(ind: StixSummary, writtenTechniques: Set<string>): string {
  if (ind.type === 'cve') return `,${JSON.stringify(toVulnerability(ind))}`;
  if (ind.type === 'mitre_attack') {
    // A technique is one object, the same in every bundle, whether reported as an IOC or named
    // by a record (STIX forbids two versions of an object with different `created`).
    const technique = normalizeAttackTechniqueId(ind.value);
    if (writtenTechniques.has(technique)) return '';
    writtenTechniques.add(technique);
    return `,${techniqueEntry(technique).attackPatternJson}`;
  }

  const techniques = techniquesOf(ind.mitre_techniques);
  const indicator = toIndicator(ind, ind.type, killChainPhasesOf(techniques));
  let json = `,${JSON.stringify(indicator)}`;
  for (const technique of techniques) {
    if (!writtenTechniques.has(technique.id)) {
      writtenTechniques.add(technique.id);
      json += `,${technique.attackPatternJson}`;
    }
    json += `,${JSON.stringify(indicatesRelationship(indicator, technique.stixId))}`;
  }
  return json;
}

// ---- versions, for TAXII ----------------------------------------------------------------------

/** One STIX object as TAXII stores it: its id, type and JSON. */
export interface StixObjectJson {
  id: string;
  type: StixObject['type'];
  json: string;
}

/**
 * What makes a new version of an indicator (TAXII): its confidence, labels, techniques,
 * revocation and validity. Its sources, contexts and last_seen do not. (No valid_until, never
 * expires, writes the state as it was before validity was part of it: no new version for that.)
 */
export function stixMaterialState(ind: IndicatorSummary): string {
  const techniques = techniquesOf(ind.mitre_techniques).map((t) => t.id);
  const state: unknown[] = [ind.confidence, [...(toLabels(ind.tags) ?? [])].sort(), techniques.sort(), ind.revoked === true];
  if (ind.valid_until) state.push(ind.valid_until);
  return JSON.stringify(state);
}

/** Whether a state stixMaterialState wrote is of a revoked object: one that no version may follow. */
export function isRevokedState(state: string): boolean {
  return (JSON.parse(state) as unknown[])[3] === true;
}

/**
 * The objects of one version of an indicator: the indicator (or vulnerability) with `modified`
 * the version's, its `indicates` relationships of the same version, and the attack-patterns of
 * its techniques (always the same objects). A technique reported as an IOC is its attack-pattern.
 */
export function stixVersionObjects(ind: StixSummary, modified: string) {
  const version: StixSummary = { ...ind, last_seen: modified, lifecycle_at: null };
  const entry = (o: StixObject): StixObjectJson => ({ id: o.id, type: o.type, json: JSON.stringify(o) });
  const techniqueJson = (t: TechniqueEntry): StixObjectJson => ({ id: t.stixId, type: 'attack-pattern', json: t.attackPatternJson });
  if (ind.type === 'mitre_attack') {
    return { object: undefined, relationships: [], attackPatterns: [techniqueEntry(normalizeAttackTechniqueId(ind.value))].map(techniqueJson) };
  }
  if (ind.type === 'cve') return { object: entry(toVulnerability(version)), relationships: [], attackPatterns: [] };
  const techniques = techniquesOf(ind.mitre_techniques);
  const indicator = toIndicator(version, ind.type, killChainPhasesOf(techniques));
  return {
    object: entry(indicator),
    relationships: techniques.map((t) => entry(indicatesRelationship(indicator, t.stixId))),
    attackPatterns: techniques.map(techniqueJson),
  };
}

// ---- one object per IocType -------------------------------------------------------------------

/** The types exported as indicators with a pattern (CVEs and techniques are SDOs of their own). */
export type StixPatternIocType = Exclude<IocType, 'cve' | 'mitre_attack'>;

/** Object paths; hash keys always quoted, one canonical style (OpenCTI #13803). */
const PATTERN_PATHS: Readonly<Record<StixPatternIocType, string>> = {
  ipv4: 'ipv4-addr:value',
  ipv6: 'ipv6-addr:value',
  domain: 'domain-name:value',
  url: 'url:value',
  email: 'email-addr:value',
  md5: "file:hashes.'MD5'",
  sha1: "file:hashes.'SHA-1'",
  sha256: "file:hashes.'SHA-256'",
  sha512: "file:hashes.'SHA-512'",
};
const HASH_TYPE_SET: ReadonlySet<IocType> = new Set(HASH_TYPES);

/** `[url:value = '…']` with `\` and `'` escaped: the only escapes the grammar's StringLiteral allows. */
export function stixPattern(type: StixPatternIocType, value: string): string {
  const literal = HASH_TYPE_SET.has(type) ? value.toLowerCase() : value;
  return `[${PATTERN_PATHS[type]} = '${escapeStixString(literal)}']`;
}

export function escapeStixString(value: string): string {
  return value.replace(/[\\']/g, '\\$&');
}

function toIndicator(
  ind: StixSummary,
  type: StixPatternIocType,
  phases: readonly StixKillChainPhase[] | undefined,
): StixIndicator {
  const created = toStixTimestamp(ind.first_seen);
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--${stixObjectUuid(ind)}`,
    created_by_ref: SOCD_IDENTITY_ID,
    created,
    modified: modifiedOf(created, ind),
    name: ind.value,
    description: firstContext(ind.contexts) ?? reportedBy(ind),
    indicator_types: ['malicious-activity'],
    pattern: stixPattern(type, ind.value),
    pattern_type: 'stix',
    pattern_version: '2.1',
    valid_from: created,
    ...(ind.valid_until && { valid_until: laterThan(created, toStixTimestamp(ind.valid_until)) }),
    kill_chain_phases: phases,
    labels: toLabels(ind.tags),
    confidence: STIX_CONFIDENCE[ind.confidence],
    ...(ind.revoked && { revoked: true }),
    external_references: referencesOf(ind),
  };
}

function toVulnerability(ind: StixSummary): StixVulnerability {
  const created = toStixTimestamp(ind.first_seen);
  const cveId = ind.value.trim().toUpperCase();
  return {
    type: 'vulnerability',
    spec_version: '2.1',
    id: `vulnerability--${stixObjectUuid(ind)}`,
    created_by_ref: SOCD_IDENTITY_ID,
    created,
    modified: modifiedOf(created, ind),
    name: cveId,
    description: firstContext(ind.contexts),
    labels: toLabels(ind.tags),
    confidence: STIX_CONFIDENCE[ind.confidence],
    ...(ind.revoked && { revoked: true }),
    external_references: [{ source_name: 'cve', external_id: cveId }, ...(referencesOf(ind) ?? [])],
  };
}

function indicatesRelationship(indicator: StixIndicator, attackPatternId: string): StixRelationship {
  return {
    type: 'relationship',
    spec_version: '2.1',
    id: `relationship--${deriveUuid(`indicates:${indicator.id}:${attackPatternId}`)}`,
    created_by_ref: SOCD_IDENTITY_ID,
    // The link is as old as the indicator's knowledge of it, and withdrawn with it.
    created: indicator.created,
    modified: indicator.modified,
    ...(indicator.revoked && { revoked: true }),
    relationship_type: 'indicates',
    source_ref: indicator.id,
    target_ref: attackPatternId,
  };
}

// ---- ATT&CK techniques named by records --------------------------------------------------------

interface TechniqueEntry {
  id: string;
  name: string;
  stixId: string;
  phases: readonly StixKillChainPhase[] | undefined;
  reference: StixExternalReference;
  attackPatternJson: string;
}

// Technique objects never change between exports, so each is built and serialized once per process.
const TECHNIQUE_CACHE = new Map<string, TechniqueEntry>();
const TECHNIQUE_CACHE_LIMIT = 5_000;

function techniqueEntry(id: string): TechniqueEntry {
  let entry = TECHNIQUE_CACHE.get(id);
  if (!entry) {
    if (TECHNIQUE_CACHE.size >= TECHNIQUE_CACHE_LIMIT) TECHNIQUE_CACHE.clear();
    entry = buildTechniqueEntry(id);
    TECHNIQUE_CACHE.set(id, entry);
  }
  return entry;
}

function buildTechniqueEntry(id: string): TechniqueEntry {
  const technique = attackTechnique(id);
  const tactics = technique?.tactics ?? [];
  const phases = tactics.length > 0 ? tactics.map((tactic) => ({ kill_chain_name: 'mitre-attack', phase_name: tactic })) : undefined;
  const reference: StixExternalReference = isAttackTechniqueId(id)
    ? { source_name: 'mitre-attack', external_id: id, url: attackTechniqueUrl(id) }
    : { source_name: 'mitre-attack', external_id: id };
  // The id a mitre_attack IOC of this technique has, so both describe one object.
  const stixId = `attack-pattern--${indicatorId('mitre_attack', id.toLowerCase())}`;
  const name = technique?.name ?? id;
  const attackPattern: StixAttackPattern = {
    type: 'attack-pattern',
    spec_version: '2.1',
    id: stixId,
    created_by_ref: SOCD_IDENTITY_ID,
    created: ATTACK_PATTERN_TIMESTAMP,
    modified: ATTACK_PATTERN_TIMESTAMP,
    name,
    kill_chain_phases: phases,
    external_references: [reference],
  };
  return { id, name, stixId, phases, reference, attackPatternJson: JSON.stringify(attackPattern) };
}

/** The record's well-formed technique ids, de-duplicated; anything else cannot be an ATT&CK technique. */
function techniquesOf(ids: readonly string[]): TechniqueEntry[] {
  const entries: TechniqueEntry[] = [];
  for (const raw of ids) {
    const id = normalizeAttackTechniqueId(raw);
    if (!isAttackTechniqueId(id) || entries.some((entry) => entry.id === id)) continue;
    entries.push(techniqueEntry(id));
  }
  return entries;
}

function killChainPhasesOf(techniques: readonly TechniqueEntry[]): readonly StixKillChainPhase[] | undefined {
  if (techniques.length === 1) return techniques[0]?.phases;
  const byName = new Map<string, StixKillChainPhase>();
  for (const technique of techniques) {
    for (const phase of technique.phases ?? []) byName.set(phase.phase_name, phase);
  }
  return byName.size > 0 ? [...byName.values()] : undefined;
}

// ---- small field helpers ----------------------------------------------------------------------

const STIX_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** RFC 3339 UTC with milliseconds; the store already sends that, anything else is reformatted. */
export function toStixTimestamp(timestamp: string): string {
  return STIX_TIMESTAMP.test(timestamp) ? timestamp : new Date(timestamp).toISOString();
}

/** STIX requires valid_until > valid_from: a millisecond after it at the least. */
function laterThan(from: string, until: string): string {
  return until > from ? until : new Date(Date.parse(from) + 1).toISOString();
}

/**
 * The version: last seen, or the last change of its validity or withdrawal when later (a revoked
 * or extended indicator is a new version); STIX requires modified >= created. Same-format UTC
 * strings compare correctly as text.
 */
function modifiedOf(created: string, ind: StixSummary): string {
  const lastSeen = toStixTimestamp(ind.last_seen);
  const changed = ind.lifecycle_at ? toStixTimestamp(ind.lifecycle_at) : lastSeen;
  const modified = changed > lastSeen ? changed : lastSeen;
  return modified < created ? created : modified;
}

/** The uuid of an indicator's current STIX object: its own id, or one derived from it after a restore (StixSummary.stix_chain). */
function stixObjectUuid(ind: StixSummary): string {
  return ind.stix_chain ? deriveUuid(`restored:${ind.id}:${ind.stix_chain}`) : ind.id;
}

/** What STIX tools show for an indicator without a context sentence: its type, value and sources (strict validation wants a description). */
export const TYPE_NAMES: Readonly<Record<IocType, string>> = {
  ipv4: 'IPv4 address',
  ipv6: 'IPv6 address',
  domain: 'Domain',
  url: 'URL',
  md5: 'MD5 hash',
  sha1: 'SHA-1 hash',
  sha256: 'SHA-256 hash',
  sha512: 'SHA-512 hash',
  email: 'E-mail address',
  cve: 'Vulnerability',
  mitre_attack: 'ATT&CK technique',
};

function reportedBy(ind: IndicatorSummary): string {
  const sources = ind.sources.length > 0 ? ` reported by ${ind.sources.join(', ')}` : '';
  return `${TYPE_NAMES[ind.type]} ${ind.value}${sources}.`;
}

function firstContext(contexts: readonly string[]): string | undefined {
  return contexts.find((context) => context.trim() !== '');
}

/** STIX labels: lower-case, no empties, no duplicates; omitted when none (the schema wants ≥ 1). */
function toLabels(tags: readonly string[]): string[] | undefined {
  if (tags.length === 0) return undefined;
  const labels = new Set<string>();
  for (const tag of tags) {
    const label = tag.trim().toLowerCase();
    if (label !== '') labels.add(label);
  }
  return labels.size > 0 ? [...labels] : undefined;
}

/**
 * One external reference per upstream page. The summary does not pair URLs with sources, so the
 * source name is used when there is exactly one source, and the page's host otherwise.
 */
function referencesOf(ind: IndicatorSummary): StixExternalReference[] | undefined {
  if (ind.reference_urls.length === 0) return undefined;
  const onlySource = ind.sources.length === 1 ? ind.sources[0] : undefined;
  const references: StixExternalReference[] = [];
  for (const url of ind.reference_urls) {
    if (url.trim() === '') continue;
    references.push({ source_name: onlySource ?? hostOf(url), url: toUriReference(url) });
  }
  return references.length > 0 ? references : undefined;
}

const URL_HOST = /^[a-z][a-z0-9+.-]*:\/\/(?:[^/?#@]*@)?([^/?#:]+)/i;

function hostOf(url: string): string {
  return URL_HOST.exec(url)?.[1]?.toLowerCase() ?? 'reference';
}

// Characters RFC 3986 never allows raw (non-ASCII, spaces, controls, "<>\^`{|}).
const NOT_URI_CHARACTERS = /[^\x21-\x7e]|["<>\\^`{|}]/gu;

/** external_references.url must be a URI: percent-encode what a URI cannot hold, keep the rest. */
function toUriReference(url: string): string {
  const trimmed = url.trim();
  return trimmed.replace(NOT_URI_CHARACTERS, percentEncode);
}

function percentEncode(character: string): string {
  try {
    return encodeURIComponent(character);
  } catch {
    return '%EF%BF%BD'; // a lone surrogate: U+FFFD, the replacement character
  }
}
