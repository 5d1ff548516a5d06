// Strings that look like IOCs and are not (spec: user needs #9, idea 13). Each guard returns
// the reason a candidate is dropped, or undefined. They look only at the candidate and a few
// characters around it, so each costs O(1).

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
