// MISP checks written from the MISP core format (misp-rfc `misp-core-format`), PyMISP's type table
// (../shared/standards/misp/describeTypes.json) and PyMISP's feed generator (`MISPEvent.to_feed`,
// `feed_meta_generator`), as ../shared/spec/formats.md sums them up, not from our writer: an
// independent oracle. Each check returns what is wrong with a document (empty when it is valid):
// an event `{"Event": {...}}`, a REST search answer `{"response": [...]}`, or a MISP feed
// (manifest.json, hashes.csv and one <uuid>.json per event).
//
// Where MISP's own files leave a field out, it is checked only when present: PyMISP's events and
// to_feed output carry no `distribution`, and to_feed drops ids, `event_id` and `Org`. Numeric
// fields may be JSON strings (MISP's output) or numbers (the feed manifest, importers).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { SHARED_DIR } from './shared.js';

interface DescribeTypes {
  types: string[];
  categories: string[];
  category_type_mappings: Record<string, string[]>;
}

const DESCRIBE_TYPES = path.join(SHARED_DIR, 'standards', 'misp', 'describeTypes.json');
if (!fs.existsSync(DESCRIBE_TYPES)) throw new Error(`the MISP checks need PyMISP's type table, ${DESCRIBE_TYPES} (../shared/standards/misp): not found`);
const TABLE = (JSON.parse(fs.readFileSync(DESCRIBE_TYPES, 'utf8')) as { result: DescribeTypes }).result;
const TYPES = new Set(TABLE.types);
const CATEGORIES = new Map(Object.entries(TABLE.category_type_mappings).map(([category, types]) => [category, new Set(types)]));
for (const category of TABLE.categories) if (!CATEGORIES.has(category)) CATEGORIES.set(category, new Set());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CVE = /^CVE-\d{4}-\d{4,}$/i;
const URL_WITH_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/?#]+\S*$/;
const HASH_LENGTHS: Record<string, number> = { md5: 32, sha1: 40, sha224: 56, sha256: 64, sha384: 96, sha512: 128 };
/** ISO 8601 date-time as MISP writes first_seen/last_seen (`2019-06-02T22:14:28.711954+00:00`). */
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const show = (value: unknown): string => (value === undefined ? 'absent' : JSON.stringify(value));
const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/** A non-negative integer, as a string of digits or a JSON number (MISP writes strings, the feed manifest numbers). */
function integer(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) return Number(value);
  return undefined;
}

/** `YYYY-MM-DD` naming a day of the calendar. */
function isDate(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** An ISO 8601 date-time in microseconds since the epoch, or undefined when it is not one. */
function isoMicros(value: string): number | undefined {
  const match = ISO_8601.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone = 'Z'] = match;
  if (!isDate(`${y}-${mo}-${d}`) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  let offset = 0;
  if (zone !== 'Z') {
    const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
    if (!zm || Number(zm[2]) > 23 || Number(zm[3] ?? '0') > 59) return undefined;
    offset = (zm[1] === '-' ? -1 : 1) * (Number(zm[2]) * 60 + Number(zm[3] ?? '0'));
  }
  const millis = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi) - offset, Number(s));
  return millis * 1000 + Number(fraction.padEnd(6, '0').slice(0, 6));
}

/** A dotted DNS name without a scheme, port or path (letters of any script, punycode, `_` allowed in labels). */
function isDnsName(value: string): boolean {
  if (value.length > 253 || value.includes('://')) return false;
  const labels = value.split('.');
  if (labels.length < 2) return false;
  const tld = labels[labels.length - 1] as string;
  return labels.every((label) => /^(?!-)[\p{L}\p{N}_-]{1,63}(?<!-)$/u.test(label)) && /^(?:\p{L}{2,63}|xn--[a-z0-9-]{1,59})$/iu.test(tld);
}

/** MISP takes an address or a CIDR range for ip-src/ip-dst. */
function isIpOrRange(value: string): boolean {
  const [address = '', prefix, ...rest] = value.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128));
}

const isPort = (value: string): boolean => /^\d{1,5}$/.test(value) && Number(value) <= 65535;

