// npm run eval:extract [-- --extra DIR] [--set tuning|holdout|…] [--only ID,…] [--errors]
// Extraction quality on the evaluation set (test/fixtures/extraction/): precision, recall and F1
// per document (for a document without IOCs, its false positives) and per group, for every
// value we emit and for the non-low ones, beside ioc-extractor on the same texts. Scoring policy
// at the top of bench/extraction-corpus.ts. `--extra DIR` adds the documents whose texts the
// repository may not hold (truths in test/fixtures/extraction/extra/, texts in DIR, obtained by
// `npm run eval:fetch -- DIR`); `--errors` lists each false positive and false negative.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { evaluate, GROUPS, loadCorpus, metrics, totals, type Counts, type DocumentResult, type Score } from './extraction-corpus.js';

const { values: args } = parseArgs({
  options: {
    extra: { type: 'string' },
    set: { type: 'string' },
    only: { type: 'string' },
    errors: { type: 'boolean', default: false },
  },
});

const fmt = (value: number | undefined): string => (value === undefined ? '—' : value.toFixed(3));
const counts = (s: Counts): string => `${s.tp}·${s.fp}·${s.fn}`;
const prf = (s: Counts): string => {
  const m = metrics(s);
  return `${fmt(m.p)} / ${fmt(m.r)} / ${fmt(m.f1)}`;
};
/** A document without IOCs has no recall: what matters is what it made up. */
const cell = (s: Counts, expected: number): string => (expected === 0 ? `${s.fp} FP` : `${prf(s)} (${counts(s)})`);

const only = args.only === undefined ? undefined : new Set(args.only.split(','));
const documents = loadCorpus(args.extra === undefined ? undefined : path.resolve(args.extra)).filter(
  (document) => (args.set === undefined || document.truth.set === args.set) && (only === undefined || only.has(document.truth.id)),
);
const results = evaluate(documents);

console.log(`\n## Extraction on the evaluation set: ${documents.length} documents (P / R / F1, then TP·FP·FN)\n`);
console.log('| document | kind | set | IOCs | socd, all emitted | socd, non-low | ioc-extractor |');
console.log('| --- | --- | --- | ---: | --- | --- | --- |');
for (const { document, all, nonLow, theirs } of results) {
  const expected = document.expected.size;
  const name = document.truth.redistributable ? document.truth.id : `${document.truth.id} (extra)`;
  console.log(`| ${name} | ${document.truth.kind} | ${document.truth.set} | ${expected} | ${cell(all, expected)} | ${cell(nonLow, expected)} | ${cell(theirs, expected)} |`);
}

console.log('\n## Totals, micro-averaged (P / R / F1, then TP·FP·FN)\n');
console.log('| texts | documents | socd, all emitted | socd, non-low | ioc-extractor F1 |');
console.log('| --- | ---: | --- | --- | ---: |');
// Every set the truths name: `tuning` first, then each held-out batch.
const named = [...new Set(documents.map((d) => d.truth.set))].sort((a, b) => (a === 'tuning' ? -1 : b === 'tuning' ? 1 : a.localeCompare(b)));
const sets = [undefined, ...named];
for (const group of GROUPS) {
  for (const set of sets) {
    const members = results.filter((r) => group.kinds.includes(r.document.truth.kind) && (set === undefined || r.document.truth.set === set));
    if (members.length === 0) continue;
    const sum = totals(members);
    const label = set === undefined ? `**${group.name}**` : `${group.name}, ${set} only`;
    console.log(`| ${label} | ${sum.documents} | ${prf(sum.all)} (${counts(sum.all)}) | ${prf(sum.nonLow)} (${counts(sum.nonLow)}) | ${fmt(metrics(sum.theirs).f1)} |`);
  }
}

if (args.errors) {
  const show = (key: string): string => key.replace('\u0000', ' ');
  const list = (label: string, keys: string[]): void => {
    if (keys.length > 0) console.log(`  ${label}: ${keys.map(show).join(', ')}`);
  };
  console.log('\n## Errors (socd, all emitted)\n');
  for (const { document, all } of results as DocumentResult[]) {
    const s: Score = all;
    if (s.fp + s.fn === 0) continue;
    console.log(`- ${document.truth.id}`);
    list('false positives', s.falsePositives);
    list('missed', s.falseNegatives);
  }
}
