// The extractor against the evaluation set (test/fixtures/extraction/: public documents with a
// ground truth reviewed by hand, provenance in its README), scored as `npm run eval:extract`
// scores it (policy at the top of bench/extraction-corpus.ts). The floors are the issue's
// targets, counting every value the extractor emits.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS_DIR, evaluate, GROUPS, loadCorpus, metrics, totals } from '../../../bench/extraction-corpus.js';

const TARGETS: Readonly<Record<(typeof GROUPS)[number]['name'], { precision: number; f1: number }>> = {
  advisories: { precision: 0.97, f1: 0.97 },
  'news and research': { precision: 0.9, f1: 0.9 },
};

const documents = loadCorpus();
const results = evaluate(documents);

describe('the evaluation set', () => {
  it('holds at least 20 documents from at least six publishers, advisories, research and news', () => {
    expect(documents.length).toBeGreaterThanOrEqual(20);
    expect(new Set(documents.map((d) => d.truth.kind))).toEqual(new Set(['advisory', 'research', 'news']));
    const publishers = new Set(documents.map((d) => d.truth.id.split('-')[0]));
    expect(publishers.size).toBeGreaterThanOrEqual(6);
    expect(documents.every((d) => d.truth.redistributable)).toBe(true);
  });

  it('every truth value is written in its document as the truth says', () => {
    for (const { truth, text } of documents) {
      const iocs = (JSON.parse(fs.readFileSync(path.join(CORPUS_DIR, `${truth.id}.truth.json`), 'utf8')) as { iocs: { as_written: string }[] }).iocs;
      const missing = iocs.filter((ioc) => !text.includes(ioc.as_written)).map((ioc) => ioc.as_written);
      expect(missing, truth.id).toEqual([]);
    }
  });
});

describe.each(GROUPS)('$name', (group) => {
  const members = results.filter((r) => group.kinds.includes(r.document.truth.kind));
  const target = TARGETS[group.name];

  it(`precision ≥ ${target.precision} and F1 ≥ ${target.f1}, counting every emitted value`, () => {
    const sum = totals(members);
    const m = metrics(sum.all);
    const errors = members.flatMap((r) => [...r.all.falsePositives.map((k) => `FP ${r.document.truth.id} ${k}`), ...r.all.falseNegatives.map((k) => `FN ${r.document.truth.id} ${k}`)]);
    expect(m.p, errors.join('\n')).toBeGreaterThanOrEqual(target.precision);
    expect(m.f1, errors.join('\n')).toBeGreaterThanOrEqual(target.f1);
  });

  it('recall is not below ioc-extractor’s by more than 0.05 on the same texts', () => {
    const sum = totals(members);
    expect(metrics(sum.all).r).toBeGreaterThanOrEqual((metrics(sum.theirs).r ?? 0) - 0.05);
  });
});
