// Which type a bare value is. Detection is "the first type, in a fixed order, whose rules accept
// the value", so detection and normalization can never disagree: a detected value always
// normalizes, and its canonical form is detected as the same type again. parseIoc lives here,
// beside detection, so that imports run one way: refang → normalize → detect.
import {
  HASH_HEX_LENGTHS,
  HEX_DIGITS,
  URL_SCHEME,
  checkPreparedLength,
  normalizeIoc,
  normalizePrepared,
  prepareValue,
  quoteValue,
} from './normalize.js';
import type { IocType, NormalizationNote, ParseResult } from './types.js';

const CVE_SHAPE = /^cve-/i;
const ATTACK_SHAPE = /^t\d{4}(?:\.|$)/i;
/** Dotted numbers, hex ones included: meant as an IPv4 address, even when it is not a valid one. */
const IPV4_SHAPE = /^(?:0x[\da-f]*|\d+)(?:\.(?:0x[\da-f]*|\d*))+(?:\/\d*)?$/i;
const IPV6_SHAPE = /^[0-9a-f.]*:[0-9a-f.]*:[0-9a-f:.]*(?:%[^/]*)?(?:\/\d*)?$/i;
// Shape tests are split into single-pass patterns: one pattern with two overlapping runs would
// backtrack quadratically on a long line.
const NOT_IN_HOST = /[\s/?#@:\\]/;
const HOST_AND_PORT = /^[^\s/?#@:\\]+(?::\d{1,5})?$/;
const DOTS = /[.\u3002\uFF0E\uFF61]/; // with the ideographic full stops of IDNs
const DIGITS_ONLY = /^\d*$/;
const WHITESPACE = /\s/;

/** `host.tld/path` with a non-numeric path: `1.2.3.4/24` stays a CIDR, `evil.com/` stays nothing. */
function looksLikeBareUrl(text: string): boolean {
  const slash = text.indexOf('/');
  if (slash <= 0) return false;
  const authority = text.slice(0, slash);
  const path = text.slice(slash + 1);
  return authority.includes('.') && HOST_AND_PORT.test(authority) && !DIGITS_ONLY.test(path) && !WHITESPACE.test(path);
}

/** Has a dot and nothing a host cannot hold. */
function looksLikeDomain(text: string): boolean {
  return DOTS.test(text) && !NOT_IN_HOST.test(text);
}

function isHashOfLength(length: number): (text: string) => boolean {
  return (text) => text.length === length && HEX_DIGITS.test(text);
}

interface Candidate {
  type: IocType;
  /** A cheap shape test; the type's full rules run only when it passes. */
  looksLike: (text: string) => boolean;
}

/**
 * Order decides ambiguous values:
 * - ids and hashes first: their syntax is exact and overlaps nothing else;
 * - email before URL and domain: `a@b.com` is an address, not a host;
 * - URL with a scheme before IPs: `http://1.2.3.4/` is a URL;
 * - IPv4/IPv6 before a scheme-less URL: `1.2.3.4/24` is a network, not a path;
 * - a scheme-less URL (`evil.com/x.php`, `1.2.3.4/bin.sh`) needs a non-numeric path and a real
 *   host; then domain last, which needs a real public suffix (`virus.exe` is nothing).
 */
const DETECTION_ORDER: readonly Candidate[] = [
  { type: 'cve', looksLike: (text) => CVE_SHAPE.test(text) },
  { type: 'mitre_attack', looksLike: (text) => ATTACK_SHAPE.test(text) },
  { type: 'md5', looksLike: isHashOfLength(HASH_HEX_LENGTHS.md5) },
  { type: 'sha1', looksLike: isHashOfLength(HASH_HEX_LENGTHS.sha1) },
  { type: 'sha256', looksLike: isHashOfLength(HASH_HEX_LENGTHS.sha256) },
  { type: 'sha512', looksLike: isHashOfLength(HASH_HEX_LENGTHS.sha512) },
  { type: 'email', looksLike: (text) => text.includes('@') && !URL_SCHEME.test(text) },
  { type: 'url', looksLike: (text) => URL_SCHEME.test(text) },
  { type: 'ipv4', looksLike: (text) => IPV4_SHAPE.test(text) },
  { type: 'ipv6', looksLike: (text) => IPV6_SHAPE.test(text) },
  { type: 'url', looksLike: looksLikeBareUrl },
  { type: 'domain', looksLike: looksLikeDomain },
];

const SHORTEST_HASH = HASH_HEX_LENGTHS.md5;

/** Why nothing matched, when no type's shape fitted closely enough to give its own reason. */
function explainUnrecognized(text: string): string {
  if (text.length >= SHORTEST_HASH - 8 && HEX_DIGITS.test(text)) {
    return `not a valid hash: ${text.length} hex characters (md5 has 32, sha1 40, sha256 64, sha512 128)`;
  }
  return `not a recognized IOC: ${quoteValue(text)}`;
}

/**
 * Parses one value: trim, refang, then normalize as `type`, or as the detected type when none
 * is given. A rejection gives the reason of the first type the value looked like.
 */
export function parseIoc(raw: string, type?: IocType): ParseResult {
  if (type !== undefined) return normalizeIoc(type, raw);
  const notes: NormalizationNote[] = [];
  const text = prepareValue(raw, notes);
  const unfit = checkPreparedLength(text);
  if (unfit !== null) return unfit;
  let firstReason: string | undefined;
  for (const candidate of DETECTION_ORDER) {
    if (!candidate.looksLike(text)) continue;
    const result = normalizePrepared(candidate.type, text, notes.slice());
    if (result.ok) return result;
    firstReason ??= result.reason;
  }
  return { ok: false, reason: firstReason ?? explainUnrecognized(text) };
}

/** The type of a value (after trimming and refanging), or null when it is no valid IOC. */
export function detectIocType(raw: string): IocType | null {
  const result = parseIoc(raw);
  return result.ok ? result.ioc.type : null;
}
