// GET /api/v1/iocs/search as a client reads it (../shared/spec/iocs-search.md): the exact stage
// on the normalized value (whatever form the value is pasted in), every record of a match, the
// related IOCs of its article, the trigram fallback, and the errors.
import crypto from 'node:crypto';
import { Ajv } from 'ajv';
import ajvFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { SearchResponse } from '../../src/api/schemas.js';
import { indicatorId, parseIoc, recordId } from '../../src/ioc/index.js';
import type { Confidence } from '../../src/ioc/types.js';
import { upsertArticle } from '../../src/store/articles.js';
import type { Db } from '../../src/store/db.js';
import { upsertRecords, type NewRecord } from '../../src/store/upsert.js';
import type { SourceRef } from '../../src/store/sources.js';
import { appSuite, BACKENDS, readFixture } from '../helpers.js';
import {
  ADVISORY,
  CISA_SOURCE,
  CSV_INJECTION_SOURCE,
  IPV6_SOURCE,
  OPS_SOURCE,
  expectError,
  expectInvalidParameter,
  expectRecordAsModelled,
  expectTimeNear,
  get,
  importAndModel,
  seedStore,
  type ApiRecord,
  type ModelRecord,
  type Seeded,
} from './seed.js';

const THREATFOX_SOURCE = 'ThreatFox';
// The documented response schema, as the OpenAPI document gives it (nullable: OpenAPI 3.0's).
const ajv = new Ajv({ strict: false, allErrors: true });
ajvFormats.default(ajv);
const isSearchResponse = ajv.compile(SearchResponse);
// A record's members, in the order of the documented schema.
const RECORD_KEYS = ['id', 'type', 'value', 'confidence', 'first_seen', 'last_seen', 'source', 'context', 'tags', 'mitre_techniques'];
const SOURCE_KEYS = ['article_id', 'article_title', 'article_url', 'reference_url', 'feed_name', 'category', 'origin'];

interface SearchBody {
  meta: { generated_at: string; feed_version: string; source: string };
  data: {
    found: boolean;
    query: string;
    detected_type: string | null;
    normalized: string;
    normalization_notes: string[];
    detection_note?: string;
    warning_list?: string;
    match_type: 'exact' | 'fuzzy' | 'none';
    matches: ApiRecord[];
    relatedIOCs: ApiRecord[];
    meta: { total_matches: number; related_count: number; search_time_ms: number };
  };
}

