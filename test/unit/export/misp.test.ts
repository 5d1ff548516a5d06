// The MISP writer against the checker written from the MISP core format and PyMISP's
// describeTypes (test/helpers/misp.ts, itself shown to accept PyMISP's samples and reject the
// broken ones): every IOC type, the restSearch body as the exporter streams it, and a feed.
import { v5 as uuidv5 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { mispEventUuid, mispExporter, mispHashLine, mispManifestEntry, summarizeEvent, toMispEvent } from '../../../src/export/misp.js';
import { createHash } from 'node:crypto';
import type { IocType } from '../../../src/ioc/types.js';
import type { EventRecord, EventRecords } from '../../../src/store/events.js';
import { checkMispFeed, checkMispRestSearch } from '../../helpers/misp.js';

const NS = '8c1b4f0e-2f4c-4d3a-9a57-1d2e3f4a5b6c';
const VALUES: Record<IocType, string> = {
  ipv4: '185.220.101.4',
  ipv6: '2a0b:f4c2::3',
  domain: 'update-check.example-cdn.com',
  url: 'https://update-check.example-cdn.com/a.php?id=1',
  email: 'billing@invoices-example.com',
  md5: '0cc175b9c0f1b6a831c399e269772661',
  sha1: 'a9993e364706816aba3e25717850c26c9cd0d89d',
  sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  sha512: 'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
  cve: 'CVE-2024-3400',
  mitre_attack: 'T1566.002',
};

function record(type: IocType, extra: Partial<EventRecord> = {}): EventRecord {
  return {
    id: uuidv5(`record:${type}`, NS),
    indicator_id: uuidv5(type, NS),
    type,
    value: VALUES[type],
    confidence: 'high',
    first_seen: '2026-07-20T10:00:00Z',
    last_seen: '2026-07-24T08:30:00Z',
    changed: 1784881800,
    withdrawn: null,
    context: 'Seen in a "phishing" wave;\nsee the report.',
    tags: ['emotet', 'tlp:clear'],
    mitre_techniques: ['T1071.001', 'T9999'],
    ...extra,
  };
}

const feedEvent: EventRecords = {
  source: { name: 'ThreatFox', category: 'threat-intel' },
  article: null,
  day: '2026-07-24',
  records: (Object.keys(VALUES) as IocType[]).map((type, i) => record(type, { confidence: (['high', 'medium', 'low'] as const)[i % 3] })),
  related: [],
};
const articleEvent: EventRecords = {
  source: { name: 'CISA Cybersecurity Advisories', category: 'government' },
  article: { id: uuidv5('article', NS), title: 'Russian GRU Targeting Western Logistics\nEntities', url: 'https://www.cisa.gov/x', published_at: '2025-05-21T12:00:00Z' },
  day: '2026-07-25',
  records: [record('ipv4', { id: uuidv5('other', NS) })],
  related: [{ source: 'ThreatFox', article: null, day: '2026-07-24' }],
};

describe('the MISP writer', () => {
  it('writes every IOC type as an attribute type and category MISP allows; techniques as galaxy tags', () => {
    const body = mispExporter.writer();
    const text = body.head() + body.batch([feedEvent], true) + body.batch([], false) + body.batch([articleEvent], false) + body.tail();
    const parsed = JSON.parse(text) as { response: { Event: ReturnType<typeof toMispEvent> }[] };
    expect(checkMispRestSearch(parsed)).toEqual([]);
    const [feed, article] = parsed.response.map((r) => r.Event);
    expect(feed!.Attribute.map((a) => a.type)).toEqual(['ip-dst', 'ip-dst', 'domain', 'url', 'email-src', 'md5', 'sha1', 'sha256', 'sha512', 'vulnerability']);
    expect(feed!.Tag).toContainEqual({ name: expect.stringMatching(/^misp-galaxy:mitre-attack-pattern=".+ - T1566\.002"$/) });
    expect(feed!.Attribute[0]!.Tag).toContainEqual({ name: expect.stringMatching(/ - T1071\.001"$/) });
    expect(feed!.Attribute[0]!.Tag.some((tag) => tag.name.includes('T9999'))).toBe(false);
    expect(feed!.threat_level_id).toBe('1');
    expect(article!.uuid).toBe(articleEvent.article!.id);
    expect(article!.info).toBe('Russian GRU Targeting Western Logistics Entities');
    expect(article!.date).toBe('2025-05-21');
    expect(article!.RelatedEvent).toEqual([{ Event: expect.objectContaining({ uuid: feed!.uuid }) }]);
  });

  it('derives stable event uuids: the article\'s id, or one of the feed and day', () => {
    expect(mispEventUuid(feedEvent)).toBe(mispEventUuid({ source: { name: 'ThreatFox' }, article: null, day: feedEvent.day }));
    expect(mispEventUuid(feedEvent)).not.toBe(mispEventUuid({ ...feedEvent, day: '2026-07-25' }));
    expect(mispEventUuid(feedEvent)).toBe(mispEventUuid({ source: 'ThreatFox', article: null, day: '2026-07-24' }));
  });

  it('makes a MISP feed the checker accepts: manifest entries that agree with the event files, one hash line a value', () => {
    const events = new Map<string, unknown>();
    const entries: string[] = [];
    let hashes = '';
    for (const event of [feedEvent, articleEvent]) {
      const e = toMispEvent(event, false);
      events.set(e.uuid, { Event: e });
      entries.push(mispManifestEntry(summarizeEvent(event)));
      for (const a of e.Attribute) hashes += mispHashLine(createHash('md5').update(a.value).digest('hex'), e.uuid);
    }
    expect(checkMispFeed({ manifest: JSON.parse(`{${entries.join(',')}}`), hashesCsv: hashes, events })).toEqual([]);
  });

  it('tells a withdrawn value the MISP way: expired, not for detection; revoked, deleted', () => {
    const event: EventRecords = {
      ...feedEvent,
      records: [
        record('ipv4'),
        record('domain', { withdrawn: 'expired' }),
        record('sha256', { withdrawn: 'revoked' }),
      ],
    };
    const misp = toMispEvent(event, false);
    expect(checkMispRestSearch({ response: [{ Event: misp }] })).toEqual([]);
    expect(misp.Attribute.map((a) => [a.type, a.to_ids, a.deleted])).toEqual([
      ['ip-dst', true, false],
      ['domain', false, false],
      ['sha256', false, true],
    ]);
  });
});
