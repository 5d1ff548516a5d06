// Which part of a report a value sits in, from the headings above it. An "Indicators of
// Compromise" section is evidence for its values; References, Contact and Mitigations
// sections are evidence against (citations, agency addresses, blocklist advice); a heading
// that calls its list legitimate or benign overrides everything under it.
//
// Headings of HTML have ranks (h1–h6): a heading that matches no class ends a classified
// section of the same or a higher rank. Plain-text and bold-paragraph headings have no rank:
// there, only a heading of another class ends a section.

export type SectionClass = 'ioc' | 'reference' | 'contact' | 'mitigation' | 'detection' | 'other' | 'none';

/** Read top to bottom; the first that matches decides. */
const HEADING_CLASSES: readonly [Exclude<SectionClass, 'none'> | 'benign', RegExp][] = [
  ['benign', /\b(?:legitimate|benign|commonly used|allow-?list(?:ed)?|whitelist(?:ed)?|false positives?|known[- ]good)\b/i],
  [
    'ioc',
    /\b(?:indicators?(?: of compromise)?|iocs?|observables|hashes|c2|c&c|command[- ]and[- ]control|malicious|suspicious (?:domains?|ips?|urls?|files?)|ip addresses|domains|urls|network artifacts|host artifacts)\b/i,
  ],
  [
    'reference',
    /\b(?:references?|works cited|citations?|footnotes?|endnotes?|notes|bibliography|further reading|sources|resources|related (?:articles|content|reading|posts)|see also|acknowledge?ments?|credits|version history|revisions?|disclaimers?(?: of endorsement)?|purpose|about (?:the )?(?:authors?|us)|share this|subscribe)\b/i,
  ],
  ['contact', /\b(?:contacts?|contact information|reporting|report (?:an )?incidents?)\b/i],
  ['mitigation', /\b(?:mitigations?|mitigation actions|recommendations?|remediation|best practices|hardening|defensive measures|protective measures)\b/i],
  ['detection', /\b(?:detections?|detection rules?|yara|sigma|hunting queries|snort|suricata)\b/i],
  ['other', /\b(?:summary|overview|introduction|background|technical details|analysis|description|conclusions?|appendix|timeline|key findings|executive summary)\b/i],
];

export interface SectionState {
  /** The class of the section the next block is in. */
  section: SectionClass;
  /** The rank of the heading that set `section` (undefined: unknown). */
  rank: number | undefined;
  /** Set by a heading that calls what follows benign; cleared by the next heading. */
  benign: boolean;
  /** The text of the nearest heading, for context. */
  heading: string | undefined;
}

export function initialSectionState(): SectionState {
  return { section: 'none', rank: undefined, benign: false, heading: undefined };
}

export function classifyHeading(text: string): SectionClass | 'benign' | undefined {
  for (const [name, pattern] of HEADING_CLASSES) if (pattern.test(text)) return name;
  return undefined;
}

/** The state after a heading of `text` and `rank` (undefined when unknown). */
export function enterHeading(state: SectionState, text: string, rank: number | undefined): SectionState {
  const heading = text.length > 120 ? `${text.slice(0, 119)}…` : text;
  const found = classifyHeading(text);
  if (found === 'benign') return { ...state, benign: true, heading };
  // `Summary`, `Technical details` under `Indicators of Compromise`: still the indicators' part.
  const nested = rank !== undefined && state.rank !== undefined && rank > state.rank;
  if (found === 'other' && state.section === 'ioc' && nested) return { ...state, benign: false, heading };
  if (found !== undefined) return { section: found, rank, benign: false, heading };
  // An unclassified heading of the same or higher rank ends the classified section.
  const ends = rank !== undefined && state.rank !== undefined && rank <= state.rank;
  return ends ? { section: 'none', rank: undefined, benign: false, heading } : { ...state, benign: false, heading };
}
