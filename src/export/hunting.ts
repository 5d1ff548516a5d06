// Hunting queries for one value, ready to paste: Splunk SPL (CIM field names), KQL for Microsoft
// Sentinel / Defender advanced hunting, Elastic KQL and ES|QL (ECS field names), and a Sigma rule
// from the Sigma export's own generator (sigma.ts). Pure: a value in, query text out.
//
// The value only ever reaches a query as a string literal, escaped by that language's rules (the
// tests read each query back with a tokenizer written from the language's grammar):
//   SPL          "…": \ and " escaped with \ (Search Reference, "Quotes and escaping characters").
//                `*` is a wildcard even inside quotes and cannot be escaped there, so a value with
//                a `*` is also compared exactly by `| where`, whose string literals have no wildcards.
//   KQL (Kusto)  "…": \ " and the control characters \n \r \t escaped with \ (the string data type).
//   Elastic KQL  "…": \ and " escaped, \n \r \t written as escapes (kuery grammar: QuotedString,
//                EscapedWhitespace); inside quotes `*`, `:`, `and`/`or` are plain text.
//   ES|QL        "…": \ " \n \r \t escaped with \ (the lexer's ESCAPE_SEQUENCE); never triple quotes.
//   Sigma        YAML single-quoted by the generator; `*`, `?` and `\` escaped with \ (sigmaValue).
import { v5 as uuidv5 } from 'uuid';
import type { Confidence, IocType } from '../ioc/types.js';
import { SIGMA_NAMESPACE, sigmaKindOf, sigmaRule } from './sigma.js';

export const HUNTING_LANGUAGES = ['splunk_spl', 'kql', 'elastic_kql', 'esql', 'sigma'] as const;
export type HuntingLanguage = (typeof HUNTING_LANGUAGES)[number];

export interface HuntingQuery {
  /** The query, or null when the language has nothing that carries the type (see `note`). */
  query: string | null;
  /** Where it looks (table, log source, fields), or why there is no query. */
  note: string;
}

export type HuntingQueries = Record<HuntingLanguage, HuntingQuery>;

export interface HuntedValue {
  type: IocType;
  /** The canonical value (refanged, normalized). */
  value: string;
  /** For the Sigma rule: its level, dates, ATT&CK tags and references. */
  confidence?: Confidence;
  firstSeen?: Date;
  lastSeen?: Date;
  techniques?: readonly string[];
  references?: readonly string[];
}

/** Days back the KQL and Splunk queries look (a hunt over recent logs). */
export const HUNT_DAYS = 30;

const HASH_FIELDS: Partial<Record<IocType, { cim: string; ecs: string; defender?: string }>> = {
  md5: { cim: 'md5', ecs: 'md5', defender: 'MD5' },
  sha1: { cim: 'sha1', ecs: 'sha1', defender: 'SHA1' },
  sha256: { cim: 'sha256', ecs: 'sha256', defender: 'SHA256' },
  sha512: { cim: 'sha512', ecs: 'sha512' },
};

// ---------------------------------------------------------------------------------------------
// String literals

