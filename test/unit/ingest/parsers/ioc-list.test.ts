// An imported list's article ids and dates (issue 10): a foreign article id is kept as a stable
// UUID of ours, and dates are read as the feeds read them (no zone means UTC; no guessing).
import { describe, expect, it } from 'vitest';
import { parseIocList } from '../../../../src/ingest/parsers/ioc-list.js';
import { foreignArticleId } from '../../../../src/ioc/ids.js';

const HEADER = 'id,type,value,confidence,first_seen,last_seen,source_article,source_feed,category,tags\n';

describe('parseIocList', () => {
  it("keeps a row whose article id is another service's, as a stable UUID of ours; a UUID as it is", () => {
    const uuid = '6F1C1A52-3C1E-4B7E-9D55-0D0F5C1E2A10';
    const list = parseIocList(
      HEADER +
        'x,domain,one.example-bad.net,high,,,abc123,Krebs on Security,news,\n' +
        `x,domain,two.example-bad.net,high,,,${uuid},Krebs on Security,news,\n`,
    );
    expect(list.rejected).toEqual([]);
    expect(list.rows.map((row) => row.article?.id)).toEqual([foreignArticleId('abc123'), uuid.toLowerCase()]);
    const json = parseIocList(JSON.stringify([{ value: 'one.example-bad.net', type: 'domain', source: { article_id: 'abc123', article_title: 'T', article_url: 'https://a.example/1' } }]));
    expect(json.rows[0]!.article).toEqual({ id: foreignArticleId('abc123'), title: 'T', url: 'https://a.example/1' });
  });

  it("takes an article's URL from reference_url when article_url is a service's page for it (decision 11), and from article_url in older exports", () => {
    const id = '0b6f3a8e-2f4c-4c1e-9a57-3f1d2e4c5b6a';
    const read = (source: Record<string, unknown>) => {
      const list = parseIocList(JSON.stringify([{ value: 'one.example-bad.net', type: 'domain', source: { article_id: id, ...source } }]));
      expect(list.rejected).toEqual([]);
      return { article: list.rows[0]!.article, referenceUrl: list.rows[0]!.referenceUrl };
    };
    // Our export since decision 11: the article's page here (under a PUBLIC_URL with a path, in any case), the publisher's URL beside it.
    for (const page of [`https://intel.example/item/${id}`, `https://intel.example/socd/item/${id.toUpperCase()}`]) {
      expect(read({ article_title: 'T', article_url: page, reference_url: 'https://vendor.example/blog/1' })).toEqual({
        article: { id, title: 'T', url: 'https://vendor.example/blog/1' },
        referenceUrl: undefined,
      });
    }
    // An article known by id alone has no title and no URL: reference_url is then the record's own page.
    expect(read({ article_title: null, article_url: `https://intel.example/item/${id}`, reference_url: 'https://urlhaus.abuse.ch/url/1/' })).toEqual({
      article: { id, title: undefined, url: undefined },
      referenceUrl: 'https://urlhaus.abuse.ch/url/1/',
    });
    // Older exports: article_url was the publisher's URL, reference_url the record's own page.
    expect(read({ article_title: 'T', article_url: 'https://vendor.example/blog/1', reference_url: 'https://urlhaus.abuse.ch/url/1/' })).toEqual({
      article: { id, title: 'T', url: 'https://vendor.example/blog/1' },
      referenceUrl: 'https://urlhaus.abuse.ch/url/1/',
    });
    // A page that names another article is no page of this one's: the publisher's URL, as before.
    expect(read({ article_title: 'T', article_url: 'https://blog.example/item/0b6f3a8e-0000-4c1e-9a57-3f1d2e4c5b6a' }).article).toEqual({
      id,
      title: 'T',
      url: 'https://blog.example/item/0b6f3a8e-0000-4c1e-9a57-3f1d2e4c5b6a',
    });
    // The reference pages' own export (`…/item/abc123`, no reference_url): the one link to the article there is.
    const foreign = parseIocList(JSON.stringify([{ value: 'one.example-bad.net', type: 'domain', source: { article_id: 'abc123', article_title: 'T', article_url: 'https://socdefenders.ai/item/abc123' } }]));
    expect(foreign.rows[0]!.article).toEqual({ id: foreignArticleId('abc123'), title: 'T', url: 'https://socdefenders.ai/item/abc123' });
  });

  it('reads a date with no zone as UTC, and rejects one that is not a date with its reason', () => {
    const list = parseIocList(
      HEADER +
        'x,domain,one.example-bad.net,high,2026-01-01 10:00,2026-01-01T12:00:00+02:00,,,,\n' +
        'x,domain,two.example-bad.net,high,1,,,,,\n' +
        'x,domain,three.example-bad.net,high,2026-02-30,,,,,\n',
    );
    expect(list.rows.map((row) => [row.firstSeen?.toISOString(), row.lastSeen?.toISOString()])).toEqual([
      ['2026-01-01T10:00:00.000Z', '2026-01-01T10:00:00.000Z'],
    ]);
    expect(list.rejected).toEqual([
      { at: 3, value: 'two.example-bad.net', reason: expect.stringMatching(/^first_seen "1" is not a date: /) },
      { at: 4, value: 'three.example-bad.net', reason: expect.stringMatching(/^first_seen "2026-02-30" is not a date: /) },
    ]);
  });
});
