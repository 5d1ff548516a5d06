// Canonical forms of IOC values: `value` is what exports show, `normalized` the lookup key.
// Runs on every ingested row, so patterns are compiled once and an already-canonical value
// comes back as the same string without rebuilding it.
import { domainToASCII } from 'node:url';
import ipaddr from 'ipaddr.js';
import { parse as parseHostname } from 'tldts';
import { refang } from './refang.js';
import type { IocType, NormalizationNote, ParseResult } from './types.js';

/**
 * Longest URL we accept. Beyond ~2.7 kB a value no longer fits in a PostgreSQL btree index
 * entry (the unique key on value_normalized), and 2048 is the limit most clients honour.
 */
export const MAX_URL_LENGTH = 2048;
const MAX_DOMAIN_LENGTH = 253;
const MAX_EMAIL_LENGTH = 254;
const MAX_EMAIL_LOCAL_LENGTH = 64; // RFC 5321
const MAX_QUOTED_LENGTH = 80;
/** No IOC is longer (a URL may shrink when canonicalized); bounds the work spent on junk lines. */
export const MAX_INPUT_LENGTH = 8192;

type Notes = NormalizationNote[];
type Rejection = { ok: false; reason: string };
/** A canonicalizer's answer: the canonical value, or why the input was refused. */
type Outcome = string | Rejection;

function reject(reason: string): Rejection {
  return { ok: false, reason };
}

/** A value as shown inside a reason: shortened, so a 5 MB line cannot flood a log. */
export function quoteValue(value: string): string {
  return value.length > MAX_QUOTED_LENGTH ? `${value.slice(0, MAX_QUOTED_LENGTH - 1)}…` : value;
}

function addNote(notes: Notes, note: NormalizationNote): void {
  if (!notes.includes(note)) notes.push(note);
}

// ---------------------------------------------------------------------------------------------
// Preparation: what every type gets before its own rules.

export const URL_SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
const CLOSER_OF: Readonly<Record<string, string>> = {
  '"': '"',
  "'": "'",
  '`': '`',
  '<': '>',
  '(': ')',
  '[': ']',
  '{': '}',
};
const OPENER_OF: Readonly<Record<string, string>> = { ')': '(', ']': '[', '}': '{' };
/** Trailing characters that cannot end a domain, IP, hash, id or email. */
const ALWAYS_STRIPPED_TAIL = new Set([',', ';', '"', "'", '`', '>']);
/** The only ones that cannot end a URL either: its serializer percent-encodes them. */
const URL_STRIPPED_TAIL = new Set(['"', '>']);

function countOf(text: string, char: string): number {
  let count = 0;
  for (let i = text.indexOf(char); i !== -1; i = text.indexOf(char, i + 1)) count++;
  return count;
}

/**
 * `"x"`, `<x>`, `(x)`, `[x]` → `x` (a bracketed IPv6 address, a quoted CSV cell, a mail-style
 * link). Safe for every type: no valid value starts with an opener and ends with its closer.
 */
function unwrapPair(text: string): string {
  const closer = CLOSER_OF[text[0] ?? ''];
  return text.length >= 2 && closer === text[text.length - 1] ? text.slice(1, -1) : text;
}

/** Openers that no valid value starts with (`'`, `` ` `` and `{` may start an email address). */
const STRIPPABLE_OPENERS: ReadonlySet<string> = new Set(['"', '<', '(', '[']);

/** An opening quote or bracket whose partner is missing: `(evil.com` from prose. */
function stripUnmatchedOpener(text: string): string {
  const first = text[0] ?? '';
  if (!STRIPPABLE_OPENERS.has(first)) return text;
  const closer = CLOSER_OF[first] as string;
  const partnerFound = closer === first ? text.indexOf(closer, 1) !== -1 : text.includes(closer);
  return partnerFound ? text : text.slice(1);
}

/**
 * Trailing `,` `;` quotes and unbalanced `)` `]` `}`. A URL with a scheme keeps them (paths may end
 * in any of these, and stripping them would make normalization depend on a removed fragment);
 * only `"` and `>`, which its serializer always encodes, are dropped from it.
 */
