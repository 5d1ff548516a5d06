// The hunting queries: each language's query read back by a small tokenizer written from that
// language's own grammar (the oracles below), so that a hostile value (quotes, backslashes,
// pipes, newlines, wildcards, `$`, ` or `, other scripts) is exactly one kind of token, a string
// literal equal to the value, and the rest of the query is the same as for a plain value: no
// injection. The Sigma rule is checked against the SigmaHQ schemas, as the Sigma export is.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HUNTING_LANGUAGES, huntingQueries, type HuntedValue } from '../../../src/export/hunting.js';
import { IOC_TYPES, type IocType } from '../../../src/ioc/types.js';
import { checkSigma, sigmaDocuments } from '../../helpers/sigma.js';

type Token = { kind: 'string'; value: string } | { kind: 'other'; text: string };

/** Splunk SPL (Search Reference, "Quotes and escaping characters"): "…" with \" and \\; '…' names a field in eval/where. */
function splTokens(query: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < query.length; ) {
    const c = query[i]!;
    if (/\s/.test(c)) i++;
    else if (c === '"') {
      let value = '';
      for (i++; query[i] !== '"'; i++) {
        if (i >= query.length) throw new Error('SPL: unterminated string');
        if (query[i] === '\\' && (query[i + 1] === '"' || query[i + 1] === '\\')) i++;
        value += query[i];
      }
      i++;
      tokens.push({ kind: 'string', value });
    } else if (c === "'") {
      const end = query.indexOf("'", i + 1);
      if (end === -1) throw new Error('SPL: unterminated field name');
      tokens.push({ kind: 'other', text: query.slice(i, end + 1) });
      i = end + 1;
    } else if ('|()=,'.includes(c)) {
      tokens.push({ kind: 'other', text: c });
      i++;
    } else {
      const word = /^[^\s"'|()=,]+/.exec(query.slice(i))![0];
      tokens.push({ kind: 'other', text: word });
      i += word.length;
    }
  }
  return tokens;
}

const KUSTO_ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };

/** Kusto (the string data type): "…" or '…' with backslash escapes, @"…" verbatim with "" for a quote; a raw newline ends nothing. */
function kqlTokens(query: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < query.length; ) {
    const c = query[i]!;
    if (/\s/.test(c)) i++;
    else if (c === '@' && (query[i + 1] === '"' || query[i + 1] === "'")) {
      throw new Error('KQL: verbatim strings are not written by the generator');
    } else if (c === '"' || c === "'") {
      let value = '';
      for (i++; query[i] !== c; i++) {
        if (i >= query.length || query[i] === '\n' || query[i] === '\r') throw new Error('KQL: unterminated string');
        if (query[i] === '\\') {
          const decoded = KUSTO_ESCAPES[query[i + 1] ?? ''];
          if (decoded === undefined) throw new Error(`KQL: unknown escape \\${query[i + 1]}`);
          value += decoded;
          i++;
        } else value += query[i];
      }
      i++;
      tokens.push({ kind: 'string', value });
    } else if (/[A-Za-z0-9_]/.test(c)) {
      const word = /^[A-Za-z0-9_]+/.exec(query.slice(i))![0];
      tokens.push({ kind: 'other', text: word });
      i += word.length;
    } else {
      const op = /^(==|=~|!=|>=|<=|.)/s.exec(query.slice(i))![0];
      tokens.push({ kind: 'other', text: op });
      i += op.length;
    }
  }
  return tokens;
}

