// ATT&CK technique ids and CVE ids in text. Technique ids are kept only when the ATT&CK table
// knows them (T9999 and mobile/ICS ids are not Enterprise techniques); CVE ids must have the
// shape the CVE schema allows.
import { attackTechnique } from '../ioc/attack.js';
import { normalizeIoc } from '../ioc/normalize.js';

export interface IdMatch {
  id: string;
  start: number;
  end: number;
}

/** `T1059`, `T1059.001`: upper-case T as ATT&CK writes it, not inside a longer word or number. */
const TECHNIQUE_ID = /(?<![\w.-])T\d{4}(?:\.\d{3})?(?![\w-]|\.\d)/g;
const CVE_ID = /(?<![\w-])CVE-\d{4}-\d{4,19}(?![\w-])/gi;

export function findTechniqueIds(text: string): IdMatch[] {
  const found: IdMatch[] = [];
  TECHNIQUE_ID.lastIndex = 0;
  for (let match = TECHNIQUE_ID.exec(text); match !== null; match = TECHNIQUE_ID.exec(text)) {
    const technique = attackTechnique(match[0]);
    if (technique !== undefined) found.push({ id: technique.id, start: match.index, end: match.index + match[0].length });
  }
  return found;
}

export function findCveIds(text: string): IdMatch[] {
  const found: IdMatch[] = [];
  CVE_ID.lastIndex = 0;
  for (let match = CVE_ID.exec(text); match !== null; match = CVE_ID.exec(text)) {
    const parsed = normalizeIoc('cve', match[0]);
    if (parsed.ok) found.push({ id: parsed.ioc.value, start: match.index, end: match.index + match[0].length });
  }
  return found;
}
