import { describe, expect, it } from 'vitest';
import { confidenceOfLevel, parseThreatfoxJson } from '../../../../src/ingest/parsers/threatfox-json.js';
import { FeedFormatError } from '../../../../src/ingest/types.js';
import { readFeed } from './fixtures.js';

const EXPORT = readFeed('threatfox-export-json-recent-2026-07-24-first1000.json');
type Entry = Record<string, unknown>;
const ENTRIES = JSON.parse(EXPORT) as Record<string, Entry[]>;

function entry(id: string): Entry {
  return { ...(ENTRIES[id]?.[0] as Entry) };
}

/** An export entry as the API (`get_iocs`) writes the same IOC. */
function asApiRecord(id: string): Entry {
  const { ioc_value, first_seen_utc, last_seen_utc, tags, anonymous: _anonymous, ...rest } = entry(id);
  return {
    id,
    ioc: ioc_value,
    ...rest,
    first_seen: `${String(first_seen_utc)} UTC`,
    last_seen: last_seen_utc === null ? null : `${String(last_seen_utc)} UTC`,
    tags: typeof tags === 'string' ? tags.split(',') : null,
  };
}

describe('parseThreatfoxJson on the export/json/recent export', () => {
  const feed = parseThreatfoxJson(EXPORT);

  it('reads all 1,000 entries, with the type counts of the fixture README', () => {
    expect(feed.records).toHaveLength(1000);
    expect(feed.rejected).toEqual([]);
    const counts: Record<string, number> = {};
    for (const record of feed.records) counts[record.ioc.type] = (counts[record.ioc.type] ?? 0) + 1;
    expect(counts).toEqual({ domain: 343, url: 227, ipv4: 167, sha256: 103, sha1: 80, md5: 80 });
  });

  it('keeps the port of every ip:port entry', () => {
    const withPorts = feed.records.filter((record) => record.ports !== undefined);
    expect(withPorts).toHaveLength(167);
    expect(withPorts.every((record) => record.ioc.type === 'ipv4' && record.ports?.length === 1)).toBe(true);
    const record = feed.records.find((candidate) => candidate.ioc.value === '221.132.16.23');
    expect(record).toEqual({
      ioc: { type: 'ipv4', value: '221.132.16.23', normalized: '221.132.16.23', notes: [] },
      confidence: 'high',
      firstSeen: new Date('2026-07-24T13:05:11Z'),
      lastSeen: new Date('2026-07-24T13:05:11Z'),
      tags: ['botnet_cc', 'viper'],
      context: 'Unknown malware botnet C2 IP:port reported to ThreatFox by anonymous (confidence 100/100); flagged by ThreatFox as a compromised host',
      referenceUrl: 'https://threatfox.abuse.ch/ioc/1856781/',
      ports: [8000],
    });
  });

  it('groups the IOCs of one submission into one entry: the reference they share', () => {
    // A MalwareBazaar sample's page cited by its C2 address and its panel's domain (ids 1856198, 1856197).
    const reference = 'https://bazaar.abuse.ch/sample/96986991e6afc47c446c9f789014d6931ddc84d1f52257e77d8da915f985ed39/';
    const grouped = feed.records.filter((record) => record.entry === reference).map((record) => record.ioc.value).sort();
    expect(grouped).toEqual(['198.46.243.188', 'panel.munchyyyyyscpann.live']);
    // A sandbox lookup of one host: the URL it served and the payload's hash.
    const lookup = feed.records.filter((record) => record.entry === 'https://honeylabs.net/lookup/8.213.214.55');
    expect(lookup.map((record) => record.ioc.type).sort()).toEqual(['sha256', 'url']);
    // Without a reference, an IOC alone under its id is no entry (it would group nothing).
    expect(feed.records.filter((record) => record.entry === undefined)).toHaveLength(761);
  });

  it('groups the IOCs an export key holds together', () => {
    // Two IOCs of the file under one key, as the export's shape allows (the second without its reference).
    const grouped = parseThreatfoxJson(JSON.stringify({ '1856228': [entry('1856229'), { ...entry('1856233'), reference: null }] }));
    expect(grouped.records.map((record) => record.entry)).toEqual(['https://infosec.exchange/@monitorsg/116970148617035866', '1856228']);
  });

  it('maps a URL (the first key of the file), a hash and a last_seen_utc', () => {
    const byValue = new Map(feed.records.map((record) => [record.ioc.value, record]));
    expect(byValue.get('https://sup.merahsm188.top/')).toMatchObject({
      confidence: 'high',
      firstSeen: new Date('2026-07-24T13:50:06Z'),
      tags: ['vidar', 'botnet_cc'],
      referenceUrl: 'https://threatfox.abuse.ch/ioc/1856791/',
    });
    expect(byValue.get('217aa6561129b2ca5958da9dde6223908ddbfc978b2b92946cda9e2e35998931')).toMatchObject({
      ioc: { type: 'sha256' },
      tags: ['clearfake', 'payload', 'clickfix', 'etherhiding', 'etherhidingmagecart'],
      confidence: 'high',
    });
    expect(byValue.get('https://sup.808skor.org/')?.lastSeen).toEqual(new Date('2026-07-24T13:26:14Z'));
  });

  it('uses the reference when it is a URL, and the IOC page when it is empty', () => {
    const byValue = new Map(feed.records.map((record) => [record.ioc.value, record]));
    expect(byValue.get('94.154.43.102')?.referenceUrl).toMatch(/^https:\/\/bazaar\.abuse\.ch\/sample\//);
    expect(byValue.get('blfxuiixplane.icu')?.referenceUrl).toBe('https://threatfox.abuse.ch/ioc/1856732/');
  });

  it('never tags the "Unknown malware" placeholder', () => {
    expect(feed.records.some((record) => record.tags.includes('unknown malware'))).toBe(false);
  });
});

describe('confidenceOfLevel', () => {
  it.each([
    [100, 'high'],
    [75, 'high'],
    [74, 'medium'],
    [50, 'medium'],
    [49, 'low'],
    [0, 'low'],
    ['90', 'high'],
    [null, 'low'],
    [undefined, 'low'],
    ['n/a', 'low'],
  ])('%s → %s', (level, confidence) => {
    expect(confidenceOfLevel(level)).toBe(confidence);
  });
});

describe('parseThreatfoxJson on malformed entries built from the real export', () => {
  it('rejects each by its IOC id, with the reason', () => {
    const document = {
      '1856781': [{ ...entry('1856781'), ioc_value: '221.132.16.23:99999' }],
      '1856790': [{ ...entry('1856790'), ioc_type: 'sha3_384_hash' }],
      '1856791': [{ ...entry('1856791'), first_seen_utc: '24/07/2026 13:50' }],
      '1856789': [{ ...entry('1856789'), ioc_value: 'efqveeuagmohjnnmvv.fidipodiatry' }],
      '1856788': 'not an array',
      '1856787': [],
      '1856665': [entry('1856665')],
    };
    const feed = parseThreatfoxJson(JSON.stringify(document));
    expect(feed.records.map((record) => record.ioc.type)).toEqual(['sha256']);
    expect(feed.rejected).toEqual([
      { at: '1856781', value: '221.132.16.23:99999', reason: 'port "99999" is not a port (1-65535)' },
      { at: '1856787', value: '[]', reason: 'empty array: no IOC under this id' },
      { at: '1856788', value: '"not an array"', reason: 'value is a string, not an array of IOCs' },
      { at: '1856789', value: 'efqveeuagmohjnnmvv.fidipodiatry', reason: expect.stringMatching(/^ioc_value: domain has no public suffix/) },
      { at: '1856790', value: 'sup.merahsm188.top', reason: 'unknown ioc_type "sha3_384_hash"' },
      { at: '1856791', value: 'https://sup.merahsm188.top/', reason: 'first_seen "24/07/2026 13:50" is not a date' },
    ]);
  });

  it('reads a bracketed IPv6 ip:port and keeps its port', () => {
    // The address is from test/fixtures/import/myipms-ipv6-2024-03-22.txt; the shared fixtures hold no IPv6.
    const feed = parseThreatfoxJson(JSON.stringify({ '1856781': [{ ...entry('1856781'), ioc_value: '[2a09:bac5:505c:1eb::31:105]:443' }] }));
    expect(feed.rejected).toEqual([]);
    expect(feed.records[0]).toMatchObject({ ioc: { type: 'ipv6', value: '2a09:bac5:505c:1eb::31:105' }, ports: [443] });
  });
});

describe('parseThreatfoxJson on the API answer shape', () => {
  it('reads {"query_status":"ok","data":[...]} like the export', () => {
    const answer = { query_status: 'ok', data: ['1856781', '1856791', '1856665', '1856779'].map(asApiRecord) };
    const feed = parseThreatfoxJson(JSON.stringify(answer));
    const fromExport = parseThreatfoxJson(
      JSON.stringify(Object.fromEntries(['1856781', '1856791', '1856665', '1856779'].map((id) => [id, [entry(id)]]))),
    );
    expect(feed.rejected).toEqual([]);
    const byValue = (records: typeof feed.records) => [...records].sort((a, b) => a.ioc.value.localeCompare(b.ioc.value));
    expect(byValue(feed.records)).toEqual(byValue(fromExport.records));
    expect(feed.records[0]?.ports).toEqual([8000]);
  });

  it('rejects an API record by its id', () => {
    const bad = { ...asApiRecord('1856781'), ioc_type: 'ja3_fingerprint' };
    const feed = parseThreatfoxJson(JSON.stringify({ query_status: 'ok', data: [bad] }));
    expect(feed.rejected).toEqual([{ at: '1856781', value: '221.132.16.23:8000', reason: 'unknown ioc_type "ja3_fingerprint"' }]);
  });

  it('reads no_result as an empty feed', () => {
    const feed = parseThreatfoxJson('{"query_status":"no_result","data":"Your search did not yield any results"}');
    expect(feed).toEqual({ records: [], articles: [], rejected: [] });
  });

  it.each([
    ['an API error', '{"query_status":"unknown_auth_key"}'],
    ['ok without a data array', '{"query_status":"ok","data":{}}'],
    ['truncated JSON', EXPORT.slice(0, 10_000)],
    ['an HTML page', '<!DOCTYPE html><html><head><title>Login</title></head></html>'],
    ['a JSON string', '"recent"'],
  ])('throws FeedFormatError for %s', (_name, body) => {
    expect(() => parseThreatfoxJson(body)).toThrow(FeedFormatError);
  });
});
