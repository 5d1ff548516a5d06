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