/** What is wrong with a value of a simple type (only the types whose shape is checked), or undefined. */
function simpleValueProblem(type: string, value: string): string | undefined {
  const hashLength = HASH_LENGTHS[type];
  if (hashLength !== undefined) return new RegExp(`^[0-9a-f]{${hashLength}}$`, 'i').test(value) ? undefined : `is not ${hashLength} hex digits`;
  switch (type) {
    case 'ip-src':
    case 'ip-dst':
      return isIpOrRange(value) ? undefined : 'is not an IPv4/IPv6 address';
    case 'domain':
    case 'hostname':
      return isDnsName(value) ? undefined : 'is not a dotted DNS name without scheme';
    case 'url':
      return URL_WITH_SCHEME.test(value) ? undefined : 'is not a URL with a scheme';
    case 'email':
    case 'email-src':
    case 'email-dst': {
      const parts = value.split('@');
      return parts.length === 2 && parts.every((part) => /^\S+$/.test(part)) ? undefined : 'is not an e-mail address (one @, no spaces)';
    }
    case 'vulnerability':
      return CVE.test(value) ? undefined : 'is not a CVE id (CVE-YYYY-NNNN)';
    case 'port':
      return isPort(value) ? undefined : 'is not a port';
    default:
      return undefined;
  }
}

/** What is wrong with an attribute value for its type (composite `a|b` types part by part), or undefined. */
function valueProblem(type: string, value: string): string | undefined {
  if (!type.includes('|')) return simpleValueProblem(type, value);
  const parts = value.split('|');
  if (parts.length < 2) return `of composite type ${type} has no "|"`;
  const [firstType = '', secondType = ''] = type.split('|');
  const first = parts[0] as string;
  const second = parts.slice(1).join('|');
  const problem = (partType: string, part: string): string | undefined => {
    const why = partType === 'port' ? (isPort(part) ? undefined : 'is not a port') : simpleValueProblem(partType, part);
    return why && `part ${JSON.stringify(part)} ${why}`;
  };
  return problem(firstType, first) ?? problem(secondType, second);
}

function checkTags(tags: unknown, where: string, problems: string[]): void {
  if (tags === undefined) return;
  if (!Array.isArray(tags)) {
    problems.push(`${where}: Tag is not an array`);
    return;
  }
  tags.forEach((tag, i) => {
    if (!isObject(tag) || typeof tag.name !== 'string' || tag.name.trim() === '') problems.push(`${where}: Tag[${i}] has no name (a non-empty string)`);
  });
}

function checkOrg(org: unknown, key: string, where: string, problems: string[]): void {
  if (!isObject(org)) {
    problems.push(`${where}: missing ${key} (an object with uuid and name)`);
    return;
  }
  if (!isUuid(org.uuid)) problems.push(`${where}: ${key}.uuid is not a UUID: ${show(org.uuid)}`);
  if (typeof org.name !== 'string' || org.name.trim() === '') problems.push(`${where}: ${key}.name is missing or empty`);
}

function checkTimestamp(value: unknown, key: string, where: string, problems: string[], required = true): void {
  if (value === undefined && !required) return;
  const seconds = integer(value);
  // Ten digits at most: milliseconds are not seconds.
  if (seconds === undefined || seconds > 9_999_999_999) problems.push(`${where}: ${value === undefined ? `missing ${key}` : `${key} is not Unix seconds: ${show(value)}`}`);
}

function checkEnum(value: unknown, key: string, low: number, high: number, where: string, problems: string[], required = true): void {
  if (value === undefined && !required) return;
  const n = integer(value);
  if (n === undefined || n < low || n > high) problems.push(`${where}: ${value === undefined ? `missing ${key}` : `${key} is not ${low}–${high}: ${show(value)}`}`);
}

