// MISP core format (misp-rfc; the type table is PyMISP's describeTypes.json): an event per
// article and per feed and day (store/events.ts), each record an attribute of its source's
// event. Served as restSearch's `{"response":[{"Event":…},…]}` (format=misp) and as a MISP feed
// (manifest.json, hashes.csv, <uuid>.json) that a MISP instance subscribes to.
import { v5 as uuidv5 } from 'uuid';
import { attackTechnique, isAttackTechniqueId, normalizeAttackTechniqueId } from '../ioc/attack.js';
import type { Confidence, IocType } from '../ioc/types.js';
import type { EventRecord, EventRecords, EventSummary } from '../store/events.js';
import type { Exporter } from './exporter.js';

/** Our own namespace for MISP uuids we derive (events of a feed's day, the organisation). */
const MISP_NAMESPACE = 'a3c2e3d0-8f5e-4c1b-9d57-6f2f0b7e4a19';
export const MISP_ORG = { uuid: uuidv5('organisation:SOC Defenders', MISP_NAMESPACE), name: 'SOC Defenders' } as const;

/** Per IOC type: MISP attribute type and category (a pair describeTypes allows), and whether it may drive detection. */
const ATTRIBUTE: Readonly<Record<Exclude<IocType, 'mitre_attack'>, { type: string; category: string; detects: boolean }>> = {
  ipv4: { type: 'ip-dst', category: 'Network activity', detects: true },
  ipv6: { type: 'ip-dst', category: 'Network activity', detects: true },
  domain: { type: 'domain', category: 'Network activity', detects: true },
  url: { type: 'url', category: 'Network activity', detects: true },
  email: { type: 'email-src', category: 'Payload delivery', detects: true },
  md5: { type: 'md5', category: 'Payload delivery', detects: true },
  sha1: { type: 'sha1', category: 'Payload delivery', detects: true },
  sha256: { type: 'sha256', category: 'Payload delivery', detects: true },
  sha512: { type: 'sha512', category: 'Payload delivery', detects: true },
  // Knowledge, not something to match traffic against.
  cve: { type: 'vulnerability', category: 'External analysis', detects: false },
};

/** high/medium/low → MISP threat_level_id (1 High, 2 Medium, 3 Low). */
const THREAT_LEVEL: Readonly<Record<Confidence, string>> = { high: '1', medium: '2', low: '3' };
const RANK: Readonly<Record<Confidence, number>> = { high: 3, medium: 2, low: 1 };
/** Public feeds and published articles: TLP:CLEAR. */
const TLP = { name: 'tlp:clear' };

export interface MispAttribute {
  uuid: string;
  type: string;
  category: string;
  value: string;
  to_ids: boolean;
  timestamp: string;
  distribution: '5';
  comment: string;
  first_seen: string;
  last_seen: string;
  disable_correlation: false;
  deleted: boolean;
  Tag: { name: string }[];
}

export interface MispEvent {
  uuid: string;
  info: string;
  date: string;
  timestamp: string;
  published: true;
  distribution: '3';
  threat_level_id: string;
  analysis: '2';
  Orgc: typeof MISP_ORG;
  Tag: { name: string }[];
  Attribute: MispAttribute[];
  RelatedEvent?: { Event: Pick<MispEvent, 'uuid' | 'info' | 'date' | 'Orgc'> }[];
}

/** An event's uuid: its article's id, or one derived from its feed and day (stable: MISP updates it, never duplicates it). */
export function mispEventUuid(event: { source: { name: string } | string; article: { id: string } | null; day: string }): string {
  if (event.article) return event.article.id;
  const source = typeof event.source === 'string' ? event.source : event.source.name;
  return uuidv5(`event:${source}:${event.day}`, MISP_NAMESPACE);
}

/** info: one line of at most 256 characters. */
function infoOf(event: { source: { name: string } | string; article: { title: string } | null; day: string }): string {
  const source = typeof event.source === 'string' ? event.source : event.source.name;
  const text = event.article ? event.article.title : `${source}: indicators first seen on ${event.day}`;
  const line = text.replace(/\s+/g, ' ').trim() || source;
  return line.length > 256 ? `${line.slice(0, 255)}…` : line;
}

/** `misp-galaxy:mitre-attack-pattern="Name - T1234"`, as MISP's ATT&CK galaxy names its clusters. */
function techniqueTag(raw: string): { name: string } | undefined {
  const id = normalizeAttackTechniqueId(raw);
  const technique = isAttackTechniqueId(id) ? attackTechnique(id) : undefined;
  return technique ? { name: `misp-galaxy:mitre-attack-pattern="${technique.name.replace(/"/g, "'")} - ${id}"` } : undefined;
}