function stripTrailingPunctuation(text: string): string {
  const isUrl = URL_SCHEME.test(text);
  let end = text.length;
  while (end > 0) {
    const last = text[end - 1] as string;
    if (isUrl ? URL_STRIPPED_TAIL.has(last) : ALWAYS_STRIPPED_TAIL.has(last)) {
      end--;
      continue;
    }
    const opener = OPENER_OF[last];
    if (isUrl || opener === undefined) break;
    const head = text.slice(0, end);
    if (countOf(head, opener) >= countOf(head, last)) break;
    end--;
  }
  return end === text.length ? text : text.slice(0, end);
}

function stripWrapping(text: string): string {
  let current = text;
  for (;;) {
    const next = stripTrailingPunctuation(stripUnmatchedOpener(unwrapPair(current)));
    if (next === current) return current;
    current = next.trim();
  }
}

/**
 * Trims, refangs, and removes wrapping quotes/brackets and trailing punctuation, noting each.
 * Shared by normalizeIoc and parseIoc so that detection sees exactly what normalization sees.
 */
export function prepareValue(raw: string, notes: Notes): string {
  let text = raw.trim();
  if (text.length !== raw.length) notes.push('trimmed');
  const refanged = refang(text);
  if (refanged !== text) {
    notes.push('refanged');
    text = refanged.trim();
  }
  const stripped = stripWrapping(text);
  if (stripped !== text) notes.push('punctuation_stripped');
  return stripped;
}

// ---------------------------------------------------------------------------------------------
// IPv4

const IPV4_WITH_PREFIX = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,3}))?$/;
const ZERO_PADDED_NUMBER = /(?:^|[./])0\d/;
const DECIMAL = /^\d+$/;
/** A dotted quad as a URL serializer writes it (no zero padding). */
const CANONICAL_IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function formatIpv4(address: number): string {
  return `${address >>> 24}.${(address >>> 16) & 255}.${(address >>> 8) & 255}.${address & 255}`;
}

/** Why a string is not a dotted quad, for the rejection reason. */
function explainIpv4(text: string): string {
  const [address = '', prefix, ...extra] = text.split('/');
  if (extra.length > 0) return 'more than one "/"';
  const octets = address.split('.');
  if (octets.length !== 4) return `expected 4 dot-separated octets, got ${octets.length}`;
  for (const octet of octets) {
    if (!DECIMAL.test(octet)) return `octet "${quoteValue(octet)}" is not a decimal number`;
    if (octet.length > 3) return `octet "${quoteValue(octet)}" has more than 3 digits`;
  }
  if (prefix !== undefined && !DECIMAL.test(prefix)) return `prefix "/${quoteValue(prefix)}" is not a number`;
  return `prefix "/${quoteValue(prefix ?? '')}" has more than 3 digits`;
}

/**
 * Dotted quad, each octet 0–255, zero padding read as decimal (`010` → 10: feeds pad columns;
 * nobody writes octal in a feed). Hex, octal-prefixed, 1–3 part and integer forms are refused.
 * A CIDR prefix /0–/32 is kept with its host bits cleared (`10.1.2.3/8` → `10.0.0.0/8`), so one
 * network has one key; `/32` is the host itself and is dropped.
 */
function canonicalIpv4(text: string, notes: Notes): Outcome {
  const match = IPV4_WITH_PREFIX.exec(text);
  if (match === null) return reject(`not a valid IPv4 address: ${explainIpv4(text)}`);
  let address = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(match[i]);
    if (octet > 255) return reject(`not a valid IPv4 address: octet ${octet} out of range`);
    address = address * 256 + octet;
  }
  let changed = ZERO_PADDED_NUMBER.test(text);
  if (changed) notes.push('ipv4_leading_zeros_removed');
  const prefixText = match[5];
  if (prefixText === undefined) return changed ? formatIpv4(address) : text;
  const prefix = Number(prefixText);
  if (prefix > 32) return reject(`not a valid IPv4 address: prefix /${prefix} out of range (0-32)`);
  if (prefix === 32) {
    notes.push('cidr_host_prefix_removed');
    return formatIpv4(address);
  }
  const blockSize = 2 ** (32 - prefix);
  const network = Math.floor(address / blockSize) * blockSize;
  if (network !== address) {
    notes.push('cidr_host_bits_cleared');
    changed = true;
  }
  return changed ? `${formatIpv4(network)}/${prefix}` : text;
}

// ---------------------------------------------------------------------------------------------
// IPv6

const IPV6_WITH_PREFIX = /^([0-9a-f:.]+)(?:\/(\d{1,3}))?$/i;
const EMBEDDED_IPV4 = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const UPPER_CASE = /[A-Z]/;

