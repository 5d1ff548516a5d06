// An article's summary as its feed gives it is HTML written by the publisher: it is never put in
// the page as markup, nor parsed by the browser (a parsed <img onerror> already trips the CSP).
// Its text is read here, tags dropped (and what script and style elements hold), entities
// decoded, block elements making paragraphs; the pages render those paragraphs as text.
const BLOCK = /^(p|div|br|li|ul|ol|dl|dt|dd|tr|table|pre|blockquote|section|article|header|footer|h[1-6]|hr|figure|figcaption)$/i;
/** Elements whose content is no text to read. */
const HIDDEN = /^(script|style|template|noscript|iframe|object|svg|math|textarea|title|head)$/i;
const TOKEN = /<!--[\s\S]*?(?:-->|$)|<(\/?)([a-zA-Z][\w:-]*)(?:[^>"']|"[^"]*"|'[^']*')*>|[^<]+|</g;

const NAMED: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', ndash: '–', mdash: '—', lsquo: '‘', rsquo: '’', ldquo: '“',
  rdquo: '”', hellip: '…', bull: '•', middot: '·', copy: '©', reg: '®', trade: '™', laquo: '«', raquo: '»', shy: '', zwj: '', zwnj: '',
};

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z][a-z0-9]*);/gi, (entity, name: string) => {
    if (name[0] !== '#') return NAMED[name] ?? entity;
    const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : entity;
  });
}

export function summaryParagraphs(html: string | null | undefined): string[] {
  if (!html) return [];
  const paragraphs: string[] = [];
  let current = '';
  const flush = () => {
    const text = current.replace(/\s+/g, ' ').trim();
    if (text) paragraphs.push(text);
    current = '';
  };
  TOKEN.lastIndex = 0;
  for (let match = TOKEN.exec(html); match; match = TOKEN.exec(html)) {
    const [token, closing, tag] = match;
    if (token.startsWith('<!--')) continue;
    if (tag === undefined) {
      current += decode(token);
      continue;
    }
    if (BLOCK.test(tag)) flush();
    if (!closing && HIDDEN.test(tag)) {
      // Skip to the element's end tag (or the end of the text when it has none).
      const end = html.toLowerCase().indexOf(`</${tag.toLowerCase()}`, TOKEN.lastIndex);
      TOKEN.lastIndex = end === -1 ? html.length : end;
    }
  }
  flush();
  return paragraphs;
}

/** The summary's start, at most `max` characters, for a list. */
export function summaryExcerpt(html: string | null | undefined, max = 240): string {
  const text = summaryParagraphs(html).join(' ');
  return text.length <= max ? text : `${text.slice(0, max).replace(/\s+\S*$/, '')}…`;
}
