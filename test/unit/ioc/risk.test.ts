// The risk score factor by factor: each moves the score the way its explanation says, the
// contributions sum to the score, the score stays in 0..100, and it never falls when a source is
// added nor rises when the sightings grow older. The half-life is the one handed in (the lifetimes
// table's), a revoked value scores 0 and says why, an expired one says when.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DECAY_DEFAULTS, describeDecayTable } from '../../../src/ioc/decay.js';
import {
  CONFIDENCE_POINTS,
  IMPORT_POINTS,
  KIND_POINTS,
  RECENCY_POINTS,
  SOURCE_POINTS,
  WARNING_CAP,
  describeRiskModel,
  riskLevel,
  scoreRisk,
  type RiskFactorName,
  type RiskLifecycle,
  type RiskScore,
  type RiskSighting,
} from '../../../src/ioc/risk.js';
import { CATEGORIES, CONFIDENCES, IOC_TYPES, ORIGINS, type IocType } from '../../../src/ioc/types.js';

const NOW = new Date('2026-08-01T12:00:00Z');
const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY);

const sighting = (extra: Partial<RiskSighting> = {}): RiskSighting => ({
  source: 'ThreatFox',
  category: 'threat-intel',
  origin: 'feed',
  confidence: 'high',
  lastSeen: NOW,
  ...extra,
});

const factor = (risk: RiskScore, name: RiskFactorName) => risk.factors.find((f) => f.name === name)!;
const sum = (risk: RiskScore) => risk.factors.reduce((total, f) => total + f.contribution, 0);

