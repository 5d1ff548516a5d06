// MITRE ATT&CK Enterprise techniques: names and tactics for the ids our records carry.
// The table is a compact copy of the ATT&CK release (scripts/build-attack-techniques.ts makes it;
// it carries MITRE's notice and licence, which every copy must keep).
import data from './data/attack-techniques.json' with { type: 'json' };

export interface AttackTechnique {
  /** `T1059` or `T1059.001` */
  id: string;
  name: string;
  /** Tactic short names in ATT&CK's spelling (`command-and-control`): the STIX kill-chain phase names. */
  tactics: readonly string[];
  revoked: boolean;
  deprecated: boolean;
}

/** The ATT&CK release the table was built from, e.g. `18.1`. */
export const ATTACK_VERSION: string = data.attack_version;

const TECHNIQUE_ID = /^T\d{4}(\.\d{3})?$/;

const TECHNIQUES: ReadonlyMap<string, Readonly<AttackTechnique>> = new Map(
  data.techniques.map((technique) => [technique.id, Object.freeze(technique)]),
);

/** Upper-cases and trims an id; does not check it (see isAttackTechniqueId). */
export function normalizeAttackTechniqueId(id: string): string {
  return id.trim().toUpperCase();
}

/** True for a well-formed technique id (`T1566`, `t1059.001`), known to the table or not. */
export function isAttackTechniqueId(id: string): boolean {
  return TECHNIQUE_ID.test(normalizeAttackTechniqueId(id));
}

/** The technique with this id (case-insensitive), revoked and deprecated ones included; undefined if unknown. */
export function attackTechnique(id: string): Readonly<AttackTechnique> | undefined {
  return TECHNIQUES.get(normalizeAttackTechniqueId(id));
}

/** `T1059.001` → `https://attack.mitre.org/techniques/T1059/001` (sub-techniques are a path level). */
export function attackTechniqueUrl(id: string): string {
  return `https://attack.mitre.org/techniques/${normalizeAttackTechniqueId(id).replace('.', '/')}`;
}
