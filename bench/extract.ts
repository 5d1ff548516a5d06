// npx tsx bench/extract.ts (or npm run bench -- --only extract)
// Article extraction: quality (precision, recall, F1 against the hand-made ground truth of the
// two CISA advisories), speed (MB/s on the same texts) and worst cases (pathological inputs),
// for our extractor (src/extract) beside the npm library ioc-extractor (refang on). The summary
// table gives each figure beside its floor from the same run: ioc-extractor's P, R, F1 and MB/s,
// and the 100 ms budget of one article.
//
// Scoring policy
// - Scored types: ipv4, ipv6, domain, url, md5, sha1, sha256, sha512, email (the ground truth's
//   types; tlsh is produced by neither extractor). CVE and ATT&CK ids are not scored: the ground
//   truth does not count them (`<id>.expected.json` notes), and ioc-extractor's other kinds
//   (asns, btcs, macAddresses, …) are ignored likewise.
// - Values are compared as (type, normalized value), both sides through src/ioc normalizeIoc
//   (refanged, lower-cased), duplicates collapsed per document.
// - Reported = what an extractor puts forward as an IOC. For ioc-extractor that is everything it
//   returns. For ours it is every value of confidence medium or high ("ours"); low-confidence
//   values are kept with their reasons for audit (benign, reserved, citations, contacts) and are
//   also scored separately ("ours, all confidences") so that nothing is hidden.
// - TP: reported and in expected_iocs. FP: reported and not in expected_iocs, including the
//   `listed_but_not_iocs` entries (webmail providers, agency contacts, file names, citations) and
//   an e-mail's domain reported as a domain of its own. FN: in expected_iocs and not reported.
// - P = TP/(TP+FP), R = TP/(TP+FN), F1 their harmonic mean; "—" where undefined (nothing
//   reported, or nothing expected: aa25-163a has no IOC). Overall = micro-average over the four
//   documents (two advisories, text and HTML).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { extractIOC, type IOC } from 'ioc-extractor';
import { blocksToText, extractIocs, htmlToBlocks } from '../src/extract/index.js';
import { normalizeIoc } from '../src/ioc/normalize.js';
import type { IocType } from '../src/ioc/types.js';
import { printTable, type Row } from './measure.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURE_DIRS = [path.resolve(REPO, '..', 'shared', 'fixtures', 'cisa-advisories'), path.join(REPO, 'test', 'fixtures', 'advisories')];
export const ADVISORIES = ['aa25-141a', 'aa25-163a'] as const;
const SCORED_TYPES: ReadonlySet<IocType> = new Set(['ipv4', 'ipv6', 'domain', 'url', 'md5', 'sha1', 'sha256', 'sha512', 'email']);
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

export interface Document {
  advisory: string;
  format: 'txt' | 'html';
  text: string;
  expected: Set<string>;
  url: string;
}

export interface Score {
  tp: number;
  fp: number;
  fn: number;
  falsePositives: string[];
  falseNegatives: string[];
}

function fixtureDir(): string {
  const found = FIXTURE_DIRS.find((dir) => fs.existsSync(path.join(dir, 'aa25-163a.expected.json')));
  if (found === undefined) throw new Error(`advisory fixtures not found in ${FIXTURE_DIRS.join(' or ')}`);
  return found;
}

/** `type\0normalized`, or undefined when the value does not normalize as that type. */
export function scoreKey(type: IocType, value: string): string | undefined {
  const parsed = normalizeIoc(type, value);
  return parsed.ok ? `${type}\u0000${parsed.ioc.normalized}` : undefined;
}

/** The four documents: each advisory as text and as HTML, with its expected IOCs. */
export function loadDocuments(dir = fixtureDir()): Document[] {
  const documents: Document[] = [];
  for (const advisory of ADVISORIES) {
    const truth = JSON.parse(fs.readFileSync(path.join(dir, `${advisory}.expected.json`), 'utf8')) as {
      advisory_url: string;
      expected_iocs: { type: IocType; value: string }[];
    };
    const expected = new Set<string>();
    for (const ioc of truth.expected_iocs) {
      const key = scoreKey(ioc.type, ioc.value);
      if (key !== undefined) expected.add(key);
    }
    for (const format of ['txt', 'html'] as const) {
      const text = fs.readFileSync(path.join(dir, `${advisory}.${format}`), 'utf8');
      documents.push({ advisory, format, text, expected, url: truth.advisory_url });
    }
  }
  return documents;
}

export function score(reported: Iterable<string>, expected: ReadonlySet<string>): Score {
  const seen = new Set(reported);
  const falsePositives = [...seen].filter((key) => !expected.has(key));
  const falseNegatives = [...expected].filter((key) => !seen.has(key));
  return { tp: seen.size - falsePositives.length, fp: falsePositives.length, fn: falseNegatives.length, falsePositives, falseNegatives };
}

/** Our reported values: scored types, confidence at least medium (or any, with `all`). */
export function oursReported(document: Document, all = false): string[] {
  const extraction = extractIocs(document.text, { html: document.format === 'html' });
  return extraction.iocs
    .filter((ioc) => SCORED_TYPES.has(ioc.type) && (all || ioc.confidence !== 'low'))
    .map((ioc) => `${ioc.type}\u0000${ioc.normalized}`);
}

