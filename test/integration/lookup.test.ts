// GET /api/v1/lookup as a client reads it, on the seeded store (seed.ts) and the real ThreatFox
// export of 2026-07-24 ingested through the feed pipeline: a value's sources equal the search's
// records of it (an independent read), its article, techniques and CVEs, related IOCs of the same
// article and of the same ThreatFox submission, defanged input, an unknown value, the warning
// list, the score's factors, the tier's lookback, the scope and every bad parameter.
import { Ajv } from 'ajv';
import ajvFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { LookupResponse } from '../../src/api/routes/lookup.js';
import { runSource } from '../../src/ingest/pipeline.js';
import { HUNTING_LANGUAGES } from '../../src/export/hunting.js';
import { indicatorId, parseIoc } from '../../src/ioc/index.js';
import type { Db } from '../../src/store/db.js';
import { addSource } from '../../src/store/sources.js';
import { appSuite, BACKENDS, readFixture } from '../helpers.js';
import { checkSigma } from '../helpers/sigma.js';
import { fastRun, fixture, THREATFOX_JSON } from './ingest-upstream.js';
import {
  ADVISORY,
  CISA_SOURCE,
  IPV6_AGE_DAYS,
  IPV6_SOURCE,
  OPS_SOURCE,
  expectError,
  expectInvalidParameter,
  expectTimeNear,
  get,
  importAndModel,
  seedStore,
  type ApiRecord,
  type Seeded,
} from './seed.js';

const PUBLIC_URL = 'https://intel.example.org';
const THREATFOX = 'ThreatFox';
const WARNED_SOURCE = 'Ops warning-listed';
const ajv = new Ajv({ strict: false, allErrors: true });
ajvFormats.default(ajv);
const isLookupResponse = ajv.compile(LookupResponse);

interface Related { id: string; type: string; value: string; source: string; article_id: string | null; entry: string | null }
interface Source {
  record_id: string; source: string; category: string; kind: string; origin: string; confidence: string;
  first_seen: string; last_seen: string; extracted_at: string; context: string | null; tags: string[];
  mitre_techniques: string[]; ports: number[]; reference_url: string | null; entry: string | null;
  article: { id: string; title: string | null; url: string; reference_url: string | null } | null;
}
interface LookupBody {
  meta: { generated_at: string; feed_version: string; source: string; lookback_days: number; since: string; notices?: string[] };
  data: {
    query: string; known: boolean; type: string; value: string; normalized: string; normalization_notes: string[];
    indicator_id: string; first_seen: string | null; last_seen: string | null; confidence: string | null;
    sources: Source[]; articles: { id: string; title: string | null; url: string; reference_url: string | null; source: string }[];
    tags: string[]; mitre_techniques: { id: string; name: string | null; url: string }[]; cves: string[];
    related: { same_article: Related[]; same_entry: Related[] };
    warning_list: { list: string; reason: string } | null;
    risk: { score: number; level: string; scored: boolean; decay: { half_life_days: number | null; age_days: number | null }; factors: { name: string; value: unknown; contribution: number; explanation: string }[] };
    hunting?: Record<string, { query: string | null; note: string }>;
    omitted: { sightings_outside_lookback: number; sightings_outside_lookback_at_least: boolean; sightings_beyond_limit: boolean };
  };
}