describe('the risk score, factor by factor', () => {
  it('scores nothing for a value no source reports', () => {
    const risk = scoreRisk({ type: 'ipv4', sightings: [], now: NOW });
    expect(risk.score).toBe(0);
    expect(risk.level).toBe('none');
    expect(risk.factors.map((f) => [f.name, f.contribution])).toEqual([
      ['sources', 0],
      ['source_kind', 0],
      ['confidence', 0],
      ['recency', 0],
      ['age_decay', 0],
      ['warning_list', 0],
    ]);
  });

  it('sources: each further distinct source adds half as much as the one before', () => {
    const names = ['ThreatFox', 'URLhaus', 'Feodo Tracker', 'CISA', 'OTX'];
    const points = [1, 2, 3, 4, 5].map((n) =>
      factor(scoreRisk({ type: 'sha256', sightings: names.slice(0, n).map((source) => sighting({ source })), now: NOW }), 'sources').contribution,
    );
    expect(points).toEqual([20, 30, 35, 38, 39]);
    for (let n = 1; n <= 5; n++) expect(points[n - 1]).toBe(Math.round(SOURCE_POINTS * (1 - 0.5 ** n)));
    // Two records of one source are one source.
    const twice = scoreRisk({ type: 'sha256', sightings: [sighting(), sighting({ confidence: 'low' })], now: NOW });
    expect(factor(twice, 'sources')).toMatchObject({ value: 1, contribution: 20 });
  });

  it('source_kind: the strongest source counts, an imported list least', () => {
    const kind = (s: Partial<RiskSighting>) => factor(scoreRisk({ type: 'sha256', sightings: [sighting(s)], now: NOW }), 'source_kind');
    expect(kind({ category: 'threat-intel' }).contribution).toBe(KIND_POINTS['threat-intel']);
    expect(kind({ category: 'government', origin: 'article' }).contribution).toBe(KIND_POINTS.government);
    expect(kind({ category: 'vendor', origin: 'article' }).contribution).toBe(KIND_POINTS.vendor);
    expect(kind({ category: 'news', origin: 'article' }).contribution).toBe(KIND_POINTS.news);
    expect(kind({ origin: 'import' })).toMatchObject({ value: 'import', contribution: IMPORT_POINTS });
    const mixed = scoreRisk({
      type: 'sha256',
      sightings: [sighting({ source: 'Ops', origin: 'import' }), sighting({ source: 'Krebs', category: 'news', origin: 'article' })],
      now: NOW,
    });
    expect(factor(mixed, 'source_kind')).toMatchObject({ value: 'news', contribution: KIND_POINTS.news });
    expect(factor(mixed, 'source_kind').explanation).toContain('Krebs');
  });

  it('confidence: the highest a source gives', () => {
    for (const confidence of CONFIDENCES) {
      const risk = scoreRisk({ type: 'sha256', sightings: [sighting({ confidence })], now: NOW });
      expect(factor(risk, 'confidence')).toMatchObject({ value: confidence, contribution: CONFIDENCE_POINTS[confidence] });
    }
    const both = scoreRisk({ type: 'sha256', sightings: [sighting({ confidence: 'low' }), sighting({ source: 'B', confidence: 'medium' })], now: NOW });
    expect(factor(both, 'confidence').value).toBe('medium');
  });

  it('recency and age decay: an IP address seen one half-life ago keeps half of its points', () => {
    const half = DECAY_DEFAULTS.ipv4.halfLifeDays!;
    const fresh = scoreRisk({ type: 'ipv4', sightings: [sighting()], now: NOW });
    const old = scoreRisk({ type: 'ipv4', sightings: [sighting({ lastSeen: daysAgo(half) })], now: NOW });
    // 20 (one source) + 15 (threat-intel) + 25 (high) + 20 (seen now)
    expect(fresh.score).toBe(80);
    expect(factor(fresh, 'age_decay').contribution).toBe(0);
    expect(factor(old, 'recency').contribution).toBe(RECENCY_POINTS / 2);
    expect(factor(old, 'age_decay')).toMatchObject({ value: half, contribution: -30 });
    expect(old.score).toBe(40);
    expect(old.decay).toEqual({ half_life_days: half, age_days: half });
    expect(factor(old, 'age_decay').explanation).toContain(`${half} days`);
  });

  it('age decay follows the type: a domain outlasts an address, a hash does not decay', () => {
    const at = (type: IocType) => scoreRisk({ type, sightings: [sighting({ lastSeen: daysAgo(30) })], now: NOW }).score;
    expect(at('ipv4')).toBeLessThan(at('domain'));
    expect(at('url')).toBeLessThan(at('domain'));
    expect(at('sha256')).toBe(80);
    const hash = scoreRisk({ type: 'md5', sightings: [sighting({ lastSeen: daysAgo(3000) })], now: NOW });
    expect(factor(hash, 'age_decay').contribution).toBe(0);
    expect(factor(hash, 'recency').contribution).toBe(RECENCY_POINTS);
    expect(factor(hash, 'age_decay').explanation).toContain(DECAY_DEFAULTS.md5.reason);
  });

  it('the warning list caps the score, and says why', () => {
    const listed = scoreRisk({ type: 'ipv4', sightings: [sighting()], warning: 'private address (RFC 1918)', now: NOW });
    expect(listed.score).toBe(WARNING_CAP);
    expect(factor(listed, 'warning_list')).toMatchObject({ value: 'private address (RFC 1918)', contribution: -(80 - WARNING_CAP) });
    expect(factor(listed, 'warning_list').explanation).toContain('RFC 1918');
    // Below the cap there is nothing to take off.
    const weak = scoreRisk({ type: 'ipv4', sightings: [sighting({ origin: 'import', confidence: 'low', lastSeen: daysAgo(200) })], warning: 'x', now: NOW });
    expect(factor(weak, 'warning_list').contribution).toBe(0);
    expect(weak.score).toBeLessThanOrEqual(WARNING_CAP);
  });

  it('an ATT&CK technique is not scored, and says why', () => {
    const risk = scoreRisk({ type: 'mitre_attack', sightings: [sighting()], now: NOW });
    expect(risk).toMatchObject({ score: 0, level: 'none', scored: false });
    expect(risk.factors).toEqual([{ name: 'not_scored', value: 'mitre_attack', contribution: 0, explanation: expect.stringContaining('behaviour') }]);
  });

  it('a CVE is scored as reporting attention, with a long half-life', () => {
    const risk = scoreRisk({ type: 'cve', sightings: [sighting({ origin: 'article', category: 'government', lastSeen: daysAgo(365) })], now: NOW });
    expect(risk.scored).toBe(true);
    expect(factor(risk, 'recency').contribution).toBe(10);
    expect(factor(risk, 'age_decay').explanation).toContain('exploited');
  });

  it('fades by the half-life handed in (the lifetimes table\'s), and says when it is not the default', () => {
    const seen = [sighting({ lastSeen: daysAgo(28) })];
    const byDefault = scoreRisk({ type: 'ipv4', sightings: seen, now: NOW });
    const sameAsDefault = scoreRisk({ type: 'ipv4', sightings: seen, now: NOW, halfLifeDays: DECAY_DEFAULTS.ipv4.halfLifeDays });
    expect(sameAsDefault).toEqual(byDefault);
    // Twice the default half-life: 28 days is one half-life, not two.
    const slower = scoreRisk({ type: 'ipv4', sightings: seen, now: NOW, halfLifeDays: 28 });
    expect(slower.decay).toEqual({ half_life_days: 28, age_days: 28 });
    expect(factor(slower, 'recency').contribution).toBe(RECENCY_POINTS / 2);
    expect(slower.score).toBe(40);
    expect(slower.score).toBeGreaterThan(byDefault.score);
    expect(factor(slower, 'age_decay').explanation).toContain('28 days');
    expect(factor(slower, 'age_decay').explanation).toContain('lifetimes table');
    // null: the evidence does not fade at all.
    const never = scoreRisk({ type: 'ipv4', sightings: [sighting({ lastSeen: daysAgo(3000) })], now: NOW, halfLifeDays: null });
    expect(never.score).toBe(80);
    expect(never.decay.half_life_days).toBeNull();
    expect(factor(never, 'age_decay').contribution).toBe(0);
  });

  it('a revoked value scores 0, with a factor that says when and why', () => {
    const revoked: RiskLifecycle = { status: 'revoked', valid_until: null, revoked_at: '2026-07-30T08:00:00Z', reason: 'our own mail relay' };
    const risk = scoreRisk({ type: 'ipv4', sightings: [sighting()], now: NOW, lifecycle: revoked });
    expect(risk).toMatchObject({ score: 0, level: 'none', scored: true });
    expect(factor(risk, 'revoked')).toMatchObject({ value: 'our own mail relay', contribution: -80 });
    expect(factor(risk, 'revoked').explanation).toContain('2026-07-30');
    expect(factor(risk, 'revoked').explanation).toContain('our own mail relay');
    expect(sum(risk)).toBe(0);
    // On the warning list too: the warning takes its share, the revocation the rest.
    const both = scoreRisk({ type: 'ipv4', sightings: [sighting()], warning: 'x', now: NOW, lifecycle: revoked });
    expect(factor(both, 'revoked').contribution).toBe(-WARNING_CAP);
    expect(both.score).toBe(0);
  });

  it('an expired value keeps what the decay leaves, with a factor that says when it expired', () => {
    const seen = [sighting({ lastSeen: daysAgo(40) })];
    const active = scoreRisk({ type: 'ipv4', sightings: seen, now: NOW, lifecycle: { status: 'active', valid_until: '2026-08-02T00:00:00Z', revoked_at: null, reason: null } });
    const expired = scoreRisk({
      type: 'ipv4',
      sightings: seen,
      now: NOW,
      lifecycle: { status: 'expired', valid_until: '2026-07-22T12:00:00Z', revoked_at: null, reason: 'not reported since 2026-06-22 (ipv4 lifetime 30 days)' },
    });
    expect(active.factors.map((f) => f.name)).not.toContain('expired');
    expect(expired.score).toBe(active.score);
    expect(factor(expired, 'expired')).toMatchObject({ value: '2026-07-22T12:00:00Z', contribution: 0 });
    expect(factor(expired, 'expired').explanation).toContain('Expired on 2026-07-22');
    expect(factor(expired, 'expired').explanation).toContain('ipv4 lifetime 30 days');
  });

  it('levels', () => {
    expect([0, 1, 29, 30, 59, 60, 79, 80, 100].map(riskLevel)).toEqual(['none', 'low', 'low', 'medium', 'medium', 'high', 'high', 'critical', 'critical']);
  });

  it('the OpenAPI text is made from the same numbers', () => {
    const text = describeRiskModel();
    expect(text).toContain(`${SOURCE_POINTS} × (1 − 0.5^n)`);
    expect(text).toContain(`high ${CONFIDENCE_POINTS.high}`);
    const table = describeDecayTable();
    for (const type of IOC_TYPES) expect(table).toContain(`| ${type} |`);
    expect(table).toContain(`| ipv4 | ${DECAY_DEFAULTS.ipv4.halfLifeDays} days |`);
    expect(table).toContain('| sha256 | no decay |');
    expect(table).toContain('| mitre_attack | not scored |');
    // The table gives the defaults; where the ones in force live and who changes them.
    expect(table).toContain('PUT /api/v1/lifetimes');
    expect(describeRiskModel()).toContain('`revoked`');
  });
});

