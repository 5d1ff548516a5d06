// npx tsx bench/extract.ts (or npm run bench -- --only extract)
// Article extraction: quality on the evaluation set (precision, recall, F1 per group, every
// emitted value counted; `npm run eval:extract` prints it per document), speed (MB/s on the
// same texts) and worst cases (pathological inputs), for our extractor (src/extract) beside the
// npm library ioc-extractor (refang on). The summary table gives each figure beside its floor
// from the same run: ioc-extractor's F1 and MB/s, and the 100 ms budget of one article.
// Scoring policy: the top of bench/extraction-corpus.ts.
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
// The extractor as the service runs it: the build (npm run bench builds first), not the sources
// through the TypeScript loader, whose helpers cost time of their own.
const BUILT_EXTRACTOR = '../dist/extract/index.js';
const { extractIocs } = (await import(BUILT_EXTRACTOR)) as { extractIocs: typeof extractFromSources };
import type { extractIocs as extractFromSources } from '../src/extract/index.js';
import { pathologicalInputs } from './extract-inputs.js';
import { evaluate, GROUPS, loadCorpus, metrics, runIocExtractor, totals, type EvalDocument } from './extraction-corpus.js';
import { printTable, type Row } from './measure.js';

interface Extractor {
  name: string;
  run: (document: EvalDocument) => unknown;
}

const OURS = 'ours';
const THEIRS = 'ioc-extractor (refang)';
/** Both read the same input: the document as stored (HTML or text). */
const EXTRACTORS: readonly Extractor[] = [
  { name: OURS, run: (d) => extractIocs(d.text, { html: d.html }) },
  { name: THEIRS, run: (d) => runIocExtractor(d.text) },
];

const median = (samples: number[]): number => [...samples].sort((a, b) => a - b)[samples.length >> 1] as number;

/**
 * MB/s of each extractor on the same texts. The extractors take turns, document by document,
 * round after round (a busy machine slows them alike), and each document's time is its median.
 */
function throughputTable(documents: readonly EvalDocument[], rounds = 15): Map<string, number> {
  const extractors = EXTRACTORS;
  const samples = extractors.map(() => documents.map((): number[] => []));
  for (let round = -3; round < rounds; round++) {
    for (const [d, document] of documents.entries()) {
      for (const [e, extractor] of extractors.entries()) {
        const start = performance.now();
        extractor.run(document);
        if (round >= 0) samples[e]![d]!.push(performance.now() - start);
      }
    }
  }
  console.log(`\n## Throughput (MB/s of input, same texts; median of ${rounds} turns, the extractors alternating)\n`);
  const total = documents.reduce((sum, d) => sum + Buffer.byteLength(d.text), 0);
  console.log(`${documents.length} documents, ${(total / 1024).toFixed(0)} KB in all\n`);
  console.log('| extractor | MB/s | ms for all |');
  console.log('| --- | ---: | ---: |');
  const overall = new Map<string, number>();
  for (const [e, extractor] of extractors.entries()) {
    const ms = documents.reduce((sum, _document, d) => sum + median(samples[e]![d]!), 0);
    const mbPerSecond = total / 1e6 / (ms / 1000);
    overall.set(extractor.name, mbPerSecond);
    console.log(`| ${extractor.name} | **${mbPerSecond.toFixed(2)}** | ${ms.toFixed(1)} |`);
  }
  return overall;
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
  const documents = loadCorpus();
  const load = os.loadavg()[0]!.toFixed(1);
  console.log(`\n# Article extraction benchmark (node ${process.version}; load average ${load} on ${os.availableParallelism()} cores)`);
  const results = evaluate(documents);
  const speed = throughputTable(documents);
  const worst = worstCaseTable();
  const quality: Row[] = GROUPS.map((group) => {
    const sum = totals(results.filter((r) => group.kinds.includes(r.document.truth.kind)));
    return { figure: `F1, ${group.name} (every emitted value)`, value: metrics(sum.all).f1 ?? NaN, floorName: THEIRS, floor: metrics(sum.theirs).f1 ?? NaN, unit: '', target: 1, atLeast: true };
  });
  printTable(`Extraction: the evaluation set, ${documents.length} documents (npm run eval:extract for each)`, [
    ...quality,
    { figure: 'throughput, same texts', value: speed.get(OURS)!, floorName: THEIRS, floor: speed.get(THEIRS)!, unit: 'MB/s', target: 1.4, atLeast: true },
    { figure: `worst case: ${worst.name}`, value: worst.ms, floorName: 'budget of one article', floor: 100, unit: 'ms', target: 1 },
  ]);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await benchExtraction();
}