/** One attribute (of the event or of an object): `seen` collects the uuids of the event. */
function checkAttribute(attribute: unknown, where: string, seen: Set<string>, problems: string[], inObject: boolean): void {
  if (!isObject(attribute)) {
    problems.push(`${where}: not an object`);
    return;
  }
  const { uuid, type, category, value } = attribute;
  const at = isUuid(uuid) ? `${where} (${uuid})` : where;
  if (!isUuid(uuid)) problems.push(`${where}: uuid is not a UUID: ${show(uuid)}`);
  else if (seen.has(uuid.toLowerCase())) problems.push(`${at}: duplicate uuid ${uuid} in the event`);
  else seen.add(uuid.toLowerCase());
  const knownType = typeof type === 'string' && TYPES.has(type);
  if (!knownType) problems.push(`${at}: unknown type ${show(type)} (not in describeTypes)`);
  const allowed = typeof category === 'string' ? CATEGORIES.get(category) : undefined;
  if (allowed === undefined) problems.push(`${at}: unknown category ${show(category)} (not in describeTypes)`);
  else if (knownType && !allowed.has(type)) problems.push(`${at}: type ${show(type)} not in category ${show(category)} (category_type_mappings)`);
  if (typeof value !== 'string' || value === '') problems.push(`${at}: value is not a non-empty string: ${show(value)}`);
  else if (knownType) {
    const why = valueProblem(type, value);
    if (why) problems.push(`${at}: ${type} value ${JSON.stringify(value)} ${why}`);
  }
  if (typeof attribute.to_ids !== 'boolean') problems.push(`${at}: to_ids is not a JSON boolean: ${show(attribute.to_ids)}`);
  checkTimestamp(attribute.timestamp, 'timestamp', at, problems);
  checkEnum(attribute.distribution, 'distribution', 0, 5, at, problems, false);
  if (attribute.comment !== undefined && typeof attribute.comment !== 'string') problems.push(`${at}: comment is not a string`);
  for (const key of ['deleted', 'disable_correlation'] as const) {
    if (attribute[key] !== undefined && typeof attribute[key] !== 'boolean') problems.push(`${at}: ${key} is not a JSON boolean`);
  }
  if (inObject && (typeof attribute.object_relation !== 'string' || attribute.object_relation === '')) problems.push(`${at}: an object attribute without object_relation`);
  const seenAt: Partial<Record<'first_seen' | 'last_seen', number>> = {};
  for (const key of ['first_seen', 'last_seen'] as const) {
    const time = attribute[key];
    if (time === undefined || time === null) continue;
    const micros = typeof time === 'string' ? isoMicros(time) : undefined;
    if (micros === undefined) problems.push(`${at}: ${key} is not an ISO 8601 date-time: ${show(time)}`);
    else seenAt[key] = micros;
  }
  if (seenAt.first_seen !== undefined && seenAt.last_seen !== undefined && seenAt.first_seen > seenAt.last_seen) problems.push(`${at}: first_seen is after last_seen`);
  checkTags(attribute.Tag, at, problems);
}

function checkObject(object: unknown, where: string, seen: Set<string>, problems: string[]): void {
  if (!isObject(object)) {
    problems.push(`${where}: not an object`);
    return;
  }
  const at = isUuid(object.uuid) ? `${where} (${object.uuid})` : where;
  if (!isUuid(object.uuid)) problems.push(`${where}: uuid is not a UUID: ${show(object.uuid)}`);
  else if (seen.has(object.uuid.toLowerCase())) problems.push(`${at}: duplicate uuid ${object.uuid} in the event`);
  else seen.add(object.uuid.toLowerCase());
  for (const key of ['name', 'meta-category'] as const) {
    if (typeof object[key] !== 'string' || object[key] === '') problems.push(`${at}: missing ${key}`);
  }
  if (!isUuid(object.template_uuid)) problems.push(`${at}: template_uuid is not a UUID: ${show(object.template_uuid)}`);
  if (integer(object.template_version) === undefined) problems.push(`${at}: template_version is not a number: ${show(object.template_version)}`);
  checkTimestamp(object.timestamp, 'timestamp', at, problems);
  checkEnum(object.distribution, 'distribution', 0, 5, at, problems, false);
  if (object.comment !== undefined && typeof object.comment !== 'string') problems.push(`${at}: comment is not a string`);
  if (!Array.isArray(object.Attribute) || object.Attribute.length === 0) problems.push(`${at}: no Attribute array`);
  else object.Attribute.forEach((attribute, i) => checkAttribute(attribute, `${at} Attribute[${i}]`, seen, problems, true));
  if (object.ObjectReference === undefined) return;
  if (!Array.isArray(object.ObjectReference)) {
    problems.push(`${at}: ObjectReference is not an array`);
    return;
  }
  object.ObjectReference.forEach((reference, i) => {
    const ref = `${at} ObjectReference[${i}]`;
    if (!isObject(reference)) {
      problems.push(`${ref}: not an object`);
      return;
    }
    if (reference.uuid !== undefined && !isUuid(reference.uuid)) problems.push(`${ref}: uuid is not a UUID: ${show(reference.uuid)}`);
    if (reference.object_uuid !== undefined && reference.object_uuid !== object.uuid) problems.push(`${ref}: object_uuid ${show(reference.object_uuid)} is not its object's uuid`);
    if (!isUuid(reference.referenced_uuid)) problems.push(`${ref}: referenced_uuid is not a UUID: ${show(reference.referenced_uuid)}`);
    if (typeof reference.relationship_type !== 'string' || reference.relationship_type === '') problems.push(`${ref}: missing relationship_type`);
  });
}

