// How fast what we know of a value goes stale, per IOC type: the half-life the risk score
// (risk.ts) fades a value's evidence by, whether the type is scored at all, and why. The
// half-lives here are the defaults: the lifetimes table (0015_lifecycle.sql, the same numbers)
// holds the ones in force, which an admin changes, and the lookup hands them to the score.
// Pure data.
import type { IocType } from './types.js';

export interface DecayRule {
  /** The default: days after which the evidence of a sighting counts half; null: it does not fade. */
  halfLifeDays: number | null;
  /** Whether the type is scored at all: a value one could find in logs and block. */
  scored: boolean;
  /** Why, in a sentence (the OpenAPI description and the score's explanation quote it). */
  reason: string;
}

export const DECAY_DEFAULTS: Readonly<Record<IocType, Readonly<DecayRule>>> = {
  ipv4: {
    halfLifeDays: 14,
    scored: true,
    reason: 'an address is reassigned within days or weeks (cloud and VPS hosts, DHCP), and a C2 moves when it is burned',
  },
  ipv6: {
    halfLifeDays: 14,
    scored: true,
    reason: 'as IPv4: hosts are renumbered and cloud prefixes reassigned within days or weeks',
  },
  domain: {
    halfLifeDays: 60,
    scored: true,
    reason: 'a registration lasts months; an abandoned domain is parked or re-registered only slowly',
  },
  url: {
    halfLifeDays: 30,
    scored: true,
    reason: 'a path dies when its page is cleaned or its host taken down, usually within weeks',
  },
  md5: { halfLifeDays: null, scored: true, reason: 'a hash names the same file forever: a file once malicious stays malicious' },
  sha1: { halfLifeDays: null, scored: true, reason: 'a hash names the same file forever: a file once malicious stays malicious' },
  sha256: { halfLifeDays: null, scored: true, reason: 'a hash names the same file forever: a file once malicious stays malicious' },
  sha512: { halfLifeDays: null, scored: true, reason: 'a hash names the same file forever: a file once malicious stays malicious' },
  email: {
    halfLifeDays: 30,
    scored: true,
    reason: 'sender addresses are cheap and rotated from one campaign to the next',
  },
  cve: {
    halfLifeDays: 365,
    scored: true,
    reason:
      'a CVE is not a value in traffic: its score measures how much and how recently it is reported as exploited, ' +
      'and an unpatched system stays exposed for months',
  },
  mitre_attack: {
    halfLifeDays: null,
    scored: false,
    reason: 'an ATT&CK technique is a behaviour, not a value to block: it is not scored (its hunting queries find alerts that name it)',
  },
};

/** A half-life as the tables and explanations write it. */
export function describeHalfLife(days: number | null): string {
  return days === null ? 'no decay' : `${days} day${days === 1 ? '' : 's'}`;
}

/**
 * The defaults as a Markdown table, for the OpenAPI description (generated, so it cannot drift),
 * and where the half-lives in force are read and changed.
 */
export function describeDecayTable(table: Readonly<Record<IocType, Readonly<DecayRule>>> = DECAY_DEFAULTS): string {
  const rows = Object.entries(table).map(
    ([type, rule]) => `| ${type} | ${!rule.scored ? 'not scored' : describeHalfLife(rule.halfLifeDays)} | ${rule.reason} |`,
  );
  return [
    'The default half-lives. The score reads the ones in force from the lifetimes table (`half_life_days` of each type, ' +
      'with its lifetime: `GET /api/v1/lifetimes`), which admins change with `PUT /api/v1/lifetimes`; `risk.decay` says which ' +
      'half-life a score used.',
    '',
    '| type | default half-life | why |',
    '| --- | --- | --- |',
    ...rows,
  ].join('\n');
}