/** Elastic KQL (kuery grammar, QuotedString): "…" where \t \r \n are escapes, \\ and \" escape, any other character is itself. */
function elasticKqlTokens(query: string): Token[] {
  const tokens: Token[] = [];
  const whitespace: Readonly<Record<string, string>> = { t: '\t', r: '\r', n: '\n' };
  for (let i = 0; i < query.length; ) {
    const c = query[i]!;
    if (/\s/.test(c)) i++;
    else if (c === '"') {
      let value = '';
      for (i++; query[i] !== '"'; i++) {
        if (i >= query.length) throw new Error('Elastic KQL: unterminated string');
        const next = query[i + 1] ?? '';
        if (query[i] === '\\' && whitespace[next] !== undefined) {
          value += whitespace[next];
          i++;
        } else if (query[i] === '\\' && (next === '\\' || next === '"')) {
          value += next;
          i++;
        } else value += query[i];
      }
      i++;
      tokens.push({ kind: 'string', value });
    } else if ('():<>'.includes(c)) {
      tokens.push({ kind: 'other', text: c });
      i++;
    } else {
      // An unquoted literal: the grammar's SpecialCharacter set ends it.
      const word = /^[^\s\\():<>"*{}]+/.exec(query.slice(i));
      if (word === null) throw new Error(`Elastic KQL: unexpected ${c}`);
      tokens.push({ kind: 'other', text: word[0] });
      i += word[0].length;
    }
  }
  return tokens;
}

const ESQL_ESCAPES: Readonly<Record<string, string>> = { t: '\t', n: '\n', r: '\r', '"': '"', '\\': '\\' };

/** ES|QL (EsqlBaseLexer STRING): '"' (ESCAPE_SEQUENCE | ~[\r\n"\\])* '"', or a triple-quoted string. */
function esqlTokens(query: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < query.length; ) {
    const c = query[i]!;
    if (/\s/.test(c)) i++;
    else if (query.startsWith('"""', i)) throw new Error('ES|QL: triple-quoted strings are not written by the generator');
    else if (c === '"') {
      let value = '';
      for (i++; query[i] !== '"'; i++) {
        if (i >= query.length || query[i] === '\n' || query[i] === '\r') throw new Error('ES|QL: unterminated string');
        if (query[i] === '\\') {
          const decoded = ESQL_ESCAPES[query[i + 1] ?? ''];
          if (decoded === undefined) throw new Error(`ES|QL: invalid escape \\${query[i + 1]}`);
          value += decoded;
          i++;
        } else value += query[i];
      }
      i++;
      tokens.push({ kind: 'string', value });
    } else if (/[A-Za-z0-9_@.*-]/.test(c)) {
      const word = /^[A-Za-z0-9_@.*-]+/.exec(query.slice(i))![0];
      tokens.push({ kind: 'other', text: word });
      i += word.length;
    } else {
      const op = /^(==|!=|>=|<=|.)/s.exec(query.slice(i))![0];
      tokens.push({ kind: 'other', text: op });
      i += op.length;
    }
  }
  return tokens;
}

const TOKENIZERS = { splunk_spl: splTokens, kql: kqlTokens, elastic_kql: elasticKqlTokens, esql: esqlTokens } as const;

/** The shape of a query: its other tokens, with each string literal as one placeholder. */
const skeleton = (tokens: Token[]) => tokens.map((t) => (t.kind === 'string' ? '\u0000STRING' : t.text));
const literals = (tokens: Token[]) => tokens.filter((t) => t.kind === 'string').map((t) => (t as { value: string }).value);

/** A plain value with the features that change a query's shape: a network (IP types), a `*` (SPL's where), a `.` (a sub-technique). */
function plainLike(value: string): string {
  return `${value.includes('/') ? 'a/b' : 'ab'}${value.includes('*') ? '*' : ''}${value.includes('.') ? '.c' : ''}`;
}

const HOSTILE = [
  'evil"domain.com',
  'back\\slash.com',
  'trailing\\',
  'back\\"quote.com',
  'a|b.com | delete',
  'line\nbreak.com',
  'cr\r\nlf\t.com',
  'wild*card.com',
  'q?mark.com',
  '$token$.com',
  'x" or 1==1 or "y',
  "a' or 'b",
  'x" OR dest_ip="1.2.3.4',
  '"""triple"""',
  '""',
  '`back`tick`',
  '// comment\n/* c */',
  ')(: and not or *',
  '@"verbatim"',
  'пример.рф',
  '𝒳-astral.com',
  '\u202Eevil.com',
  'http://198.51.100.7/gate.php?id=42&x=1',
];