/**
 * What is wrong with a MISP event document `{"Event": {...}}` (empty when valid). `label` starts
 * every problem (default `Event`).
 */
export function checkMispEvent(doc: unknown, label = 'Event'): string[] {
  const problems: string[] = [];
  if (!isObject(doc) || !isObject(doc.Event)) return [`${label}: no Event object at the top level ({"Event": {...}})`];
  const event = doc.Event;
  if (!isUuid(event.uuid)) problems.push(`${label}: uuid is not a UUID: ${show(event.uuid)}`);
  if (event.info === undefined) problems.push(`${label}: missing info`);
  else if (typeof event.info !== 'string' || event.info.trim() === '') problems.push(`${label}: info is not a non-empty string: ${show(event.info)}`);
  else {
    if ([...event.info].length > 256) problems.push(`${label}: info is longer than 256 characters`);
    if (/[\r\n]/.test(event.info)) problems.push(`${label}: info contains a newline`);
  }
  if (!isDate(event.date)) problems.push(`${label}: ${event.date === undefined ? 'missing date' : `date is not a YYYY-MM-DD day: ${show(event.date)}`}`);
  checkTimestamp(event.timestamp, 'timestamp', label, problems);
  checkTimestamp(event.publish_timestamp, 'publish_timestamp', label, problems, false);
  if (typeof event.published !== 'boolean') problems.push(`${label}: published is not a JSON boolean: ${show(event.published)}`);
  checkEnum(event.distribution, 'distribution', 0, 4, label, problems, false);
  checkEnum(event.threat_level_id, 'threat_level_id', 1, 4, label, problems);
  checkEnum(event.analysis, 'analysis', 0, 2, label, problems);
  checkOrg(event.Orgc, 'Orgc', label, problems);
  if (event.Org !== undefined) checkOrg(event.Org, 'Org', label, problems);
  if (event.extends_uuid !== undefined && event.extends_uuid !== '' && !isUuid(event.extends_uuid)) problems.push(`${label}: extends_uuid is neither empty nor a UUID: ${show(event.extends_uuid)}`);
  checkTags(event.Tag, label, problems);
  const seen = new Set<string>();
  for (const key of ['Attribute', 'Object', 'RelatedEvent', 'Galaxy'] as const) {
    if (event[key] !== undefined && !Array.isArray(event[key])) problems.push(`${label}: ${key} is not an array`);
  }
  const list = (key: string): unknown[] => (Array.isArray(event[key]) ? event[key] : []);
  list('Attribute').forEach((attribute, i) => checkAttribute(attribute, `${label} Attribute[${i}]`, seen, problems, false));
  list('Object').forEach((object, i) => checkObject(object, `${label} Object[${i}]`, seen, problems));
  list('RelatedEvent').forEach((related, i) => {
    const at = `${label} RelatedEvent[${i}]`;
    if (!isObject(related) || !isObject(related.Event)) problems.push(`${at}: not {"Event": {...}}`);
    else {
      if (!isUuid(related.Event.uuid)) problems.push(`${at}: uuid is not a UUID: ${show(related.Event.uuid)}`);
      if (typeof related.Event.info !== 'string') problems.push(`${at}: missing info`);
    }
  });
  return problems;
}