function runIocExtractor(text: string): IOC {
  return extractIOC(text, { refang: true });
}

export function iocExtractorReported(text: string): string[] {
  const result = runIocExtractor(text);
  const keys: string[] = [];
  for (const [key, type] of IOC_EXTRACTOR_KEYS) {
    for (const value of result[key] as string[]) {
      const scored = scoreKey(type, value);
      // A value our normalizer refuses still counts against ioc-extractor, under its raw form.
      keys.push(scored ?? `${type}\u0000${value.toLowerCase()}`);
    }
  }
  return keys;
}

function ratio(numerator: number, denominator: number): number | undefined {
  return denominator === 0 ? undefined : numerator / denominator;
}

function metrics(s: Pick<Score, 'tp' | 'fp' | 'fn'>): { p?: number; r?: number; f1?: number } {
  const p = ratio(s.tp, s.tp + s.fp);
  const r = ratio(s.tp, s.tp + s.fn);
  const f1 = p === undefined || r === undefined ? undefined : p + r === 0 ? 0 : (2 * p * r) / (p + r);
  return { p, r, f1 };
}

const fmt = (value: number | undefined): string => (value === undefined ? '—' : value.toFixed(3));

interface Extractor {
  name: string;
  reported: (document: Document) => string[];
  run: (text: string, format: Document['format']) => unknown;
}

const OURS = 'ours (medium+)';
const THEIRS = 'ioc-extractor (refang)';
const EXTRACTORS: readonly Extractor[] = [
  { name: OURS, reported: (d) => oursReported(d), run: (text, format) => extractIocs(text, { html: format === 'html' }) },
  { name: 'ours (all confidences)', reported: (d) => oursReported(d, true), run: (text, format) => extractIocs(text, { html: format === 'html' }) },
  { name: THEIRS, reported: (d) => iocExtractorReported(d.text), run: (text) => runIocExtractor(text) },
  {
    name: 'ioc-extractor on our HTML→text',
    reported: (d) => iocExtractorReported(d.format === 'html' ? blocksToText(htmlToBlocks(d.text)) : d.text),
    run: (text, format) => runIocExtractor(format === 'html' ? blocksToText(htmlToBlocks(text)) : text),
  },
];

type Totals = Pick<Score, 'tp' | 'fp' | 'fn'>;

function qualityTable(documents: readonly Document[]): Map<string, Totals> {
  const totals = new Map<string, Totals>();
  console.log('\n## Extraction quality (scored against expected_iocs; policy at the top of bench/extract.ts)\n');
  const header = documents.map((d) => `${d.advisory}.${d.format} P / R / F1 (TP·FP·FN)`);
  console.log(`| extractor | ${header.join(' | ')} | overall P / R / F1 |`);
  console.log(`| --- | ${documents.map(() => '---').join(' | ')} | --- |`);
  for (const extractor of EXTRACTORS) {
    const total = { tp: 0, fp: 0, fn: 0 };
    const cells = documents.map((document) => {
      const s = score(extractor.reported(document), document.expected);
      total.tp += s.tp;
      total.fp += s.fp;
      total.fn += s.fn;
      const m = metrics(s);
      return `${fmt(m.p)} / ${fmt(m.r)} / ${fmt(m.f1)} (${s.tp}·${s.fp}·${s.fn})`;
    });
    const m = metrics(total);
    totals.set(extractor.name, total);
    console.log(`| ${extractor.name} | ${cells.join(' | ')} | **${fmt(m.p)} / ${fmt(m.r)} / ${fmt(m.f1)}** (${total.tp}·${total.fp}·${total.fn}) |`);
  }
  return totals;
}

const median = (samples: number[]): number => [...samples].sort((a, b) => a - b)[samples.length >> 1] as number;

/**
 * MB/s of each extractor on the same texts. The extractors take turns, document by document,
 * round after round (a busy machine slows them alike), and each document's time is its median.
 */
function throughputTable(documents: readonly Document[], rounds = 25): Map<string, number> {
  const extractors = EXTRACTORS.filter((e) => e.name !== 'ours (all confidences)');
  const samples = extractors.map(() => documents.map((): number[] => []));
  for (let round = -3; round < rounds; round++) {
    for (const [d, document] of documents.entries()) {
      for (const [e, extractor] of extractors.entries()) {
        const start = performance.now();
        extractor.run(document.text, document.format);
        if (round >= 0) samples[e]![d]!.push(performance.now() - start);
      }
    }
  }
  console.log(`\n## Throughput (MB/s of input, same texts; median of ${rounds} turns, the extractors alternating)\n`);
  console.log(`| extractor | ${documents.map((d) => `${d.advisory}.${d.format} (${(Buffer.byteLength(d.text) / 1024).toFixed(0)} KB)`).join(' | ')} | overall |`);
  console.log(`| --- | ${documents.map(() => '---:').join(' | ')} | ---: |`);
  const overall = new Map<string, number>();
  for (const [e, extractor] of extractors.entries()) {
    let bytes = 0;
    let ms = 0;
    const cells = documents.map((document, d) => {
      const perRun = median(samples[e]![d]!);
      const size = Buffer.byteLength(document.text);
      bytes += size;
      ms += perRun;
      return `${(size / 1e6 / (perRun / 1000)).toFixed(2)} (${perRun.toFixed(1)} ms)`;
    });
    const mbPerSecond = bytes / 1e6 / (ms / 1000);
    overall.set(extractor.name, mbPerSecond);
    console.log(`| ${extractor.name} | ${cells.join(' | ')} | **${mbPerSecond.toFixed(2)}** |`);
  }
  return overall;
}

