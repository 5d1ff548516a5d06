// Sigma detection rules (SigmaHQ rule specification v2) for detection pipelines: multi-document
// YAML, one rule a kind of log and confidence, each of at most MAX_VALUES_PER_RULE values (more
// are split into parts rather than one unbounded rule):
//   IP addresses   network connections  logsource category firewall, field dst_ip (dst_ip|cidr for networks)
//   domains        DNS queries          logsource category dns, field query
//   URLs           proxy logs           logsource category proxy, field c-uri
//   MD5/SHA-1/-256 process creation     logsource windows process_creation, field md5/sha1/sha256
// `level` follows confidence; ATT&CK techniques become `attack.tNNNN` tags; the rule's references
// are its values' articles and pages. A rule's id is derived from its kind, confidence and part,
// so the same query gives the same ids from one download to the next.
import { v5 as uuidv5 } from 'uuid';
import { stringify } from 'yaml';
import type { Confidence, IocType } from '../ioc/types.js';
import type { IndicatorSummary } from '../store/records.js';
import type { Exporter } from './exporter.js';

/** Values a rule holds at most: backends turn a rule into one query, and a query has limits. */
export const MAX_VALUES_PER_RULE = 200;
const MAX_REFERENCES = 10;
export const SIGMA_NAMESPACE = '2b9c1d0e-6f4a-4d8e-9a57-3c1f0e7b5d42';

export interface RuleKind {
  title: string;
  logsource: Record<string, string>;
  field: string;
  falsepositive: string;
}

const NETWORK: RuleKind = { title: 'network connections to IP addresses', logsource: { category: 'firewall' }, field: 'dst_ip', falsepositive: 'Legitimate services sharing these addresses' };
const KINDS: Partial<Readonly<Record<IocType, RuleKind>>> = {
  ipv4: NETWORK,
  ipv6: NETWORK,
  domain: { title: 'DNS queries for domains', logsource: { category: 'dns' }, field: 'query', falsepositive: 'Legitimate use of a reused or parked domain' },
  url: { title: 'proxy requests for URLs', logsource: { category: 'proxy' }, field: 'c-uri', falsepositive: 'Legitimate content at a reused URL' },
  md5: { title: 'processes from files by MD5', logsource: { product: 'windows', category: 'process_creation' }, field: 'md5', falsepositive: 'Unlikely' },
  sha1: { title: 'processes from files by SHA-1', logsource: { product: 'windows', category: 'process_creation' }, field: 'sha1', falsepositive: 'Unlikely' },
  sha256: { title: 'processes from files by SHA-256', logsource: { product: 'windows', category: 'process_creation' }, field: 'sha256', falsepositive: 'Unlikely' },
};

const LEVEL: Readonly<Record<Confidence, string>> = { high: 'high', medium: 'medium', low: 'low' };
const CONFIDENCES: readonly Confidence[] = ['high', 'medium', 'low'];

/** `T1059.001` → `attack.t1059.001`. */
function attackTag(technique: string): string {
  return `attack.${technique.toLowerCase()}`;
}

/** The rule kind of a type, or undefined when no log source carries it (e-mail, SHA-512, CVE, ATT&CK). */
export function sigmaKindOf(type: IocType): RuleKind | undefined {
  return KINDS[type];
}

/**
 * A value as Sigma reads it: `*` and `?` are wildcards in a plain value and `\` escapes them and
 * itself (specification v2, "Wildcards"; pySigma's SigmaString), so a URL's `?` is escaped to
 * match only itself.
 */
export function sigmaValue(value: string): string {
  return value.replace(/[\\*?]/g, (c) => `\\${c}`);
}

