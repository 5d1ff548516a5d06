// The MISP checker (test/helpers/misp.ts), an oracle written from the MISP core format, PyMISP's
// describeTypes.json and PyMISP's feed generator, shown to accept PyMISP's own events and feed and
// to reject the broken samples of ../shared/fixtures/conformance/misp and broken copies of good events.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MispFeedFiles } from '../../helpers/misp.js';
import { checkMispEvent, checkMispFeed, checkMispRestSearch, readMispFeedDir } from '../../helpers/misp.js';
import { SHARED_DIR } from '../../helpers/shared.js';

const CONFORMANCE = path.join(SHARED_DIR, 'fixtures', 'conformance', 'misp');
const read = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(CONFORMANCE, name), 'utf8'));

type Json = Record<string, unknown>;
/** PyMISP's event 57c4445b, a fresh copy to break. */
const xorist = (): { Event: Json & { Attribute: Json[] } } => read('good-pymisp-event-57c4445b.json') as { Event: Json & { Attribute: Json[] } };
/** PyMISP's existing_event.json is the Event's body alone (PyMISP loads either form): wrapped here. */
const existing = (): { Event: Json } => ({ Event: read('good-pymisp-existing_event-with-objects.json') as Json });

/** An event with an attribute of each type our exports write, as formats.md maps them. */
function ours(): { Event: Json & { Attribute: Json[] } } {
  const attribute = (n: number, type: string, category: string, value: string, toIds = true): Json => ({
    uuid: `0b0c1f53-43b6-4c2b-9b1e-3a1a2b3c4d${String(n).padStart(2, '0')}`,
    type,
    category,
    value,
    to_ids: toIds,
    timestamp: '1784883600',
    distribution: '5',
    comment: 'Emotet C2',
    first_seen: '2026-07-20T10:00:00.000000+00:00',
    last_seen: '2026-07-24T08:30:00Z',
    Tag: [{ name: 'misp-galaxy:mitre-attack-pattern="Phishing - T1566"' }],
  });
  return {
    Event: {
      uuid: '5b0c1f53-43b6-4c2b-9b1e-3a1a2b3c4d5e',
      info: 'socd IOCs 2026-07-24',
      date: '2026-07-24',
      timestamp: '1784883600',
      published: false,
      distribution: '3',
      threat_level_id: '2',
      analysis: '1',
      Orgc: { uuid: '2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d', name: 'socd' },
      Tag: [{ name: 'tlp:green' }, { name: 'socd:confidence="high"' }],
      Attribute: [
        attribute(1, 'ip-dst', 'Network activity', '203.0.113.9'),
        attribute(2, 'ip-dst', 'Network activity', '2a03:2880:f10c:83:face:b00c:0:25de'),
        attribute(3, 'ip-src', 'Network activity', '198.51.100.0/24'),
        attribute(4, 'domain', 'Network activity', 'update-check.net'),
        attribute(5, 'hostname', 'Network activity', 'cdn.xn--bcher-kva.example'),
        attribute(6, 'url', 'Network activity', 'http://198.51.100.7/gate.php?id=42&x=<1>'),
        attribute(7, 'md5', 'Payload delivery', 'd41d8cd98f00b204e9800998ecf8427f'),
        attribute(8, 'sha1', 'Payload delivery', 'da39a3ee5e6b4b0d3255bfef95601890afd80708'),
        attribute(9, 'sha256', 'Payload delivery', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b856'),
        attribute(10, 'sha512', 'Payload delivery', 'a'.repeat(128)),
        attribute(11, 'email-src', 'Payload delivery', "o'brien@evil-mail.net"),
        attribute(12, 'email-dst', 'Network activity', 'victim@example.org'),
        attribute(13, 'vulnerability', 'External analysis', 'CVE-2024-3400', false),
        attribute(14, 'filename|md5', 'Payload delivery', 'a.exe|d41d8cd98f00b204e9800998ecf8427f'),
      ],
    },
  };
}

describe('the MISP event checks', () => {
  it('accept PyMISP\'s event 57c4445b', () => {
    expect(checkMispEvent(xorist())).toEqual([]);
  });

  it('accept PyMISP\'s existing event with objects, object references and related events', () => {
    expect(checkMispEvent(existing())).toEqual([]);
  });

  it('accept an event with each type our exports write, numbers as strings or numbers', () => {
    const event = ours();
    expect(checkMispEvent(event)).toEqual([]);
    Object.assign(event.Event, { timestamp: 1784883600, threat_level_id: 2, analysis: 1, distribution: 3 });
    expect(checkMispEvent(event)).toEqual([]);
  });

  it('reject the broken sample for its unknown type, its type not in its category and its missing info', () => {
    const problems = checkMispEvent(read('bad-event-category-type-unknown-type-no-info.json'));
    const has = (text: string): boolean => problems.some((problem) => problem.includes(text));
    expect(has('missing info')).toBe(true);
    expect(has('unknown type "ip-address"')).toBe(true);
    expect(has('type "url" not in category "Financial fraud"')).toBe(true);
    // It is broken in more ways than its name says: a uuid that is not one, distribution 9.
    expect(has('uuid is not a UUID: "5758ebf5-not-a-uuid"')).toBe(true);
    expect(has('distribution is not 0–4: "9"')).toBe(true);
  });

  it('reject the body of an event without {"Event": ...} around it', () => {
    expect(checkMispEvent(existing().Event)).toEqual(['Event: no Event object at the top level ({"Event": {...}})']);
  });

  const mutations: [string, (event: ReturnType<typeof ours>['Event']) => void, string][] = [
    ['an ip-dst that is no IP address', (e) => Object.assign(e.Attribute[0]!, { value: '203.0.113.999' }), 'ip-dst value "203.0.113.999" is not an IPv4/IPv6 address'],
    ['an ip-dst with a port', (e) => Object.assign(e.Attribute[0]!, { value: '203.0.113.9:443' }), 'is not an IPv4/IPv6 address'],
    ['a duplicate attribute uuid', (e) => Object.assign(e.Attribute[1]!, { uuid: e.Attribute[0]!.uuid }), 'duplicate uuid 0b0c1f53-43b6-4c2b-9b1e-3a1a2b3c4d01'],
    ['info with a newline', (e) => Object.assign(e, { info: 'two\nlines' }), 'info contains a newline'],
    ['info longer than 256 characters', (e) => Object.assign(e, { info: 'x'.repeat(257) }), 'info is longer than 256 characters'],
    ['to_ids as the string "1"', (e) => Object.assign(e.Attribute[0]!, { to_ids: '1' }), 'to_ids is not a JSON boolean: "1"'],
    ['a type its category does not allow', (e) => Object.assign(e.Attribute[12]!, { category: 'Network activity' }), 'type "vulnerability" not in category "Network activity"'],
    ['an unknown category', (e) => Object.assign(e.Attribute[0]!, { category: 'Network' }), 'unknown category "Network"'],
    ['a domain with a scheme', (e) => Object.assign(e.Attribute[3]!, { value: 'http://update-check.net' }), 'is not a dotted DNS name'],
    ['a domain without a dot', (e) => Object.assign(e.Attribute[3]!, { value: 'localhost' }), 'is not a dotted DNS name'],
    ['a url without a scheme', (e) => Object.assign(e.Attribute[5]!, { value: '198.51.100.7/gate.php' }), 'is not a URL with a scheme'],
    ['an md5 of 31 digits', (e) => Object.assign(e.Attribute[6]!, { value: 'd41d8cd98f00b204e9800998ecf8427' }), 'md5 value "d41d8cd98f00b204e9800998ecf8427" is not 32 hex digits'],
    ['a sha256 that is not hex', (e) => Object.assign(e.Attribute[8]!, { value: 'z'.repeat(64) }), 'is not 64 hex digits'],
    ['an e-mail with two @', (e) => Object.assign(e.Attribute[10]!, { value: 'a@b@evil-mail.net' }), 'is not an e-mail address'],
    ['a vulnerability that is no CVE id', (e) => Object.assign(e.Attribute[12]!, { value: 'CVE-2024-12' }), 'is not a CVE id'],
    ['a composite value with a bad part', (e) => Object.assign(e.Attribute[13]!, { value: 'a.exe|nothex' }), 'part "nothex" is not 32 hex digits'],
    ['an empty value', (e) => Object.assign(e.Attribute[0]!, { value: '' }), 'value is not a non-empty string'],
    ['first_seen after last_seen', (e) => Object.assign(e.Attribute[0]!, { first_seen: '2026-07-25T00:00:00Z' }), 'first_seen is after last_seen'],
    ['a last_seen that is no date-time', (e) => Object.assign(e.Attribute[0]!, { last_seen: 'yesterday' }), 'last_seen is not an ISO 8601 date-time'],
    ['a date that is no day', (e) => Object.assign(e, { date: '2026-02-30' }), 'date is not a YYYY-MM-DD day'],
    ['a timestamp written as an ISO date-time', (e) => Object.assign(e, { timestamp: '2026-07-24T09:00:00Z' }), 'timestamp is not Unix seconds'],
    ['a timestamp in milliseconds', (e) => Object.assign(e.Attribute[0]!, { timestamp: 1784883600000 }), 'timestamp is not Unix seconds: 1784883600000'],
    ['published as a string', (e) => Object.assign(e, { published: 'false' }), 'published is not a JSON boolean'],
    ['threat_level_id 0', (e) => Object.assign(e, { threat_level_id: '0' }), 'threat_level_id is not 1–4'],
    ['analysis 3', (e) => Object.assign(e, { analysis: 3 }), 'analysis is not 0–2'],
    ['attribute distribution 6', (e) => Object.assign(e.Attribute[0]!, { distribution: '6' }), 'distribution is not 0–5'],
    ['no Orgc', (e) => delete e.Orgc, 'missing Orgc'],
    ['an Orgc without name', (e) => Object.assign(e, { Orgc: { uuid: '2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d' } }), 'Orgc.name is missing'],
    ['an event tag without name', (e) => Object.assign(e, { Tag: [{ name: '' }] }), 'Tag[0] has no name'],
    ['an attribute tag without name', (e) => Object.assign(e.Attribute[0]!, { Tag: [{ colour: '#fff' }] }), 'Tag[0] has no name'],
    ['a related event without uuid', (e) => Object.assign(e, { RelatedEvent: [{ Event: { info: 'x' } }] }), 'RelatedEvent[0]: uuid is not a UUID'],
  ];
  it.each(mutations)('reject %s', (_name, mutate, expected) => {
    const event = ours();
    mutate(event.Event);
    const problems = checkMispEvent(event);
    expect(problems.some((problem) => problem.includes(expected)), problems.join('\n')).toBe(true);
  });

  it('check the attributes of objects as the event\'s, with an object_relation and references to the object', () => {
    const event = existing();
    const objects = event.Event.Object as (Json & { Attribute: Json[]; ObjectReference?: Json[] })[];
    Object.assign(objects[0]!.Attribute[1]!, { value: 'not-a-sha1' });
    delete objects[0]!.Attribute[0]!.object_relation;
    Object.assign(objects[1]!.Attribute[0]!, { uuid: (event.Event.Attribute as Json[])[0]!.uuid });
    const referring = objects.find((object) => object.ObjectReference?.length)!;
    Object.assign(referring.ObjectReference![0]!, { object_uuid: '5a3cd5b6-9568-4342-b2ab-4c62950d210f', relationship_type: '' });
    delete objects[2]!.template_uuid;
    const problems = checkMispEvent(event).join('\n');
    expect(problems).toContain('Object[0] (5a3cd5b6-9568-4342-b2ab-4c62950d210f) Attribute[1]');
    expect(problems).toContain('sha1 value "not-a-sha1" is not 40 hex digits');
    expect(problems).toContain('an object attribute without object_relation');
    expect(problems).toContain('duplicate uuid');
    expect(problems).toContain('is not its object\'s uuid');
    expect(problems).toContain('missing relationship_type');
    expect(problems).toContain('Object[2] (');
    expect(problems).toContain('template_uuid is not a UUID');
  });
});

describe('the MISP REST search checks', () => {
  it('accept a response of valid events', () => {
    expect(checkMispRestSearch({ response: [xorist(), existing(), ours()] })).toEqual([]);
    expect(checkMispRestSearch({ response: [] })).toEqual([]);
  });

  it('reject a response that is not an array, a broken event and an event twice', () => {
    expect(checkMispRestSearch({ response: xorist() })).toEqual(['no "response" array at the top level']);
    expect(checkMispRestSearch([xorist()])).toEqual(['no "response" array at the top level']);
    const problems = checkMispRestSearch({ response: [xorist(), read('bad-event-category-type-unknown-type-no-info.json'), xorist()] });
    expect(problems.some((problem) => problem.startsWith('response[1]: missing info'))).toBe(true);
    expect(problems).toContain('response[2]: event uuid 57c4445b-c548-4654-af0b-4be3950d210f appears twice in the response');
  });
});

describe('the MISP feed checks', () => {
  const good = (): MispFeedFiles => readMispFeedDir(path.join(CONFORMANCE, 'feed-good'));

  it('accept the feed PyMISP\'s feed generator wrote', () => {
    const feed = good();
    expect([...feed.events.keys()]).toEqual(['5758ebf5-c898-48e6-9fe9-5665c0a83866', '57c4445b-c548-4654-af0b-4be3950d210f']);
    expect(checkMispFeed(feed)).toEqual([]);
  });

  it('reject the broken feed for its missing event file, its changed timestamp and its dropped and upper-case hash lines', () => {
    const problems = checkMispFeed(readMispFeedDir(path.join(CONFORMANCE, 'feed-bad')));
    const has = (text: string): boolean => problems.some((problem) => problem.includes(text));
    expect(has('manifest 5758ebf5-c898-48e6-9fe9-5665c0a83866: missing event file 5758ebf5-c898-48e6-9fe9-5665c0a83866.json')).toBe(true);
    expect(has('57c4445b-c548-4654-af0b-4be3950d210f.json: timestamp mismatch: manifest "1234567890", event "1472541011"')).toBe(true);
    expect(has('hashes.csv: missing line ac454eff7482836b3f7c4bf42e709644,57c4445b-c548-4654-af0b-4be3950d210f')).toBe(true);
    expect(has('hashes.csv line 1: md5 5B929E2F68AAE9333096927164D9AAA3 is not lowercase hex')).toBe(true);
    expect(has('hashes.csv: missing line 5b929e2f68aae9333096927164d9aaa3,57c4445b-c548-4654-af0b-4be3950d210f')).toBe(true);
  });

  it('reject an event file the manifest lacks, a file named for another event and a disagreeing manifest entry', () => {
    const feed = good();
    const [first, second] = [...feed.events.keys()] as [string, string];
    const manifest = feed.manifest as Record<string, Json>;
    delete manifest[first];
    Object.assign(manifest[second]!, { info: 'Something else', analysis: 1, threat_level_id: 4, date: '2016-08-30', Tag: [] });
    feed.events.set('6f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b', feed.events.get(second));
    const problems = checkMispFeed(feed).join('\n');
    expect(problems).toContain(`${first}.json: event file not in the manifest`);
    expect(problems).toContain('6f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b.json: Event.uuid "57c4445b-c548-4654-af0b-4be3950d210f" is not the file\'s uuid');
    for (const key of ['info', 'analysis', 'threat_level_id', 'date', 'Tag']) expect(problems).toContain(`${second}.json: ${key} mismatch`);
  });

  it('reject a manifest in another shape (an array, as some MISP-like feeds write) or with a broken entry', () => {
    const feed = good();
    expect(checkMispFeed({ ...feed, manifest: Object.entries(feed.manifest as Json).map(([uuid, entry]) => ({ uuid, ...(entry as Json) })) })[0]).toContain(
      'manifest.json is not an object keyed by event uuid (an array)',
    );
    const broken = good();
    const entry = (broken.manifest as Record<string, Json>)['5758ebf5-c898-48e6-9fe9-5665c0a83866']!;
    delete entry.Orgc;
    delete entry.timestamp;
    const problems = checkMispFeed(broken).join('\n');
    expect(problems).toContain('manifest 5758ebf5-c898-48e6-9fe9-5665c0a83866: missing Orgc');
    expect(problems).toContain('manifest 5758ebf5-c898-48e6-9fe9-5665c0a83866: missing timestamp');
  });

  it('reject hash lines for unknown events or values, malformed lines, and a value hashed once too often or too few', () => {
    const feed = good();
    const lines = feed.hashesCsv.trimEnd().split('\n');
    const unknown = 'b253c39f769e71f2781495acde6cb99c,6f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b';
    const stray = `${'0'.repeat(32)},57c4445b-c548-4654-af0b-4be3950d210f`;
    // The second part of the composite regkey|value not hashed.
    const secondPart = lines.find((line) => line.startsWith('d508cdc5'))!;
    feed.hashesCsv = [...lines.filter((line) => line !== secondPart), lines[0], unknown, stray, 'b253c39f769e71f2781495acde6cb99c;5758ebf5-c898-48e6-9fe9-5665c0a83866', ''].join('\n');
    const problems = checkMispFeed(feed).join('\n');
    expect(problems).toContain('names an unknown event "6f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b"');
    expect(problems).toContain(`hashes.csv: line ${stray} hashes no attribute value of its event`);
    expect(problems).toContain('not <md5 hex>,<event uuid>');
    expect(checkMispFeed({ ...feed, hashesCsv: good().hashesCsv.replaceAll('\n', '\r\n') })[0]).toBe('hashes.csv line 1: ends with CR (PyMISP writes \\n line ends)');
    expect(problems).toContain(`hashes.csv: missing line ${secondPart} (value "%TEMP%\\\\3Z4wnG9603it23y.exe"`);
    expect(problems).toContain(`hashes.csv: line ${lines[0]} 2 times for 1 value(s)`);
  });

  it('hash the values of object attributes too, one line per value even when values repeat', () => {
    const feed = good();
    const event = existing();
    const uuid = event.Event.uuid as string;
    (feed.manifest as Json)[uuid] = { Orgc: { name: 'CIRCL', uuid: '55f6ea5e-2c60-40e5-964f-47a8950d210f' }, Tag: event.Event.Tag, info: event.Event.info, date: event.Event.date, analysis: 0, threat_level_id: 3, timestamp: 1513948642 };
    feed.events.set(uuid, event);
    const attributes = [...(event.Event.Attribute as Json[]), ...(event.Event.Object as { Attribute: Json[] }[]).flatMap((object) => object.Attribute)];
    expect(attributes).toHaveLength(122);
    const line = (attribute: Json): string => `${createHash('md5').update(String(attribute.value)).digest('hex')},${uuid}`;
    const extra = attributes.map(line);
    expect(checkMispFeed({ ...feed, hashesCsv: feed.hashesCsv + extra.join('\n') + '\n' })).toEqual([]);
    // Without the line of one object attribute whose value ("Malicious") other attributes repeat.
    const repeated = attributes.findIndex((attribute, i) => i >= 9 && attributes.filter((other) => other.value === attribute.value).length > 1);
    const problems = checkMispFeed({ ...feed, hashesCsv: feed.hashesCsv + extra.filter((_, i) => i !== repeated).join('\n') + '\n' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^hashes\\.csv: missing line ${extra[repeated]} \\(value "${attributes[repeated]!.value as string}" of event ${uuid}\\): \\d+ of \\d+$`));
  });
});
