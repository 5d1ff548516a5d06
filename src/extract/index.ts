// Article text → IOCs with context and explainable confidence, ATT&CK ids, CVEs, industries and
// tags. Pure: no I/O. The steps, each in its own file:
//   is-html                      HTML or plain text (the one rule of ingestion and socd extract)
//   html-to-text / text-blocks   the document as blocks (headings, paragraphs, list items, cells)
//   sections                     which part of the report each block is in
//   src/ioc refang               defang forms undone (the grammar search uses too), with a map
//                                back to what was written
//   candidates                   IOC-shaped strings (linear scans)
//   guards                       file names, AV detection names, version numbers, wildcards
//   src/ioc normalize            the value's canonical form (public-suffix check included)
//   src/ioc/warninglist          benign and reserved values
//   context / confidence         the sentence, its keywords, the score and its reasons
//   attack-and-cve / industries / tags
import { getDomain } from 'tldts';
import { normalizeIoc } from '../ioc/normalize.js';
import { refangWithMap, type RefangedText } from '../ioc/refang.js';
import type { Confidence, IocType, ParseResult } from '../ioc/types.js';
import { warningFor } from '../ioc/warninglist.js';
import { findCveIds, findTechniqueIds, type IdMatch } from './attack-and-cve.js';
import { findCandidates, type Candidate } from './candidates.js';
import { isBetter, scoreEvidence, type Evidence, type Scored } from './confidence.js';
import { clip, contextSentence, keywordSignals, sentenceSpan } from './context.js';
import { avNameReason, capitalizedNameReason, fileNameReason, isWildcard, versionReason } from './guards.js';
import { htmlToBlocks } from './html-to-text.js';
import { findIndustries, speaksOfTargeting, type IndustryText } from './industries.js';
import { isHtml } from './is-html.js';
import { enterHeading, initialSectionState, type SectionState } from './sections.js';
import { findTags } from './tags.js';
import { textToBlocks } from './text-blocks.js';
import type { Block, ExtractedIoc, Extraction, ExtractOptions } from './types.js';

export type { Block, ExtractedIoc, Extraction, ExtractOptions } from './types.js';
export { blocksToText, htmlToBlocks } from './html-to-text.js';
export { isHtml, looksLikeHtml } from './is-html.js';
export { textToBlocks } from './text-blocks.js';

/** What is kept of one value while the document is read: its best occurrence so far. */
interface Found {
  ioc: ExtractedIoc;
  scored: Scored;
}

/** The article's own site, so that its URL, its domain and its links are not reported. */
interface ArticleSite {
  url: string | undefined;
  site: string | undefined;
}

const SITE_OPTIONS = { allowPrivateDomains: true } as const;
/** At most this many characters between a line start and a value for the value to "lead" its line. */
const LEAD_WINDOW = 32;
/** `C2 server: evil[.]com`: a short label before the value still makes a list entry. */
const SHORT_LABEL = /^[\p{L}\p{N} ()/&-]{1,24}:\s*$/u;
const LEADING_NOISE = /^[\s\-*•‣◦▪–—"'“‘([{<>#]*$/u;
const TRAILING_NOISE = /^(?::\d{1,5})?[\s,;.)\]}"'”’>|]*$/u;
const TRAILING_LENGTH = 12;
const COLUMN_SEPARATOR = /^(?::\d{1,5})?(?:\t| {2,}| [-–—|,] )/;
const HEADING_PREFIX_MAX = 200;

function articleSite(articleUrl: string | undefined): ArticleSite {
  if (articleUrl === undefined) return { url: undefined, site: undefined };
  const parsed = normalizeIoc('url', articleUrl);
  if (!parsed.ok) return { url: undefined, site: undefined };
  const host = new URL(parsed.ioc.value).hostname;
  return { url: parsed.ioc.normalized, site: getDomain(host, SITE_OPTIONS) ?? host };
}

