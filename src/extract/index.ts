// Article text → IOCs with context and explainable confidence, ATT&CK ids, CVEs, industries and
// tags; and what is no IOC: the article's references (what it cites) and the values held back.
// Pure: no I/O. The steps, each in its own file:
//   is-html                      HTML or plain text (the one rule of ingestion and socd extract)
//   html-to-text / text-blocks   the document as blocks (headings, paragraphs, list items, table
//                                cells with their caption, column, row and neighbours)
//   wrapped                      a value a table cell wraps over two lines, joined again
//   sections                     which part of the report each block is in
//   src/ioc refang               defang forms undone (the grammar search uses too), with a map
//                                back to what was written
//   candidates                   IOC-shaped strings (linear scans)
//   guards                       file names, detection names, versions, code, placeholders,
//                                fingerprints, certificate fields, tools' pages and sources
//   src/ioc normalize            the value's canonical form (public-suffix check included)
//   cited                        links, victims and imitated brands: cited, not accused
//   src/ioc/warninglist          benign and reserved values
//   context / confidence         the sentence, its keywords, the table and the lead-in line, the
//                                score and its reasons; a value scored low is no IOC
//   attack-and-cve / industries / tags
import { getDomain } from 'tldts';
import { normalizeIoc } from '../ioc/normalize.js';
import { refangWithMap, type RefangedText } from '../ioc/refang.js';
import type { Confidence, IocType, NormalizedIoc } from '../ioc/types.js';
import { warningFor } from '../ioc/warninglist.js';
import { findCveIds, findTechniqueIds, type IdMatch } from './attack-and-cve.js';
import { findCandidates, type Candidate } from './candidates.js';
import { citedReason } from './cited.js';
import { heldReason, isBetter, scoreEvidence, type Evidence, type Scored } from './confidence.js';
import { clip, contextSentence, introducesIocs, introLineEnd, keywordSignals, sentenceSpan, tableClass, type Signals } from './context.js';
import {
  avNameReason,
  capitalizedNameReason,
  certificateFieldReason,
  columnGuards,
  codeReason,
  elidedReason,
  fileNameReason,
  isWildcard,
  notAFileHashReason,
  placeholderReason,
  projectPageReason,
  rowNotAFileHash,
  rowOfVersions,
  versionReason,
  type ColumnGuards,
} from './guards.js';
import { htmlToBlocks } from './html-to-text.js';
import { findIndustries, speaksOfTargeting, type IndustryText } from './industries.js';
import { isHtml } from './is-html.js';
import { enterHeading, initialSectionState, type SectionState } from './sections.js';
import { findTags } from './tags.js';
import { textToBlocks } from './text-blocks.js';
import { joinWrappedValues } from './wrapped.js';
import type { Block, ExtractedIoc, Extraction, ExtractOptions, HeldValue, Reference, ReferenceType, TableContext } from './types.js';

export type { Block, ExtractedIoc, Extraction, ExtractOptions, HeldValue, Reference } from './types.js';
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