describe.each(BACKENDS)('GET /api/v1/iocs/search on %s', (backend) => {
  let seeded: Seeded;
  let seededFrom: number;
  let pro: string;
  let free: string;
  const byId = new Map<string, ModelRecord>();

  const { t } = appSuite(backend, { seed });
  async function seed(db: Db): Promise<void> {
    seededFrom = Date.now();
    seeded = await seedStore(db);
    // And ThreatFox's Mozi URLs, whose paths have capitals.
    const mozi = readFixture('import/threatfox-2026-07-24-values.txt')
      .split('\n')
      .filter((line) => line.includes('/Mozi.'));
    seeded.records.push(...(await importAndModel(db, mozi.join('\n'), THREATFOX_SOURCE, 'medium')));
    for (const record of seeded.records) byId.set(record.id, record);
  }
  beforeAll(async () => {
    pro = await t.key('pro');
    free = await t.key('free');
  });

  async function search(q: string, extra = '', key = pro): Promise<SearchBody['data']> {
    const res = await get(t.app, `/api/v1/iocs/search?q=${encodeURIComponent(q)}${extra}`, key);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = res.json() as SearchBody;
    expect(Object.keys(body)).toEqual(['meta', 'data']);
    // The body is written as text around the records the database formats: it must be exactly
    // what the documented schema says, and the records carry no member the schema does not name.
    expect(isSearchResponse(body), JSON.stringify(isSearchResponse.errors)).toBe(true);
    for (const record of [...body.data.matches, ...body.data.relatedIOCs]) {
      expect(Object.keys(record)).toEqual([...RECORD_KEYS, ...(body.data.match_type === 'fuzzy' && body.data.matches.includes(record) ? ['similarity'] : [])]);
      expect(Object.keys(record.source)).toEqual(SOURCE_KEYS);
    }
    expect(body.meta).toEqual({ generated_at: expect.any(String), feed_version: '1.0', source: 'SOC Defenders' });
    expectTimeNear(body.meta.generated_at, Date.now(), 10_000);
    expect(body.data.query).toBe(q);
    // found: whether any matches were found (iocs-search.md); match_type tells which kind.
    expect(body.data.found).toBe(body.data.matches.length > 0);
    expect(body.data.match_type === 'none').toBe(body.data.matches.length === 0);
    expect(body.data.meta.total_matches).toBe(body.data.matches.length);
    expect(body.data.meta.related_count).toBe(body.data.relatedIOCs.length);
    expect(Number.isInteger(body.data.meta.search_time_ms)).toBe(true);
    expect(body.data.meta.search_time_ms).toBeGreaterThanOrEqual(0);
    return body.data;
  }

  /** The model's records of one normalized value. */
  const recordsOf = (type: string, normalized: string) =>
    seeded.records.filter((r) => r.type === type && r.normalized === normalized);

  function expectExact(data: SearchBody['data'], type: string, normalized: string) {
    expect(data.found).toBe(true);
    expect(data.match_type).toBe('exact');
    expect(data.detected_type).toBe(type);
    expect(data.normalized).toBe(normalized);
    const expected = recordsOf(type, normalized);
    expect(expected.length).toBeGreaterThan(0);
    expect(data.matches.map((m) => m.id).sort()).toEqual(expected.map((r) => r.id).sort());
    for (const match of data.matches) {
      expect(match).not.toHaveProperty('similarity');
      expectRecordAsModelled(match, byId.get(match.id)!, seeded, seededFrom);
    }
  }

  it('finds a value exactly as stored, with every source that reports it', async () => {
    const data = await search('213.32.252.221');
    expectExact(data, 'ipv4', '213.32.252.221');
    expect(data.normalization_notes).toEqual([]);
    expect(data).not.toHaveProperty('detection_note');
    expect(data.matches.map((m) => m.source.feed_name).sort()).toEqual([CISA_SOURCE, OPS_SOURCE]);
    expect(data.meta.total_matches).toBe(2);
  });

  it('finds a value pasted defanged, in upper case, uncompressed or with a default port', async () => {
    const cases: [q: string, type: string, normalized: string, notes: string[]][] = [
      // As the advisory writes them.
      ['213[.]32[.]252[.]221', 'ipv4', '213.32.252.221', ['refanged']],
      ['md-shoeb@alfathdoor[.]com[.]sa', 'email', 'md-shoeb@alfathdoor.com.sa', ['refanged']],
      ['hxxps://sup[.]merahsm188[.]top/', 'url', 'https://sup.merahsm188.top/', ['refanged']],
      ['MD-SHOEB@ALFATHDOOR.COM.SA', 'email', 'md-shoeb@alfathdoor.com.sa', ['lowercased']],
      [
        '217AA6561129B2CA5958DA9DDE6223908DDBFC978B2B92946CDA9E2E35998931',
        'sha256',
        '217aa6561129b2ca5958da9dde6223908ddbfc978b2b92946cda9e2e35998931',
        ['lowercased'],
      ],
      ['2A09:BAC5:505C:01EB:0000:0000:0031:0105', 'ipv6', '2a09:bac5:505c:1eb::31:105', ['lowercased', 'ipv6_compressed']],
      ['2603:0003:6105:3360:0000:0000:0000:0000', 'ipv6', '2603:3:6105:3360::', ['ipv6_compressed']],
      ['https://sup.808skor.org:443/', 'url', 'https://sup.808skor.org/', ['url_default_port_removed']],
      ['  cve-2023-23397 ', 'cve', 'cve-2023-23397', ['trimmed', 'uppercased']],
      ['t1566.002', 'mitre_attack', 't1566.002', ['uppercased']],
    ];
    for (const [q, type, normalized, notes] of cases) {
      const data = await search(q);
      expectExact(data, type, normalized);
      expect(data.normalization_notes, q).toEqual(notes);
    }
  });

  it('gives up to 10 related IOCs from the same article, never the match itself', async () => {
    const data = await search('124[.]168[.]91[.]178');
    expectExact(data, 'ipv4', '124.168.91.178');
    expect(data.relatedIOCs).toHaveLength(10);
    expect(data.meta.related_count).toBe(10);
    const matchValues = new Set(data.matches.map((m) => m.value));
    const relatedIds = new Set<string>();
    for (const related of data.relatedIOCs) {
      const model = byId.get(related.id)!;
      expectRecordAsModelled(related, model, seeded, seededFrom);
      expect(related.source.article_id).toBe(seeded.article.id);
      expect(matchValues.has(related.value)).toBe(false);
      relatedIds.add(model.indicatorId);
    }
    // Ten distinct IOCs, the advisory's high-confidence ones first.
    expect(relatedIds.size).toBe(10);
    expect(data.relatedIOCs.every((r) => r.confidence === 'high')).toBe(true);

    const without = await search('124[.]168[.]91[.]178', '&include_related=false');
    expect(without.relatedIOCs).toEqual([]);
    expect(without.meta.related_count).toBe(0);
    expect(without.matches.map((m) => m.id).sort()).toEqual(data.matches.map((m) => m.id).sort());
    // A value no article reports has no related IOCs.
    const feedOnly = await search('sup.merahsm188.top');
    expectExact(feedOnly, 'domain', 'sup.merahsm188.top');
    expect(feedOnly.relatedIOCs).toEqual([]);
  });

  it('answers searches made at the same time as it answers each alone', async () => {
    // Searches that arrive together reach the database together: no answer may take another's
    // records or related IOCs, whatever else is asked at the same time.
    const asked: [q: string, extra: string][] = [
      ['124[.]168[.]91[.]178', ''],
      ['124.168.91.178', '&include_related=false'],
      ['213.32.252.221', ''],
      ['sup.merahsm188.top', ''],
      ['221.132.16.23', ''],
      ['124.168.91.178', ''],
      ['merahsm188', ''],
      ['198.51.100.254', ''],
      ['t1566.002', ''],
    ];
    const comparable = (data: SearchBody['data']) => ({ ...data, meta: { ...data.meta, search_time_ms: 0 } });
    const alone = [];
    for (const [q, extra] of asked) alone.push(comparable(await search(q, extra)));
    for (let round = 0; round < 3; round++) {
      const together = await Promise.all(asked.map(([q, extra]) => search(q, extra)));
      expect(together.map(comparable)).toEqual(alone);
    }
    expect(alone[0]!.relatedIOCs).toHaveLength(10);
    expect(alone[1]!.relatedIOCs).toEqual([]);
  });

  it('answers the records of every source for a value two imports report', async () => {
    const data = await search('221.132.16.23');
    expectExact(data, 'ipv4', '221.132.16.23');
    expect(data.matches.map((m) => m.source.feed_name).sort()).toEqual([CSV_INJECTION_SOURCE, OPS_SOURCE].sort());
    const ipv6 = await search('2400:adc1:200:6800:18dd:3909:50e:58d2');
    expectExact(ipv6, 'ipv6', '2400:adc1:200:6800:18dd:3909:50e:58d2');
    expect(ipv6.matches[0]!.source.feed_name).toBe(IPV6_SOURCE);
  });

  it('falls back to trigram search: values containing q, ranked by similarity', async () => {
    const data = await search('merahsm188');
    expect(data).toMatchObject({ found: true, match_type: 'fuzzy', detected_type: null, normalized: 'merahsm188' });
    expect(data.detection_note).toEqual(expect.any(String));
    const expected = seeded.records.filter((r) => r.normalized.includes('merahsm188'));
    expect(expected.length).toBeGreaterThanOrEqual(2);
    expect(data.matches.map((m) => m.id).sort()).toEqual(expected.map((r) => r.id).sort());
    expectRanked(data.matches);
    // The shorter value shares more of its trigrams with q.
    expect(data.matches[0]!.value).toBe('sup.merahsm188.top');

    // Every record of each fuzzy match, as for an exact one.
    const partialIp = await search('221.132.16');
    expect(partialIp.match_type).toBe('fuzzy');
    const bySource = partialIp.matches.filter((m) => m.value === '221.132.16.23').map((m) => m.source.feed_name);
    expect(bySource.sort()).toEqual([CSV_INJECTION_SOURCE, OPS_SOURCE].sort());
    for (const match of partialIp.matches) expectRecordAsModelled(match, byId.get(match.id)!, seeded, seededFrom);
    expect(partialIp.relatedIOCs).toEqual([]);
  });

  it('finds a substring whatever its case, though URL paths keep theirs', async () => {
    const stored = seeded.records.filter((r) => r.source === THREATFOX_SOURCE && r.value.endsWith('/Mozi.m'));
    expect(stored.length).toBeGreaterThan(10);
    for (const q of ['Mozi.m', 'mozi.m', 'MOZI.M']) {
      const data = await search(q);
      expect(data, q).toMatchObject({ found: true, match_type: 'fuzzy', normalized: 'mozi.m' });
      // The ten best of the values that contain it.
      expect(data.matches).toHaveLength(10);
      for (const match of data.matches) {
        expect(match.value).toMatch(/\/Mozi\.m$/);
        expectRecordAsModelled(match, byId.get(match.id)!, seeded, seededFrom);
      }
      expectRanked(data.matches);
    }
    // The exact stage is exact: the path's case counts.
    const exact = await search(stored[0]!.value);
    expectExact(exact, 'url', stored[0]!.normalized);
    const otherCase = await search(stored[0]!.value.replace('/Mozi.m', '/mozi.m'));
    expect(otherCase.match_type).toBe('fuzzy');
    expect(otherCase.matches[0]!.value).toBe(stored[0]!.value);
  });

  it('finds the values containing a piece of URL, though normalizing makes a whole URL of it', async () => {
    // In https://sagearcade.top/alias/signup-stylesheet and .../proxy-worker.js.
    const piece = 'cade.top/al';
    const stored = seeded.records.filter((r) => r.type === 'url' && r.normalized.includes(piece));
    expect(stored.length).toBeGreaterThanOrEqual(2);
    const data = await search(piece);
    // Normalized, the piece is a URL of its own (http:// added), which no stored value contains,
    // and which is too little like them to be their near miss.
    expect(data).toMatchObject({ found: true, match_type: 'fuzzy', detected_type: 'url', normalized: `http://${piece}` });
    expect(data.matches.map((m) => m.id).sort()).toEqual(stored.map((r) => r.id).sort());
    expectRanked(data.matches);
  });

  it('finds a near miss: one character changed', async () => {
    const cases: [q: string, stored: string, detected: string | null][] = [
      ['farmacia-bienestor.com', 'farmacia-bienestar.com', 'domain'],
      // .con is no public suffix: not a domain, still a near miss.
      ['fidipodiatry.con', 'fidipodiatry.com', null],
    ];
    for (const [q, stored, detected] of cases) {
      const data = await search(q);
      expect(data.match_type, q).toBe('fuzzy');
      expect(data.detected_type).toBe(detected);
      expect(data.matches[0]!.value).toBe(stored);
      expectRanked(data.matches);
    }
  });

  it('runs no fuzzy stage for a complete address or a full-length hash: it is known or it is not', async () => {
    // One digit off a seeded address, and one character off a seeded hash: near misses only in form.
    expect(seeded.records.some((r) => r.normalized === '221.132.16.23')).toBe(true);
    const sha = seeded.records.find((r) => r.type === 'sha256')!.normalized;
    const otherSha = (sha[0] === 'a' ? 'b' : 'a') + sha.slice(1);
    for (const q of ['221.132.16.24', otherSha]) {
      const data = await search(q);
      expect(data, q).toMatchObject({ found: false, match_type: 'none', matches: [] });
    }
    // A partial address still gets its substring stage (above: 221.132.16).
  });

  it("names the warning list's reason for a known benign value, as the page's own examples are", async () => {
    const emptyFile = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    for (const q of ['192.168.1.1', emptyFile]) {
      const data = await search(q);
      expect(data, q).toMatchObject({ found: false, warning_list: expect.any(String) });
    }
    expect((await search('192.168.1.1')).warning_list).toMatch(/private|1918/i);
    // An ordinary value carries no such field.
    expect(await search('221.132.16.23')).not.toHaveProperty('warning_list');
  });

  it('runs no fuzzy stage for a q shorter than 3 characters', async () => {
    // "8." is in many stored IPs: a substring search would find them.
    expect(seeded.records.some((r) => r.normalized.includes('8.'))).toBe(true);
    const data = await search('8.');
    expect(data).toMatchObject({ found: false, match_type: 'none', matches: [], relatedIOCs: [] });
  });

  it('answers found:false with a detection note for what is not an IOC', async () => {
    const data = await search('not an indicator');
    expect(data).toMatchObject({ found: false, match_type: 'none', detected_type: null, matches: [], relatedIOCs: [] });
    expect(data.detection_note).toMatch(/not a recognized IOC/);
    expect(data.normalization_notes).toEqual([]);
    // A well-formed IOC that no seeded source reports (a ThreatFox sha256 of 2026-07-24, Kuiper).
    const hash = '56091719eeba4881f3db1f837feaa9d47a5a275bff6218186d97614e252e6d21';
    const unknown = await search(hash.toUpperCase());
    expect(unknown).toMatchObject({ found: false, match_type: 'none', detected_type: 'sha256', normalized: hash, matches: [] });
    expect(unknown).not.toHaveProperty('detection_note');
  });

  it('does not let LIKE wildcards in q match everything', async () => {
    for (const q of ['%.%', '_._', '%%%', '___', '%25', '\\%']) {
      const data = await search(q);
      expect(data.matches, q).toEqual([]);
      expect(data.found).toBe(false);
    }
    // Taken literally, "sup.merahsm18%.top" is in no value (as a pattern it would match one): only
    // its near miss comes back.
    const near = await search('sup.merahsm18%.top');
    expect(near.matches.length).toBeGreaterThan(0);
    expect(near.matches.every((m) => m.value.includes('sup.merahsm188.top'))).toBe(true);
  });

  it('works for a free key too', async () => {
    const data = await search('T1566.002', '', free);
    expectExact(data, 'mitre_attack', 't1566.002');
  });

  it('rejects a missing, too short or unknown parameter with 400 naming it', async () => {
    expectInvalidParameter(await get(t.app, '/api/v1/iocs/search', pro), 'q');
    expectInvalidParameter(await get(t.app, '/api/v1/iocs/search?q=', pro), 'q');
    expectInvalidParameter(await get(t.app, '/api/v1/iocs/search?q=a', pro), 'q');
    expectInvalidParameter(await get(t.app, `/api/v1/iocs/search?q=${'a'.repeat(2049)}`, pro), 'q');
    expectInvalidParameter(await get(t.app, '/api/v1/iocs/search?q=8.8.8.8&include_related=perhaps', pro), 'include_related');
    const unknown = expectInvalidParameter(await get(t.app, '/api/v1/iocs/search?q=8.8.8.8&type=ipv4', pro), 'type');
    expect(unknown.allowed_parameters).toEqual(expect.arrayContaining(['q', 'include_related']));
    const missing = expectError(await get(t.app, '/api/v1/iocs/search', pro, { 'x-request-id': 'triage-7' }), 400, 'invalid_parameter');
    expect(missing.message).toContain("'q'");
    expect(missing.request_id).toBe('triage-7');
  });
});

