import { describe, expect, it } from 'vitest';
import { decodeXmlEntities, parseFeedDate, parseRssOrAtom } from '../../../../src/ingest/parsers/rss.js';
import { FeedFormatError } from '../../../../src/ingest/types.js';
import { readFeed } from './fixtures.js';

const CISA = readFeed('cisa-cybersecurity-advisories-2025-07-24-subset.xml');
const ATOM = readFeed('haskell-security-advisories-atom-2025-07-13-first2.xml');
const ADVISORY_URL = 'https://www.cisa.gov/news-events/cybersecurity-advisories/';

/** The CISA feed with its <item> elements replaced by `items`. */
function withItems(items: string[]): string {
  const start = CISA.indexOf('<item>');
  const end = CISA.lastIndexOf('</item>') + '</item>'.length;
  return CISA.slice(0, start) + items.join('\n') + CISA.slice(end);
}

function cisaItems(): string[] {
  return CISA.split('<item>')
    .slice(1)
    .map((part) => `<item>${part.slice(0, part.indexOf('</item>'))}</item>`);
}

describe('parseRssOrAtom on the CISA advisories RSS 2.0 feed', () => {
  const feed = parseRssOrAtom(CISA);

  it('reads its 5 items as articles, and no records', () => {
    expect(feed.records).toEqual([]);
    expect(feed.rejected).toEqual([]);
    expect(feed.articles.map((article) => [article.title, article.url, article.publishedAt?.toISOString()])).toEqual([
      [
        'Ransomware Actors Exploit Unpatched SimpleHelp Remote Monitoring and Management to Compromise Utility Billing Software Provider',
        `${ADVISORY_URL}aa25-163a`,
        '2025-06-12T14:29:54.000Z',
      ],
      ['Russian GRU Targeting Western Logistics Entities and Technology Companies', `${ADVISORY_URL}aa25-141a`, '2025-05-12T16:49:12.000Z'],
      ['Fast Flux: A National Security Threat', `${ADVISORY_URL}aa25-093a`, '2025-04-01T19:00:21.000Z'],
      [
        'Enhancing Cyber Resilience: Insights from CISA Red Team Assessment of a US Critical Infrastructure Sector Organization',
        `${ADVISORY_URL}aa24-326a`,
        '2024-08-02T17:17:08.000Z',
      ],
      // EST, not EDT: November.
      ['2023 Top Routinely Exploited Vulnerabilities', `${ADVISORY_URL}aa24-317a`, '2024-11-08T21:04:23.000Z'],
    ]);
  });

  it('keeps the guid as written, dc:creator as the author', () => {
    expect(feed.articles.map((article) => article.guid)).toEqual(['/node/23510', '/node/23341', '/node/23206', '/node/21915', '/node/22533']);
    expect(feed.articles.every((article) => article.author === 'CISA' && article.content === undefined)).toBe(true);
  });

  it('decodes the entity-escaped description exactly once, into HTML text', () => {
    const summary = feed.articles[0]?.summary ?? '';
    expect(summary.startsWith('<h2><strong>Summary</strong></h2>\n<p>The Cybersecurity and Infrastructure Security Agency (CISA)')).toBe(true);
    expect(summary).not.toContain('&lt;h2&gt;');
    // Text the advisory itself escapes (`&amp;lt;file_path&amp;gt;` in the feed) stays escaped in the HTML.
    expect(summary).toContain('<code>&lt;file_path&gt;/SimpleHelp/configuration');
    expect(summary).toContain('<sup>&nbsp;</sup>'); // `&amp;nbsp;` in the feed
    // A character reference of the XML (`d&#039;information`) is decoded with the rest.
    expect(feed.articles[1]?.summary).toContain('des systèmes d\'information');
  });

  it('reads a feed with a single item (not an array)', () => {
    const single = parseRssOrAtom(withItems([cisaItems()[2] as string]));
    expect(single.rejected).toEqual([]);
    expect(single.articles).toEqual([feed.articles[2]]);
  });

  it('reads a CDATA description literally', () => {
    const summary = feed.articles[2]?.summary as string;
    const item = (cisaItems()[2] as string).replace(/<description>[\s\S]*<\/description>/, `<description><![CDATA[${summary}]]></description>`);
    expect(parseRssOrAtom(withItems([item])).articles[0]?.summary).toBe(summary);
  });

  it('rejects an item without a link or without a title, by index, keeping the others', () => {
    const items = cisaItems();
    items[1] = (items[1] as string).replace(/<link>[^<]*<\/link>/, '');
    items[3] = (items[3] as string).replace(/<title>[^<]*<\/title>/, '');
    const result = parseRssOrAtom(withItems(items));
    expect(result.articles.map((article) => article.guid)).toEqual(['/node/23510', '/node/23206', '/node/22533']);
    expect(result.rejected).toEqual([
      { at: 1, value: 'Russian GRU Targeting Western Logistics Entities and Technology Companies', reason: 'item has no link (or no absolute http(s) link)' },
      { at: 3, value: `${ADVISORY_URL}aa24-326a`, reason: 'item has no title' },
    ]);
  });

  it('resolves a relative link against xml:base, and takes a permalink guid for a missing link', () => {
    const items = cisaItems();
    items[0] = (items[0] as string).replace(`<link>${ADVISORY_URL}aa25-163a</link>`, '<link>news-events/cybersecurity-advisories/aa25-163a</link>');
    items[1] = (items[1] as string)
      .replace(/<link>[^<]*<\/link>/, '')
      .replace('<guid isPermaLink="false">/node/23341</guid>', `<guid>${ADVISORY_URL}aa25-141a</guid>`);
    const result = parseRssOrAtom(withItems(items.slice(0, 2)));
    expect(result.rejected).toEqual([]);
    expect(result.articles.map((article) => [article.guid, article.url])).toEqual([
      ['/node/23510', `${ADVISORY_URL}aa25-163a`],
      [`${ADVISORY_URL}aa25-141a`, `${ADVISORY_URL}aa25-141a`],
    ]);
  });

  it('keeps an item whose date cannot be read, without publishedAt', () => {
    const items = cisaItems();
    items[0] = (items[0] as string).replace('Thu, 12 Jun 2025 10:29:54 EDT', 'sometime in June');
    const article = parseRssOrAtom(withItems(items.slice(0, 1))).articles[0];
    expect(article?.title).toMatch(/^Ransomware Actors/);
    expect(article?.publishedAt).toBeUndefined();
  });
});