/** A canonical URL's host, read without parsing it again. */
const URL_HOST = /^[a-z][a-z0-9+.-]*:\/\/([^/?#:]+)/;

function hostOf(type: IocType, value: string): string | undefined {
  if (type === 'domain') return value;
  if (type === 'email') return value.slice(value.lastIndexOf('@') + 1);
  if (type === 'url') return URL_HOST.exec(value)?.[1];
  return undefined;
}

/**
 * The article's own site: the site itself or a name under it (`blog.example.com` under
 * `example.com`). The site is a registrable domain, so a suffix match is the same test as
 * comparing registrable domains, without parsing each value's host against the suffix list.
 */
function isArticleOwn(type: IocType, normalized: string, article: ArticleSite): boolean {
  const site = article.site;
  if (site === undefined) return false;
  if (type === 'url' && normalized === article.url) return true;
  const host = hostOf(type, normalized);
  return host !== undefined && (host === site || (host.endsWith(site) && host[host.length - site.length - 1] === '.'));
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

/** Where a value is written: what its context sentence is read from. */
interface Place {
  block: Block;
  refanged: RefangedText;
  start: number;
  end: number;
  layout: Evidence['layout'];
}

/** A written value normalized, and its key in the document's maps; null when it is no value of its type. */
type Parsed = { ioc: NormalizedIoc; key: string; own?: boolean } | null;

/** What a block's place says of every value in it, worked out once a block. */
interface BlockFacts {
  /** Where a lead-in line of the block ends (`The C2 servers:`), or -1. */
  introEnd: number;
  /** What the block's table says of its cells. */
  table: 'ioc' | 'benign' | undefined;
  column: ColumnGuards;
  lines: Lines;
  /** The block's values, and its text with them blanked out (made when first asked for). */
  candidates: readonly Candidate[];
  words: string | undefined;
  /** The last sentence read: the next value in it reuses its words and keywords. */
  sentence: SentenceRead | undefined;
}

/** A sentence, the words it says about its values, and their keywords (read when first asked for). */
interface SentenceRead {
  start: number;
  end: number;
  words: string | undefined;
  signals: Signals | undefined;
}

/** Nothing IOC-shaped is written without one of these (a hash has a digit but once in 10^13). */
const MAY_HOLD_A_VALUE = /[.:@[({\\\d\u200B-\u200D\u2060\uFEFF]/;

/** The text with every value replaced by blanks (same length): keywords inside values do not count. */
function withoutValues(text: string, candidates: readonly Candidate[]): string {
  const parts: string[] = [];
  let at = 0;
  for (const { start, end } of candidates) {
    if (end <= at) continue;
    const from = Math.max(start, at);
    parts.push(text.slice(at, from), ' '.repeat(end - from));
    at = end;
  }
  parts.push(text.slice(at));
  return parts.join('');
}

/**
 * The sentence of a value and its words; one read serves every value inside it (a sentence
 * longer than the scan reaches is the part of it read first: its values are read in that window).
 */
function sentenceAround(text: string, start: number, end: number, facts: BlockFacts): SentenceRead {
  const last = facts.sentence;
  if (last !== undefined && start >= last.start && end <= last.end) return last;
  const [from, to] = sentenceSpan(text, start, end);
  const read: SentenceRead = { start: from, end: to, words: undefined, signals: undefined };
  facts.sentence = read;
  return read;
}

/** The words of a sentence, its values blanked out. */
function wordsOf(sentence: SentenceRead, facts: BlockFacts, text: string): string {
  facts.words ??= withoutValues(text, facts.candidates);
  sentence.words ??= facts.words.slice(sentence.start, sentence.end);
  return sentence.words;
}

/** Types an article cites rather than accuses: a link, a site's name, a contact address. */
const REFERENCE_TYPES: ReadonlySet<IocType> = new Set<ReferenceType>(['url', 'domain', 'email']);

function isReference(value: HeldValue): value is Reference {
  return REFERENCE_TYPES.has(value.type);
}

/** Reads the document block by block, keeping the best occurrence of each value. */
class Reader {
  readonly found = new Map<string, Found>();
  readonly ids = new Map<string, { type: 'cve' | 'mitre_attack'; value: string; context: string; mentions: number; listed: boolean }>();
  /** Values not put forward, by key: the article's references and what the guards and lists hold back. */
  readonly held = new Map<string, { value: HeldValue; reference: boolean }>();
  /** Texts industries are read from, neighbours of the same kind run together (one scan a run, one object a run). */
  private readonly industryRuns: IndustryText[] = [];
  private industryRun: string[] = [];
  private industryRunTargeted = false;
  readonly tagTexts: string[] = [];
  private state: SectionState = initialSectionState();
  private introTargets = false;
  /** The paragraph before said that what follows are indicators (`…used the following C2 servers:`). */
  private introIocs = false;
  private readonly parsed = new Map<IocType, Map<string, Parsed>>();
  /** What each table column's header says, read once a document. */
  private readonly columns = new Map<string, ColumnGuards>();
  private readonly tableClasses = new Map<string, 'ioc' | 'benign' | undefined>();
  private readonly warnings = new Map<string, string | undefined>();

  constructor(private readonly article: ArticleSite) {}

  read(written: Block): void {
    const joined = written.kind === 'table_cell' ? joinWrappedValues(written.text) : written.text;
    const block = joined === written.text ? written : { ...written, text: joined };
    if (block.kind === 'heading') {
      this.state = enterHeading(this.state, block.text, block.level);
      this.introTargets = false;
      this.tagTexts.push(block.text);
    } else if (this.state.section !== 'reference' && this.state.section !== 'contact') {
      // A cell of an IOC table holds values, not the sectors an actor targets.
      if (block.kind !== 'table_cell' || this.state.section !== 'ioc') this.addIndustryText(block.text, block.kind === 'list_item' && this.introTargets);
      this.tagTexts.push(block.text);
    }
    if (block.kind === 'paragraph' || block.kind === 'table_cell' || block.kind === 'code') {
      // "…targeted entities in the following sectors:" introduces a list of targets.
      this.introTargets = block.text.endsWith(':') && speaksOfTargeting(block.text.slice(-300));
    }
    if (block.kind === 'paragraph' || block.kind === 'heading') this.introIocs = introducesIocs(block.text);
    // Most words and cells hold nothing IOC-shaped: no scan for them.
    if (!MAY_HOLD_A_VALUE.test(block.text)) return;
    const refanged = refangWithMap(block.text);
    const candidates = findCandidates(refanged.text);
    if (candidates.length > 0) {
      const text = refanged.text;
      // `The payload servers:` on a line of its own leads the lines after it, in the same block.
      const introEnd = block.kind === 'paragraph' || block.kind === 'code' ? introLineEnd(text) : -1;
      const facts: BlockFacts = {
        introEnd,
        table: this.tableClass(block.table),
        column: this.columnGuards(block.table?.column ?? ''),
        lines: new Lines(text),
        candidates,
        words: undefined,
        sentence: undefined,
      };
      for (const candidate of candidates) this.readCandidate(block, refanged, candidate, facts);
    }
    this.readIds(block, refanged, 'cve', findCveIds(refanged.text));
    this.readIds(block, refanged, 'mitre_attack', findTechniqueIds(refanged.text));
  }

  private addIndustryText(text: string, targeted: boolean): void {
    if (targeted !== this.industryRunTargeted) this.endIndustryRun();
    this.industryRunTargeted = targeted;
    this.industryRun.push(text);
  }

  private endIndustryRun(): void {
    if (this.industryRun.length > 0) this.industryRuns.push({ text: this.industryRun.join('\n'), inheritsTargeting: this.industryRunTargeted });
    this.industryRun = [];
  }

  /** The industry texts, each run of neighbours of the same kind as one text. */
  industryTexts(): IndustryText[] {
    this.endIndustryRun();
    return this.industryRuns;
  }

  /** A candidate's value normalized, with its key (`type\0normalized`): each written form once a document. */
  private parse(type: IocType, value: string): Parsed {
    let byValue = this.parsed.get(type);
    if (byValue === undefined) {
      byValue = new Map();
      this.parsed.set(type, byValue);
    }
    let parsed = byValue.get(value);
    if (parsed === undefined) {
      const result = normalizeIoc(type, value);
      parsed = result.ok ? { ioc: result.ioc, key: `${result.ioc.type}\u0000${result.ioc.normalized}` } : null;
      byValue.set(value, parsed);
    }
    return parsed;
  }

  /** What a table's caption and column say of its cells, read once a caption and column. */
  private tableClass(table: TableContext | undefined): 'ioc' | 'benign' | undefined {
    if (table === undefined) return undefined;
    const key = `${table.caption ?? ''}\u0000${table.column ?? ''}`;
    if (!this.tableClasses.has(key)) this.tableClasses.set(key, tableClass(table));
    return this.tableClasses.get(key);
  }

  private columnGuards(header: string): ColumnGuards {
    let guards = this.columns.get(header);
    if (guards === undefined) {
      guards = columnGuards(header);
      this.columns.set(header, guards);
    }
    return guards;
  }

  private warning(type: IocType, normalized: string, key: string): string | undefined {
    if (!this.warnings.has(key)) this.warnings.set(key, warningFor(type, normalized));
    return this.warnings.get(key);
  }

  private readCandidate(block: Block, refanged: RefangedText, candidate: Candidate, facts: BlockFacts): void {
    const text = refanged.text;
    const { start, end, type } = candidate;
    const parsed = this.parse(type, candidate.value);
    if (parsed === null) return;
    const { ioc, key } = parsed;
    const layout = layoutOf(block.kind, text, facts.lines, start, end);
    const defanged = refanged.isDefanged(start, end);
    const sentence = sentenceAround(text, start, end, facts);
    const at: Place = { block, refanged, start, end, layout };
    const guard = this.guard(ioc.type, ioc.normalized, text, candidate, sentence, facts, defanged, block);
    if (guard !== undefined) return this.hold(ioc, key, guard, at, false);
    parsed.own ??= isArticleOwn(ioc.type, ioc.normalized, this.article);
    if (parsed.own) return this.hold(ioc, key, 'own_site', at, true);
    const cited = citedReason(text, start, end, type === 'url', defanged);
    if (cited !== undefined) return this.hold(ioc, key, cited, at, REFERENCE_TYPES.has(ioc.type));
    sentence.signals ??= keywordSignals(wordsOf(sentence, facts, text));
    const signals = sentence.signals;
    const warning = this.warning(ioc.type, ioc.normalized, key);
    const evidence: Evidence = {
      type: ioc.type,
      defanged,
      layout,
      section: this.state.section,
      benignSection: this.state.benign || facts.table === 'benign',
      iocContext: facts.table === 'ioc' || (layout !== 'prose' && (this.introIocs || (facts.introEnd !== -1 && start > facts.introEnd))),
      wildcard: type === 'domain' && isWildcard(text, start),
    };
    if (signals.positive !== undefined) evidence.positiveKeyword = signals.positive;
    if (signals.negative !== undefined) evidence.negativeKeyword = signals.negative;
    if (warning !== undefined) evidence.warning = warning;
    const scored = scoreEvidence(evidence);
    if (scored.confidence === 'low') {
      // A link, a name or an address the article cites is one of its references; an address or a hash is held back.
      return this.hold(ioc, key, heldReason(evidence), at, REFERENCE_TYPES.has(ioc.type));
    }
    const previous = this.found.get(key);
    if (previous !== undefined && !isBetter(scored, previous.scored)) return;
    const extracted: ExtractedIoc = {
      type: ioc.type,
      value: ioc.value,
      normalized: ioc.normalized,
      confidence: scored.confidence,
      context: this.context(at),
      reasons: scored.reasons,
    };
    this.found.set(key, { ioc: extracted, scored });
  }

  /** Keeps the first occurrence of a value that is not put forward, with the reason. */
  private hold(ioc: NormalizedIoc, key: string, reason: string, at: Place, reference: boolean): void {
    if (this.held.has(key)) return;
    // The sentence is read only when asked for (`socd extract --all`): ingestion keeps no context for them.
    let context: string | undefined;
    const read = (): string => (context ??= this.context(at));
    const value: HeldValue = {
      type: ioc.type,
      value: ioc.value,
      normalized: ioc.normalized,
      reason,
      get context(): string {
        return read();
      },
    };
    this.held.set(key, { value, reference });
  }

  /** Why an IOC-shaped string is something else: a file name, a version, code, a placeholder, a certificate's field, a fingerprint. */
  private guard(
    type: IocType,
    normalized: string,
    text: string,
    candidate: Candidate,
    sentence: SentenceRead,
    facts: BlockFacts,
    defanged: boolean,
    block: Block,
  ): string | undefined {
    const { start, end } = candidate;
    const column = facts.column;
    switch (type) {
      case 'domain':
        return (
          this.notAHost(text, candidate, () => wordsOf(sentence, facts, text), defanged) ??
          (column.fileColumn && !defanged ? 'file_name:column' : undefined) ??
          (column.toolSource ? 'tool_source' : undefined) ??
          placeholderReason(normalized) ??
          certificateFieldReason(text, start)
        );
      case 'url':
        return (
          (column.toolSource ? 'tool_source' : undefined) ??
          projectPageReason(normalized) ??
          elidedReason(text, end) ??
          placeholderReason(hostOf('url', normalized) ?? '') ??
          certificateFieldReason(text, start)
        );
      case 'email':
        return certificateFieldReason(text, start);
      case 'ipv4':
        if (defanged) return undefined;
        // `3.2.10.0 Use of weak hash` heads a numbered section; `14.1.4.4` sits in a version column.
        if (block.kind === 'heading' && !/[\p{L}\p{N}]/u.test(text.slice(0, start))) return 'section_number';
        return versionReason(text, start, end, defanged) ?? (column.versions || (!column.addresses && rowOfVersions(block.table)) ? 'version_number' : undefined);
      case 'md5':
      case 'sha1':
      case 'sha256':
      case 'sha512':
        return notAFileHashReason(text, start) ?? column.notAFileHash ?? rowNotAFileHash(block.table);
      default:
        return undefined;
    }
  }

  /** Why a domain-shaped string is something else: a file name, an AV detection name, a product name. */
  private notAHost(text: string, candidate: Candidate, around: () => string, defanged: boolean): string | undefined {
    return (
      fileNameReason(candidate.value, around, defanged) ??
      avNameReason(text, candidate.start, candidate.end, candidate.value) ??
      capitalizedNameReason(candidate.value, defanged) ??
      codeReason(text, candidate.end, candidate.value, defanged)
    );
  }

  /** The sentence as written; a value alone in a cell, item or line gets its heading in front. */
  private context({ block, refanged, start, end, layout }: Place): string {
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
        context: this.context({ block, refanged, start: match.start, end: match.end, layout }),
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
  const held = [...reader.held].filter(([key]) => !reader.found.has(key)).map(([, entry]) => entry);
  return {
    iocs: [...[...reader.found.values()].map((found) => found.ioc), ...ids],
    references: held.filter((entry) => entry.reference).map((entry) => entry.value).filter(isReference),
    suppressed: held.filter((entry) => !entry.reference).map((entry) => entry.value),
    techniques: ids.filter((ioc) => ioc.type === 'mitre_attack').map((ioc) => ioc.value).sort(),
    cves: ids.filter((ioc) => ioc.type === 'cve').map((ioc) => ioc.value).sort(),
    industries: findIndustries(reader.industryTexts(), options.title),
    tags: findTags(reader.tagTexts, options.title),
  };
}
