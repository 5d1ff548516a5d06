// Is this article HTML or plain text? One answer for every path that reads an article (the
// ingestion pipeline's feed items and fetched pages, `socd extract FILE`), so the same bytes
// give the same IOCs whichever way they came in. Reading text as HTML hides what sits between
// `<` and `>` (`if a<b and c>d`), and reading HTML as text reports the links in its attributes.
//
// The rule:
// 1. a declared media type decides when it names HTML (`text/html`, `application/xhtml+xml`)
//    or plain text (`text/plain`, `text/markdown`): the server's Content-Type, or what the
//    file's extension or `--html`/`--text` stand for;
// 2. otherwise (no type, `application/octet-stream`, a feed item's text) the bytes are sniffed:
//    HTML when, after blanks, they open with `<!doctype html`, `<?xml`, `<!--` or a tag of a
//    common element (as the WHATWG MIME sniffing standard does), or when the first 64 KB hold
//    at least two tags of common elements (`Read <a href="…">more</a>`). Plain text rarely
//    writes two: its `<` are comparisons, `<admin@evil.com>` or placeholders like `<port>`.

const HTML_TYPES: ReadonlySet<string> = new Set(['text/html', 'application/xhtml+xml']);
const TEXT_TYPES: ReadonlySet<string> = new Set(['text/plain', 'text/markdown']);
const SNIFF_HEAD = 1024;
const SNIFF_SAMPLE = 65_536;
const TAG_COUNT = 2;

const ELEMENTS =
  'html|head|body|title|meta|link|script|style|iframe|div|p|br|hr|span|a|b|em|strong|font|img|pre|code|blockquote|' +
  'ul|ol|li|dl|dt|dd|table|thead|tbody|tr|td|th|h[1-6]|section|article|main|header|footer|nav|figure|figcaption';
/** Markup at the very start: a doctype, an XML declaration (XHTML), a comment or a common element's tag. */
const LEADING_MARKUP = new RegExp(`^(?:<!doctype\\s+html|<\\?xml|<!--|</?(?:${ELEMENTS})[\\s/>])`, 'i');
/** A start or end tag of a common element; attributes bounded, and never across another `<`. */
const ELEMENT_TAG = new RegExp(`</?(?:${ELEMENTS})(?:[\\s/][^<>]{0,1000})?>`, 'gi');

/** The media type's essence (`text/html; charset=utf-8` → `text/html`), lower case; undefined when empty. */
function essenceOf(mediaType: string | null | undefined): string | undefined {
  const essence = mediaType?.split(';', 1)[0]?.trim().toLowerCase();
  return essence === '' ? undefined : essence;
}

/** Sniffing alone (rule 2): whether the bytes look like HTML. */
export function looksLikeHtml(text: string): boolean {
  if (LEADING_MARKUP.test(text.slice(0, SNIFF_HEAD).replace(/^[\s\uFEFF]+/, ''))) return true;
  const sample = text.slice(0, SNIFF_SAMPLE);
  ELEMENT_TAG.lastIndex = 0;
  let tags = 0;
  while (ELEMENT_TAG.test(sample)) if (++tags >= TAG_COUNT) return true;
  return false;
}

/** Whether an article is HTML: its declared media type when it names HTML or plain text, else its bytes. */
export function isHtml(body: string, mediaType?: string | null): boolean {
  const essence = essenceOf(mediaType);
  if (essence !== undefined && HTML_TYPES.has(essence)) return true;
  if (essence !== undefined && TEXT_TYPES.has(essence)) return false;
  return looksLikeHtml(body);
}
