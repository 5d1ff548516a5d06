// Decision 11's mechanism: records written as JSON text by the database carry
// `"article_url":"/item/<id>"`, and one replace on the whole body puts the links' base before it.
// It must touch that member and nothing else, whatever the strings around it hold.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { articlePageUrl, withArticleBase } from '../../../src/api/links.js';

const ID = '0b6f3a8e-2f4c-4c1e-9a57-3f1d2e4c5b6a';
const record = (context: string, articleUrl: string | null) => ({
  id: ID,
  source: { article_id: articleUrl && ID, article_url: articleUrl, reference_url: 'https://vendor.example/"q"' },
  context,
});

describe('withArticleBase', () => {
  it('makes each record\'s article_url absolute, under a base with a path and characters JSON escapes', () => {
    const body = JSON.stringify({ data: [record('x', `/item/${ID}`), record('y', null)], related: [record('z', `/item/${ID}`)] });
    for (const base of ['http://127.0.0.1:8080', 'https://intel.example/socd', 'https://intel.example/a"b\\c']) {
      const out = JSON.parse(withArticleBase(body, base));
      expect(out.data[0].source.article_url).toBe(articlePageUrl(base, ID));
      expect(out.data[1].source.article_url).toBeNull();
      expect(out.related[0].source.article_url).toBe(`${base}/item/${ID}`);
    }
  });

  it('leaves every string value alone, the member\'s own text and quotes included', () => {
    const hostile = [
      '"article_url":"/item/',
      'he wrote {"article_url":"/item/x"} and \\"article_url\\":\\"/item/\\"',
      '\\',
      '"',
      '","article_url":"/item/' + ID,
    ];
    for (const context of hostile) {
      const body = JSON.stringify([record(context, `/item/${ID}`)]);
      const [out] = JSON.parse(withArticleBase(body, 'https://intel.example'));
      expect(out.context).toBe(context);
      expect(out.source.reference_url).toBe('https://vendor.example/"q"');
      expect(out.source.article_url).toBe(`https://intel.example/item/${ID}`);
    }
  });

  it('changes nothing else in any JSON document (property)', () => {
    // Any JSON whose keys are never article_url: the text comes back unchanged, strings holding the sequence or not.
    const text = fc.oneof(fc.string(), fc.constantFrom('"article_url":"/item/', 'a"article_url":"/item/b', '\\"article_url\\":\\"/item/'));
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.constant(null), fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(text.filter((k) => k !== 'article_url'), tie('value'), { maxKeys: 4 })),
    })).value;
    fc.assert(
      fc.property(json, (value) => {
        const body = JSON.stringify(value);
        expect(withArticleBase(body, 'https://intel.example')).toBe(body);
      }),
    );
  });
});