describe('the risk score, as a whole', () => {
  const arbSighting = fc.record({
    source: fc.constantFrom('A', 'B', 'C', 'D', 'E', 'F'),
    category: fc.constantFrom(...CATEGORIES),
    origin: fc.constantFrom(...ORIGINS),
    confidence: fc.constantFrom(...CONFIDENCES),
    lastSeen: fc.integer({ min: -5, max: 4000 }).map((days) => daysAgo(days)),
  });
  const arbType = fc.constantFrom(...IOC_TYPES.filter((type) => type !== 'mitre_attack'));
  const arbWarning = fc.option(fc.constantFrom('private address (RFC 1918)', 'SHA-256 of the empty file'), { nil: undefined });
  const arbHalfLife = fc.option(fc.integer({ min: 1, max: 3650 }), { nil: undefined });
  const arbLifecycle = fc.option(
    fc.record({
      status: fc.constantFrom('active' as const, 'expired' as const, 'revoked' as const),
      valid_until: fc.constant('2026-07-01T00:00:00Z'),
      revoked_at: fc.constant('2026-07-15T00:00:00Z'),
      reason: fc.constant('a reason'),
    }),
    { nil: undefined },
  );

  it('is the sum of its contributions, a whole number in 0..100, at the level of its score', () => {
    fc.assert(
      fc.property(arbType, fc.array(arbSighting, { maxLength: 8 }), arbWarning, arbHalfLife, arbLifecycle, (type, sightings, warning, halfLifeDays, lifecycle) => {
        const risk = scoreRisk({ type, sightings, warning, now: NOW, halfLifeDays, lifecycle });
        expect(sum(risk)).toBe(risk.score);
        expect(Number.isInteger(risk.score)).toBe(true);
        expect(risk.score).toBeGreaterThanOrEqual(0);
        expect(risk.score).toBeLessThanOrEqual(100);
        expect(risk.level).toBe(riskLevel(risk.score));
        if (warning) expect(risk.score).toBeLessThanOrEqual(WARNING_CAP);
        if (lifecycle?.status === 'revoked') expect(risk.score).toBe(0);
      }),
    );
  });

  it('never falls when a source is added', () => {
    fc.assert(
      fc.property(arbType, fc.array(arbSighting, { maxLength: 6 }), arbSighting, arbWarning, (type, sightings, added, warning) => {
        // The added report is no older than the newest: recency cannot move backwards.
        const newest = Math.max(NOW.getTime() - 4000 * DAY, ...sightings.map((s) => s.lastSeen.getTime()));
        const report = { ...added, lastSeen: new Date(Math.max(added.lastSeen.getTime(), newest)) };
        const before = scoreRisk({ type, sightings, warning, now: NOW }).score;
        expect(scoreRisk({ type, sightings: [...sightings, report], warning, now: NOW }).score).toBeGreaterThanOrEqual(before);
      }),
    );
  });

  it('never rises as the sightings grow older', () => {
    fc.assert(
      fc.property(arbType, fc.array(arbSighting, { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 2000 }), arbWarning, (type, sightings, days, warning) => {
        const now = scoreRisk({ type, sightings, warning, now: NOW }).score;
        const later = scoreRisk({ type, sightings, warning, now: new Date(NOW.getTime() + days * DAY) }).score;
        expect(later).toBeLessThanOrEqual(now);
      }),
    );
  });
});