// A value two articles report, each with IOCs of its own and some in common, at confidences and
// times that interleave (an IOC has the same confidence in both): the related IOCs are each indicator once, by its best record (highest
// confidence, then newest, then id), the ten best of both articles, as a model ranks them here.
describe.each(BACKENDS)('related IOCs of a value two articles report, on %s', (backend) => {
  const CONFIDENCES: Confidence[] = ['high', 'medium', 'low'];
  const RANK: Record<Confidence, number> = { high: 0, medium: 1, low: 2 };
  interface Stored {
    id: string;
    indicator: string;
    confidence: Confidence;
    extractedAt: number;
    /** Which of the two articles lists it. */
    article: number;
  }
  const stored: Stored[] = [];
  const iocs = ADVISORY.expected_iocs.slice(0, 22).map((ioc) => {
    const parsed = parseIoc(ioc.as_written);
    if (!parsed.ok) throw new Error(`${ioc.as_written}: ${parsed.reason}`);
    return parsed.ioc;
  });
  const searched = iocs[0]!;

  const { t } = appSuite(backend, { seed });
  async function seed(db: Db): Promise<void> {
    const now = Date.now();
    // Article one lists the searched value and IOCs 1-14; article two the value and IOCs 8-21.
    const articles = [
      { source: 'Vendor research', category: 'research', listed: [0, ...range(1, 15)], minutes: (i: number) => (i * 7) % 11 },
      { source: 'National CERT', category: 'government', listed: [0, ...range(8, 22)], minutes: (i: number) => (i * 5) % 13 },
    ];
    for (const [n, article] of articles.entries()) {
      const [source] = await db.query<SourceRef>(
        `insert into sources (name, kind, category) values ($1, 'rss', $2) returning id, name, category`,
        [article.source, article.category],
      );
      const articleId = await upsertArticle(db, {
        id: crypto.randomUUID(),
        sourceId: source!.id,
        title: `${article.source} on ${searched.normalized}`,
        url: `https://example.org/${n}`,
      });
      const records: NewRecord[] = article.listed.map((i) => ({
        ioc: iocs[i]!,
        confidence: CONFIDENCES[i % 3]!,
        firstSeen: new Date(now),
        lastSeen: new Date(now),
        articleId,
      }));
      await upsertRecords(db, source!, 'article', records);
      for (const [k, i] of article.listed.entries()) {
        const ioc = iocs[i]!;
        const indicator = indicatorId(ioc.type, ioc.normalized);
        stored.push({
          id: recordId(indicator, article.source, articleId),
          indicator,
          confidence: records[k]!.confidence,
          extractedAt: now - article.minutes(i) * 60_000,
          article: n,
        });
      }
    }
    await db.query(
      `update sightings set extracted_at = t.at from unnest($1::uuid[], $2::timestamptz[]) t(id, at) where sightings.id = t.id`,
      [stored.map((r) => r.id), stored.map((r) => new Date(r.extractedAt).toISOString())],
    );
  }

  it('gives each IOC once, by its best record, the ten best of both articles in order', async () => {
    const before = (a: Stored, b: Stored) => RANK[a.confidence] - RANK[b.confidence] || b.extractedAt - a.extractedAt || (a.id < b.id ? -1 : 1);
    const best = new Map<string, Stored>();
    for (const record of stored) {
      const held = best.get(record.indicator);
      if (record.indicator !== indicatorId(searched.type, searched.normalized) && (!held || before(record, held) < 0)) best.set(record.indicator, record);
    }
    const expected = [...best.values()].sort(before).slice(0, 10);
    // The model's answer draws on both articles, and on IOCs they share, of the same confidence
    // in both: one record of each must give way to the other.
    expect(new Set(expected.map((r) => r.article))).toEqual(new Set([0, 1]));
    expect(expected.filter((r) => stored.filter((s) => s.indicator === r.indicator).length === 2).length).toBeGreaterThan(1);

    const res = await get(t.app, `/api/v1/iocs/search?q=${encodeURIComponent(searched.value)}`, await t.key('pro'));
    expect(res.statusCode, res.body).toBe(200);
    const data = (res.json() as SearchBody).data;
    expect(data.matches).toHaveLength(2);
    expect(data.relatedIOCs.map((r) => r.id)).toEqual(expected.map((r) => r.id));
    expect(data.relatedIOCs.map((r) => r.confidence)).toEqual(expected.map((r) => r.confidence));
    expect(data.meta.related_count).toBe(10);
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** Fuzzy matches: each with its similarity, best first. */
function expectRanked(matches: ApiRecord[]): void {
  expect(matches.length).toBeGreaterThan(0);
  for (const match of matches) {
    expect(match.similarity).toBeGreaterThan(0);
    expect(match.similarity).toBeLessThanOrEqual(1);
  }
  const similarities = matches.map((m) => m.similarity!);
  expect(similarities).toEqual([...similarities].sort((a, b) => b - a));
}