/** What is wrong with a REST search answer `{"response": [{"Event": ...}, ...]}` (empty when valid). */
export function checkMispRestSearch(doc: unknown): string[] {
  if (!isObject(doc) || !Array.isArray(doc.response)) return ['no "response" array at the top level'];
  const problems: string[] = [];
  const uuids = new Set<string>();
  doc.response.forEach((item, i) => {
    problems.push(...checkMispEvent(item, `response[${i}]`));
    const uuid = isObject(item) && isObject(item.Event) ? item.Event.uuid : undefined;
    if (isUuid(uuid)) {
      if (uuids.has(uuid.toLowerCase())) problems.push(`response[${i}]: event uuid ${uuid} appears twice in the response`);
      uuids.add(uuid.toLowerCase());
    }
  });
  return problems;
}

export interface MispFeedFiles {
  /** manifest.json, parsed. */
  manifest: unknown;
  /** hashes.csv as text. */
  hashesCsv: string;
  /** The event files: file name without `.json` → the parsed file. */
  events: Map<string, unknown>;
}

/** Reads a MISP feed directory (manifest.json, hashes.csv, every other *.json an event file). */
export function readMispFeedDir(dir: string): MispFeedFiles {
  const json = (name: string): unknown => {
    try {
      return JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
    } catch (error) {
      throw new Error(`${path.join(dir, name)}: ${(error as Error).message}`);
    }
  };
  const events = new Map<string, unknown>();
  for (const name of fs.readdirSync(dir).sort()) {
    if (name.endsWith('.json') && name !== 'manifest.json') events.set(name.slice(0, -'.json'.length), json(name));
  }
  return { manifest: json('manifest.json'), hashesCsv: fs.readFileSync(path.join(dir, 'hashes.csv'), 'utf8'), events };
}

/** Every value the feed generator hashes for an event: each attribute's value (of the event and its objects), composite types split on `|`. */
function hashedValues(event: Json): string[] {
  const attributes = [
    ...(Array.isArray(event.Attribute) ? event.Attribute : []),
    ...(Array.isArray(event.Object) ? event.Object : []).flatMap((object: unknown) => (isObject(object) && Array.isArray(object.Attribute) ? object.Attribute : [])),
  ];
  return attributes.flatMap((attribute: unknown) => {
    if (!isObject(attribute) || typeof attribute.value !== 'string') return [];
    return typeof attribute.type === 'string' && attribute.type.includes('|') ? attribute.value.split('|') : [attribute.value];
  });
}

const md5 = (value: string): string => createHash('md5').update(value, 'utf8').digest('hex');
const tagNames = (tags: unknown): string[] => (Array.isArray(tags) ? tags.map((tag) => (isObject(tag) ? String(tag.name) : '?')).sort() : []);

function checkManifestEntry(uuid: string, entry: unknown, problems: string[]): entry is Json {
  const at = `manifest ${uuid}`;
  if (!isUuid(uuid)) problems.push(`manifest: key ${JSON.stringify(uuid)} is not an event uuid`);
  if (!isObject(entry)) {
    problems.push(`${at}: not an object`);
    return false;
  }
  if (typeof entry.info !== 'string' || entry.info === '') problems.push(`${at}: missing info`);
  if (!isDate(entry.date)) problems.push(`${at}: date is not a YYYY-MM-DD day: ${show(entry.date)}`);
  checkTimestamp(entry.timestamp, 'timestamp', at, problems);
  checkEnum(entry.threat_level_id, 'threat_level_id', 1, 4, at, problems);
  checkEnum(entry.analysis, 'analysis', 0, 2, at, problems);
  checkOrg(entry.Orgc, 'Orgc', at, problems);
  checkTags(entry.Tag, at, problems);
  return true;
}

/**
 * What is wrong with a MISP feed (empty when valid): the manifest (event uuid → {info, Orgc,
 * analysis, threat_level_id, date, timestamp, Tag}) and the event files name the same events and
 * agree; each event file is a valid event; hashes.csv has exactly one `<md5>,<event uuid>` line per
 * attribute value (lowercase hex of the UTF-8 value; composite values part by part).
 */
