// The extraction evaluation set (test/fixtures/extraction/, its README gives each document's
// provenance) and how an extractor is scored on it. Used by `npm run eval:extract`
// (bench/eval-extract.ts), the extraction bench and test/unit/extract/evaluation.test.ts.
//
// Scoring policy
// - Scored types: ipv4, ipv6, domain, url, md5, sha1, sha256, sha512, email. CVE and ATT&CK ids
//   are not scored (no truth counts them), nor ioc-extractor's other kinds (asns, btcs, …).
// - Values are compared as (type, normalized value), both sides through src/ioc normalizeIoc
//   (refanged, lower-cased), duplicates collapsed per document.
// - Emitted = every IOC record the extractor puts out, whatever its confidence (what
//   `socd extract` prints); "non-low" counts the medium and high ones only. For ioc-extractor,
//   everything it returns, run on the document's visible text (HTML rendered by our block reader,
//   so that neither side reads attributes).
// - TP: emitted and in the truth's `iocs`; FP: emitted and not in it (including an e-mail's
//   domain emitted as a domain of its own); FN: in `iocs` and not emitted.
// - P = TP/(TP+FP), R = TP/(TP+FN), F1 their harmonic mean; undefined where nothing was emitted
//   or nothing expected (a document without IOCs is judged by its false positives).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractIOC, type IOC } from 'ioc-extractor';
import { blocksToText, extractIocs, htmlToBlocks, type ExtractedIoc, type Extraction } from '../src/extract/index.js';
import { normalizeIoc } from '../src/ioc/normalize.js';
import type { IocType } from '../src/ioc/types.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CORPUS_DIR = path.join(REPO, 'test', 'fixtures', 'extraction');
/** Truths of documents the repository may not hold; their texts come from `--extra DIR`. */
export const EXTRA_TRUTH_DIR = path.join(CORPUS_DIR, 'extra');

export const SCORED_TYPES: ReadonlySet<IocType> = new Set(['ipv4', 'ipv6', 'domain', 'url', 'md5', 'sha1', 'sha256', 'sha512', 'email']);
const IOC_EXTRACTOR_KEYS: readonly [keyof IOC, IocType][] = [
  ['ipv4s', 'ipv4'],
  ['ipv6s', 'ipv6'],
  ['domains', 'domain'],
  ['urls', 'url'],
  ['emails', 'email'],
  ['md5s', 'md5'],
  ['sha1s', 'sha1'],
  ['sha256s', 'sha256'],
  ['sha512s', 'sha512'],
];

export type DocumentKind = 'advisory' | 'research' | 'news';

/** A truth file (`<id>.truth.json`), as the fixtures' README describes it. */
export interface Truth {
  id: string;
  title: string;
  url: string;
  publisher: string;
  kind: DocumentKind;
  redistributable: boolean;
  file: string;
  /** `tuning`: read while the rules were written; `holdout`, `holdout-2`: added after, scored blind. */
  set: string;
  iocs: { type: IocType; value: string }[];
}

export interface EvalDocument {
  truth: Truth;
  text: string;
  html: boolean;
  /** `type\0normalized` of every truth IOC. */
  expected: Set<string>;
}

export interface Counts {
  tp: number;
  fp: number;
  fn: number;
}

export interface Score extends Counts {
  falsePositives: string[];
  falseNegatives: string[];
}

/** `type\0normalized`, or undefined when the value does not normalize as that type. */
export function scoreKey(type: IocType, value: string): string | undefined {
  const parsed = normalizeIoc(type, value);
  return parsed.ok ? `${type}\u0000${parsed.ioc.normalized}` : undefined;
}

function readTruths(dir: string): Truth[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.truth.json'))
    .sort()
    .map((name) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as Truth);
}

function toDocument(truth: Truth, textDir: string): EvalDocument {
  const expected = new Set<string>();
  for (const ioc of truth.iocs) {
    const key = scoreKey(ioc.type, ioc.value);
    if (key === undefined) throw new Error(`${truth.id}: truth value ${ioc.type} "${ioc.value}" does not normalize`);
    expected.add(key);
  }
  const text = fs.readFileSync(path.join(textDir, truth.file), 'utf8');
  return { truth, text, html: truth.file.endsWith('.html'), expected };
}