/** A Splunk search or eval string literal. */
export function splString(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

const CONTROL_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `\`, `"` and the three control characters escaped with a backslash, in double quotes. */
function backslashQuoted(value: string): string {
  return `"${value.replace(/[\\"\n\r\t]/g, (c) => CONTROL_ESCAPES[c] ?? `\\${c}`)}"`;
}

/** A Kusto string literal. */
export const kqlString = backslashQuoted;
/** An Elastic KQL quoted value. */
export const elasticKqlString = backslashQuoted;
/** An ES|QL string literal. */
export const esqlString = backslashQuoted;

// ---------------------------------------------------------------------------------------------
// Fields per type

const isNetwork = (hunted: HuntedValue): boolean => (hunted.type === 'ipv4' || hunted.type === 'ipv6') && hunted.value.includes('/');
const isSubTechnique = (value: string): boolean => value.includes('.');

function cimFields(hunted: HuntedValue): string[] {
  switch (hunted.type) {
    case 'ipv4':
    case 'ipv6':
      return ['dest_ip', 'src_ip'];
    case 'domain':
      return ['query', 'url_domain'];
    case 'url':
      return ['url'];
    case 'email':
      return ['src_user', 'sender'];
    case 'cve':
      return ['cve'];
    case 'mitre_attack':
      return ['annotations.mitre_attack'];
    default:
      return ['file_hash', HASH_FIELDS[hunted.type]!.cim];
  }
}

function ecsFields(hunted: HuntedValue): string[] {
  switch (hunted.type) {
    case 'ipv4':
    case 'ipv6':
      return ['destination.ip', 'source.ip'];
    case 'domain':
      return ['dns.question.name', 'url.domain'];
    case 'url':
      return ['url.full', 'url.original'];
    case 'email':
      return ['email.from.address'];
    case 'cve':
      return ['vulnerability.id'];
    case 'mitre_attack':
      return [isSubTechnique(hunted.value) ? 'threat.technique.subtechnique.id' : 'threat.technique.id'];
    default:
      return [`file.hash.${HASH_FIELDS[hunted.type]!.ecs}`, `process.hash.${HASH_FIELDS[hunted.type]!.ecs}`];
  }
}

// ---------------------------------------------------------------------------------------------
// The languages

function splunkQuery(hunted: HuntedValue): HuntingQuery {
  const fields = cimFields(hunted);
  const literal = splString(hunted.value);
  const window = `earliest=-${HUNT_DAYS}d`;
  if (isNetwork(hunted)) {
    const test = fields.map((field) => `cidrmatch(${literal}, '${field}')`).join(' OR ');
    return { query: `index=* ${window} | where ${test}`, note: `CIM fields ${fields.join(', ')}; cidrmatch for the network.` };
  }
  let query = `index=* ${window} (${fields.map((field) => `${field}=${literal}`).join(' OR ')})`;
  // `*` stays a wildcard in a quoted search term: the where clause keeps only exact values.
  if (hunted.value.includes('*')) query += ` | where ${fields.map((field) => `'${field}'==${literal}`).join(' OR ')}`;
  return { query, note: `CIM field names (${fields.join(', ')}) over the last ${HUNT_DAYS} days; narrow index=* to your indexes.` };
}

function kqlQuery(hunted: HuntedValue): HuntingQuery {
  const v = kqlString(hunted.value);
  const since = `ago(${HUNT_DAYS}d)`;
  switch (hunted.type) {
    case 'ipv4':
    case 'ipv6': {
      const test = isNetwork(hunted) ? `${hunted.type}_is_in_range(RemoteIP, ${v})` : `RemoteIP == ${v}`;
      return { query: `DeviceNetworkEvents\n| where Timestamp > ${since}\n| where ${test}`, note: 'Defender advanced hunting: DeviceNetworkEvents.RemoteIP.' };
    }
    case 'domain':
      return { query: `DnsEvents\n| where TimeGenerated > ${since}\n| where Name =~ ${v}`, note: 'Microsoft Sentinel: DnsEvents.Name (Windows DNS).' };
    case 'url':
      return { query: `DeviceNetworkEvents\n| where Timestamp > ${since}\n| where RemoteUrl =~ ${v}`, note: 'Defender advanced hunting: DeviceNetworkEvents.RemoteUrl.' };
    case 'email':
      return {
        query: `EmailEvents\n| where Timestamp > ${since}\n| where SenderFromAddress =~ ${v} or SenderMailFromAddress =~ ${v}`,
        note: 'Defender for Office 365: EmailEvents sender addresses.',
      };
    case 'cve':
      return { query: `DeviceTvmSoftwareVulnerabilities\n| where CveId == ${v}`, note: 'Defender vulnerability management: the devices exposed to the CVE.' };
    case 'mitre_attack':
      return {
        query: `AlertInfo\n| where Timestamp > ${since}\n| where AttackTechniques contains ${v}`,
        note: 'Defender alerts that name the technique (a technique also matches its sub-techniques).',
      };
    default: {
      const column = HASH_FIELDS[hunted.type]!.defender;
      if (column === undefined) {
        // Defender keeps no SHA-512: the value is searched for in every table.
        return { query: `search ${v}`, note: 'No Defender or Sentinel table has a SHA-512 column: a full-text search of every table.' };
      }
      return { query: `DeviceFileEvents\n| where Timestamp > ${since}\n| where ${column} =~ ${v}`, note: `Defender advanced hunting: DeviceFileEvents.${column}.` };
    }
  }
}

function elasticKqlQuery(hunted: HuntedValue): HuntingQuery {
  const fields = ecsFields(hunted);
  const literal = elasticKqlString(hunted.value);
  return { query: fields.map((field) => `${field}: ${literal}`).join(' or '), note: `ECS fields ${fields.join(', ')} (Kibana query bar).` };
}

function esqlQuery(hunted: HuntedValue): HuntingQuery {
  const fields = ecsFields(hunted);
  const literal = esqlString(hunted.value);
  const ip = hunted.type === 'ipv4' || hunted.type === 'ipv6';
  const test = (field: string) =>
    isNetwork(hunted) ? `CIDR_MATCH(${field}, ${literal})` : ip ? `${field} == TO_IP(${literal})` : `${field} == ${literal}`;
  return {
    query: `FROM logs-*\n| WHERE ${fields.map(test).join(' OR ')}\n| SORT @timestamp DESC\n| LIMIT 100`,
    note: `ECS fields ${fields.join(', ')}; ES|QL refuses a field no index of logs-* maps: drop those your data lacks.`,
  };
}

function sigmaQuery(hunted: HuntedValue, now: Date): HuntingQuery {
  const kind = sigmaKindOf(hunted.type);
  if (kind === undefined) {
    return { query: null, note: `No Sigma rule: the Sigma export has no log source for ${hunted.type} values (it covers IP addresses, domains, URLs, MD5, SHA-1 and SHA-256).` };
  }
  const at = (date: Date | undefined) => (date ?? now).toISOString();
  const rule = sigmaRule(
    kind,
    hunted.confidence ?? 'low',
    1,
    [
      {
        id: uuidv5(`${hunted.type}:${hunted.value}`, SIGMA_NAMESPACE),
        type: hunted.type,
        value: hunted.value,
        confidence: hunted.confidence ?? 'low',
        first_seen: at(hunted.firstSeen),
        last_seen: at(hunted.lastSeen ?? hunted.firstSeen),
        sources: [],
        tags: [],
        mitre_techniques: [...(hunted.techniques ?? [])],
        contexts: [],
        reference_urls: [...(hunted.references ?? [])],
      },
    ],
    // One rule per value, its id derived from the value: never the id of an export's rule.
    { id: uuidv5(`sigma:lookup:${hunted.type}:${hunted.value}`, SIGMA_NAMESPACE) },
  );
  return { query: rule, note: `The Sigma export's rule for one value: logsource ${Object.values(kind.logsource).join('/')}, field ${kind.field}.` };
}

/** The hunting queries for one value, in every language. */
export function huntingQueries(hunted: HuntedValue, now = new Date()): HuntingQueries {
  return {
    splunk_spl: splunkQuery(hunted),
    kql: kqlQuery(hunted),
    elastic_kql: elasticKqlQuery(hunted),
    esql: esqlQuery(hunted),
    sigma: sigmaQuery(hunted, now),
  };
}
