// Strings that look like IOCs and are not (spec: user needs #9, idea 13). Each guard returns
// the reason a candidate is dropped, or undefined. They look only at the candidate and a few
// characters around it, so each costs O(1).
import type { TableContext } from './types.js';

/**
 * Top-level domains that are also common file extensions. A value ending in one of these that
 * the author did not defang is read as a file name: `invoice.zip`, `Get-GPPPassword.py`,
 * `install.sh`, `README.md`, `Document.one`.
 */
const FILE_EXTENSION_TLDS: ReadonlySet<string> = new Set([
  'zip', // archives (Google's .zip TLD, 2023)
  'mov', // QuickTime video (Google's .mov TLD)
  'py', // Python scripts (Paraguay)
  'sh', // shell scripts (Saint Helena)
  'md', // Markdown (Moldova)
  'rs', // Rust sources (Serbia)
  'ps', // PostScript (Palestine)
  'cab', // Windows cabinet archives
  'so', // shared objects (Somalia)
  'pm', // Perl modules (Saint Pierre and Miquelon)
  'one', // OneNote documents, a common phishing attachment
]);

/**
 * TLDs that are real and common for domains but also file extensions: dropped only when the
 * sentence speaks of a file (`the script x.pl`, `a file named x.app`).
 */
const AMBIGUOUS_EXTENSION_TLDS: ReadonlySet<string> = new Set(['pl', 'cc', 'ai', 'app', 'ml', 'sc', 'cat']);
const FILE_WORDS = /\b(?:files?|filenames?|file names?|scripts?|archives?|attachments?|named|executables?|binar(?:y|ies)|modules?|documents?|dlls?|payloads?|samples?|drops?|dropped|saved as|renamed)\b/i;

/**
 * Words before `/` or `:` that start an anti-virus detection name: `W64/BURNTCIGAR.CA!tr`,
 * `Trojan:Win32/Qakbot.PA!MTB`, `HEUR:Trojan.Win32.Agent.gen`.
 */
const AV_PREFIXES = new Set([
  'w32', 'w64', 'win32', 'win64', 'msil', 'linux', 'elf', 'osx', 'macos', 'android', 'js', 'vbs', 'html', 'pdf', 'php',
  'trojan', 'backdoor', 'ransom', 'worm', 'virus', 'heur', 'gen', 'variant', 'pua', 'pup', 'riskware', 'hacktool',
  'exploit', 'adware', 'spyware', 'downloader', 'dropper', 'generic', 'malware', 'script', 'w97m', 'x97m', 'o97m',
  'trojandownloader', 'trojandropper', 'trojanspy', 'behavior', 'tr', 'bds', 'possiblethreat', 'troj', 'mal',
]);
const AV_PREFIX_WORD = /([A-Za-z0-9-]+)[/:]$/;
/** An AV name's suffix: `!tr`, `!MTB`, `!ml`, `!dha`. */
const AV_SUFFIX = /^![A-Za-z0-9]{1,8}\b/;

