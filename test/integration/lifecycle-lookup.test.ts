// Search and lookup say where a value stands in its lifecycle (issue 15): an expired value stays
// findable and says when it expired and why (the dates, the lifetime that ran out), a revoked one
// says when, by whom and why and scores 0, and the lookup's score fades by the half-life of the
// lifetimes table, so an admin's change moves it. Values are written as a source reports them,
// then the publisher and the sweep run with an explicit clock, as the scheduler runs them.
import { Ajv } from 'ajv';
import ajvFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { LookupResponse } from '../../src/api/routes/lookup.js';
import { SearchResponse } from '../../src/api/schemas.js';
import { publishStixVersions } from '../../src/ingest/publish.js';
import { DECAY_DEFAULTS } from '../../src/ioc/decay.js';
import { parseIoc } from '../../src/ioc/index.js';
import { IOC_TYPES, type IocType } from '../../src/ioc/types.js';
import { setLifetime, setRevoked, sweepLifecycle } from '../../src/store/lifecycle.js';
import { lifecycleOf, searcher } from '../../src/store/search.js';
import { ensureImportSource, type SourceRef } from '../../src/store/sources.js';
import { upsertRecords, type NewRecord } from '../../src/store/upsert.js';
import { appSuite, BACKENDS } from '../helpers.js';
import { get } from './seed.js';

const DAY = 86_400_000;
// Whole seconds: the API writes times to the second.
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY);
const iso = (date: Date) => date.toISOString().replace('.000Z', 'Z');
const day = (date: Date) => date.toISOString().slice(0, 10);

const EXPIRED_IP = '185.220.101.40';
const FRESH_IP = '185.220.101.41';
const REVOKED_DOMAIN = 'cdn-false-positive.example-c2.net';
const SHORT_LIVED_DOMAIN = 'short-lived.example-c2.net';
const SOURCE = 'lifecycle-lookup feed';
const SHORT_SOURCE = 'lifecycle-lookup short feed';
const REVOKE_REASON = 'false positive: our own CDN';

const ajv = new Ajv({ strict: false, allErrors: true });
ajvFormats.default(ajv);
const isLookupResponse = ajv.compile(LookupResponse);
const isSearchResponse = ajv.compile(SearchResponse);

interface Lifecycle {
  status: 'active' | 'expired' | 'revoked';
  valid_until: string | null;
  revoked_at: string | null;
  reason: string | null;
  summary: string;
}
interface Factor {
  name: string;
  value: unknown;
  contribution: number;
  explanation: string;
}
interface LookupBody {
  data: {
    known: boolean;
    last_seen: string | null;
    lifecycle: Lifecycle | null;
    risk: { score: number; level: string; decay: { half_life_days: number | null; age_days: number | null }; factors: Factor[] };
  };
}
interface SearchBody {
  data: { found: boolean; match_type: string; matches: { value: string; last_seen: string }[]; lifecycle?: Lifecycle | null };
}

function record(value: string, type: IocType, lastSeen: Date): NewRecord {
  const parsed = parseIoc(value, type);
  if (!parsed.ok) throw new Error(`${value}: ${parsed.reason}`);
  return { ioc: parsed.ioc, confidence: 'high', firstSeen: new Date(lastSeen.getTime() - 5 * DAY), lastSeen };
}

