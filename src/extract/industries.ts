// The industries an article says were targeted, from a small reviewed keyword table.
// A keyword counts as evidence when its sentence also speaks of targeting (targeted, victims,
// compromised, against, sector…), when it is in the title, or when it is an item of a list
// whose introduction does; otherwise only three mentions or more count. Sections of
// references and contacts are not read ("Defense Industrial Base Inquiries: …").
import type { Industry } from '../ioc/types.js';
import { sentenceSpan } from './context.js';

/** Keywords per industry. Ambiguous words are left out: "ports" (network ports), "pipelines" (CI), "carriers". */
const KEYWORDS: Readonly<Record<Industry, readonly RegExp[]>> = {
  finance: [
    /\b(?:financial (?:institutions?|services|sector|organi[sz]ations?|firms?|industry)|banks?|banking|credit unions?|fintech|insurance (?:companies|providers|sector)|payment processors?|cryptocurrency exchanges?|stock exchanges?)\b/i,
  ],
  healthcare: [
    /\b(?:hospitals?|health ?care|health systems?|healthcare and public health|medical (?:centers?|devices?|facilities|providers?|sector)|clinics?|pharmaceutical|patients?)\b/i,
  ],
  government: [
    /\b(?:government (?:agencies|entities|organi[sz]ations?|networks?|sector|departments?|offices?|institutions?|bodies|facilities)|governmental|federal agencies|state and local governments?|municipal(?:ities)?|ministr(?:y|ies)|public sector|embass(?:y|ies)|diplomatic)\b/i,
  ],
  technology: [
    /\b(?:technology (?:companies|firms|sector|providers?|vendors?)|tech (?:companies|firms|sector)|software (?:companies|vendors?|providers?|developers?|supply chain)|managed service providers?|cloud (?:service )?providers?|saas providers?|information technology)\b/i,
    /\b(?:IT (?:[Cc]ompanies|[Ss]ervices|[Pp]roviders?|[Ss]ector|[Ee]ntities)|MSPs?)\b/, // upper case only: "it services" is a pronoun
  ],
  manufacturing: [/\b(?:manufactur(?:ing|ers?)|industrial (?:companies|sector|firms)|factor(?:y|ies)|automotive|semiconductor)\b/i],
  retail: [/\b(?:retail(?:ers)?|e-?commerce|hospitality|restaurants?|point[- ]of[- ]sale|consumer goods)\b/i],
  energy: [
    /\b(?:energy (?:sector|companies|firms|providers?|infrastructure)|oil and (?:natural )?gas|electric(?:al)? (?:utilities|grid|power)|power (?:grid|plants?|generation|utilities)|nuclear (?:power|facilities|plants?)|renewable energy)\b/i,
  ],
  education: [
    /\b(?:universit(?:y|ies)|colleges?|schools?|education(?:al)? (?:sector|institutions?|organi[sz]ations?|facilities)|academic institutions?|academia|k-12)\b/i,
  ],
  telecom: [
    /\b(?:telecom(?:munications?)? (?:companies|providers?|operators?|sector|networks?|firms)|telcos?|internet service providers?|mobile (?:network )?operators?)\b/i,
    /\bISPs?\b/,
  ],
  transportation: [
    /\b(?:logistics|transportation|transport (?:sector|companies|hubs?)|shipping (?:companies|firms|industry)|airlines?|airports?|aviation|railways?|railroads?|maritime|freight|trucking|air traffic)\b/i,
  ],
  defense: [
    /\b(?:defen[cs]e (?:industr(?:y|ies|ial base)|contractors?|sector|companies|organi[sz]ations?|ministr(?:y|ies))|military|armed forces|aerospace)\b/i,
  ],
  water: [/\b(?:water (?:utilit(?:y|ies)|and wastewater|treatment|systems?|sector|facilities|suppliers?)|wastewater)\b/i],
};

/**
 * All keyword patterns in two sticky scanners (one per flag set), each pattern a capture group,
 * tried at each place a keyword may start.
 */
function buildScanner(caseInsensitive: boolean): { pattern: RegExp; industries: Industry[] } {
  const industries: Industry[] = [];
  const sources: string[] = [];
  for (const [industry, patterns] of Object.entries(KEYWORDS) as [Industry, readonly RegExp[]][]) {
    for (const pattern of patterns) {
      if (pattern.flags.includes('i') !== caseInsensitive) continue;
      industries.push(industry);
      sources.push(`(${pattern.source})`);
    }
  }
  return { pattern: new RegExp(sources.join('|'), caseInsensitive ? 'iy' : 'y'), industries };
}

