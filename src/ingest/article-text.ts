// An article page's readable text: the main content, without navigation, ads or comments
// (Mozilla's Readability, the reader view of Firefox, on a linkedom document).
import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';

export interface ReadableArticle {
  title: string | null;
  /** The main content as HTML: tables and lists kept, which tells IOC tables from prose. */
  html: string;
}

export function readableArticle(page: string, url: string): ReadableArticle | undefined {
  // linkedom builds no document element for a bare fragment; Readability needs one.
  const { document } = parseHTML(/<html[\s>]/i.test(page) ? page : `<!doctype html><html><head></head><body>${page}</body></html>`);
  // Readability resolves relative links against the document's URL.
  const base = document.createElement('base');
  base.setAttribute('href', url);
  document.head?.appendChild(base);
  const parsed = new Readability(document as unknown as ConstructorParameters<typeof Readability>[0], { charThreshold: 200 }).parse();
  if (!parsed?.content) return undefined;
  return { title: parsed.title ?? null, html: parsed.content };
}
