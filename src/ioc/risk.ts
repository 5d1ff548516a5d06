// A risk score 0–100 for one value that explains itself: each factor that made it, with the
// fact it read and the points it gave, so that the number can be argued with. Pure: facts in
// (the value's sightings as a caller may see them, the warning list's verdict, the clock), the
// score out.
//
//   evidence  = sources (corroboration) + source_kind (the best source) + confidence (the best)
//   recency   = RECENCY_POINTS × f,   age_decay = −evidence × (1 − f)
//   f         = 0.5 ^ (days since the newest last_seen / the type's half-life)  (1: no decay)
//   warning   = what is above WARNING_CAP, taken off, when the value is on the warning list
//   revoked   = everything left, taken off, when an admin revoked the value (or allow-listed it)
//
// The half-life is the lifetimes table's (the caller reads it; DECAY_DEFAULTS' when not given).
// An expired value keeps what the decay leaves, with a factor that says it expired.
//
// Every contribution is a whole number and the score is their sum: the parts are bounded so that
// the sum lies in 0..100 without clamping (evidence ≤ 80, recency ≤ 20, the decay never takes
// more than the evidence, the warning list never more than the rest).
import { DECAY_DEFAULTS, describeHalfLife } from './decay.js';
import type { Category, Confidence, IocType, Origin } from './types.js';

const DAY_MS = 86_400_000;

/** Points for corroboration: SOURCE_POINTS × (1 − 0.5^n) for n distinct sources (20, 30, 35, 38…). */
export const SOURCE_POINTS = 40;
/** Points for the best source's kind: who says it, and how they came to know it. */
export const KIND_POINTS: Readonly<Record<Category, number>> = {
  'threat-intel': 15,
  government: 15,
  vendor: 12,
  research: 12,
  news: 8,
};
/** An operator's own imported list: its evidence cannot be weighed here. */
export const IMPORT_POINTS = 5;
export const CONFIDENCE_POINTS: Readonly<Record<Confidence, number>> = { high: 25, medium: 15, low: 5 };
/** Points for a sighting seen now; they fade with the type's half-life. */
export const RECENCY_POINTS = 20;
/** A warning-listed value scores at most this. */
export const WARNING_CAP = 10;

export const RISK_LEVELS = ['none', 'low', 'medium', 'high', 'critical'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];
/** The lowest score of each level above `none` (which is 0). */
export const LEVEL_FLOORS: ReadonlyArray<readonly [RiskLevel, number]> = [
  ['critical', 80],
  ['high', 60],
  ['medium', 30],
  ['low', 1],
];

export interface RiskSighting {
  source: string;
  category: Category;
  origin: Origin;
  confidence: Confidence;
  lastSeen: Date;
}

/** Where the value stands in its lifecycle (the store's, as the lookup shows it). */
export interface RiskLifecycle {
  status: 'active' | 'expired' | 'revoked';
  /** RFC 3339; null: never expires. */
  valid_until: string | null;
  revoked_at: string | null;
  /** Why it is revoked (or expired). */
  reason: string | null;
}

export interface RiskFacts {
  type: IocType;
  /** The sightings the caller may see (a tier's lookback leaves older ones out). */
  sightings: readonly RiskSighting[];
  /** The warning list's reason when the value is on it. */
  warning?: string | null;
  now: Date;
  /** The type's half-life in force (the lifetimes table's; null: no decay); DECAY_DEFAULTS' when undefined. */
  halfLifeDays?: number | null;
  /** Its lifecycle, when it is stored: revoked scores 0, expired says so. */
  lifecycle?: RiskLifecycle | null;
}

export type RiskFactorName =
  | 'sources'
  | 'source_kind'
  | 'confidence'
  | 'recency'
  | 'age_decay'
  | 'warning_list'
  | 'revoked'
  | 'expired'
  | 'not_scored';

export interface RiskFactor {
  name: RiskFactorName;
  /** The fact the factor read. */
  value: string | number | null;
  /** Points, added to the score (negative: taken off). */
  contribution: number;
  explanation: string;
}

export interface RiskScore {
  score: number;
  level: RiskLevel;
  /** False for a type that is not scored (an ATT&CK technique). */
  scored: boolean;
  /** The type's half-life and the age it was applied to. */
  decay: { half_life_days: number | null; age_days: number | null };
  /** Their contributions sum to the score. */
  factors: RiskFactor[];
}

/** Points taken off (never -0, which JSON writes as 0 but tests and clients may compare). */
const takeOff = (points: number): number => (points === 0 ? 0 : -points);

export function riskLevel(score: number): RiskLevel {
  for (const [level, floor] of LEVEL_FLOORS) if (score >= floor) return level;
  return 'none';
}