/**
 * Inputs that break naive extractors: long runs that make regexes backtrack, deep markup (the
 * inputs of test/unit/extract/performance.test.ts, which checks what comes out of them).
 */
export function pathologicalInputs(): { name: string; text: string; html: boolean }[] {
  return [
    { name: '20 KB of dots', text: '.'.repeat(20_000), html: false },
    { name: '1 MB without spaces', text: 'a'.repeat(1_000_000), html: false },
    { name: '1 MB without spaces of host characters', text: 'ab.cd-ef_0123:45@x/y'.repeat(50_000), html: false },
    { name: '1 MB of [.]', text: '[.]'.repeat(333_334), html: false },
    { name: '400 KB of nested [[[[.]]]]', text: `${'['.repeat(200_000)}.${']'.repeat(200_000)}`, html: false },
    { name: '1 MB of a@', text: 'a@'.repeat(500_000), html: false },
    { name: '1 MB of colons', text: ':'.repeat(1_000_000), html: false },
    { name: '1 MB of a:', text: 'a:'.repeat(500_000), html: false },
    { name: '1 MB of http://', text: 'http://'.repeat(140_000), html: false },
    { name: '1 MB of hxxp[:]//', text: 'hxxp[:]//'.repeat(100_000), html: false },
    { name: '1 MB of 1.', text: '1.'.repeat(500_000), html: false },
    { name: '1 MB of " |" lines', text: ' |\n'.repeat(300_000), html: false },
    { name: '100k nested <div>', text: `${'<div>'.repeat(100_000)}evil[.]com${'</div>'.repeat(100_000)}`, html: true },
    { name: '100k unclosed <div> then stray </span>', text: `${'<div>'.repeat(100_000)}${'</span>'.repeat(100_000)}`, html: true },
    { name: '50k nested <ul><li>', text: '<ul><li>'.repeat(50_000), html: true },
  ];
}

/** Each input's time (best of 5 after a warm-up: a busy machine only ever adds to it); the slowest. */
function worstCaseTable(): { name: string; ms: number } {
  const runs = 5;
  console.log(`\n## Worst cases (ms per article, ours: best of ${runs} after a warm-up, wall clock and this process's CPU time; ioc-extractor is not run on them: it takes seconds on some)\n`);
  console.log('| input | size | ours | CPU |');
  console.log('| --- | ---: | ---: | ---: |');
  const cpu = () => {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  };
  let worst = { name: '', ms: 0 };
  for (const { name, text, html } of pathologicalInputs()) {
    extractIocs(text, { html });
    let wall = Infinity;
    let used = Infinity;
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      const startCpu = cpu();
      extractIocs(text, { html });
      wall = Math.min(wall, performance.now() - start);
      used = Math.min(used, cpu() - startCpu);
    }
    if (wall > worst.ms) worst = { name, ms: wall };
    console.log(`| ${name} | ${(text.length / 1024).toFixed(0)} KB | ${wall.toFixed(1)} ms | ${used.toFixed(1)} ms |`);
  }
  return worst;
}

export async function benchExtraction(): Promise<void> {
  const documents = loadDocuments();
  const load = os.loadavg()[0]!.toFixed(1);
  console.log(`\n# Article extraction benchmark (node ${process.version}; load average ${load} on ${os.availableParallelism()} cores)`);
  const quality = qualityTable(documents);
  const speed = throughputTable(documents);
  const worst = worstCaseTable();
  const ours = metrics(quality.get(OURS)!);
  const theirs = metrics(quality.get(THEIRS)!);
  const versus = (figure: string, value: number | undefined, floor: number | undefined): Row => ({
    figure: `${figure} (ours, medium+)`, value: value ?? NaN, floorName: 'ioc-extractor (refang)', floor: floor ?? NaN, unit: '', target: 1, atLeast: true,
  });
  printTable(`Extraction: ${documents.length} documents (${documents.map((d) => `${d.advisory}.${d.format}`).join(', ')})`, [
    versus('precision', ours.p, theirs.p),
    versus('recall', ours.r, theirs.r),
    versus('F1', ours.f1, theirs.f1),
    { figure: 'throughput, same texts', value: speed.get(OURS)!, floorName: 'ioc-extractor (refang)', floor: speed.get(THEIRS)!, unit: 'MB/s', target: 0.8, atLeast: true },
    { figure: `worst case: ${worst.name}`, value: worst.ms, floorName: 'budget of one article', floor: 100, unit: 'ms', target: 1 },
  ]);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await benchExtraction();
}
