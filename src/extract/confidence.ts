// Explainable confidence: each piece of evidence adds or removes points and leaves a reason
// code, and the total maps to high / medium / low. A value on a warning list, under a heading
// that calls it legitimate, or written as a wildcard is never above low.
import type { Confidence, IocType } from '../ioc/types.js';
import type { SectionClass } from './sections.js';

export interface Evidence {
  type: IocType;
  /** The author wrote it defanged (`evil[.]com`, `hxxp://`). */
  defanged: boolean;
  /** Alone (or leading) in a table cell, a list item, or a line of its own. */
  layout: 'table' | 'list' | 'line' | 'prose';
  section: SectionClass;
  benignSection: boolean;
  /** A table's caption or column, or the sentence that leads into a list, says these are indicators. */
  iocContext: boolean;
  positiveKeyword?: string;
  negativeKeyword?: string;
  wildcard: boolean;
  warning?: string;
}

/** Points per piece of evidence; the thresholds below read them. */
export const WEIGHTS = {
  defanged: 3,
  iocSection: 2,
  tableOrList: 1,
  /** Hashes in a report are nearly always samples: nobody cites a hash in passing. */
  hash: 1,
  positiveKeyword: 1,
  negativeKeyword: -2,
  /** Citations, agencies' addresses, blocklist advice. */
  otherSection: -2,
  wildcard: -3,
} as const;

const HIGH = 3;
const MEDIUM = 1;
const HASHES: ReadonlySet<IocType> = new Set(['md5', 'sha1', 'sha256', 'sha512']);
const CITED_TYPES: ReadonlySet<IocType> = new Set(['url', 'email']);
const NEGATIVE_SECTIONS: ReadonlySet<SectionClass> = new Set(['reference', 'contact', 'mitigation']);

export interface Scored {
  confidence: Confidence;
  score: number;
  reasons: string[];
}

export function scoreEvidence(evidence: Evidence): Scored {
  const reasons: string[] = [];
  let score = 0;
  if (evidence.defanged) {
    score += WEIGHTS.defanged;
    reasons.push('defanged');
  }
  // A link or an address written plainly in a sentence is cited, even under an IOC heading,
  // unless the sentence accuses it.
  const cited = CITED_TYPES.has(evidence.type) && evidence.layout === 'prose' && !evidence.defanged && evidence.positiveKeyword === undefined;
  if (cited) {
    reasons.push('cited');
  } else if (evidence.section === 'ioc') {
    score += WEIGHTS.iocSection;
    reasons.push('ioc_section');
  } else if (evidence.iocContext) {
    score += WEIGHTS.iocSection;
    reasons.push('ioc_context');
  } else if (NEGATIVE_SECTIONS.has(evidence.section)) {
    score += WEIGHTS.otherSection;
    reasons.push(`section:${evidence.section}`);
  }
  if (evidence.layout === 'table') reasons.push('ioc_table');
  else if (evidence.layout === 'list' || evidence.layout === 'line') reasons.push('ioc_list');
  else reasons.push('prose');
  // A table or a list is evidence only of what something else calls an indicator: a table of
  // well-known sites or a list of tools is laid out the same way.
  const accused = evidence.defanged || evidence.section === 'ioc' || evidence.iocContext || evidence.positiveKeyword !== undefined;
  if (evidence.layout !== 'prose' && accused) score += WEIGHTS.tableOrList;
  if (HASHES.has(evidence.type)) {
    score += WEIGHTS.hash;
    reasons.push('hash');
  }
  if (evidence.positiveKeyword !== undefined) {
    score += WEIGHTS.positiveKeyword;
    reasons.push('near_keyword');
  }
  if (evidence.negativeKeyword !== undefined) {
    score += WEIGHTS.negativeKeyword;
    reasons.push(`negative_keyword:${evidence.negativeKeyword}`);
  }
  if (evidence.wildcard) {
    score += WEIGHTS.wildcard;
    reasons.push('wildcard');
  }
  let confidence: Confidence = score >= HIGH ? 'high' : score >= MEDIUM ? 'medium' : 'low';
  if (evidence.benignSection) {
    reasons.push('benign_section');
    confidence = 'low';
  }
  if (evidence.warning !== undefined) {
    reasons.push(`warninglist:${evidence.warning}`);
    confidence = 'low';
  }
  return { confidence, score, reasons };
}

const RANK: Readonly<Record<Confidence, number>> = { high: 2, medium: 1, low: 0 };

/** Orders two scorings of the same value: the better evidence wins. */
export function isBetter(a: Scored, b: Scored): boolean {
  return RANK[a.confidence] !== RANK[b.confidence] ? RANK[a.confidence] > RANK[b.confidence] : a.score > b.score;
}

/** The first piece of evidence against a value that was not put forward. */
export function heldReason(evidence: Evidence): string {
  if (evidence.warning !== undefined) return `warninglist:${evidence.warning}`;
  if (evidence.benignSection) return 'benign_section';
  if (evidence.section === 'reference' || evidence.section === 'contact' || evidence.section === 'mitigation') return `section:${evidence.section}`;
  if (evidence.negativeKeyword !== undefined) return `negative_keyword:${evidence.negativeKeyword}`;
  if (evidence.wildcard) return 'wildcard';
  return 'no_evidence';
}