const SCANNERS = [buildScanner(true), buildScanner(false)];

/**
 * The literal start (at most three characters, lower case) of every alternative of every
 * keyword pattern: `financial (?:…)` → `fin`, `e-?commerce` → `e`. A word that starts with none
 * of them starts no keyword, so the scanners are tried only at the words that do.
 */
function keywordStarts(): string[] {
  const starts = new Set<string>();
  for (const patterns of Object.values(KEYWORDS)) {
    for (const pattern of patterns) {
      const bounded = pattern.source.replace(/^\\b/, '').replace(/\\b$/, '');
      const body = bounded.startsWith('(?:') && bounded.endsWith(')') ? bounded.slice(3, -1) : bounded;
      let depth = 0;
      let alternative = '';
      const alternatives: string[] = [];
      for (const character of body) {
        if (character === '(') depth++;
        if (character === ')') depth--;
        if (character === '|' && depth === 0) {
          alternatives.push(alternative);
          alternative = '';
        } else alternative += character;
      }
      alternatives.push(alternative);
      for (const written of alternatives) {
        let literal = '';
        for (let i = 0; i < written.length && literal.length < 3; i++) {
          const character = written[i] as string;
          if (!/[A-Za-z0-9 -]/.test(character)) break;
          // A character made optional by the next one (`e-?`) is no part of the start.
          if (/[?*{]/.test(written[i + 1] ?? '')) break;
          literal += character.toLowerCase();
        }
        if (literal === '') throw new Error(`keyword without a literal start: ${written}`);
        starts.add(literal);
      }
    }
  }
  return [...starts];
}

const KEYWORD_STARTS = keywordStarts();
/** Where a keyword may start: a word beginning as one does. */
const KEYWORD_START = new RegExp(`\\b(?:${KEYWORD_STARTS.map((start) => start.replace(/[-]/g, '\\$&')).join('|')})`, 'gi');

const TARGETING =
  /\b(?:target(?:s|ed|ing)?|victims?|compromis\w*|attack(?:s|ed|ing)?|breach\w*|intrusions?|affect(?:s|ed|ing)?|against|impacted|sectors?|verticals?|industries)\b/i;
const MIN_PLAIN_MENTIONS = 3;

export interface IndustryText {
  text: string;
  /** A list item whose introduction speaks of targeting inherits it. */
  inheritsTargeting: boolean;
}

/** True when a paragraph introduces its list as targets ("targeted the following verticals:"). */
export function speaksOfTargeting(text: string): boolean {
  return TARGETING.test(text);
}

/**
 * Every keyword above has three letters in a row, one of them past `f`, but `K-12`: a text
 * without them (a hash, an address) names no industry, and is not scanned (the scanners try
 * dozens of keywords at each word start).
 */
const MAY_NAME_AN_INDUSTRY = /[g-z][a-z]{2}|[a-z][g-z][a-z]|[a-z]{2}[g-z]|k-12/i;

/** Industries with evidence, in the order of INDUSTRIES. The scanners are tried only where a keyword may start. */
export function findIndustries(texts: readonly IndustryText[], title?: string): Industry[] {
  const strong = new Set<Industry>();
  const mentions = new Map<Industry, number>();
  const read = (text: string, targeted: boolean): void => {
    if (!MAY_NAME_AN_INDUSTRY.test(text)) return;
    KEYWORD_START.lastIndex = 0;
    for (let start = KEYWORD_START.exec(text); start !== null; start = KEYWORD_START.exec(text)) {
      for (const { pattern, industries: groups } of SCANNERS) {
        // The scanners are tried where a keyword may start, and only there (sticky).
        pattern.lastIndex = start.index;
        const match = pattern.exec(text);
        if (match === null) continue;
        KEYWORD_START.lastIndex = Math.max(KEYWORD_START.lastIndex, pattern.lastIndex);
        const group = match.findIndex((value, index) => index > 0 && value !== undefined);
        const industry = groups[group - 1] as Industry;
        if (strong.has(industry)) break;
        const [from, to] = sentenceSpan(text, match.index, match.index + match[0].length);
        if (targeted || TARGETING.test(text.slice(from, to))) strong.add(industry);
        else mentions.set(industry, (mentions.get(industry) ?? 0) + 1);
        break;
      }
    }
  };
  if (title !== undefined) read(title, true);
  for (const { text, inheritsTargeting } of texts) read(text, inheritsTargeting);
  for (const [industry, count] of mentions) if (count >= MIN_PLAIN_MENTIONS) strong.add(industry);
  return (Object.keys(KEYWORDS) as Industry[]).filter((industry) => strong.has(industry));
}