/**
 * `::ffff:1.2.3.4` → `::ffff:102:304`, validating the dotted part with our IPv4 rules. We do it
 * ourselves because ipaddr.js reads `::1.2.3.4` as `::ffff:1.2.3.4` (a different address) and
 * accepts hex octets there.
 */
function embeddedIpv4ToHex(address: string): Outcome {
  if (!address.includes('.')) return address;
  const match = EMBEDDED_IPV4.exec(address);
  if (match === null) return reject('not a valid IPv6 address: embedded IPv4 part is not a dotted quad');
  const octets = [Number(match[2]), Number(match[3]), Number(match[4]), Number(match[5])] as const;
  if (octets.some((octet) => octet > 255)) return reject('not a valid IPv6 address: embedded IPv4 octet out of range');
  const high = octets[0] * 256 + octets[1];
  const low = octets[2] * 256 + octets[3];
  return `${match[1]}${high.toString(16)}:${low.toString(16)}`;
}

/** RFC 5952, with the mixed form it recommends for IPv4-mapped addresses (`::ffff:1.2.3.4`). */
function formatIpv6(address: ipaddr.IPv6): string {
  return address.isIPv4MappedAddress()
    ? `::ffff:${address.toIPv4Address().toString()}`
    : address.toRFC5952String();
}

/** RFC 5952 via ipaddr.js; zone ids refused; a prefix /0–/128 with host bits cleared, `/128` dropped. */
function canonicalIpv6(text: string, notes: Notes): Outcome {
  if (text.includes('%')) return reject('not a valid IPv6 address: zone ids (%eth0) are not allowed');
  const match = IPV6_WITH_PREFIX.exec(text);
  if (match === null) return reject(`not a valid IPv6 address: ${quoteValue(text)}`);
  const written = match[1] as string;
  const hexOnly = embeddedIpv4ToHex(written);
  if (typeof hexOnly !== 'string') return hexOnly;
  if (!ipaddr.IPv6.isValid(hexOnly)) return reject(`not a valid IPv6 address: ${quoteValue(text)}`);
  const address = ipaddr.IPv6.parse(hexOnly);
  const canonical = formatIpv6(address);
  const lowerCase = UPPER_CASE.test(written) ? written.toLowerCase() : written;
  if (lowerCase !== written) notes.push('lowercased');
  if (canonical !== lowerCase) notes.push('ipv6_compressed');
  if (match[2] === undefined) return canonical;
  const prefix = Number(match[2]);
  if (prefix > 128) return reject(`not a valid IPv6 address: prefix /${prefix} out of range (0-128)`);
  if (prefix === 128) {
    notes.push('cidr_host_prefix_removed');
    return canonical;
  }
  const network = formatIpv6(ipaddr.IPv6.networkAddressFromCIDR(`${hexOnly}/${prefix}`));
  if (network !== canonical) notes.push('cidr_host_bits_cleared');
  return `${network}/${prefix}`;
}

// ---------------------------------------------------------------------------------------------
// Domains

const NON_ASCII = /[\u0080-\uffff]/;
const PUNYCODE_LABEL = /(?:^|\.)xn--/i;
/** Labels of 1–63 `[a-z0-9_-]`, no hyphen at either end, at least two labels. */
const DOMAIN_SYNTAX = /^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
const LABEL_CHARACTER = /^[a-z0-9_-]$/;
const DOTTED_NUMBERS = /^[\d.]+$/;
/** The ICANN section only: every private suffix (github.io, blogspot.com) sits under an ICANN
 * one, so `blogspot.com` and `x.github.io` are both domains rather than bare suffixes. */
const PUBLIC_SUFFIX_OPTIONS = {
  allowPrivateDomains: false,
  detectIp: false,
  extractHostname: false,
  mixedInputs: false,
  validateHostname: false,
} as const;

function explainDomainSyntax(host: string): string {
  const labels = host.split('.');
  if (labels.length === 1) return `domain has no public suffix: ${quoteValue(host)}`;
  for (const label of labels) {
    if (label === '') return `not a valid domain: empty label in ${quoteValue(host)}`;
    if (label.length > 63) return `not a valid domain: label longer than 63 characters`;
    for (const character of label) {
      if (!LABEL_CHARACTER.test(character)) return `not a valid domain: unexpected character "${character}"`;
    }
    if (label.startsWith('-') || label.endsWith('-')) {
      return `not a valid domain: label starts or ends with a hyphen: ${quoteValue(label)}`;
    }
  }
  return `not a valid domain: ${quoteValue(host)}`;
}