function uniqueTags(tags: ({ name: string } | undefined)[]): { name: string }[] {
  const names = new Set<string>();
  return tags.filter((tag): tag is { name: string } => tag !== undefined && tag.name.trim() !== '' && !names.has(tag.name) && !!names.add(tag.name));
}

/**
 * A record as a MISP attribute. A withdrawn one stays in the MISP feed so that an instance holding
 * its event retires it (the full lists leave it out), the MISP core format's way: expired, it is
 * no longer for detection (`to_ids` false: "whether the attribute is meant to be actionable");
 * revoked (a false positive), it is `deleted`: "a setting that allows attributes to be revoked.
 * Revoked attributes are not actionable and exist merely to inform other instances of a
 * revocation" (draft-dulaunoy-misp-core-format, Attribute).
 */
function toAttribute(record: EventRecord & { type: Exclude<IocType, 'mitre_attack'> }): MispAttribute {
  const { type, category, detects } = ATTRIBUTE[record.type];
  return {
    uuid: record.id,
    type,
    category,
    value: record.value,
    to_ids: detects && record.confidence !== 'low' && record.withdrawn === null,
    timestamp: String(record.changed),
    distribution: '5',
    comment: record.context ?? '',
    first_seen: record.first_seen,
    last_seen: record.last_seen < record.first_seen ? record.first_seen : record.last_seen,
    disable_correlation: false,
    deleted: record.withdrawn === 'revoked',
    Tag: uniqueTags([{ name: `socd:confidence="${record.confidence}"` }, ...record.tags.map((name) => ({ name })), ...record.mitre_techniques.map(techniqueTag)]),
  };
}

const isAttribute = (record: EventRecord): record is EventRecord & { type: Exclude<IocType, 'mitre_attack'> } => record.type !== 'mitre_attack';

export function summarizeEvent(event: EventRecords): EventSummary {
  return {
    ...event,
    confidence: event.records.reduce<Confidence>((best, r) => (RANK[r.confidence] > RANK[best] ? r.confidence : best), 'low'),
    changed: event.records.reduce((latest, r) => Math.max(latest, r.changed), 0),
    techniques: event.records.filter((r) => r.type === 'mitre_attack').map((r) => r.value),
  };
}

/** The event's header: what a MISP feed's manifest repeats. */
function eventHeader(event: EventSummary) {
  return {
    uuid: mispEventUuid(event),
    info: infoOf(event),
    date: event.article?.published_at?.slice(0, 10) ?? event.day,
    timestamp: String(event.changed),
    threat_level_id: THREAT_LEVEL[event.confidence],
    analysis: '2' as const,
    Orgc: MISP_ORG,
    Tag: uniqueTags([TLP, { name: `socd:source="${event.source.name.replace(/"/g, "'")}"` }, ...event.techniques.map(techniqueTag)]),
  };
}

export function toMispEvent(event: EventRecords, withRelated = true): MispEvent {
  const { uuid, info, date, timestamp, threat_level_id, analysis, Orgc, Tag } = eventHeader(summarizeEvent(event));
  return {
    uuid,
    info,
    date,
    timestamp,
    published: true,
    distribution: '3',
    threat_level_id,
    analysis,
    Orgc,
    Tag,
    Attribute: event.records.filter(isAttribute).map(toAttribute),
    ...(withRelated &&
      event.related.length > 0 && {
        RelatedEvent: event.related.map((r) => ({ Event: { uuid: mispEventUuid(r), info: infoOf(r), date: r.day, Orgc: MISP_ORG } })),
      }),
  };
}

/** A MISP feed's manifest.json entry of an event: `"<uuid>":{…}`. */
export function mispManifestEntry(event: EventSummary): string {
  const { uuid, ...entry } = eventHeader(event);
  return `${JSON.stringify(uuid)}:${JSON.stringify(entry)}`;
}

/** A line of a MISP feed's hashes.csv: the MD5 of an attribute value (hex), then its event's uuid. */
export function mispHashLine(md5: string, eventUuid: string): string {
  return `${md5},${eventUuid}\n`;
}

export const mispExporter = {
  format: 'misp',
  mediaType: 'application/json; charset=utf-8',
  scope: 'read:iocs',
  reads: 'events',
  listed: true,
  description:
    "MISP events as restSearch returns them (`{\"response\":[{\"Event\":…}]}`): one per article and per feed and day, each record an attribute of its source's event; `limit` and `cursor` count events, and the next page's link is in the `Link` header.",
  writer: () => ({
    head: () => '{"response":[',
    batch: (events, first) => (events.length === 0 ? '' : (first ? '' : ',') + events.map((event) => `{"Event":${JSON.stringify(toMispEvent(event))}}`).join(',')),
    tail: () => ']}',
  }),
} as const satisfies Exporter<'events'>;