export function checkMispFeed(files: MispFeedFiles): string[] {
  const problems: string[] = [];
  const manifest = isObject(files.manifest) ? files.manifest : undefined;
  if (manifest === undefined) problems.push(`manifest.json is not an object keyed by event uuid (${Array.isArray(files.manifest) ? 'an array' : show(files.manifest)})`);
  const entries = new Map(Object.entries(manifest ?? {}));
  for (const uuid of entries.keys()) {
    if (!files.events.has(uuid)) problems.push(`manifest ${uuid}: missing event file ${uuid}.json`);
  }
  // The hashed values each event file gives, by event uuid (the file's name).
  const expected = new Map<string, string[]>();
  for (const [name, doc] of files.events) {
    const at = `${name}.json`;
    if (!isUuid(name)) problems.push(`${at}: the file name is not <event uuid>.json`);
    if (manifest !== undefined && !entries.has(name)) problems.push(`${at}: event file not in the manifest`);
    problems.push(...checkMispEvent(doc, at));
    if (!isObject(doc) || !isObject(doc.Event)) continue;
    const event = doc.Event;
    expected.set(name, hashedValues(event));
    if (event.uuid !== name) problems.push(`${at}: Event.uuid ${show(event.uuid)} is not the file's uuid`);
    const entry = entries.get(name);
    if (entry === undefined || !checkManifestEntry(name, entry, problems)) continue;
    for (const key of ['info', 'date', 'timestamp', 'threat_level_id', 'analysis'] as const) {
      // The manifest writes numbers where the event writes strings: compare the values.
      if (String(entry[key]) !== String(event[key])) problems.push(`${at}: ${key} mismatch: manifest ${show(entry[key])}, event ${show(event[key])}`);
    }
    const [entryOrgc, eventOrgc] = [entry.Orgc, event.Orgc];
    if (isObject(entryOrgc) && isObject(eventOrgc) && entryOrgc.uuid !== eventOrgc.uuid) problems.push(`${at}: Orgc mismatch: manifest ${show(entryOrgc.uuid)}, event ${show(eventOrgc.uuid)}`);
    if (entry.Tag !== undefined && tagNames(entry.Tag).join('\n') !== tagNames(event.Tag).join('\n')) problems.push(`${at}: Tag mismatch between the manifest and the event`);
  }
  for (const [uuid, entry] of entries) if (!files.events.has(uuid)) checkManifestEntry(uuid, entry, problems);

  // hashes.csv against the values, as multisets of `<md5>,<uuid>`.
  const lines = files.hashesCsv.endsWith('\n') ? files.hashesCsv.slice(0, -1).split('\n') : files.hashesCsv === '' ? [] : files.hashesCsv.split('\n');
  const counted = new Map<string, number>();
  lines.forEach((raw, i) => {
    const at = `hashes.csv line ${i + 1}`;
    if (raw.endsWith('\r')) {
      problems.push(`${at}: ends with CR (PyMISP writes \\n line ends)`);
      return;
    }
    const line = raw;
    const match = /^([0-9A-Fa-f]{32}),(.*)$/.exec(line);
    if (!match) {
      problems.push(`${at}: not <md5 hex>,<event uuid>: ${JSON.stringify(line)}`);
      return;
    }
    const [, hash = '', uuid = ''] = match;
    if (hash !== hash.toLowerCase()) {
      problems.push(`${at}: md5 ${hash} is not lowercase hex`);
      return;
    }
    if (!expected.has(uuid)) {
      if (!entries.has(uuid)) problems.push(`${at}: names an unknown event ${JSON.stringify(uuid)}`);
      return;
    }
    counted.set(line, (counted.get(line) ?? 0) + 1);
  });
  for (const [uuid, values] of expected) {
    const wanted = new Map<string, { value: string; count: number }>();
    for (const value of values) {
      const line = `${md5(value)},${uuid}`;
      wanted.set(line, { value, count: (wanted.get(line)?.count ?? 0) + 1 });
    }
    for (const [line, { value, count }] of wanted) {
      const found = counted.get(line) ?? 0;
      if (found < count) problems.push(`hashes.csv: missing line ${line} (value ${JSON.stringify(value)} of event ${uuid})${count > 1 ? `: ${found} of ${count}` : ''}`);
      if (found > count) problems.push(`hashes.csv: line ${line} ${found} times for ${count} value(s)`);
      counted.delete(line);
    }
  }
  for (const line of counted.keys()) problems.push(`hashes.csv: line ${line} hashes no attribute value of its event`);
  return problems;
}