describe.each(Object.keys(TOKENIZERS) as (keyof typeof TOKENIZERS)[])('%s escaping', (language) => {
  const tokenize = TOKENIZERS[language];

  function expectOnlyLiterals(type: IocType, value: string) {
    const query = huntingQueries({ type, value })[language].query!;
    const tokens = tokenize(query);
    const plain = tokenize(huntingQueries({ type, value: plainLike(value) })[language].query!);
    expect(literals(tokens).length).toBeGreaterThan(0);
    // Every literal is the value, whole; and nothing else in the query moved.
    for (const literal of literals(tokens)) expect(literal).toBe(value);
    expect(skeleton(tokens)).toEqual(skeleton(plain));
  }

  it.each(HOSTILE)('reads %j back as one string literal, for every type', (value) => {
    for (const type of IOC_TYPES) expectOnlyLiterals(type, value);
  });

  it('reads any string back (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...IOC_TYPES), fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), (type, value) => {
        expectOnlyLiterals(type, value);
      }),
      { numRuns: 300 },
    );
  });
});

describe('hunting queries per type', () => {
  const queries = (type: IocType, value: string, extra: Partial<HuntedValue> = {}) => huntingQueries({ type, value, ...extra });

  it('look where each product keeps the type', () => {
    expect(queries('ipv4', '91.92.241.10').kql.query).toBe('DeviceNetworkEvents\n| where Timestamp > ago(30d)\n| where RemoteIP == "91.92.241.10"');
    expect(queries('ipv4', '91.149.0.0/16').kql.query).toContain('ipv4_is_in_range(RemoteIP, "91.149.0.0/16")');
    expect(queries('ipv6', '2a03:2880:f10c:83::/64').esql.query).toContain('CIDR_MATCH(destination.ip, "2a03:2880:f10c:83::/64")');
    expect(queries('ipv4', '91.92.241.10').esql.query).toBe(
      'FROM logs-*\n| WHERE destination.ip == TO_IP("91.92.241.10") OR source.ip == TO_IP("91.92.241.10")\n| SORT @timestamp DESC\n| LIMIT 100',
    );
    expect(queries('domain', 'barringer.click').kql.query).toContain('DnsEvents');
    expect(queries('domain', 'barringer.click').elastic_kql.query).toBe('dns.question.name: "barringer.click" or url.domain: "barringer.click"');
    expect(queries('url', 'https://barringer.click/api/v1/session').elastic_kql.query).toContain('url.full: ');
    const sha256 = '3ba46a4b246db63935fc44fc1f02e3f00dc833574f14733c0012fab9f5896510';
    expect(queries('sha256', sha256).kql.query).toContain(`DeviceFileEvents\n| where Timestamp > ago(30d)\n| where SHA256 =~ "${sha256}"`);
    expect(queries('sha256', sha256).elastic_kql.query).toContain(`file.hash.sha256: "${sha256}"`);
    expect(queries('sha256', sha256).splunk_spl.query).toBe(`index=* earliest=-30d (file_hash="${sha256}" OR sha256="${sha256}")`);
    expect(queries('email', 'ops@evil-mail.net').kql.query).toContain('EmailEvents');
    expect(queries('email', 'ops@evil-mail.net').kql.query).toContain('SenderFromAddress =~ "ops@evil-mail.net"');
    expect(queries('email', 'ops@evil-mail.net').elastic_kql.query).toBe('email.from.address: "ops@evil-mail.net"');
    expect(queries('cve', 'CVE-2023-23397').kql.query).toContain('DeviceTvmSoftwareVulnerabilities');
    expect(queries('cve', 'CVE-2023-23397').elastic_kql.query).toBe('vulnerability.id: "CVE-2023-23397"');
    expect(queries('mitre_attack', 'T1566').elastic_kql.query).toBe('threat.technique.id: "T1566"');
    expect(queries('mitre_attack', 'T1566.002').elastic_kql.query).toBe('threat.technique.subtechnique.id: "T1566.002"');
  });

  it('compare a value with a * exactly in SPL, where a quoted * is still a wildcard', () => {
    const spl = queries('url', 'http://evil.example/a*b').splunk_spl.query!;
    expect(spl).toBe(`index=* earliest=-30d (url="http://evil.example/a*b") | where 'url'=="http://evil.example/a*b"`);
    expect(queries('url', 'http://evil.example/ab').splunk_spl.query).not.toContain('where');
  });

  it('give every language a query, or say why there is none', () => {
    for (const type of IOC_TYPES) {
      const all = queries(type, 'x');
      expect(Object.keys(all)).toEqual([...HUNTING_LANGUAGES]);
      for (const language of HUNTING_LANGUAGES) {
        expect(all[language].note.length).toBeGreaterThan(0);
        if (language !== 'sigma') expect(all[language].query).toEqual(expect.any(String));
      }
    }
  });
});