function kindPoints(sighting: RiskSighting): number {
  return sighting.origin === 'import' ? IMPORT_POINTS : KIND_POINTS[sighting.category];
}

/** The day of an RFC 3339 time. */
const day = (iso: string | null): string => (iso === null ? 'an unknown day' : iso.slice(0, 10));

/**
 * The factor of a withdrawn value, or none for an active one: revoked takes off everything left
 * (`left` points), expired takes off nothing (the decay has already said how old it is).
 */
function lifecycleFactor(lifecycle: RiskLifecycle | null | undefined, left: number): RiskFactor | undefined {
  if (!lifecycle || lifecycle.status === 'active') return undefined;
  if (lifecycle.status === 'revoked') {
    return {
      name: 'revoked',
      value: lifecycle.reason,
      contribution: takeOff(left),
      explanation: `Revoked on ${day(lifecycle.revoked_at)}: ${lifecycle.reason ?? 'no reason given'}. A withdrawn value is in no list and scores 0.`,
    };
  }
  return {
    name: 'expired',
    value: lifecycle.valid_until,
    contribution: 0,
    explanation:
      `Expired on ${day(lifecycle.valid_until)}: ${lifecycle.reason ?? 'no source reported it within its lifetime'}. ` +
      'It has left the block-lists; the score is what the age decay leaves.',
  };
}

function describeKind(sighting: RiskSighting): string {
  return sighting.origin === 'import' ? `an imported list (${sighting.source})` : `a ${sighting.category} ${sighting.origin} (${sighting.source})`;
}

/** The score of a value from what is known of it. */
export function scoreRisk(facts: RiskFacts): RiskScore {
  const rule = DECAY_DEFAULTS[facts.type];
  const half = facts.halfLifeDays === undefined ? rule.halfLifeDays : facts.halfLifeDays;
  if (!rule.scored) {
    const withdrawn = lifecycleFactor(facts.lifecycle, 0);
    return {
      score: 0,
      level: 'none',
      scored: false,
      decay: { half_life_days: half, age_days: null },
      factors: [{ name: 'not_scored', value: facts.type, contribution: 0, explanation: `Not scored: ${rule.reason}.` }, ...(withdrawn ? [withdrawn] : [])],
    };
  }
  // Why the half-life is what it is: the default's reason, or that an admin changed it.
  const why =
    half === rule.halfLifeDays
      ? rule.reason
      : `set in the lifetimes table; the default, ${describeHalfLife(rule.halfLifeDays)}, holds that ${rule.reason}`;
  const sightings = facts.sightings;
  const factors: RiskFactor[] = [];
  const sources = new Set(sightings.map((s) => s.source)).size;
  const corroboration = Math.round(SOURCE_POINTS * (1 - 0.5 ** sources));
  factors.push({
    name: 'sources',
    value: sources,
    contribution: corroboration,
    explanation:
      sources === 0
        ? 'No source (that you can see) reports this value.'
        : `${sources} distinct source${sources === 1 ? '' : 's'} report${sources === 1 ? 's' : ''} it: ${SOURCE_POINTS} × (1 − 0.5^${sources}), each further source adding half as much as the one before.`,
  });

  const best = sightings.reduce<RiskSighting | undefined>((top, s) => (top === undefined || kindPoints(s) > kindPoints(top) ? s : top), undefined);
  const kind = best === undefined ? 0 : kindPoints(best);
  factors.push({
    name: 'source_kind',
    value: best === undefined ? null : best.origin === 'import' ? 'import' : best.category,
    contribution: kind,
    explanation:
      best === undefined
        ? 'No source to weigh.'
        : `The strongest kind of source is ${describeKind(best)}: threat-intel feeds and government advisories ${KIND_POINTS['threat-intel']}, vendor and research reports ${KIND_POINTS.vendor}, news ${KIND_POINTS.news}, an imported list ${IMPORT_POINTS}.`,
  });

  const confidence = sightings.reduce<Confidence | undefined>(
    (top, s) => (top === undefined || CONFIDENCE_POINTS[s.confidence] > CONFIDENCE_POINTS[top] ? s.confidence : top),
    undefined,
  );
  const confidencePoints = confidence === undefined ? 0 : CONFIDENCE_POINTS[confidence];
  factors.push({
    name: 'confidence',
    value: confidence ?? null,
    contribution: confidencePoints,
    explanation:
      confidence === undefined
        ? 'No confidence to weigh.'
        : `The highest confidence a source gives it is ${confidence} (high ${CONFIDENCE_POINTS.high}, medium ${CONFIDENCE_POINTS.medium}, low ${CONFIDENCE_POINTS.low}).`,
  });
  const evidence = corroboration + kind + confidencePoints;

  // Recency and decay read the newest sighting: the value is as fresh as its latest report.
  const newest = sightings.reduce<number | undefined>((top, s) => Math.max(top ?? -Infinity, s.lastSeen.getTime()), undefined);
  const ageDays = newest === undefined ? null : Math.max(0, (facts.now.getTime() - newest) / DAY_MS);
  const fresh = ageDays === null ? 0 : half === null ? 1 : 0.5 ** (ageDays / half);
  const ageText = ageDays === null ? '' : `${Math.round(ageDays * 10) / 10} days`;
  factors.push({
    name: 'recency',
    value: newest === undefined ? null : new Date(newest).toISOString(),
    contribution: Math.round(RECENCY_POINTS * fresh),
    explanation:
      ageDays === null
        ? 'Never seen: no recency.'
        : half === null
          ? `Last seen ${ageText} ago; a ${facts.type} does not go stale (${why}): the full ${RECENCY_POINTS}.`
          : `Last seen ${ageText} ago: ${RECENCY_POINTS} × 0.5^(${ageText} / ${half} days).`,
  });
  const decayed = Math.round(evidence * (1 - fresh));
  factors.push({
    name: 'age_decay',
    value: ageDays === null ? null : Math.round(ageDays * 10) / 10,
    contribution: ageDays === null ? 0 : takeOff(decayed),
    explanation:
      ageDays === null
        ? 'Nothing to decay.'
        : half === null
          ? `No decay for ${facts.type}: ${why}.`
          : `The evidence above (${evidence}) fades with a half-life of ${describeHalfLife(half)} for ${facts.type} (${why}): ${ageText} take off ${decayed}.`,
  });
  const subtotal = evidence + Math.round(RECENCY_POINTS * fresh) - (ageDays === null ? 0 : decayed);

  const cut = facts.warning ? Math.max(0, subtotal - WARNING_CAP) : 0;
  factors.push({
    name: 'warning_list',
    value: facts.warning ?? null,
    contribution: takeOff(cut),
    explanation: facts.warning
      ? `On the warning list (${facts.warning}): a known benign or reserved value scores at most ${WARNING_CAP}.`
      : 'Not on the warning list.',
  });
  const withdrawn = lifecycleFactor(facts.lifecycle, subtotal - cut);
  if (withdrawn) factors.push(withdrawn);
  // The parts are bounded (see the head of the file): the sum is the score, no clamping.
  const score = factors.reduce((sum, factor) => sum + factor.contribution, 0);
  return {
    score,
    level: riskLevel(score),
    scored: true,
    decay: { half_life_days: half, age_days: ageDays === null ? null : Math.round(ageDays * 10) / 10 },
    factors,
  };
}

