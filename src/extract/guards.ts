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
export function fileNameReason(host: string, sentence: string, defanged: boolean): string | undefined {
  if (defanged) return undefined;
  const parts = host.toLowerCase().split('.');
  const tld = parts[parts.length - 1] ?? '';
  if (FILE_EXTENSION_TLDS.has(tld)) return `file_name:.${tld}`;
  // Host names cannot hold `_` (RFC 952/1123); file names often do: `news_week_6.zip`.
  const nameLabel = parts[parts.length - 2] ?? '';
  if (nameLabel.includes('_')) return 'file_name:underscore';
  if (parts.length === 2 && AMBIGUOUS_EXTENSION_TLDS.has(tld) && FILE_WORDS.test(sentence)) return `file_name:.${tld}`;
  return undefined;
}

/** Why a domain-shaped value is part of an anti-virus detection name, or undefined. */
export function avNameReason(text: string, start: number, end: number, value: string): string | undefined {
  if (AV_SUFFIX.test(text.slice(end, end + 10))) return 'av_name';
  // `PowerShell/Pterodo.GA`, `MSIL/Agent.ET`: a word and a slash before the name (a host is never
  // written after one: a URL's host comes after `//`, and a URL's path holds no host).
  if (text[start - 1] === '/' && /[A-Za-z0-9]$/.test(text.slice(Math.max(0, start - 2), start - 1))) return 'av_name';
  // `Pterodo.GA`: a variant suffix in capitals after a name in mixed case.
  const tld = value.slice(value.lastIndexOf('.') + 1);
  if (/^[A-Z]{2,}$/.test(tld) && /\p{Ll}/u.test(value)) return 'av_name';
  const before = text.slice(Math.max(0, start - 24), start);
  const prefix = AV_PREFIX_WORD.exec(before)?.[1]?.toLowerCase();
  if (prefix !== undefined && AV_PREFIXES.has(prefix)) return 'av_name';
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

export function notAFileHashReason(text: string, start: number, table: TableContext | undefined): string | undefined {
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const label = text.slice(Math.max(lineStart, start - LABEL_WINDOW), start);
  // The label must lead straight to the value: `JA3: 6734…`, `imphash 1f2e…`, not a name further back.
  const leading = /([\p{L}\p{N} ()-]+)[\s:=(|-]*$/u.exec(label)?.[1] ?? '';
  // The label nearest the value names it: `TLS client JA3:` is a JA3.
  const sibling = table?.siblings?.find((text) => NOT_A_FILE_HASH_CELL.test(text));
  const found = lastMatch(leading) ?? lastMatch(table?.column ?? '') ?? lastMatch(table?.row ?? '') ?? (sibling === undefined ? undefined : lastMatch(sibling));
  return found === undefined ? undefined : `not_a_file_hash:${found.toLowerCase()}`;
}

function lastMatch(label: string): string | undefined {
  let last: string | undefined;
  for (const match of label.matchAll(NOT_A_FILE_HASH_ALL)) last = match[0];
  return last;
}

/** `CN=www.microsoft.com`, `emailAddress=…`, `Issuer: …`: a certificate's fields, faked at will, are not indicators. */
const CERTIFICATE_FIELD = /(?:\b(?:CN|OU|O|L|ST|C|E|DC|emailAddress|commonName|organizationName)\s*=\s*"?|\b(?:subject|issuer)(?: name| dn)?\s*[:=]\s*(?:[^\n]{0,80}[,/]\s*)?)$/i;

export function certificateFieldReason(text: string, start: number): string | undefined {
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  return CERTIFICATE_FIELD.test(text.slice(Math.max(lineStart, start - 120), start)) ? 'certificate_field' : undefined;
}

/** `hxxps://pypj[.]org/...`: a URL the author cut short is not a value; its host may be listed on its own. */
export function elidedReason(text: string, end: number): string | undefined {
  return /^(?:\.{3}|…)/.test(text.slice(end, end + 3)) ? 'elided' : undefined;
}

/** `xxx.xxx.xxx.xxx`, `XX.XX.XX.XX`: a template's placeholder, however the labels parse. */
const PLACEHOLDER_LABEL = /^(?:x+|\*+|n+)$/i;

export function placeholderReason(host: string): string | undefined {
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

export function fileColumnReason(table: TableContext | undefined, defanged: boolean): string | undefined {
  const column = table?.column;
  if (defanged || column === undefined) return undefined;
  return FILE_COLUMN.test(column) && !HOST_COLUMN.test(column) ? 'file_name:column' : undefined;
}

/** `Tool | Description | Source`: the column that says where a public tool comes from. */
const TOOL_SOURCE_COLUMN = /^\W*(?:sources?|downloads?|download (?:links?|locations?|urls?|pages?)|projects?|project pages?|homepages?|repositor(?:y|ies)|references?|links?|more information)\W*$/i;

export function toolSourceReason(table: TableContext | undefined): string | undefined {
  return table?.column !== undefined && TOOL_SOURCE_COLUMN.test(table.column) ? 'tool_source' : undefined;
}

/** Code-hosting sites where a public tool has its project page. */
const CODE_HOSTS: ReadonlySet<string> = new Set(['github.com', 'gitlab.com', 'bitbucket.org', 'codeberg.org', 'sourceforge.net']);
/** Pages of a project (its root, its code, its releases list), not a file served raw or a release download. */
const PROJECT_PAGE = /^\/[^/]+\/[^/]+(?:\/(?:tree|blob|wiki|releases|tags)(?:\/(?!download\/)[^?#]*)?)?\/?$/;

/** `https://github.com/gentilkiwi/mimikatz`: where a public tool lives is not the actor's infrastructure. */
export function projectPageReason(url: string): string | undefined {
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

/** Whether a table cell's column or row says it holds versions (and nothing says addresses). */
export function versionColumn(table: TableContext | undefined): boolean {
  if (table === undefined || ADDRESS_COLUMN.test(table.column ?? '')) return false;
  return VERSION_COLUMN.test(table.column ?? '') || VERSION_COLUMN.test(table.row ?? '');
}