describe('the Sigma rule of a value', () => {
  const when = { firstSeen: new Date('2026-07-23T14:13:46Z'), lastSeen: new Date('2026-07-24T08:00:00Z') };

  it.each([
    ['ipv4', '198.46.243.188', 'firewall', 'dst_ip'],
    ['ipv4', '91.149.0.0/16', 'firewall', 'dst_ip|cidr'],
    ['domain', 'panel.munchyyyyyscpann.live', 'dns', 'query'],
    ['url', 'http://8.213.214.55/nerv.mips', 'proxy', 'c-uri'],
    ['md5', 'd41d8cd98f00b204e9800998ecf8427f', 'process_creation', 'md5'],
    ['sha256', '3ba46a4b246db63935fc44fc1f02e3f00dc833574f14733c0012fab9f5896510', 'process_creation', 'sha256'],
  ] as const)('%s %s: a valid rule on %s, field %s', (type, value, category, field) => {
    const yaml = huntingQueries({ type, value, confidence: 'high', techniques: ['T1071.001'], references: ['https://threatfox.abuse.ch/ioc/1856171/'], ...when }).sigma.query!;
    expect(checkSigma(yaml)).toEqual([]);
    const [rule] = sigmaDocuments(yaml) as { logsource: { category: string }; detection: Record<string, Record<string, string[]>>; level: string; tags: string[]; date: string; modified: string; references: string[] }[];
    expect(rule!.logsource.category).toBe(category);
    expect(Object.values(rule!.detection).find((d) => typeof d === 'object')).toEqual({ [field]: [value] });
    expect(rule!.level).toBe('high');
    expect(rule!.tags).toContain('attack.t1071.001');
    expect([rule!.date, rule!.modified]).toEqual(['2026-07-23', '2026-07-24']);
    expect(rule!.references).toEqual(['https://threatfox.abuse.ch/ioc/1856171/']);
  });

  it('has an id of its own per value, stable, never an export rule\'s', () => {
    const id = (value: string) => (sigmaDocuments(huntingQueries({ type: 'domain', value }).sigma.query!)[0] as { id: string }).id;
    expect(id('a.example')).toBe(id('a.example'));
    expect(id('a.example')).not.toBe(id('b.example'));
  });

  it('escapes Sigma wildcards, so a URL matches only itself', () => {
    const value = 'http://198.51.100.7/gate.php?id=4*2&p=C:\\x';
    const yaml = huntingQueries({ type: 'url', value }).sigma.query!;
    expect(checkSigma(yaml)).toEqual([]);
    const [rule] = sigmaDocuments(yaml) as { detection: { selection: { 'c-uri': string[] } } }[];
    const [written] = rule!.detection.selection['c-uri'];
    expect(written).toBe('http://198.51.100.7/gate.php\\?id=4\\*2&p=C:\\\\x');
    // Read back as pySigma reads a value: \* \? \\ are the characters themselves.
    expect(written!.replace(/\\([\\*?])/g, '$1')).toBe(value);
  });

  it.each(['sha512', 'email', 'cve', 'mitre_attack'] as const)('none for %s, with the reason', (type) => {
    const sigma = huntingQueries({ type, value: 'x' }).sigma;
    expect(sigma.query).toBeNull();
    expect(sigma.note).toContain('No Sigma rule');
  });
});