/** Syntax and public-suffix checks on a lower-case ASCII host; null when it is a domain. */
function checkAsciiDomain(host: string): Rejection | null {
  if (host === '') return reject('not a valid domain: empty');
  if (host.length > MAX_DOMAIN_LENGTH) return reject('not a valid domain: longer than 253 characters');
  if (IPV4_WITH_PREFIX.test(host)) return reject(`an IP address is not a domain: ${host}`);
  if (DOTTED_NUMBERS.test(host)) return reject(`not a valid domain: all labels are numeric in ${quoteValue(host)}`);
  if (!DOMAIN_SYNTAX.test(host)) return reject(explainDomainSyntax(host));
  const suffix = parseHostname(host, PUBLIC_SUFFIX_OPTIONS);
  if (suffix.isIcann !== true) return reject(`domain has no public suffix: ${host}`);
  if (suffix.domain === null) return reject(`domain is a public suffix: ${host}`);
  return null;
}

/** Lower case, IDN → punycode, one trailing dot removed, then syntax and public suffix. */
function canonicalDomain(text: string, notes: Notes): Outcome {
  let host = text;
  if (NON_ASCII.test(host)) {
    const ascii = domainToASCII(host);
    if (ascii === '') return reject(`not a valid internationalized domain name: ${quoteValue(text)}`);
    if (UPPER_CASE.test(host)) addNote(notes, 'lowercased');
    addNote(notes, 'idna_to_ascii');
    host = ascii;
  } else {
    if (UPPER_CASE.test(host)) {
      host = host.toLowerCase();
      addNote(notes, 'lowercased');
    }
    if (PUNYCODE_LABEL.test(host) && domainToASCII(host) === '') {
      return reject(`not a valid domain: bad punycode label in ${quoteValue(host)}`);
    }
  }
  if (host.endsWith('.')) {
    host = host.slice(0, -1);
    addNote(notes, 'trailing_dot_removed');
  }
  return checkAsciiDomain(host) ?? host;
}

// ---------------------------------------------------------------------------------------------
// URLs