function hostOf(type: IocType, value: string): string | undefined {
  if (type === 'domain') return value;
  if (type === 'email') return value.slice(value.lastIndexOf('@') + 1);
  if (type === 'url') {
    try {
      return new URL(value).hostname;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function isArticleOwn(type: IocType, normalized: string, article: ArticleSite): boolean {
  if (article.site === undefined) return false;
  if (type === 'url' && normalized === article.url) return true;
  const host = hostOf(type, normalized);
  return host !== undefined && (getDomain(host, SITE_OPTIONS) ?? host) === article.site;
}

/** Line starts of a text, found once per block, so a value's line is found without rescanning. */
class Lines {
  private readonly starts: number[] = [0];
  private index = 0;

  constructor(private readonly text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  /** [start, end) of the line holding `offset`; offsets must not decrease between calls. */
  at(offset: number): [number, number] {
    while (this.index + 1 < this.starts.length && (this.starts[this.index + 1] as number) <= offset) this.index++;
    const start = this.starts[this.index] as number;
    const next = this.starts[this.index + 1];
    return [start, next === undefined ? this.text.length : next - 1];
  }
}

/** How the value sits: leading a table cell or list item, alone on a line, or in prose. */
function layoutOf(kind: Block['kind'], text: string, lines: Lines, start: number, end: number): Evidence['layout'] {
  const [lineStart, lineEnd] = lines.at(start);
  const leads = start - lineStart <= LEAD_WINDOW && isLeading(text.slice(lineStart, start));
  if (kind === 'table_cell' && leads) return 'table';
  if (kind === 'list_item' && leads) return 'list';
  if (!leads) return 'prose';
  const alone = lineEnd - end <= TRAILING_LENGTH && TRAILING_NOISE.test(text.slice(end, lineEnd));
  // `evil[.]com<TAB>C2 server`, `evil[.]com - stage 2`: a value heading a line of a plain-text table.
  const tabular = COLUMN_SEPARATOR.test(text.slice(end, end + 4));
  return alone || tabular ? 'line' : 'prose';
}

function isLeading(before: string): boolean {
  const withoutWildcard = before.endsWith('*.') ? before.slice(0, -2) : before;
  return LEADING_NOISE.test(withoutWildcard) || SHORT_LABEL.test(withoutWildcard);
}

/** Reads the document block by block, keeping the best occurrence of each value. */
class Reader {
  readonly found = new Map<string, Found>();
  readonly ids = new Map<string, { type: 'cve' | 'mitre_attack'; value: string; context: string; mentions: number; listed: boolean }>();
  readonly industryTexts: IndustryText[] = [];
  readonly tagTexts: string[] = [];
  private state: SectionState = initialSectionState();
  private introTargets = false;
  private readonly parsed = new Map<string, ParseResult>();
  private readonly warnings = new Map<string, string | undefined>();

  constructor(private readonly article: ArticleSite) {}

  read(block: Block): void {
    if (block.kind === 'heading') {
      this.state = enterHeading(this.state, block.text, block.level);
      this.introTargets = false;
      this.tagTexts.push(block.text);
    } else if (this.state.section !== 'reference' && this.state.section !== 'contact') {
      this.industryTexts.push({ text: block.text, inheritsTargeting: block.kind === 'list_item' && this.introTargets });
      this.tagTexts.push(block.text);
    }
    if (block.kind === 'paragraph' || block.kind === 'table_cell' || block.kind === 'code') {
      // "…targeted entities in the following sectors:" introduces a list of targets.
      const tail = block.text.slice(-300);
      this.introTargets = tail.trimEnd().endsWith(':') && speaksOfTargeting(tail);
    }
    const refanged = refangWithMap(block.text);
    const lines = new Lines(refanged.text);
    for (const candidate of findCandidates(refanged.text)) this.readCandidate(block, refanged, lines, candidate);
    this.readIds(block, refanged, 'cve', findCveIds(refanged.text));
    this.readIds(block, refanged, 'mitre_attack', findTechniqueIds(refanged.text));
  }

  private parse(type: IocType, value: string): ParseResult {
    const key = `${type}\u0000${value}`;
    let result = this.parsed.get(key);
    if (result === undefined) {
      result = normalizeIoc(type, value);
      this.parsed.set(key, result);
    }
    return result;
  }

  private warning(type: IocType, normalized: string): string | undefined {
    const key = `${type}\u0000${normalized}`;
    if (!this.warnings.has(key)) this.warnings.set(key, warningFor(type, normalized));
    return this.warnings.get(key);
  }

  private readCandidate(block: Block, refanged: RefangedText, lines: Lines, candidate: Candidate): void {
    const text = refanged.text;
    const { start, end, type } = candidate;
    const result = this.parse(type, candidate.value);
    if (!result.ok) return;
    const layout = layoutOf(block.kind, text, lines, start, end);
    const ioc = result.ioc;
    const defanged = refanged.isDefanged(start, end);
    const [sentenceStart, sentenceEnd] = sentenceSpan(text, start, end);
    const around = `${text.slice(sentenceStart, start)} ${text.slice(end, sentenceEnd)}`;
    if (type === 'domain' && this.notAHost(text, candidate, around, defanged) !== undefined) return;
    if (type === 'ipv4' && versionReason(text, start, end, defanged) !== undefined) return;
    if (isArticleOwn(ioc.type, ioc.normalized, this.article)) return;
    const signals = keywordSignals(around);
    const warning = this.warning(ioc.type, ioc.normalized);
    const evidence: Evidence = {
      type: ioc.type,
      defanged,
      layout,
      section: this.state.section,
      benignSection: this.state.benign,
      wildcard: type === 'domain' && isWildcard(text, start),
    };
    if (signals.positive !== undefined) evidence.positiveKeyword = signals.positive;
    if (signals.negative !== undefined) evidence.negativeKeyword = signals.negative;
    if (warning !== undefined) evidence.warning = warning;
    const scored = scoreEvidence(evidence);
    const key = `${ioc.type}\u0000${ioc.normalized}`;
    const previous = this.found.get(key);
    if (previous !== undefined && !isBetter(scored, previous.scored)) return;
    const extracted: ExtractedIoc = {
      type: ioc.type,
      value: ioc.value,
      normalized: ioc.normalized,
      confidence: scored.confidence,
      context: this.context(block, refanged, start, end, layout),
      reasons: scored.reasons,
    };
    if (warning !== undefined) extracted.suppressedReason = warning;
    this.found.set(key, { ioc: extracted, scored });
  }

  /** Why a domain-shaped string is something else: a file name, an AV detection name, a product name. */
  private notAHost(text: string, candidate: Candidate, around: string, defanged: boolean): string | undefined {
    return (
      fileNameReason(candidate.value, around, defanged) ??
      avNameReason(text, candidate.start, candidate.end, candidate.value) ??
      capitalizedNameReason(candidate.value, defanged)
    );
  }

  /** The sentence as written; a value alone in a cell, item or line gets its heading in front. */
  private context(block: Block, refanged: RefangedText, start: number, end: number, layout: Evidence['layout']): string {
    const originalStart = refanged.toOriginal(start);
    const originalEnd = refanged.toOriginal(Math.max(start, end - 1)) + 1;
    const sentence = contextSentence(block.text, originalStart, originalEnd);
    const heading = this.state.heading;
    if (layout === 'prose' || heading === undefined || sentence.length > HEADING_PREFIX_MAX) return sentence;
    return clip(`${heading}: ${sentence}`);
  }

  private readIds(block: Block, refanged: RefangedText, type: 'cve' | 'mitre_attack', matches: IdMatch[]): void {
    if (matches.length === 0) return;
    const idLines = new Lines(refanged.text);
    for (const match of matches) {
      const layout = layoutOf(block.kind, refanged.text, idLines, match.start, match.end);
      const previous = this.ids.get(`${type}\u0000${match.id}`);
      if (previous !== undefined) {
        previous.mentions++;
        previous.listed ||= layout !== 'prose';
        continue;
      }
      this.ids.set(`${type}\u0000${match.id}`, {
        type,
        value: match.id,
        context: this.context(block, refanged, match.start, match.end, layout),
        mentions: 1,
        listed: layout !== 'prose',
      });
    }
  }
}

/** CVE and ATT&CK ids are unambiguous: high when listed in a table or list or named twice, else medium. */
function idIocs(reader: Reader): ExtractedIoc[] {
  return [...reader.ids.values()].map((id) => {
    const confidence: Confidence = id.listed || id.mentions >= 2 ? 'high' : 'medium';
    const reasons = ['identifier', id.listed ? 'listed' : 'prose'];
    if (id.mentions >= 2) reasons.push('repeated');
    return { type: id.type, value: id.value, normalized: id.value.toLowerCase(), confidence, context: id.context, reasons };
  });
}

/**
 * Extracts the IOCs of an article (plain text or HTML), with the ATT&CK techniques, CVEs,
 * targeted industries and tags it names. Linear in the input.
 */
export function extractIocs(input: string, options: ExtractOptions = {}): Extraction {
  const blocks = (options.html ?? isHtml(input)) ? htmlToBlocks(input) : textToBlocks(input);
  const reader = new Reader(articleSite(options.articleUrl));
  for (const block of blocks) reader.read(block);
  const ids = idIocs(reader);
  return {
    iocs: [...[...reader.found.values()].map((found) => found.ioc), ...ids],
    techniques: ids.filter((ioc) => ioc.type === 'mitre_attack').map((ioc) => ioc.value).sort(),
    cves: ids.filter((ioc) => ioc.type === 'cve').map((ioc) => ioc.value).sort(),
    industries: findIndustries(reader.industryTexts, options.title),
    tags: findTags(reader.tagTexts, options.title),
  };
}