/** One rule's YAML document; `id` replaces the id derived from kind, confidence and part (a rule of one value). */
export function sigmaRule(
  kind: RuleKind,
  confidence: Confidence,
  part: number,
  indicators: readonly IndicatorSummary[],
  options: { id?: string } = {},
): string {
  const values = indicators.map((indicator) => sigmaValue(indicator.value));
  // Only addresses have networks (`1.2.3.0/24`): every URL has a `/` and is matched whole.
  const isNetwork = (value: string): boolean => kind === NETWORK && value.includes('/');
  const networks = values.filter(isNetwork);
  const addresses = values.filter((value) => !isNetwork(value));
  const selection: Record<string, Record<string, string[]>> = {};
  if (addresses.length > 0) selection.selection = { [kind.field]: addresses };
  if (networks.length > 0) selection.selection_network = { [`${kind.field}|cidr`]: networks };
  const references = [...new Set(indicators.flatMap((indicator) => indicator.reference_urls))].slice(0, MAX_REFERENCES);
  const techniques = [...new Set(indicators.flatMap((indicator) => indicator.mitre_techniques))].sort();
  const day = (at: string): string => at.slice(0, 10);
  const firstSeen = indicators.reduce((min, indicator) => (indicator.first_seen < min ? indicator.first_seen : min), indicators[0]!.first_seen);
  const lastSeen = indicators.reduce((max, indicator) => (indicator.last_seen > max ? indicator.last_seen : max), indicators[0]!.last_seen);
  const rule = {
    title: `socdefenders: ${kind.title} (${confidence} confidence${part > 1 ? `, part ${part}` : ''})`,
    id: options.id ?? uuidv5(`sigma:${kind.field}:${confidence}:${part}`, SIGMA_NAMESPACE),
    status: 'experimental',
    description: `${values.length} indicator${values.length === 1 ? '' : 's'} of ${confidence} confidence from socdefenders (${kind.title}).`,
    ...(references.length > 0 ? { references } : {}),
    author: 'socdefenders',
    date: day(firstSeen),
    modified: day(lastSeen),
    tags: [...techniques.map(attackTag), 'tlp.clear'],
    logsource: kind.logsource,
    detection: { ...selection, condition: Object.keys(selection).length > 1 ? '1 of selection*' : Object.keys(selection)[0] },
    falsepositives: [kind.falsepositive],
    level: LEVEL[confidence],
  };
  return stringify(rule, { indent: 4, defaultStringType: 'QUOTE_SINGLE', defaultKeyType: 'PLAIN', lineWidth: 0 });
}

/**
 * Collects indicators by rule kind and confidence, writes a rule each time one fills, and the
 * rest at the end (in a fixed order of kinds and confidences).
 */
export function sigmaWriter() {
  const pending = new Map<string, { kind: RuleKind; confidence: Confidence; part: number; indicators: IndicatorSummary[] }>();
  let written = 0;
  const document = (yaml: string): string => (written++ === 0 ? yaml : `---\n${yaml}`);
  const take = (key: string): string => {
    const entry = pending.get(key)!;
    const yaml = document(sigmaRule(entry.kind, entry.confidence, entry.part, entry.indicators));
    entry.part++;
    entry.indicators = [];
    return yaml;
  };
  return {
    head: () => '',
    batch: (indicators: IndicatorSummary[]): string => {
      let out = '';
      for (const indicator of indicators) {
        const kind = KINDS[indicator.type];
        if (kind === undefined) continue;
        const key = `${kind.field}\u0000${indicator.confidence}`;
        let entry = pending.get(key);
        if (entry === undefined) {
          entry = { kind, confidence: indicator.confidence, part: 1, indicators: [] };
          pending.set(key, entry);
        }
        entry.indicators.push(indicator);
        if (entry.indicators.length === MAX_VALUES_PER_RULE) out += take(key);
      }
      return out;
    },
    tail: (): string => {
      let out = '';
      for (const kind of new Set(Object.values(KINDS))) {
        for (const confidence of CONFIDENCES) {
          const key = `${kind.field}\u0000${confidence}`;
          if ((pending.get(key)?.indicators.length ?? 0) > 0) out += take(key);
        }
      }
      return out;
    },
  };
}

export const sigmaExporter = {
  format: 'sigma',
  mediaType: 'application/yaml; charset=utf-8',
  filename: 'iocs-sigma.yml',
  scope: 'read:iocs',
  reads: 'summaries',
  listed: false,
  route: '/rules/sigma',
  description: 'Sigma detection rules (multi-document YAML).',
  writer: sigmaWriter,
} as const satisfies Exporter<'summaries'>;
