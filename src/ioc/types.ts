// The vocabulary of the product: IOC types, confidence levels, source categories, industries.
// Pure data; every other module takes its enums from here.

export const IOC_TYPES = [
  'ipv4',
  'ipv6',
  'domain',
  'url',
  'md5',
  'sha1',
  'sha256',
  'sha512',
  'email',
  'cve',
  'mitre_attack',
] as const;
export type IocType = (typeof IOC_TYPES)[number];

/** Spellings accepted on input for a type (the STIX page writes `mitre-attack`). */
export const IOC_TYPE_ALIASES: Readonly<Record<string, IocType>> = { 'mitre-attack': 'mitre_attack' };

export const HASH_TYPES = ['md5', 'sha1', 'sha256', 'sha512'] as const satisfies readonly IocType[];

export const CONFIDENCES = ['high', 'medium', 'low'] as const;
export type Confidence = (typeof CONFIDENCES)[number];

export const CATEGORIES = ['news', 'research', 'threat-intel', 'vendor', 'government'] as const;
export type Category = (typeof CATEGORIES)[number];

export const ORIGINS = ['feed', 'article', 'import'] as const;
export type Origin = (typeof ORIGINS)[number];

export const INDUSTRIES = [
  'finance',
  'healthcare',
  'government',
  'technology',
  'manufacturing',
  'retail',
  'energy',
  'education',
  'telecom',
  'transportation',
  'defense',
  'water',
] as const;
export type Industry = (typeof INDUSTRIES)[number];

/** CISA critical-infrastructure sector names (and common spellings) accepted as industry aliases. */
export const INDUSTRY_ALIASES: Readonly<Record<string, Industry>> = {
  'financial-services': 'finance',
  financial: 'finance',
  banking: 'finance',
  'healthcare-and-public-health': 'healthcare',
  'health-care': 'healthcare',
  health: 'healthcare',
  'government-facilities': 'government',
  'government-services-and-facilities': 'government',
  'information-technology': 'technology',
  it: 'technology',
  'critical-manufacturing': 'manufacturing',
  'commercial-facilities': 'retail',
  'communications': 'telecom',
  telecommunications: 'telecom',
  'transportation-systems': 'transportation',
  'defense-industrial-base': 'defense',
  'water-and-wastewater-systems': 'water',
  'water-and-wastewater': 'water',
  'energy-sector': 'energy',
  'education-facilities': 'education',
};

/** Resolves an industry name or alias (case-insensitive) to one of the twelve, or undefined. */
export function resolveIndustry(name: string): Industry | undefined {
  const key = name.trim().toLowerCase().replace(/[\s_]+/g, '-');
  return (INDUSTRIES as readonly string[]).includes(key) ? (key as Industry) : INDUSTRY_ALIASES[key];
}

/** Resolves a type name or alias to an IocType, or undefined. */
export function resolveIocType(name: string): IocType | undefined {
  const key = name.trim().toLowerCase();
  return (IOC_TYPES as readonly string[]).includes(key) ? (key as IocType) : IOC_TYPE_ALIASES[key];
}

/** What normalization did to a value, so a user can see why a lookup did or did not match. */
export type NormalizationNote =
  | 'trimmed'
  | 'refanged'
  | 'punctuation_stripped'
  | 'lowercased'
  | 'uppercased'
  | 'idna_to_ascii'
  | 'trailing_dot_removed'
  | 'ipv4_leading_zeros_removed'
  | 'ipv6_compressed'
  | 'cidr_host_prefix_removed'
  | 'cidr_host_bits_cleared'
  | 'url_scheme_added'
  | 'url_canonicalized'
  | 'url_default_port_removed'
  | 'url_userinfo_removed'
  | 'url_fragment_removed';

/** An IOC value in canonical form. `value` is what exports show; `normalized` is the lookup key. */
export interface NormalizedIoc {
  type: IocType;
  value: string;
  normalized: string;
  notes: NormalizationNote[];
}

export type ParseResult = { ok: true; ioc: NormalizedIoc } | { ok: false; reason: string };