describe.each(BACKENDS)('GET /api/v1/lookup on %s', (backend) => {
  let seeded: Seeded;
  let pro: string;
  let free: string;
  const { t } = appSuite(backend, { seed, env: { PUBLIC_URL } });

  async function seed(db: Db): Promise<void> {
    seeded = await seedStore(db);
    // ThreatFox's export, through the feed pipeline (parser, warning list, upsert).
    const source = await addSource(db, {
      name: THREATFOX, kind: 'threatfox-json', url: 'https://threatfox.abuse.ch/export/json/recent/', category: 'threat-intel',
      intervalSeconds: 3600, staleAfterSeconds: null, auth: null,
    });
    const run = await runSource(db, source, fastRun({ body: fixture(THREATFOX_JSON), scheduled: false }));
    if (run.outcome !== 'ok') throw new Error(`ThreatFox run: ${run.outcome}`);
    // A private address an operator listed: the warning list keeps it low.
    await importAndModel(db, '10.20.30.40', WARNED_SOURCE, 'high');
  }
  beforeAll(async () => {
    pro = await t.key('pro');
    free = await t.key('free');
  });

  async function lookup(value: string, key = pro, extra = ''): Promise<LookupBody> {
    const res = await get(t.app, `/api/v1/lookup?value=${encodeURIComponent(value)}${extra}`, key);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as LookupBody;
    expect(isLookupResponse(body), JSON.stringify(isLookupResponse.errors)).toBe(true);
    expect(body.meta).toMatchObject({ feed_version: '1.0', source: 'SOC Defenders' });
    expectTimeNear(body.meta.generated_at, Date.now(), 10_000);
    expect(body.data.query).toBe(value);
    // The score explains itself: its factors add up to it.
    expect(body.data.risk.factors.reduce((sum, f) => sum + f.contribution, 0)).toBe(body.data.risk.score);
    return body;
  }

  async function search(q: string): Promise<ApiRecord[]> {
    const res = await get(t.app, `/api/v1/iocs/search?q=${encodeURIComponent(q)}`, pro);
    expect(res.statusCode).toBe(200);
    return (res.json() as { data: { matches: ApiRecord[] } }).data.matches;
  }

  it("answers a value's sources as the search's records of it, with its article, techniques, CVEs and related IOCs", async () => {
    const { data } = await lookup('213.32.252.221');
    expect(data).toMatchObject({ known: true, type: 'ipv4', value: '213.32.252.221', normalized: '213.32.252.221', warning_list: null });
    expect(data.indicator_id).toBe(indicatorId('ipv4', '213.32.252.221'));
    const records = await search('213.32.252.221');
    expect(data.sources.map((s) => s.record_id).sort()).toEqual(records.map((r) => r.id).sort());
    for (const record of records) {
      const source = data.sources.find((s) => s.record_id === record.id)!;
      expect({
        source: source.source, category: source.category, origin: source.origin, confidence: source.confidence,
        first_seen: source.first_seen, last_seen: source.last_seen, context: source.context, tags: source.tags,
        mitre_techniques: source.mitre_techniques, article_id: source.article?.id ?? null,
      }).toEqual({
        source: record.source.feed_name, category: record.source.category, origin: record.source.origin, confidence: record.confidence,
        first_seen: record.first_seen, last_seen: record.last_seen, context: record.context, tags: record.tags,
        mitre_techniques: record.mitre_techniques, article_id: record.source.article_id,
      });
    }
    expect(data.sources.map((s) => s.source).sort()).toEqual([CISA_SOURCE, OPS_SOURCE]);
    // The article: its page here, and the publisher's URL.
    expect(data.articles).toEqual([
      { id: seeded.article.id, title: ADVISORY.title, url: `${PUBLIC_URL}/item/${seeded.article.id}`, reference_url: ADVISORY.advisory_url, source: CISA_SOURCE },
    ]);
    expect(data.sources.find((s) => s.source === CISA_SOURCE)!.article).toEqual({
      id: seeded.article.id, title: ADVISORY.title, url: `${PUBLIC_URL}/item/${seeded.article.id}`, reference_url: ADVISORY.advisory_url,
    });
    expect(data.first_seen).toBe('2025-05-12T16:49:12Z');
    // The advisory's techniques with their names: the record's own, and those the advisory names.
    const model = seeded.records.find((r) => r.normalized === '213.32.252.221' && r.source === CISA_SOURCE)!;
    expect(data.mitre_techniques.map((m) => m.id).sort()).toEqual([...new Set([...model.mitreTechniques, 'T1110.003', 'T1566.002'])].sort());
    expect(data.mitre_techniques.find((m) => m.id === 'T1566.002')).toEqual({ id: 'T1566.002', name: 'Spearphishing Link', url: 'https://attack.mitre.org/techniques/T1566/002' });
    expect(data.cves).toEqual(['CVE-2023-23397']);
    // Related: other IOCs of the advisory, never the value itself; no feed entry.
    expect(data.related.same_article).toHaveLength(10);
    const advisoryValues = new Set(seeded.records.filter((r) => r.articleId === seeded.article.id).map((r) => r.value));
    for (const related of data.related.same_article) {
      expect(related.value).not.toBe('213.32.252.221');
      expect(advisoryValues.has(related.value)).toBe(true);
      expect(related).toMatchObject({ source: CISA_SOURCE, article_id: seeded.article.id });
    }
    expect(new Set(data.related.same_article.map((r) => r.id)).size).toBe(10);
    expect(data.related.same_entry).toEqual([]);
    // The score: two sources, a government advisory at its best.
    expect(data.risk.scored).toBe(true);
    expect(data.risk.factors.find((f) => f.name === 'sources')).toMatchObject({ value: 2, contribution: 30 });
    expect(data.risk.factors.find((f) => f.name === 'source_kind')).toMatchObject({ value: 'government', contribution: 15 });
    expect(data.hunting && Object.keys(data.hunting)).toEqual([...HUNTING_LANGUAGES]);
    expect(data.hunting!.kql!.query).toContain('RemoteIP == "213.32.252.221"');
  });

  it('relates the IOCs of one ThreatFox submission: a C2 address and its panel, a URL and its payload', async () => {
    const reference = 'https://bazaar.abuse.ch/sample/96986991e6afc47c446c9f789014d6931ddc84d1f52257e77d8da915f985ed39/';
    // ThreatFox lists the address twice (ids 1856198 on port 8041, citing the sample; 1856200 on
    // 7070, citing nothing): one record, which keeps the entry.
    const c2 = await lookup('198.46.243.188');
    const fromThreatFox = c2.data.sources.find((s) => s.source === THREATFOX)!;
    expect(fromThreatFox).toMatchObject({ kind: 'threatfox-json', origin: 'feed', category: 'threat-intel', entry: reference, ports: [7070, 8041] });
    expect(c2.data.related.same_entry.map((r) => [r.type, r.value, r.source, r.entry])).toEqual([['domain', 'panel.munchyyyyyscpann.live', THREATFOX, reference]]);
    expect(c2.data.related.same_article).toEqual([]);

    const url = await lookup('http://8.213.214.55/nerv.mips');
    expect(url.data.related.same_entry.map((r) => [r.type, r.value])).toEqual([
      ['sha256', '3ba46a4b246db63935fc44fc1f02e3f00dc833574f14733c0012fab9f5896510'],
    ]);
    // A ThreatFox record that cites nothing stands alone: no entry, nothing related.
    const alone = await lookup('https://sup.merahsm188.top/');
    expect(alone.data.sources.find((s) => s.source === THREATFOX)).toMatchObject({ entry: null, reference_url: 'https://threatfox.abuse.ch/ioc/1856791/' });
    expect(alone.data.related.same_entry).toEqual([]);
  });

  it('finds a value pasted defanged, as the search does', async () => {
    const plain = await lookup('http://8.213.214.55/nerv.mips');
    const defanged = await lookup('hxxp://8[.]213[.]214[.]55/nerv[.]mips');
    expect(defanged.data.normalization_notes).toContain('refanged');
    expect(defanged.data.normalized).toBe(plain.data.normalized);
    expect(defanged.data.sources.map((s) => s.record_id)).toEqual(plain.data.sources.map((s) => s.record_id));
    expect((await search('hxxp://8[.]213[.]214[.]55/nerv[.]mips')).map((r) => r.id).sort()).toEqual(plain.data.sources.map((s) => s.record_id).sort());
  });

  it('answers an unknown value with what it is and the hunting queries', async () => {
    const { data, meta } = await lookup('hxxps://never-reported-4f7a[.]com/dl/x.bin');
    expect(data).toMatchObject({
      known: false, type: 'url', value: 'https://never-reported-4f7a.com/dl/x.bin', sources: [], articles: [], tags: [],
      first_seen: null, last_seen: null, confidence: null, related: { same_article: [], same_entry: [] }, warning_list: null,
      omitted: { sightings_outside_lookback: 0, sightings_outside_lookback_at_least: false, sightings_beyond_limit: false },
    });
    expect(data.risk).toMatchObject({ score: 0, level: 'none' });
    expect(meta).not.toHaveProperty('notices');
    expect(data.hunting!.elastic_kql!.query).toBe('url.full: "https://never-reported-4f7a.com/dl/x.bin" or url.original: "https://never-reported-4f7a.com/dl/x.bin"');
    expect(checkSigma(data.hunting!.sigma!.query!)).toEqual([]);
    // A type the Sigma export has no log source for: no rule, and why.
    const sha512 = 'a'.repeat(127) + 'b';
    const hash = await lookup(sha512);
    expect(hash.data).toMatchObject({ known: false, type: 'sha512' });
    expect(hash.data.hunting!.sigma).toEqual({ query: null, note: expect.stringContaining('No Sigma rule') });
    // And without the queries, when asked.
    expect((await lookup('never-reported-4f7a.com', pro, '&include_hunting=false')).data).not.toHaveProperty('hunting');
  });

  it('gives the warning list verdict, with the list, and caps the score of a listed value', async () => {
    const resolver = await lookup('8.8.8.8');
    expect(resolver.data.warning_list).toEqual({ list: 'SOC Defenders warning list', reason: 'public DNS resolver (Google Public DNS)' });
    const listed = await lookup('10.20.30.40');
    expect(listed.data).toMatchObject({ known: true, warning_list: { reason: 'private address (RFC 1918)' } });
    // Imported as high, stored low (the warning list), scored at most 10.
    expect(listed.data.sources).toMatchObject([{ source: WARNED_SOURCE, origin: 'import', confidence: 'low' }]);
    expect(listed.data.risk.score).toBe(10);
    expect(listed.data.risk.factors.find((f) => f.name === 'warning_list')).toMatchObject({ value: 'private address (RFC 1918)', contribution: -40 });
  });

  it("leaves out what a free key's lookback does not reach, and says so", async () => {
    const ipv6 = readFixture('import/myipms-ipv6-2024-03-22.txt').split('\n').find((line) => line !== '' && !line.startsWith('#'))!;
    const value = (parseIoc(ipv6) as { ok: true; ioc: { value: string } }).ioc.value;
    const asFree = await lookup(value, free);
    expect(asFree.meta.lookback_days).toBe(1);
    expectTimeNear(asFree.meta.since, Date.now() - 86_400_000, 10_000);
    expect(asFree.data).toMatchObject({ known: true, sources: [], related: { same_article: [], same_entry: [] } });
    expect(asFree.data.omitted.sightings_outside_lookback).toBe(1);
    expect(asFree.meta.notices).toEqual([expect.stringMatching(/^1 older record of this value, stored before .*, is outside the free tier's 1-day lookback/)]);
    expect(asFree.data.risk.score).toBe(0);
    const asPro = await lookup(value, pro);
    expect(asPro.meta.lookback_days).toBe(365);
    expect(asPro.data.sources.map((s) => s.source)).toEqual([IPV6_SOURCE]);
    expect(Date.now() - Date.parse(asPro.data.sources[0]!.extracted_at)).toBeGreaterThan((IPV6_AGE_DAYS - 1) * 86_400_000);
    expect(asPro.data.omitted.sightings_outside_lookback).toBe(0);
    expect(asPro.meta).not.toHaveProperty('notices');
    // A value of today is seen whole by a free key.
    expect((await lookup('213.32.252.221', free)).data.sources).toHaveLength(2);
  });

  it('refuses a value that is no IOC, naming `value` and the reason', async () => {
    const ask = (query: string, key = pro) => get(t.app, `/api/v1/lookup?${query}`, key);
    expectInvalidParameter(await ask('value='), 'value');
    expectInvalidParameter(await ask(''), 'value');
    expectInvalidParameter(await ask(`value=${'a'.repeat(2049)}.com`), 'value');
    const garbage = expectInvalidParameter(await ask('value=not%20an%20indicator'), 'value');
    expect(garbage.reason).toEqual(expect.any(String));
    const hash = expectInvalidParameter(await ask(`value=${'ab'.repeat(20)}c`), 'value');
    expect(hash.reason).toContain('hex characters');
    expectInvalidParameter(await ask('value=evil.com&include_hunting=maybe'), 'include_hunting');
    expectInvalidParameter(await ask('value=evil.com&q=1'), 'q');
  });

  it('needs a key with the read:iocs scope', async () => {
    expectError(await get(t.app, '/api/v1/lookup?value=evil.com'), 401, 'missing_api_key');
    const stixOnly = await t.key('pro', ['read:stix']);
    const refused = expectError(await get(t.app, '/api/v1/lookup?value=evil.com', stixOnly), 403, 'insufficient_scope');
    expect(refused.details).toMatchObject({ required_scope: 'read:iocs' });
  });

  it('is in the OpenAPI document, with the score and the decay table', async () => {
    const doc = (await get(t.app, '/api/openapi.json')).json() as {
      tags: { name: string }[];
      paths: Record<string, { get: { tags: string[]; description: string; parameters: { name: string }[]; responses: Record<string, unknown> } }>;
    };
    expect(doc.tags.map((tag) => tag.name)).toContain('Lookup');
    const operation = doc.paths['/api/v1/lookup']!.get;
    expect(operation.tags).toEqual(['Lookup']);
    expect(operation.parameters.map((p) => p.name).sort()).toEqual(['api_key', 'include_hunting', 'value']);
    expect(operation.description).toContain('| ipv4 | 14 days |');
    expect(operation.description).toContain('`age_decay`');
    expect(Object.keys(operation.responses).sort()).toEqual(['200', '400', '401', '403', '429', '500']);
  });
});
