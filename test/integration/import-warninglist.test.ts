// `socd import` (importIocList) applies the warning list as the feed pipeline does: an operator's
// list that names a private address, a documentation range, an example domain or the empty
// file's hash as high confidence does not put them into a confidence=high block-list.
import { beforeAll, describe, expect, it } from 'vitest';
import { importIocList } from '../../src/ingest/import-list.js';
import { appSuite, BACKENDS } from '../helpers.js';

/** Benign or reserved values, each as an operator might paste it. */
const BENIGN = {
  '10.20.30.40': 'ipv4', // RFC 1918
  '192.168.1.1': 'ipv4', // RFC 1918, the reference pages' own sample
  '198.51.100.23': 'ipv4', // RFC 5737 TEST-NET-2
  '2001:db8::1': 'ipv6', // RFC 3849
  'example.com': 'domain',
  'http://www.example.com/payload.exe': 'url',
  'hxxps://example[.]org/login': 'url',
  'ops@example.net': 'email',
  // SHA-256 of the empty file
  e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855: 'sha256',
} as const;
/** Real indicators of the ThreatFox export of 2026-07-24 (test/fixtures/import/threatfox-2026-07-24-values.txt). */
const REAL = ['221.132.16.23', '146.56.205.231'];
const canonical = (value: string) => value.replace('hxxps', 'https').replace('[.]', '.');

interface Row {
  value: string;
  type: string;
  confidence: string;
  source: { feed_name: string };
}

describe.each(BACKENDS)('importIocList and the warning list on %s', (backend) => {
  const { store, t } = appSuite(backend);
  let pro = '';
  beforeAll(async () => {
    pro = await t.key('pro');
  });

  const get = (url: string) => t.app.inject({ url, headers: { 'x-api-key': pro } });

  it('stores benign values imported as high at low confidence, and keeps real ones high', async () => {
    const lines = [...Object.keys(BENIGN), ...REAL].join('\n');
    const summary = await importIocList(store.db, lines, { source: 'Pasted', confidence: 'high' });
    expect(summary).toMatchObject({ inserted: 11, suppressed: Object.keys(BENIGN).length, rejected: [] });
    // A JSON list that says "high" for each row, under another source.
    const json = JSON.stringify([...Object.keys(BENIGN), ...REAL].map((value) => ({ value, confidence: 'high' })));
    expect(await importIocList(store.db, json, { source: 'Vendor list' })).toMatchObject({ format: 'json', inserted: 11 });

    const high = await get('/api/v1/iocs?confidence=high&format=txt&limit=1000');
    expect(high.statusCode).toBe(200);
    expect(high.body.trim().split('\n').sort()).toEqual([...REAL].sort());

    const all = (await get('/api/v1/iocs?limit=1000')).json() as { data: Row[] };
    expect(all.data).toHaveLength(22);
    for (const [value, type] of Object.entries(BENIGN)) {
      const records = all.data.filter((r) => r.value === canonical(value));
      expect(records.map((r) => [r.type, r.confidence, r.source.feed_name]).sort(), value).toEqual([
        [type, 'low', 'Pasted'],
        [type, 'low', 'Vendor list'],
      ]);
    }
    for (const value of REAL) {
      expect(all.data.filter((r) => r.value === value).map((r) => r.confidence), value).toEqual(['high', 'high']);
    }
  });

  it('keeps a benign value low when a later import says high again', async () => {
    expect(await importIocList(store.db, '192.168.1.1\nexample.com\n', { source: 'Pasted', confidence: 'high' })).toMatchObject({
      inserted: 0,
      updated: 2,
    });
    const search = await get('/api/v1/iocs/search?q=192.168.1.1');
    expect(search.statusCode).toBe(200);
    const { matches } = (search.json() as { data: { matches: { confidence: string }[] } }).data;
    expect(matches.length).toBeGreaterThan(0);
    expect(matches.map((m) => m.confidence)).toEqual(matches.map(() => 'low'));
    const high = await get('/api/v1/iocs?confidence=high&format=txt&limit=1000');
    expect(high.body).not.toMatch(/192\.168\.1\.1|example\.com/);
  });
});
