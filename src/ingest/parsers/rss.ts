// RSS 2.0, RSS 1.0 (RDF) and Atom 1.0 feeds → articles. Records: none; the article text is
// read for IOCs elsewhere. Entities are decoded exactly once by our own decoder (the parser runs
// with entity processing off): an advisory's entity-escaped HTML comes out as HTML text, CDATA
// stays literal, and `&amp;#039;` stays the HTML entity `&#039;`.
import { XMLParser } from 'fast-xml-parser';
import { FeedFormatError, type FeedArticle, type FeedParser, type ParsedFeed } from '../types.js';
import { readDate } from '../../ioc/dates.js';
import { RowError, clip, emptyFeed, isObject, openBody } from './common.js';

const FORMAT = 'RSS/Atom';

// ---------------------------------------------------------------------------------------------
// Entities and text

const XML_ENTITY = /&(?:#(\d{1,7})|#x([0-9a-fA-F]{1,6})|(lt|gt|amp|quot|apos));/g;
const NAMED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function codePointText(codePoint: number, original: string): string {
  const valid = codePoint > 0 && codePoint <= 0x10ffff && (codePoint < 0xd800 || codePoint > 0xdfff);
  return valid ? String.fromCodePoint(codePoint) : original;
}

/** The five XML entities and character references, in one pass: `&amp;lt;` → `&lt;`, never `<`. */
export function decodeXmlEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(XML_ENTITY, (match, decimal: string | undefined, hex: string | undefined, name: string | undefined) => {
    if (name !== undefined) return NAMED[name] ?? match;
    return codePointText(decimal !== undefined ? Number(decimal) : Number.parseInt(hex ?? '', 16), match);
  });
}

const CDATA_OPEN = '<![CDATA[';
const CDATA_CLOSE = ']]>';

/**
 * The raw inner XML of a content element (description, content:encoded, Atom summary/content).
 * Escaped HTML is decoded once; CDATA is literal; inner markup (Atom `xhtml`, a feed that puts
 * raw HTML in its description) is kept as written, since it is HTML already.
 */
function decodeContent(raw: string): string {
  const segments: { cdata: boolean; text: string }[] = [];
  let hasMarkup = false;
  for (let start = 0; start < raw.length; ) {
    const open = raw.indexOf(CDATA_OPEN, start);
    const plain = raw.slice(start, open === -1 ? undefined : open);
    if (plain.includes('<')) hasMarkup = true;
    segments.push({ cdata: false, text: plain });
    if (open === -1) break;
    const close = raw.indexOf(CDATA_CLOSE, open + CDATA_OPEN.length);
    segments.push({ cdata: true, text: raw.slice(open + CDATA_OPEN.length, close === -1 ? undefined : close) });
    start = close === -1 ? raw.length : close + CDATA_CLOSE.length;
  }
  return segments
    .map((segment) => (segment.cdata || hasMarkup ? segment.text : decodeXmlEntities(segment.text)))
    .join('')
    .trim();
}

type XmlNode = unknown;

function firstOf(node: XmlNode): XmlNode {
  return Array.isArray(node) ? node[0] : node;
}

function listOf(node: XmlNode): unknown[] {
  if (node === undefined || node === null || node === '') return [];
  return Array.isArray(node) ? node : [node];
}

/** An element's text: its text decoded, its CDATA literal; undefined when empty. */
function elementText(node: XmlNode): string | undefined {
  const value = firstOf(node);
  let text: string;
  if (typeof value === 'string') text = decodeXmlEntities(value);
  else if (isObject(value)) {
    const plain = typeof value['#text'] === 'string' ? decodeXmlEntities(value['#text']) : '';
    const cdata = listOf(value['#cdata']).filter((part) => typeof part === 'string').join('');
    text = plain !== '' && cdata !== '' ? `${plain} ${cdata}` : plain || cdata;
  } else return undefined;
  text = text.trim();
  return text === '' ? undefined : text;
}

/** A content element read raw (a stop node): decoded by decodeContent. */
function contentOf(node: XmlNode): string | undefined {
  const value = firstOf(node);
  const raw = typeof value === 'string' ? value : isObject(value) && typeof value['#text'] === 'string' ? value['#text'] : undefined;
  if (raw === undefined) return undefined;
  const text = decodeContent(raw);
  return text === '' ? undefined : text;
}

function attributeOf(node: XmlNode, name: string): string | undefined {
  const value = firstOf(node);
  if (!isObject(value)) return undefined;
  const raw = value[`@_${name}`];
  return typeof raw === 'string' ? decodeXmlEntities(raw).trim() : undefined;
}

// ---------------------------------------------------------------------------------------------
// Dates: RFC 822 (RSS pubDate, with US zone names) and RFC 3339 (Atom, dc:date), both read by
// the one date reader (src/ioc/dates.ts).