/** What feeds carry. All are WHATWG "special" schemes, so the URL parser canonicalizes the host. */
const URL_SCHEMES: ReadonlySet<string> = new Set(['http', 'https', 'ftp', 'ws', 'wss']);
const BARE_URL_HOST = /^([^/?#\\@:]+)(?::\d{1,5})?(?=[/?#\\]|$)/;
const PORT_AT_END = /:(\d*)$/;

/** The URL as written, cut where the WHATWG parser cuts it, so that notes can say what changed. */
interface WrittenUrl {
  scheme: string;
  hasUserinfo: boolean;
  host: string;
  port: string | undefined;
  pathAndQuery: string;
  hasFragment: boolean;
}

function splitWrittenUrl(input: string): WrittenUrl {
  const schemeEnd = input.indexOf('://');
  const authorityStart = schemeEnd + 3;
  let authorityEnd = authorityStart;
  while (authorityEnd < input.length && !'/?#\\'.includes(input[authorityEnd] as string)) authorityEnd++;
  const authority = input.slice(authorityStart, authorityEnd);
  const at = authority.lastIndexOf('@');
  const hostAndPort = at === -1 ? authority : authority.slice(at + 1);
  const port = hostAndPort.endsWith(']') ? undefined : PORT_AT_END.exec(hostAndPort)?.[1];
  const fragmentStart = input.indexOf('#', authorityEnd);
  return {
    scheme: input.slice(0, schemeEnd),
    hasUserinfo: at !== -1,
    host: port === undefined ? hostAndPort : hostAndPort.slice(0, -port.length - 1),
    port,
    pathAndQuery: input.slice(authorityEnd, fragmentStart === -1 ? undefined : fragmentStart),
    hasFragment: fragmentStart !== -1,
  };
}

/** A URL without a scheme (`evil.com/x`) must name a real domain or a dotted quad. */
function checkBareUrlHost(text: string): Rejection | null {
  const host = BARE_URL_HOST.exec(text)?.[1];
  if (host === undefined) return reject(`not a valid URL: ${quoteValue(text)}`);
  if (CANONICAL_IPV4.test(host)) return null;
  const domain = canonicalDomain(host, []);
  return typeof domain === 'string' ? null : reject(`not a valid URL host: ${domain.reason}`);
}

/** The parsed host must be an IP or a domain by our rules; one trailing dot is dropped. */
function checkUrlHost(url: URL, notes: Notes): Rejection | null {
  const host = url.hostname;
  if (host.startsWith('[')) return null; // an IPv6 literal, already validated by the parser
  if (host.endsWith('.')) {
    url.hostname = host.slice(0, -1);
    addNote(notes, 'trailing_dot_removed');
  }
  if (CANONICAL_IPV4.test(url.hostname)) return null;
  const problem = checkAsciiDomain(url.hostname);
  return problem === null ? null : reject(`not a valid URL host: ${problem.reason}`);
}

/** Drops userinfo and fragment from `url`, noting them and any change to scheme, host or port. */
function canonicalizeUrlParts(written: WrittenUrl, url: URL, notes: Notes): void {
  if (UPPER_CASE.test(written.scheme)) addNote(notes, 'lowercased');
  if (NON_ASCII.test(written.host)) addNote(notes, 'idna_to_ascii');
  else if (UPPER_CASE.test(written.host)) addNote(notes, 'lowercased');
  const writtenHost = written.host.endsWith('.') ? written.host.slice(0, -1) : written.host;
  if (!NON_ASCII.test(writtenHost) && writtenHost.toLowerCase() !== url.hostname) addNote(notes, 'url_canonicalized');
  if (written.hasUserinfo) {
    url.username = '';
    url.password = '';
    addNote(notes, 'url_userinfo_removed');
  }
  if (written.port !== undefined && url.port === '') {
    addNote(notes, written.port === '' ? 'url_canonicalized' : 'url_default_port_removed');
  }
  if (written.hasFragment) {
    url.hash = '';
    addNote(notes, 'url_fragment_removed');
  }
}

/**
 * WHATWG URL serialization with lower-case scheme and host, default port, userinfo and fragment
 * removed; path and query keep their case. Numeric hosts are canonicalized as a browser would
 * (`http://0x7f.1/` → `http://127.0.0.1/`), since that is where the request goes. A value without
 * a scheme gets `http://` when its host is a real domain or a dotted quad.
 */
function canonicalUrl(text: string, notes: Notes): Outcome {
  let input = text;
  const scheme = URL_SCHEME.exec(text)?.[1];
  if (scheme === undefined) {
    const problem = checkBareUrlHost(text);
    if (problem !== null) return problem;
    input = `http://${text}`;
    notes.push('url_scheme_added');
  } else if (!URL_SCHEMES.has(scheme.toLowerCase())) {
    return reject(`unsupported URL scheme: ${quoteValue(scheme)}`);
  }
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return reject(`not a valid URL: ${quoteValue(text)}`);
  }
  const hostProblem = checkUrlHost(url, notes);
  if (hostProblem !== null) return hostProblem;
  const written = splitWrittenUrl(input);
  canonicalizeUrlParts(written, url, notes);
  const href = url.href;
  if (href.length > MAX_URL_LENGTH) return reject(`URL longer than ${MAX_URL_LENGTH} characters`);
  // With userinfo and fragment gone, href is origin + path + query; compare that tail as written.
  if ((written.pathAndQuery || '/') !== href.slice(url.origin.length)) addNote(notes, 'url_canonicalized');
  return href;
}

// ---------------------------------------------------------------------------------------------
// Email, hashes, CVE, ATT&CK

/** RFC 5322 dot-atom: atext runs separated by single dots. */
const EMAIL_LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/i;

/** `local@domain`, the domain by the domain rules, the whole address lower case. */
function canonicalEmail(text: string, notes: Notes): Outcome {
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) return reject('not a valid email address: expected local@domain');
  const local = text.slice(0, at);
  if (local.length > MAX_EMAIL_LOCAL_LENGTH) return reject('not a valid email address: local part longer than 64 characters');
  if (!EMAIL_LOCAL_PART.test(local)) return reject('not a valid email address: local part is not an RFC 5322 dot-atom');
  const domain = canonicalDomain(text.slice(at + 1), notes);
  if (typeof domain !== 'string') return reject(`not a valid email address: ${domain.reason}`);
  const lowerLocal = UPPER_CASE.test(local) ? local.toLowerCase() : local;
  if (lowerLocal !== local) addNote(notes, 'lowercased');
  const address = `${lowerLocal}@${domain}`;
  return address.length > MAX_EMAIL_LENGTH ? reject('not a valid email address: longer than 254 characters') : address;
}