/**
 * The documents of the repository, and with `extraDir` those whose texts live outside it (their
 * truths are in test/fixtures/extraction/extra/; a text missing from `extraDir` is an error).
 */
export function loadCorpus(extraDir?: string): EvalDocument[] {
  const documents = readTruths(CORPUS_DIR).map((truth) => toDocument(truth, CORPUS_DIR));
  if (extraDir !== undefined) documents.push(...readTruths(EXTRA_TRUTH_DIR).map((truth) => toDocument(truth, extraDir)));
  return documents;
}

export function score(emitted: Iterable<string>, expected: ReadonlySet<string>): Score {
  const seen = new Set(emitted);
  const falsePositives = [...seen].filter((key) => !expected.has(key));
  const falseNegatives = [...expected].filter((key) => !seen.has(key));
  return { tp: seen.size - falsePositives.length, fp: falsePositives.length, fn: falseNegatives.length, falsePositives, falseNegatives };
}

export function extractDocument(document: EvalDocument): Extraction {
  return extractIocs(document.text, { html: document.html, articleUrl: document.truth.url, title: document.truth.title });
}

/** Our emitted values of scored types (`nonLow`: medium and high only). */
export function oursEmitted(iocs: readonly ExtractedIoc[], nonLow = false): string[] {
  return iocs
    .filter((ioc) => SCORED_TYPES.has(ioc.type) && (!nonLow || ioc.confidence !== 'low'))
    .map((ioc) => `${ioc.type}\u0000${ioc.normalized}`);
}

/** The visible text of a document: HTML through our block reader, text as it is. */
export function visibleText(text: string, html: boolean): string {
  return html ? blocksToText(htmlToBlocks(text)) : text;
}

export function runIocExtractor(text: string): IOC {
  return extractIOC(text, { refang: true });
}

export function iocExtractorEmitted(text: string): string[] {
  const result = runIocExtractor(text);
  const keys: string[] = [];
  for (const [key, type] of IOC_EXTRACTOR_KEYS) {
    for (const value of result[key] as string[]) {
      // A value our normalizer refuses still counts against ioc-extractor, under its raw form.
      keys.push(scoreKey(type, value) ?? `${type}\u0000${value.toLowerCase()}`);
    }
  }
  return keys;
}

export function add(total: Counts, s: Counts): void {
  total.tp += s.tp;
  total.fp += s.fp;
  total.fn += s.fn;
}

function ratio(numerator: number, denominator: number): number | undefined {
  return denominator === 0 ? undefined : numerator / denominator;
}

export function metrics(s: Counts): { p: number | undefined; r: number | undefined; f1: number | undefined } {
  const p = ratio(s.tp, s.tp + s.fp);
  const r = ratio(s.tp, s.tp + s.fn);
  const f1 = p === undefined || r === undefined ? undefined : p + r === 0 ? 0 : (2 * p * r) / (p + r);
  return { p, r, f1 };
}

/** The two groups the targets are set for. */
export const GROUPS = [
  { name: 'advisories', kinds: ['advisory'] as readonly DocumentKind[] },
  { name: 'news and research', kinds: ['news', 'research'] as readonly DocumentKind[] },
] as const;

export interface DocumentResult {
  document: EvalDocument;
  all: Score;
  nonLow: Score;
  theirs: Score;
}

export function evaluate(documents: readonly EvalDocument[]): DocumentResult[] {
  return documents.map((document) => {
    const { iocs } = extractDocument(document);
    return {
      document,
      all: score(oursEmitted(iocs), document.expected),
      nonLow: score(oursEmitted(iocs, true), document.expected),
      theirs: score(iocExtractorEmitted(visibleText(document.text, document.html)), document.expected),
    };
  });
}

export interface GroupTotals {
  all: Counts;
  nonLow: Counts;
  theirs: Counts;
  documents: number;
}

export function totals(results: readonly DocumentResult[]): GroupTotals {
  const sum: GroupTotals = { all: { tp: 0, fp: 0, fn: 0 }, nonLow: { tp: 0, fp: 0, fn: 0 }, theirs: { tp: 0, fp: 0, fn: 0 }, documents: results.length };
  for (const result of results) {
    add(sum.all, result.all);
    add(sum.nonLow, result.nonLow);
    add(sum.theirs, result.theirs);
  }
  return sum;
}