/** How the score is made, for the OpenAPI description: generated from the constants, so it cannot drift. */
export function describeRiskModel(): string {
  const levels = [...LEVEL_FLOORS].reverse().map(([level, floor]) => `${level} ≥ ${floor}`).join(', ');
  return [
    'The risk score (0–100) is the sum of its factors, each listed with the fact it read and its points:',
    `- \`sources\`: ${SOURCE_POINTS} × (1 − 0.5^n) for n distinct reporting sources (1: 20, 2: 30, 3: 35…).`,
    `- \`source_kind\`: the strongest source: threat-intel feed or government ${KIND_POINTS['threat-intel']}, vendor or research ${KIND_POINTS.vendor}, news ${KIND_POINTS.news}, an imported list ${IMPORT_POINTS}.`,
    `- \`confidence\`: the highest a source gives: high ${CONFIDENCE_POINTS.high}, medium ${CONFIDENCE_POINTS.medium}, low ${CONFIDENCE_POINTS.low}.`,
    `- \`recency\`: ${RECENCY_POINTS} × f, where f = 0.5^(days since the newest last_seen / the type's half-life).`,
    '- `age_decay`: minus the three evidence factors × (1 − f): old evidence fades.',
    `- \`warning_list\`: on the warning list, whatever is above ${WARNING_CAP} is taken off.`,
    '- `revoked`: a value an admin revoked (or allow-listed) scores 0: everything left is taken off, and the factor says why.',
    '- `expired`: a value no source reported within its lifetime (see `lifecycle`) keeps what the decay leaves (0 points); the factor says when it expired.',
    `The parts are bounded so that their sum lies in 0..100 without clamping. Levels: none = 0, ${levels}.`,
    'Only the sightings your tier\'s lookback lets you see count.',
  ].join('\n');
}