describe.each(BACKENDS)('search and lookup say where a value stands in its lifecycle on %s', (backend) => {
  // A store of its own, with the lifetimes as the migration sets them (ipv4: 30 days).
  const { store, t } = appSuite(backend);
  let key: string;
  let source: SourceRef;

  const lookup = async (value: string): Promise<LookupBody> => {
    const response = await get(t.app, `/api/v1/lookup?value=${encodeURIComponent(value)}&include_hunting=false`, key);
    expect(response.statusCode).toBe(200);
    const body = response.json() as LookupBody;
    expect(isLookupResponse(body), JSON.stringify(isLookupResponse.errors)).toBe(true);
    // The score still explains itself.
    expect(body.data.risk.factors.reduce((sum, f) => sum + f.contribution, 0)).toBe(body.data.risk.score);
    return body;
  };
  const search = async (q: string): Promise<SearchBody> => {
    const response = await get(t.app, `/api/v1/iocs/search?q=${encodeURIComponent(q)}`, key);
    expect(response.statusCode).toBe(200);
    const body = response.json() as SearchBody;
    expect(isSearchResponse(body), JSON.stringify(isSearchResponse.errors)).toBe(true);
    return body;
  };

  beforeAll(async () => {
    key = await t.key('pro');
    source = await ensureImportSource(store.db, SOURCE, 'threat-intel');
    const short = await ensureImportSource(store.db, SHORT_SOURCE, 'threat-intel');
    await upsertRecords(store.db, source, 'import', [
      record(EXPIRED_IP, 'ipv4', daysAgo(40)),
      record(FRESH_IP, 'ipv4', daysAgo(10)),
      record(REVOKED_DOMAIN, 'domain', daysAgo(1)),
    ]);
    // A source whose own lifetime (7 days) is shorter than the type's (90 for a domain).
    await setLifetime(store.db, { sourceId: short.id, type: null, lifetimeDays: 7, reason: 'its entries are short-lived', by: 'test' });
    await upsertRecords(store.db, short, 'import', [record(SHORT_LIVED_DOMAIN, 'domain', daysAgo(10))]);
    await publishStixVersions(store.db, () => NOW);
    await sweepLifecycle(store.db, NOW);
    await publishStixVersions(store.db, () => NOW);
  });

  it('the half-lives of the lifetimes table start as the documented defaults', async () => {
    const rows = await store.db.query<{ type: IocType; half_life_days: number | null }>(
      'select ioc_type as type, half_life_days from lifetimes where source_id is null',
    );
    const halfLives = new Map(rows.map((row) => [row.type, row.half_life_days]));
    for (const type of IOC_TYPES) expect([type, halfLives.get(type)]).toEqual([type, DECAY_DEFAULTS[type].halfLifeDays]);
  });

  it('an expired value stays findable: search and lookup say when it expired and why', async () => {
    const lastSeen = daysAgo(40);
    const validUntil = new Date(lastSeen.getTime() + 30 * DAY);
    const expected: Lifecycle = {
      status: 'expired',
      valid_until: iso(validUntil),
      revoked_at: null,
      reason: `not reported since ${day(lastSeen)} (ipv4 lifetime 30 days)`,
      summary: `Expired on ${day(validUntil)}: not reported since ${day(lastSeen)} (ipv4 lifetime 30 days)`,
    };

    const looked = await lookup(EXPIRED_IP);
    expect(looked.data.known).toBe(true);
    expect(looked.data.last_seen).toBe(iso(lastSeen));
    expect(looked.data.lifecycle).toEqual(expected);
    // The score keeps what the decay leaves, and says it expired.
    const expiredFactor = looked.data.risk.factors.find((f) => f.name === 'expired');
    expect(expiredFactor).toMatchObject({ value: iso(validUntil), contribution: 0 });
    expect(expiredFactor!.explanation).toContain(expected.summary);
    expect(looked.data.risk.score).toBeGreaterThan(0);

    const found = await search(EXPIRED_IP);
    expect(found.data).toMatchObject({ found: true, match_type: 'exact' });
    expect(found.data.matches.map((m) => [m.value, m.last_seen])).toEqual([[EXPIRED_IP, iso(lastSeen)]]);
    expect(found.data.lifecycle).toEqual(expected);

    // The store's side of the search, as the route reads it.
    const exact = await searcher(store.db, 1000).exact(EXPIRED_IP, false);
    expect(lifecycleOf(exact.lifecycles, 'ipv4')).toEqual(expected);
  });

  it("names a source's own lifetime when that is what ran out", async () => {
    const lastSeen = daysAgo(10);
    const { lifecycle } = (await lookup(SHORT_LIVED_DOMAIN)).data;
    expect(lifecycle).toMatchObject({ status: 'expired', valid_until: iso(new Date(lastSeen.getTime() + 7 * DAY)) });
    expect(lifecycle!.reason).toBe(`not reported since ${day(lastSeen)} (${SHORT_SOURCE}'s lifetime 7 days)`);
    expect((await search(SHORT_LIVED_DOMAIN)).data.lifecycle).toEqual(lifecycle);
  });

  it('an active value says until when it is valid', async () => {
    const validUntil = new Date(daysAgo(10).getTime() + 30 * DAY);
    const expected = { status: 'active', valid_until: iso(validUntil), revoked_at: null, reason: null, summary: `Valid until ${day(validUntil)}` };
    const looked = await lookup(FRESH_IP);
    expect(looked.data.lifecycle).toEqual(expected);
    expect(looked.data.risk.factors.map((f) => f.name)).not.toContain('expired');
    expect((await search(FRESH_IP)).data.lifecycle).toEqual(expected);
    // An unknown value has no lifecycle; nor has a search that matched nothing exactly.
    expect((await lookup('185.220.101.99')).data.lifecycle).toBeNull();
    expect((await search('185.220.101.99')).data.lifecycle).toBeNull();
  });

  it('a revoked value shows when, by whom and why, and scores 0', async () => {
    const normalized = parseIoc(REVOKED_DOMAIN, 'domain');
    if (!normalized.ok) throw new Error(normalized.reason);
    const revokedAt = new Date(NOW.getTime() + 60_000);
    const done = await setRevoked(store.db, { type: 'domain', normalized: normalized.ioc.normalized }, { revoked: true, reason: REVOKE_REASON, by: 'test-admin' }, revokedAt);
    expect(done?.changed).toBe(true);
    await publishStixVersions(store.db, () => revokedAt);

    const looked = await lookup(REVOKED_DOMAIN);
    expect(looked.data.lifecycle).toMatchObject({
      status: 'revoked',
      revoked_at: iso(revokedAt),
      reason: REVOKE_REASON,
      summary: `Revoked on ${day(revokedAt)} by test-admin: ${REVOKE_REASON}`,
    });
    expect(looked.data.risk).toMatchObject({ score: 0, level: 'none' });
    const revoked = looked.data.risk.factors.find((f) => f.name === 'revoked');
    expect(revoked).toMatchObject({ value: REVOKE_REASON });
    expect(revoked!.contribution).toBeLessThan(0);
    expect(revoked!.explanation).toContain(REVOKE_REASON);

    const found = await search(REVOKED_DOMAIN);
    expect(found.data.found).toBe(true);
    expect(found.data.lifecycle).toEqual(looked.data.lifecycle);

    // Restored, it is active again and scored again.
    await setRevoked(store.db, { type: 'domain', normalized: normalized.ioc.normalized }, { revoked: false, reason: 'checked again', by: 'test-admin' }, revokedAt);
    const restored = await lookup(REVOKED_DOMAIN);
    expect(restored.data.lifecycle?.status).toBe('active');
    expect(restored.data.risk.score).toBeGreaterThan(0);
  });

  it("the score fades by the type's half-life in the lifetimes table: an admin's change moves it", async () => {
    const before = (await lookup(FRESH_IP)).data.risk;
    expect(before.decay).toEqual({ half_life_days: DECAY_DEFAULTS.ipv4.halfLifeDays, age_days: 10 });

    await setLifetime(store.db, { sourceId: null, type: 'ipv4', lifetimeDays: 30, halfLifeDays: 60, reason: 'slower for this test', by: 'test-admin' });
    const slower = (await lookup(FRESH_IP)).data.risk;
    expect(slower.decay).toEqual({ half_life_days: 60, age_days: 10 });
    expect(slower.score).toBeGreaterThan(before.score);
    expect(slower.factors.find((f) => f.name === 'age_decay')!.explanation).toContain('60 days');

    await setLifetime(store.db, { sourceId: null, type: 'ipv4', lifetimeDays: 30, halfLifeDays: null, reason: 'no decay for this test', by: 'test-admin' });
    const none = (await lookup(FRESH_IP)).data.risk;
    expect(none.decay.half_life_days).toBeNull();
    expect(none.factors.find((f) => f.name === 'age_decay')!.contribution).toBe(0);
    expect(none.score).toBeGreaterThan(slower.score);

    // Leaving the half-life out keeps it.
    await setLifetime(store.db, { sourceId: null, type: 'ipv4', lifetimeDays: 30, reason: 'lifetime only', by: 'test-admin' });
    expect((await lookup(FRESH_IP)).data.risk.decay.half_life_days).toBeNull();
  });
});