// Not "through", "to" or "-": "45.77.12.0 through 45.77.12.255" is a range of addresses.
const VERSION_BEFORE = /\b(?:versions?|ver\.?|v\.?|build|release|firmware|update|patch|rev\.?|revision|before|prior to)\s*$/i;
const VERSION_AFTER = /^\s*(?:(?:and|or) (?:earlier|later|newer|older|prior|above|below|higher|lower)\b|\(?(?:build|version)\b)/i;
/** Another version-shaped number in the same sentence: `16.0.x`, `14.1.4` (IPs have four parts, versions often three). */
const VERSION_NEARBY = /(?<![\w.])\d+\.\d+(?:\.\d+)?\.x\b|(?<![\w.])\d+\.\d+\.\d+(?![\w.]|\.\d)/i;
const NEARBY = 60;
/** `5.1.3.001`: nobody pads an octet with zeros in prose; versions do. */
const ZERO_PADDED_PART = /(?:^|\.)0\d/;

/** Why a domain-shaped value is a file name, or undefined. `defanged` values are the author's own IOCs and are kept. */
export function fileNameReason(host: string, sentence: () => string, defanged: boolean): string | undefined {
  if (defanged) return undefined;
  const lastDot = host.lastIndexOf('.');
  const tld = host.slice(lastDot + 1).toLowerCase();
  if (FILE_EXTENSION_TLDS.has(tld)) return `file_name:.${tld}`;
  // Host names cannot hold `_` (RFC 952/1123); file names often do: `news_week_6.zip`.
  const nameStart = host.lastIndexOf('.', lastDot - 1) + 1;
  if (host.lastIndexOf('_', lastDot) >= nameStart) return 'file_name:underscore';
  if (nameStart === 0 && AMBIGUOUS_EXTENSION_TLDS.has(tld) && FILE_WORDS.test(sentence())) return `file_name:.${tld}`;
  return undefined;
}

/** Why a domain-shaped value is part of an anti-virus detection name, or undefined. */
export function avNameReason(text: string, start: number, end: number, value: string): string | undefined {
  if (AV_SUFFIX.test(text.slice(end, end + 10))) return 'av_name';
  // `PowerShell/Pterodo.GA`, `MSIL/Agent.ET`: a word and a slash before the name (a host is never
  // written after one: a URL's host comes after `//`, and a URL's path holds no host).
  const mark = text[start - 1];
  if (mark === '/' && /[A-Za-z0-9]/.test(text[start - 2] ?? '')) return 'av_name';
  // `HEUR:Trojan.Win32.Agent.gen`: a category word and a colon.
  if (mark === ':') {
    const prefix = AV_PREFIX_WORD.exec(text.slice(Math.max(0, start - 24), start))?.[1]?.toLowerCase();
    if (prefix !== undefined && AV_PREFIXES.has(prefix)) return 'av_name';
  }
  // `Pterodo.GA`: a variant suffix in capitals after a name in mixed case.
  const tld = value.slice(value.lastIndexOf('.') + 1);
  if (/^[A-Z]{2,}$/.test(tld) && /\p{Ll}/u.test(value)) return 'av_name';
  // `Trojan.Win32.Agent.ab`: the name itself starts with a platform or category word.
  const parts = value.split('.');
  if (parts.length >= 3 && AV_PREFIXES.has((parts[0] ?? '').toLowerCase())) return 'av_name';
  return undefined;
}

/**
 * Why a dotted quad is a version number (`version 5.5.7.1`, `before 16.0.1.1`, `1.0.0.1 and
 * later`, `5.1.3.001 through 9.2.0.006`), or undefined. Defanged values are the author's IOCs.
 */
export function versionReason(text: string, start: number, end: number, defanged: boolean): string | undefined {
  if (defanged) return undefined;
  if (ZERO_PADDED_PART.test(text.slice(start, end))) return 'version_number';
  if (VERSION_BEFORE.test(text.slice(Math.max(0, start - 16), start))) return 'version_number';
  if (VERSION_AFTER.test(text.slice(end, end + 24))) return 'version_number';
  if (VERSION_NEARBY.test(text.slice(Math.max(0, start - NEARBY), end + NEARBY))) return 'version_number';
  return undefined;
}

const HAS_LOWER = /\p{Ll}/u;

/**
 * `ASP.NET`, `VB.NET`, `NTDS.DIT`: a dotted name written all in capitals and not defanged is a
 * product or file, not a host (authors write hosts in lower case).
 */
export function capitalizedNameReason(written: string, defanged: boolean): string | undefined {
  return !defanged && !HAS_LOWER.test(written) && /\p{Lu}/u.test(written) ? 'product_name' : undefined;
}

/** `*.evil.com`: a pattern for a family of hosts (a blocking rule), not one indicator. */
export function isWildcard(text: string, start: number): boolean {
  return text[start - 1] === '.' && text[start - 2] === '*';
}

/**
 * Hash-shaped values that fingerprint something other than a file: TLS clients and servers
 * (JA3, JA3S, JA4), import tables (imphash), certificates (thumbprint, serial), GUIDs. Read from
 * the label just before the value on its line, or the value's table column and row.
 */
const NOT_A_FILE_HASH =
  /\b(?:ja3s?|ja4[sxh]?|jarm|imphash(?:es)?|import ?hash(?:es)?|pehash|rich ?header|authentihash|thumbprints?|fingerprints?|serial(?: ?numbers?)?|ssdeep|tlsh|certificates?|cert|guids?|uuids?|clsids?|mutex(?:es)?|tls|[a-z]*sess(?:ion)?_?id|sessions?|cookies?|tokens?|nonces?)\b/i;
const NOT_A_FILE_HASH_ALL = new RegExp(NOT_A_FILE_HASH.source, 'gi');
const LABEL_WINDOW = 40;
/** A cell beside the value that is only such a label (`TLSH`, `JA3 hash`). */
const NOT_A_FILE_HASH_CELL = new RegExp(`^\\W*(?:${NOT_A_FILE_HASH.source})(?: hash)?\\W*$`, 'i');

/** By the label just before the value on its line (the table's column and row are read by the caller). */
export function notAFileHashReason(text: string, start: number): string | undefined {
  const label = lineBefore(text, start, LABEL_WINDOW);
  // The label must lead straight to the value: `JA3: 6734…`, `imphash 1f2e…`, not a name further back.
  // The label nearest the value names it: `TLS client JA3:` is a JA3.
  const leading = /([\p{L}\p{N} ()-]+)[\s:=(|-]*$/u.exec(label)?.[1];
  const found = leading === undefined ? undefined : lastMatch(leading);
  return found === undefined ? undefined : `not_a_file_hash:${found.toLowerCase()}`;
}

/** The text of the value's line before it, at most `max` characters (never scans further back). */
function lineBefore(text: string, start: number, max: number): string {
  const before = text.slice(Math.max(0, start - max), start);
  return before.slice(before.lastIndexOf('\n') + 1);
}

function lastMatch(label: string): string | undefined {
  if (label === '' || !NOT_A_FILE_HASH.test(label)) return undefined;
  let last: string | undefined;
  for (const match of label.matchAll(NOT_A_FILE_HASH_ALL)) last = match[0];
  return last;
}

/** `CN=www.microsoft.com`, `emailAddress=…`, `Issuer: …`: a certificate's fields, faked at will, are not indicators. */
const CERTIFICATE_FIELD = /(?:\b(?:CN|OU|O|L|ST|C|E|DC|emailAddress|commonName|organizationName)\s*=\s*"?|\b(?:subject|issuer)(?: name| dn)?\s*[:=]\s*)$/i;

export function certificateFieldReason(text: string, start: number): string | undefined {
  // A field's value follows `=` or `:` (and maybe a quote): only then is the label read.
  let i = start - 1;
  while (i >= 0 && (text[i] === ' ' || text[i] === '"')) i--;
  if (text[i] !== '=' && text[i] !== ':') return undefined;
  return CERTIFICATE_FIELD.test(lineBefore(text, start, 40)) ? 'certificate_field' : undefined;
}

/** `hxxps://pypj[.]org/...`: a URL the author cut short is not a value; its host may be listed on its own. */
export function elidedReason(text: string, end: number): string | undefined {
  return /^(?:\.{3}|…)/.test(text.slice(end, end + 3)) ? 'elided' : undefined;
}

/** `xxx.xxx.xxx.xxx`, `XX.XX.XX.XX`: a template's placeholder, however the labels parse. */
const PLACEHOLDER_LABEL = /^(?:x+|\*+|n+)$/i;

export function placeholderReason(host: string): string | undefined {
  if (!PLACEHOLDER_LABEL.test(host.slice(0, host.indexOf('.')))) return undefined;
  const labels = host.split('.');
  return labels.length >= 2 && labels.every((label) => PLACEHOLDER_LABEL.test(label)) ? 'placeholder' : undefined;
}

/**
 * Top-level domains that are words code and queries use: `f.read`, `subprocess.call`,
 * `sam.save`, `process.name`, `url.domain`. Undefanged, such a value is code or a field name.
 */
const CODE_WORD_TLDS: ReadonlySet<string> = new Set(['read', 'call', 'save', 'name', 'run', 'open', 'new', 'map', 'data', 'show', 'get', 'domain', 'select']);

/** Why a domain-shaped value is code (a call, a field, a method), or undefined. */
export function codeReason(text: string, end: number, value: string, defanged: boolean): string | undefined {
  if (defanged) return undefined;
  if (text[end] === '(') return 'code';
  const tld = value.slice(value.lastIndexOf('.') + 1).toLowerCase();
  return CODE_WORD_TLDS.has(tld) ? `code:.${tld}` : undefined;
}

/** A table column of file names: a `name.cr` there is a file, whatever its suffix. */
const FILE_COLUMN = /\b(?:file ?names?|files?|paths?|process(?:es)?|executables?|modules?|dlls?|binar(?:y|ies)|attachments?|artifacts?)\b/i;
const HOST_COLUMN = /\b(?:domains?|hosts?|hostnames?|urls?|c2|servers?|address(?:es)?|ips?|network)\b/i;

/** What a table column's header says its values are not; the same for every cell of the column. */
export interface ColumnGuards {
  /** A column of file names. */
  fileColumn: boolean;
  /** A column of where public tools come from. */
  toolSource: boolean;
  /** A column of addresses (its values are no versions, whatever the row says). */
  addresses: boolean;
  /** A column of versions. */
  versions: boolean;
  /** Why a hash in this column is no file hash (`not_a_file_hash:imphash`), or undefined. */
  notAFileHash: string | undefined;
}

export function columnGuards(column: string): ColumnGuards {
  const label = lastMatch(column);
  const addresses = ADDRESS_COLUMN.test(column);
  return {
    fileColumn: FILE_COLUMN.test(column) && !HOST_COLUMN.test(column),
    toolSource: TOOL_SOURCE_COLUMN.test(column),
    addresses,
    versions: !addresses && VERSION_COLUMN.test(column),
    notAFileHash: label === undefined ? undefined : `not_a_file_hash:${label.toLowerCase()}`,
  };
}

/** Why a hash is no file hash by its row: the row's label or a short cell beside it (`TLSH`). */
export function rowNotAFileHash(table: TableContext | undefined): string | undefined {
  if (table === undefined) return undefined;
  const sibling = table.labels?.find((text) => NOT_A_FILE_HASH_CELL.test(text));
  const label = lastMatch(table.row ?? '') ?? (sibling === undefined ? undefined : lastMatch(sibling));
  return label === undefined ? undefined : `not_a_file_hash:${label.toLowerCase()}`;
}

/** Whether a row's label says it holds versions (`Firmware | 6.50.5.5`). */
export function rowOfVersions(table: TableContext | undefined): boolean {
  return table?.row !== undefined && VERSION_COLUMN.test(table.row);
}

/** `Tool | Description | Source`: the column that says where a public tool comes from. */
const TOOL_SOURCE_COLUMN = /^\W*(?:sources?|downloads?|download (?:links?|locations?|urls?|pages?)|projects?|project pages?|homepages?|repositor(?:y|ies)|references?|links?|more information)\W*$/i;

/** Code-hosting sites where a public tool has its project page. */
const CODE_HOSTS: ReadonlySet<string> = new Set(['github.com', 'gitlab.com', 'bitbucket.org', 'codeberg.org', 'sourceforge.net']);
const CODE_HOST_URL = /^https?:\/\/(?:www\.)?(?:github\.com|gitlab\.com|bitbucket\.org|codeberg\.org|sourceforge\.net)\//i;
/** Pages of a project (its root, its code, its releases list), not a file served raw or a release download. */
const PROJECT_PAGE = /^\/[^/]+\/[^/]+(?:\/(?:tree|blob|wiki|releases|tags)(?:\/(?!download\/)[^?#]*)?)?\/?$/;

/** `https://github.com/gentilkiwi/mimikatz`: where a public tool lives is not the actor's infrastructure. */
export function projectPageReason(url: string): string | undefined {
  if (!CODE_HOST_URL.test(url)) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const host = parsed.hostname.replace(/^www\./, '');
  return CODE_HOSTS.has(host) && PROJECT_PAGE.test(parsed.pathname) && parsed.search === '' ? 'tool_project_page' : undefined;
}

/** A table column or row about versions: `Fixed version`, `Affected releases`, `Firmware`. */
const VERSION_COLUMN = /\b(?:versions?|releases?|builds?|firmware|patch(?:es|ed)?|fixed|updates?|upgrade|affected)\b/i;
const ADDRESS_COLUMN = /\b(?:ip|ips|ipv4|address(?:es)?|hosts?|servers?|c2|indicators?|iocs?)\b/i;