export const HASH_HEX_LENGTHS = { md5: 32, sha1: 40, sha256: 64, sha512: 128 } as const;
type HashType = keyof typeof HASH_HEX_LENGTHS;
export const HEX_DIGITS = /^[0-9a-f]+$/i;

function canonicalHash(type: HashType, text: string, notes: Notes): Outcome {
  const expected = HASH_HEX_LENGTHS[type];
  if (!HEX_DIGITS.test(text)) return reject(`not a valid ${type}: contains a non-hex character`);
  if (text.length !== expected) return reject(`not a valid ${type}: expected ${expected} hex characters, got ${text.length}`);
  if (!UPPER_CASE.test(text)) return text;
  notes.push('lowercased');
  return text.toLowerCase();
}

/** The CVE JSON schema's id: a 4-digit sequence may be zero-padded, a longer one may not. */
const CVE_ID = /^cve-\d{4}-(?:0\d{3}|[1-9]\d{3,18})$/i;
const CVE_ZERO_PADDED_LONG = /^cve-\d{4}-0\d{4,}$/i;
const ATTACK_TECHNIQUE = /^t\d{4}(?:\.\d{3})?$/i;
const LOWER_CASE = /[a-z]/;

function upperCased(text: string, notes: Notes): string {
  if (!LOWER_CASE.test(text)) return text;
  notes.push('uppercased');
  return text.toUpperCase();
}

function canonicalCve(text: string, notes: Notes): Outcome {
  if (CVE_ID.test(text)) return upperCased(text, notes);
  if (CVE_ZERO_PADDED_LONG.test(text)) return reject('not a valid CVE id: a sequence longer than 4 digits has no leading zero');
  return reject(`not a valid CVE id: expected CVE-YYYY-NNNN, got ${quoteValue(text)}`);
}

function canonicalAttackTechnique(text: string, notes: Notes): Outcome {
  if (ATTACK_TECHNIQUE.test(text)) return upperCased(text, notes);
  return reject(`not a valid ATT&CK technique id: expected T1234 or T1234.001, got ${quoteValue(text)}`);
}

// ---------------------------------------------------------------------------------------------
// Entry points

const CANONICALIZERS: Readonly<Record<IocType, (text: string, notes: Notes) => Outcome>> = {
  ipv4: canonicalIpv4,
  ipv6: canonicalIpv6,
  domain: canonicalDomain,
  url: canonicalUrl,
  md5: (text, notes) => canonicalHash('md5', text, notes),
  sha1: (text, notes) => canonicalHash('sha1', text, notes),
  sha256: (text, notes) => canonicalHash('sha256', text, notes),
  sha512: (text, notes) => canonicalHash('sha512', text, notes),
  email: canonicalEmail,
  cve: canonicalCve,
  mitre_attack: canonicalAttackTechnique,
};

/** Types whose lookup key differs from the displayed value (ids are shown upper case). */
const UPPER_CASE_VALUE_TYPES: ReadonlySet<IocType> = new Set(['cve', 'mitre_attack']);

/** An empty value, or one too long to be an IOC. */
export function checkPreparedLength(text: string): Rejection | null {
  if (text === '') return reject('empty value');
  return text.length > MAX_INPUT_LENGTH ? reject(`value longer than ${MAX_INPUT_LENGTH} characters`) : null;
}

/** Applies one type's rules to a value that prepareValue has already cleaned. */
export function normalizePrepared(type: IocType, text: string, notes: Notes): ParseResult {
  const unfit = checkPreparedLength(text);
  if (unfit !== null) return unfit;
  const value = CANONICALIZERS[type](text, notes);
  if (typeof value !== 'string') return value;
  const normalized = UPPER_CASE_VALUE_TYPES.has(type) ? value.toLowerCase() : value;
  return { ok: true, ioc: { type, value, normalized, notes } };
}

/**
 * Canonical form of `raw` read as `type`: trimmed, refanged, unwrapped, then the type's rules.
 * `notes` lists every change made, in order; rejections carry a short human reason.
 */
export function normalizeIoc(type: IocType, raw: string): ParseResult {
  const notes: Notes = [];
  return normalizePrepared(type, prepareValue(raw, notes), notes);
}