describe('parseRssOrAtom and DOCTYPE declarations', () => {
  it('reads past an internal subset and never expands its entities', () => {
    const doctype = '<!DOCTYPE rss [\n  <!ENTITY lol "lol">\n  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n] >\n';
    const items = cisaItems();
    items[0] = (items[0] as string).replace('<dc:creator>CISA</dc:creator>', '<dc:creator>CISA &lol2;</dc:creator>');
    const body = withItems(items.slice(0, 1)).replace('<rss ', `${doctype}<rss `);
    const article = parseRssOrAtom(body).articles[0];
    expect(article?.title).toMatch(/^Ransomware Actors/);
    expect(article?.author).toBe('CISA &lol2;');
  });
});

describe('parseRssOrAtom on an Atom feed (Haskell advisories, atom:-prefixed elements)', () => {
  const feed = parseRssOrAtom(ATOM);

  it('reads its 2 entries', () => {
    expect(feed.rejected).toEqual([]);
    expect(feed.records).toEqual([]);
    expect(feed.articles.map(({ content: _content, ...article }) => article)).toEqual([
      {
        guid: 'HSEC-2023-0006',
        title: 'HSEC-2023-0006 - x509-validation does not enforce pathLenConstraint',
        url: 'https://haskell.github.io/security-advisories/advisory/HSEC-2023-0006.html',
        publishedAt: new Date('2023-07-19T13:59:54Z'),
        author: 'Haskell Security Response Team',
      },
      {
        guid: 'HSEC-2023-0005',
        title: 'HSEC-2023-0005 - tls-extra: certificate validation does not check Basic Constraints',
        url: 'https://haskell.github.io/security-advisories/advisory/HSEC-2023-0005.html',
        publishedAt: new Date('2023-07-19T13:29:39Z'),
        author: 'Haskell Security Response Team',
      },
    ]);
  });

  it('decodes the html content once', () => {
    const content = feed.articles[1]?.content ?? '';
    expect(content.startsWith('<pre><code class="language-toml">[advisory]\nid = &quot;HSEC-2023-0005&quot;')).toBe(true);
    expect(content).toContain('aliases = [&quot;CVE-2013-0243&quot;]');
    expect(content.endsWith('This allows MITM attacks on TLS connections.</p>')).toBe(true);
  });

  it('reads the same feed without a namespace prefix, and xhtml content as markup', () => {
    const plain = ATOM.replaceAll('<atom:', '<').replaceAll('</atom:', '</').replace(' xmlns:atom="http://www.w3.org/2005/Atom"', '');
    expect(parseRssOrAtom(plain)).toEqual(feed);
    const xhtml = plain.replace(
      /<content type="html">[\s\S]*?<\/content>/,
      '<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>x509-validation &amp; pathLenConstraint</p></div></content>',
    );
    expect(parseRssOrAtom(xhtml).articles[0]?.content).toBe(
      '<div xmlns="http://www.w3.org/1999/xhtml"><p>x509-validation &amp; pathLenConstraint</p></div>',
    );
  });
});