/** An item's date as RSS (RFC 822) or Atom (RFC 3339) writes it; undefined when unreadable. */
export function parseFeedDate(raw: string | undefined): Date | undefined {
  if (raw === undefined) return undefined;
  const read = readDate(raw);
  return read.ok ? read.date : undefined;
}

// ---------------------------------------------------------------------------------------------
// The document: root element, completeness, parser

const SUBSET_END = /\]\s*>/g;

/** The name of the first element, past the XML declaration, comments, PIs and the DOCTYPE. */
function rootElementName(text: string): string | undefined {
  let i = 0;
  for (;;) {
    const open = text.indexOf('<', i);
    if (open === -1) return undefined;
    if (open > 0 && i === 0 && text.slice(0, open).trim() !== '') return undefined; // text before any tag
    const next = text[open + 1];
    if (next === '?') {
      const end = text.indexOf('?>', open + 2);
      if (end === -1) return undefined;
      i = end + 2;
    } else if (text.startsWith('<!--', open)) {
      const end = text.indexOf('-->', open + 4);
      if (end === -1) return undefined;
      i = end + 3;
    } else if (next === '!') {
      const bracket = text.indexOf('[', open);
      const close = text.indexOf('>', open);
      if (close === -1) return undefined;
      if (bracket === -1 || bracket > close) {
        i = close + 1;
        continue;
      }
      // A DOCTYPE with an internal subset ends at `]`, optional spaces, `>`.
      SUBSET_END.lastIndex = bracket;
      const end = SUBSET_END.exec(text);
      if (end === null) return undefined;
      i = end.index + end[0].length;
    } else {
      let end = open + 1;
      while (end < text.length && !' \t\r\n/>'.includes(text[end] as string)) end++;
      return text.slice(open + 1, end);
    }
  }
}

/** True when the document ends with the root's closing tag (trailing comments allowed). */
function endsWithClosingTag(text: string, root: string): boolean {
  let tail = text.trimEnd();
  while (tail.endsWith('-->')) {
    const start = tail.lastIndexOf('<!--');
    if (start === -1) break;
    tail = tail.slice(0, start).trimEnd();
  }
  if (!tail.endsWith('>')) return false;
  const close = tail.lastIndexOf('</');
  return close !== -1 && tail.slice(close + 2, -1).trim() === root;
}

type FeedKindOfRoot = { kind: 'rss' | 'rdf' | 'atom'; prefix: string };

function kindOfRoot(root: string): FeedKindOfRoot | undefined {
  const colon = root.indexOf(':');
  const prefix = colon === -1 ? '' : root.slice(0, colon + 1);
  const local = root.slice(colon + 1);
  if (local === 'rss') return { kind: 'rss', prefix };
  if (local === 'RDF') return { kind: 'rdf', prefix };
  if (local === 'feed') return { kind: 'atom', prefix };
  return undefined;
}

function parserFor(atomPrefix: string): XMLParser {
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    processEntities: false,
    cdataPropName: '#cdata',
    ignoreDeclaration: true,
    ignorePiTags: true,
    // Content elements are taken raw, so that escaped HTML, CDATA and inner markup each come out right.
    stopNodes: ['..description', '..content:encoded', `..${atomPrefix}summary`, `..${atomPrefix}content`],
  });
}

// ---------------------------------------------------------------------------------------------
// Items

const HTTP_URL = /^https?:\/\//i;

/** An absolute http(s) URL, resolving a relative link against xml:base or the channel link. */
function absoluteUrl(link: string | undefined, base: string | undefined): string | undefined {
  if (link === undefined) return undefined;
  if (HTTP_URL.test(link)) return link;
  if (base === undefined) return undefined;
  try {
    const resolved = new URL(link, base).href;
    return HTTP_URL.test(resolved) ? resolved : undefined;
  } catch {
    return undefined;
  }
}

/** Authors' names: text elements (dc:creator), or the `name` child of Atom person elements. */
function authorsOf(node: XmlNode, nameKey?: string): string | undefined {
  const names = listOf(node)
    .map((author) => (nameKey !== undefined && isObject(author) ? elementText(author[nameKey]) : elementText(author)))
    .filter((name): name is string => name !== undefined);
  return names.length === 0 ? undefined : names.join(', ');
}

function finishArticle(fields: {
  guid: string | undefined;
  title: string | undefined;
  url: string | undefined;
  date: string | undefined;
  summary: string | undefined;
  content: string | undefined;
  author: string | undefined;
}): FeedArticle {
  if (fields.title === undefined) throw new RowError('item has no title');
  if (fields.url === undefined) throw new RowError('item has no link (or no absolute http(s) link)');
  const article: FeedArticle = { guid: fields.guid ?? fields.url, title: fields.title, url: fields.url };
  const publishedAt = parseFeedDate(fields.date);
  if (publishedAt !== undefined) article.publishedAt = publishedAt;
  if (fields.summary !== undefined) article.summary = fields.summary;
  if (fields.content !== undefined) article.content = fields.content;
  if (fields.author !== undefined) article.author = fields.author;
  return article;
}

