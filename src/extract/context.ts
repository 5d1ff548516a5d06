// The sentence around a value, and what its words, its table and the line that leads to it say
// about the value.
import { classifyHeading } from './sections.js';
import type { TableContext } from './types.js';

export const MAX_CONTEXT_LENGTH = 300;
/** How far a sentence boundary is looked for on each side; also what bounds the cost per value. */
const SCAN_LIMIT = 200;

/** A line of prose ends without closing punctuation; the next line carries it on in lower case. */
const WRAPPED_LINE_LAST = /[\p{L}\p{N},`'")]/u;
const WRAPPED_LINE_START = /[\p{Ll}(`'"]/u;
/** Prose has words: at least this many spaces in the line's last 120 characters (a list of values has none). */
const WRAPPED_LINE_SPACES = 4;

/** Hard-wrapped prose (plain-text articles) keeps its sentences across lines; a list of values does not. */
function isWrap(text: string, index: number): boolean {
  const next = text[index + 1];
  const last = text[index - 1];
  if (next === undefined || last === undefined || !WRAPPED_LINE_START.test(next) || !WRAPPED_LINE_LAST.test(last)) return false;
  let spaces = 0;
  for (let i = index - 1; i >= 0 && i >= index - 120 && text.charCodeAt(i) !== 10; i--) {
    if (text.charCodeAt(i) === 32 && ++spaces >= WRAPPED_LINE_SPACES) return true;
  }
  return false;
}

function isBoundary(text: string, index: number): boolean {
  const character = text[index];
  if (character === '\n') return !isWrap(text, index);
  if (character !== '.' && character !== '!' && character !== '?') return false;
  const next = text[index + 1];
  return next === undefined || next === ' ' || next === '\n';
}

/** [start, end) of the sentence of `text` that holds [valueStart, valueEnd). */
export function sentenceSpan(text: string, valueStart: number, valueEnd: number): [number, number] {
  let start = valueStart;
  const lowest = Math.max(0, valueStart - SCAN_LIMIT);
  while (start > lowest && !isBoundary(text, start - 1)) start--;
  let end = valueEnd;
  const highest = Math.min(text.length, valueEnd + SCAN_LIMIT);
  while (end < highest && !isBoundary(text, end)) end++;
  if (end < text.length && text[end] !== '\n') end++; // keep the full stop
  return [start, end];
}

/** The sentence, whitespace collapsed, cut to MAX_CONTEXT_LENGTH around the value when longer. */
export function contextSentence(text: string, valueStart: number, valueEnd: number): string {
  const [start, end] = sentenceSpan(text, valueStart, valueEnd);
  let from = start;
  let to = end;
  if (to - from > MAX_CONTEXT_LENGTH) {
    const room = Math.max(0, MAX_CONTEXT_LENGTH - (valueEnd - valueStart));
    from = Math.max(start, valueStart - Math.floor(room / 2));
    to = Math.min(end, from + MAX_CONTEXT_LENGTH);
    from = Math.max(start, to - MAX_CONTEXT_LENGTH);
  }
  return clip(text.slice(from, to).replace(/\s+/g, ' ').trim());
}

export function clip(text: string): string {
  return text.length <= MAX_CONTEXT_LENGTH ? text : `${text.slice(0, MAX_CONTEXT_LENGTH - 1)}…`;
}

/** Words near a value that say it is an indicator. */
const POSITIVE =
  /\b(?:c2|c&c|command[- ]and[- ]control|callbacks?|beacon(?:s|ed|ing)?|exfiltrat\w*|malicious|malware|payloads?|droppers?|loaders?|downloaders?|backdoors?|implants?|phishing|lures?|attackers?|attacks?|actors?|pos(?:e|es|ed|ing) as|impersonat\w*|spoof\w*|masquerad\w*|actor-controlled|attacker-controlled|iocs?|indicators?|sha-?256|sha-?1|md5|hash(?:es)?|ransomware|botnets?|stagers?|contacted|connects? to|connected to|resolv(?:es|ed) to|hosted (?:on|at)|downloaded from|wget|tftp|associated with (?:this|the|these) (?:activity|campaign|intrusions?|incidents?|actors?|group|malware|ransomware|operations?)|communicat\w* with|sinkhol\w*)\b/i;

/** Words that say it is not: an example, a benign thing, an address to write to, a page to read. */
const NEGATIVE =
  /\be\.g\.|\b(?:for example|for instance|an example|benign|legitimate|contact(?:ing)?|reach out|report (?:it |them |incidents? |activity )?to|reporting system|visit|read (?:it|more|the|our)|published by|learn more|for more information|more information (?:is|can be)|available (?:at|from)|see (?:the )?(?:advisory|guide|blog|page|website|article|report)|press (?:desk|inquiries)|media (?:inquiries|relations))\b/i;

export interface Signals {
  positive?: string;
  negative?: string;
}

/** `domains that imitate legitimate services`: the word "legitimate" here accuses, it does not acquit. */
const IMITATION = /\b(?:imitat\w*|mimic\w*|masquerad\w*|impersonat\w*|spoof\w*|pos(?:e|es|ed|ing) as|disguis\w*|typosquat\w*|look-?alike|lookalike|resembl\w*|appear(?:s|ed|ing)? to be|made to look like|fake)\b[^.;]{0,60}?\blegitimate\b/i;

const LEGITIMATE = /legitimate/i;

/** The first positive and the first negative keyword of a sentence. */
export function keywordSignals(sentence: string): Signals {
  const imitation = LEGITIMATE.test(sentence) ? IMITATION.exec(sentence) : null;
  const read = imitation === null ? sentence : sentence.replace(imitation[0], ' ');
  const positive = imitation === null ? POSITIVE.exec(sentence)?.[0]?.toLowerCase() : 'imitates legitimate';
  const negative = NEGATIVE.exec(read)?.[0]?.toLowerCase();
  const signals: Signals = {};
  if (positive !== undefined) signals.positive = positive;
  if (negative !== undefined) signals.negative = negative;
  return signals;
}

/** Words of a caption or column that say a table lists indicators. */
const IOC_COLUMN = /\b(?:indicators?|iocs?|malicious|c2|c&c|command[- ]and[- ]control)\b/i;

/** What a table's caption and column say of its cells: indicators, benign values, or nothing. */
export function tableClass(table: TableContext | undefined): 'ioc' | 'benign' | undefined {
  if (table === undefined) return undefined;
  const caption = table.caption === undefined ? undefined : classifyHeading(table.caption);
  if (caption === 'benign' || (table.column !== undefined && classifyHeading(table.column) === 'benign')) return 'benign';
  if (caption === 'ioc' || IOC_COLUMN.test(table.column ?? '')) return 'ioc';
  return undefined;
}

/** `The actors used the following C2 domains:`: a lead-in that makes the list after it indicators. */
export function introducesIocs(text: string): boolean {
  const tail = text.slice(-300).trimEnd();
  if (!tail.endsWith(':')) return false;
  const signals = keywordSignals(tail.slice(tail.lastIndexOf('.', tail.length - 2) + 1));
  return signals.positive !== undefined && signals.negative === undefined;
}

/** The end of the first line of a block that leads into the lines after it, or -1. */
export function introLineEnd(text: string): number {
  for (let end = text.indexOf(':\n'); end !== -1; end = text.indexOf(':\n', end + 2)) {
    const lineStart = text.lastIndexOf('\n', end - 1) + 1;
    if (end - lineStart <= 300 && introducesIocs(text.slice(lineStart, end + 1))) return end;
  }
  return -1;
}

