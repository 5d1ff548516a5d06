// What an article cites rather than accuses, told by where a value is written: a link's target,
// the victim of a campaign, the brand a phishing domain imitates. Such values are references of
// the article (kept with it), never IOC records.

/** `a campaign targeting crates.io users`: the victim is named right after the verb, written plainly. */
const VICTIM_BEFORE = /\b(?:target(?:s|ed|ing)|against|breach(?:ed|ing)? of|customers of|users of)\s+(?:the\s+)?$/i;
/** What is imitated is named right after the verb, however it is written (authors defang the brand too). */
const IMITATED_BEFORE = /\b(?:impersonat(?:e|es|ed|ing)|spoof(?:s|ed|ing)?|mimic(?:s|ked|king)?|imitat(?:e|es|ed|ing)|masquerad(?:e|es|ed|ing) as|pos(?:e|es|ed|ing) as)\s+(?:the\s+)?(?:legitimate\s+)?$/i;

/** `<img src="…">` or `<a href="…">` left in a text: the URL is the page's markup. */
const MARKUP_ATTRIBUTE_BEFORE = /\b(?:href|src)=["']?$/i;

/** `[text](url)`, `<url>` or a markup attribute: the URL is a link's target. */
function isMarkdownLink(text: string, start: number, end: number): boolean {
  return (
    text.slice(start - 2, start) === '](' ||
    (text[start - 1] === '<' && text[end] === '>') ||
    MARKUP_ATTRIBUTE_BEFORE.test(text.slice(Math.max(0, start - 6), start))
  );
}

/** The words the patterns above end with: a value after any other word is not tested. */
const LAST_WORDS: ReadonlySet<string> = new Set(['the', 'legitimate', 'of', 'as', 'against']);
const LAST_WORD_STEMS = /^(?:target|impersonat|spoof|mimic|imitat)/;

const isLetter = (code: number): boolean => (code >= 65 && code <= 90) || (code >= 97 && code <= 122);

/** Why a value is cited rather than accused (`link`, `victim`), or undefined. Looks 40 characters back at most. */
export function citedReason(text: string, start: number, end: number, isUrl: boolean, defanged: boolean): 'link' | 'victim' | undefined {
  if (isUrl && !defanged && isMarkdownLink(text, start, end)) return 'link';
  // The word before the value (spaces skipped), read without a copy unless it is one of those words.
  let wordEnd = start;
  while (wordEnd > 0 && text.charCodeAt(wordEnd - 1) === 32) wordEnd--;
  let wordStart = wordEnd;
  while (wordStart > 0 && wordEnd - wordStart < 16 && isLetter(text.charCodeAt(wordStart - 1))) wordStart--;
  if (wordEnd - wordStart < 2) return undefined;
  const last = text.slice(wordStart, wordEnd).toLowerCase();
  if (!LAST_WORDS.has(last) && !LAST_WORD_STEMS.test(last)) return undefined;
  const before = text.slice(Math.max(0, start - 40), start);
  if (IMITATED_BEFORE.test(before) || (!defanged && VICTIM_BEFORE.test(before))) return 'victim';
  return undefined;
}
