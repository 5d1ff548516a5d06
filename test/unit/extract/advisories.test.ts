// Whole advisories against the hand-made ground truth (test/fixtures/advisories/*.expected.json,
// copies of ../shared/fixtures/cisa-advisories). Scoring is the evaluation set's (policy at the
// top of bench/extraction-corpus.ts): every emitted value of a scored type counts.
// The floors sit slightly below what the extractor achieves (precision 1.0, recall 1.0 on
// both advisories, text and HTML, at the time of writing), so that a regression fails.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { oursEmitted, score, scoreKey } from '../../../bench/extraction-corpus.js';
import { extractIocs } from '../../../src/extract/index.js';
import type { IocType } from '../../../src/ioc/types.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/advisories');

interface Document {
  advisory: string;
  format: 'txt' | 'html';
  text: string;
  expected: Set<string>;
  url: string;
}

/** Each advisory as text and as HTML, with its expected IOCs. */
function loadDocuments(): Document[] {
  return ['aa25-141a', 'aa25-163a'].flatMap((advisory) => {
    const truth = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${advisory}.expected.json`), 'utf8')) as {
      advisory_url: string;
      expected_iocs: { type: IocType; value: string }[];
    };
    const expected = new Set(truth.expected_iocs.map((ioc) => scoreKey(ioc.type, ioc.value)).filter((key) => key !== undefined));
    return (['txt', 'html'] as const).map((format) => ({
      advisory,
      format,
      text: fs.readFileSync(path.join(FIXTURES, `${advisory}.${format}`), 'utf8'),
      expected,
      url: truth.advisory_url,
    }));
  });
}

const oursReported = (document: Document): string[] => oursEmitted(extractIocs(document.text, { html: document.format === 'html' }).iocs);
const PRECISION_FLOOR = 0.95;
const RECALL_FLOOR = 0.97;
const documents = loadDocuments();

describe('CISA advisories with ground truth', () => {
  it.each(documents.map((document) => [`${document.advisory}.${document.format}`, document] as const))('%s', (_name, document) => {
    const s = score(oursReported(document), document.expected);
    if (document.expected.size > 0) {
      expect(s.tp / (s.tp + s.fn), `missed: ${s.falseNegatives.join(', ')}`).toBeGreaterThanOrEqual(RECALL_FLOOR);
      expect(s.tp / (s.tp + s.fp), `false positives: ${s.falsePositives.join(', ')}`).toBeGreaterThanOrEqual(PRECISION_FLOOR);
    } else {
      // aa25-163a has no IOC list: at most one stray value may be put forward.
      expect(s.fp, `false positives: ${s.falsePositives.join(', ')}`).toBeLessThanOrEqual(1);
    }
  });

  it('overall, micro-averaged', () => {
    const total = { tp: 0, fp: 0, fn: 0 };
    for (const document of documents) {
      const s = score(oursReported(document), document.expected);
      total.tp += s.tp;
      total.fp += s.fp;
      total.fn += s.fn;
    }
    expect(total.tp / (total.tp + total.fp)).toBeGreaterThanOrEqual(PRECISION_FLOOR);
    expect(total.tp / (total.tp + total.fn)).toBeGreaterThanOrEqual(RECALL_FLOOR);
  });

  it('AA25-141A: the listed IOCs are high confidence, in text and in HTML alike', () => {
    for (const document of documents.filter((d) => d.advisory === 'aa25-141a')) {
      const extraction = extractIocs(document.text, { html: document.format === 'html', articleUrl: document.url });
      const high = extraction.iocs.filter((ioc) => ioc.confidence === 'high' && document.expected.has(`${ioc.type}\u0000${ioc.normalized}`));
      expect(high.length).toBeGreaterThanOrEqual(Math.floor(document.expected.size * RECALL_FLOOR));
      expect(extraction.cves).toEqual(['CVE-2020-12641', 'CVE-2020-35730', 'CVE-2021-44026', 'CVE-2023-23397', 'CVE-2023-38831']);
      expect(extraction.techniques.length).toBeGreaterThan(40);
      expect(extraction.tags).toContain('apt28');
      expect(extraction.industries).toEqual(expect.arrayContaining(['transportation', 'technology']));
    }
  });

  it('text and HTML renderings of one advisory give the same IOCs', () => {
    for (const advisory of ['aa25-141a', 'aa25-163a']) {
      const [txt, html] = ['txt', 'html'].map((format) => {
        const document = documents.find((d) => d.advisory === advisory && d.format === format);
        return extractIocs(document?.text ?? '', { html: format === 'html' }).iocs.map((ioc) => `${ioc.type} ${ioc.normalized} ${ioc.confidence}`).sort();
      });
      expect(html).toEqual(txt);
    }
  });
});

describe('CISA advisories without IOC lists', () => {
  // AA25-093A (fast flux), AA24-326A (red team assessment), AA24-317A (top exploited CVEs):
  // the <description> HTML of the CISA feed's other items (provenance in test/fixtures/README.md).
  // They have no IOC table or list, so nothing of an IOC type should be put forward.
  it.each(['aa25-093a', 'aa24-326a', 'aa24-317a'])('%s', (advisory) => {
    const html = fs.readFileSync(path.join(FIXTURES, `${advisory}.html`), 'utf8');
    const extraction = extractIocs(html, { html: true, articleUrl: `https://www.cisa.gov/news-events/cybersecurity-advisories/${advisory}` });
    const forward = extraction.iocs.filter((ioc) => ioc.type !== 'cve' && ioc.type !== 'mitre_attack');
    expect(forward.map((ioc) => ioc.value)).toEqual([]);
  });
});
