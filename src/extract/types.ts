// What the article extractor returns, and the document model it works on.
import type { Confidence, Industry, IocType } from '../ioc/types.js';

/** Why a value got its confidence; one code per piece of evidence (see confidence.ts). */
export type ReasonCode = string;

export interface ExtractedIoc {
  type: IocType;
  /** Canonical value, refanged (`https://evil.com/x`, `CVE-2024-3400`). */
  value: string;
  /** The lookup key (see src/ioc normalizeIoc). */
  normalized: string;
  /** `high` or `medium`: a value with less evidence is no IOC (a reference, or held back). */
  confidence: Confidence;
  /** The sentence the value was found in, as written (defanged values stay defanged), ≤ 300 characters. */
  context: string;
  /** The evidence, e.g. `defanged`, `ioc_section`, `ioc_context`, `ioc_table`, `ioc_list`, `prose`, `near_keyword`. */
  reasons: ReasonCode[];
}

/** A value of the article that is not one of its IOCs, and why. */
export interface HeldValue {
  type: IocType;
  value: string;
  normalized: string;
  /** `own_site`, `section:reference`, `negative_keyword:<word>`, `warninglist:<why>`, `version_number`, `no_evidence`, … */
  reason: string;
  context: string;
}

/** What an article can cite: a link, a site, an address. */
export type ReferenceType = 'url' | 'domain' | 'email';
export type Reference = HeldValue & { type: ReferenceType };

export interface Extraction {
  /** The article's indicators: what becomes IOC records. */
  iocs: ExtractedIoc[];
  /** What the article cites rather than accuses: links, sites it names, contact addresses (kept with the article). */
  references: Reference[];
  /** IOC-shaped values held back: on a warning list, file names, versions, code, placeholders, fingerprints. */
  suppressed: HeldValue[];
  /** ATT&CK technique ids known to the technique table, upper case, sorted. */
  techniques: string[];
  /** CVE ids, upper case, sorted. */
  cves: string[];
  /** Industries the article says were targeted, from keyword evidence. */
  industries: Industry[];
  /** Malware families, actors and `ransomware`, lower case, sorted. */
  tags: string[];
}

export interface ExtractOptions {
  /** The input is HTML (default: sniffed from the content by isHtml, is-html.ts). */
  html?: boolean;
  /** The article's own address: the page itself and its site are never reported. */
  articleUrl?: string;
  /** The article's title: evidence for industries and tags. */
  title?: string;
}

/** How a block of text sits in the document: decides list/table evidence and headings. */
export type BlockKind = 'heading' | 'paragraph' | 'list_item' | 'table_cell' | 'code';

/** One block of a document: a heading, a paragraph, one list item or one table cell. */
export interface Block {
  kind: BlockKind;
  /** Text as written, entities decoded; lines separated by `\n`. */
  text: string;
  /** 1–6 for HTML headings; undefined when the rank is unknown (plain text, bold paragraphs). */
  level?: number;
  /** Where a table cell of HTML sits: what its table, column and row are called. */
  table?: TableContext;
}

export interface TableContext {
  caption?: string;
  /** The header of the cell's column. */
  column?: string;
  /** The first cell of the cell's row (for the cells after it). */
  row?: string;
  /** The cell is itself a header. */
  header?: boolean;
  /** The short texts of its row's cells, itself included (a type or a label beside a value). */
  labels?: readonly string[];
}