/** An RSS 2.0 or 1.0 item. A guid that is a permalink stands in for a missing link. */
function readRssItem(item: Record<string, unknown>, base: string | undefined): FeedArticle {
  const itemBase = attributeOf(item, 'xml:base') ?? base;
  const guid = elementText(item.guid);
  const guidIsLink = guid !== undefined && attributeOf(item.guid, 'isPermaLink')?.toLowerCase() !== 'false';
  const link = elementText(item.link) ?? attributeOf(item.link, 'href') ?? attributeOf(item, 'rdf:about');
  return finishArticle({
    guid,
    title: elementText(item.title),
    url: absoluteUrl(link, itemBase) ?? (guidIsLink ? absoluteUrl(guid, itemBase) : undefined),
    date: elementText(item.pubDate) ?? elementText(item['dc:date']) ?? elementText(item.published) ?? elementText(item.updated),
    summary: contentOf(item.description),
    content: contentOf(item['content:encoded']),
    author: authorsOf(item['dc:creator']) ?? elementText(item.author),
  });
}

/** The `alternate` link of an Atom entry (a link without rel is one), else the first with href. */
function atomLink(links: XmlNode): string | undefined {
  let fallback: string | undefined;
  for (const link of listOf(links)) {
    const href = attributeOf(link, 'href');
    if (href === undefined) continue;
    const rel = attributeOf(link, 'rel') ?? 'alternate';
    if (rel === 'alternate') return href;
    fallback ??= href;
  }
  return fallback;
}

function readAtomEntry(entry: Record<string, unknown>, p: string, base: string | undefined): FeedArticle {
  const entryBase = attributeOf(entry, 'xml:base') ?? base;
  return finishArticle({
    guid: elementText(entry[`${p}id`]),
    title: elementText(entry[`${p}title`]),
    url: absoluteUrl(atomLink(entry[`${p}link`]), entryBase),
    date: elementText(entry[`${p}published`]) ?? elementText(entry[`${p}updated`]),
    summary: contentOf(entry[`${p}summary`]),
    content: contentOf(entry[`${p}content`]),
    author: authorsOf(entry[`${p}author`], `${p}name`),
  });
}

function readItems(feed: ParsedFeed, items: unknown[], read: (item: Record<string, unknown>) => FeedArticle): void {
  items.forEach((item, index) => {
    try {
      if (!isObject(item)) throw new RowError('item is not an element with fields');
      feed.articles.push(read(item));
    } catch (error) {
      if (!(error instanceof RowError)) throw error;
      const value = isObject(item) ? (elementText(item.title) ?? elementText(item.link) ?? elementText(item.guid) ?? '') : String(item);
      feed.rejected.push({ at: index, value: clip(value), reason: error.message });
    }
  });
}

export const parseRssOrAtom: FeedParser = (body) => {
  const text = openBody(body, FORMAT);
  const root = rootElementName(text);
  if (root === undefined) throw new FeedFormatError(`${FORMAT}: the body is not XML`);
  if (root.toLowerCase() === 'html') throw new FeedFormatError(`${FORMAT}: the body is an HTML page, not a feed`);
  const kind = kindOfRoot(root);
  if (kind === undefined) throw new FeedFormatError(`${FORMAT}: the root element <${root}> is not rss, rdf:RDF or feed`);
  if (!endsWithClosingTag(text, root)) throw new FeedFormatError(`${FORMAT}: the document does not end with </${root}> (truncated?)`);

  let document: Record<string, unknown>;
  try {
    document = parserFor(kind.kind === 'atom' ? kind.prefix : '').parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new FeedFormatError(`${FORMAT}: not well-formed XML: ${(error as Error).message}`);
  }
  const top = firstOf(document[root]);
  if (!isObject(top)) throw new FeedFormatError(`${FORMAT}: <${root}> is empty`);
  const feed = emptyFeed();
  const rootBase = attributeOf(top, 'xml:base');
  if (kind.kind === 'atom') {
    const base = rootBase ?? atomLink(top[`${kind.prefix}link`]);
    readItems(feed, listOf(top[`${kind.prefix}entry`]), (entry) => readAtomEntry(entry, kind.prefix, base));
    return feed;
  }
  const channel = firstOf(top.channel);
  const channelBase = isObject(channel) ? (attributeOf(channel, 'xml:base') ?? rootBase ?? elementText(channel.link)) : rootBase;
  // RSS 2.0 items are inside <channel>; RSS 1.0 items are siblings of it.
  const items = kind.kind === 'rss' ? (isObject(channel) ? channel.item : undefined) : top.item;
  readItems(feed, listOf(items), (item) => readRssItem(item, channelBase));
  return feed;
};