describe('parseRssOrAtom on bodies that are not a whole feed', () => {
  it.each([
    ['a truncated document', CISA.slice(0, 200_000)],
    ['a document cut after the last item', CISA.slice(0, CISA.lastIndexOf('</channel>'))],
    ['a truncated Atom feed', ATOM.slice(0, -20)],
    ['an HTML error page', '<!DOCTYPE html>\n<html lang="en"><head><title>Access Denied</title></head><body><h1>Access Denied</h1><br></body></html>'],
    ['a JSON body', '{"items":[]}'],
    ['another XML document', '<?xml version="1.0"?><error><code>503</code></error>'],
    ['an empty body', '\n'],
  ])('throws FeedFormatError for %s', (_name, body) => {
    expect(() => parseRssOrAtom(body)).toThrow(FeedFormatError);
  });
});

describe('parseFeedDate', () => {
  it.each([
    ['Thu, 12 Jun 2025 10:29:54 EDT', '2025-06-12T14:29:54.000Z'],
    ['Fri, 08 Nov 2024 16:04:23 EST', '2024-11-08T21:04:23.000Z'],
    ['Tue, 01 Apr 2025 15:00:21 GMT', '2025-04-01T15:00:21.000Z'],
    ['Tue, 01 Apr 2025 15:00:21 +0200', '2025-04-01T13:00:21.000Z'],
    ['1 Apr 25 15:00 PST', '2025-04-01T23:00:00.000Z'],
    ['Tuesday, 01 April 2025 15:00:21 UT', '2025-04-01T15:00:21.000Z'],
    ['2023-07-19T13:59:54Z', '2023-07-19T13:59:54.000Z'],
    ['2023-07-19T13:59:54.5-04:00', '2023-07-19T17:59:54.500Z'],
    ['2025-08-25', '2025-08-25T00:00:00.000Z'],
  ])('%s → %s', (text, iso) => {
    expect(parseFeedDate(text)?.toISOString()).toBe(iso);
  });

  it.each(['Thu, 31 Jun 2025 10:29:54 EDT', 'yesterday', '', '2025-13-01'])('%s → undefined', (text) => {
    expect(parseFeedDate(text)).toBeUndefined();
  });
});

describe('decodeXmlEntities', () => {
  it('decodes the XML entities and character references once', () => {
    expect(decodeXmlEntities('&lt;p&gt;a &amp;amp; b &#39;c&#x27; &quot;d&apos; &nbsp;&#0;')).toBe('<p>a &amp; b \'c\' "d\' &nbsp;&#0;');
  });
});
