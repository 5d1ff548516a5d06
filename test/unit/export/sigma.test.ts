// The Sigma writer against the SigmaHQ schemas and the checks they cannot make
// (test/helpers/sigma.ts), which accept SigmaHQ's own rules and reject the broken samples of
// ../shared/fixtures/conformance/sigma.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_VALUES_PER_RULE, sigmaWriter } from '../../../src/export/sigma.js';
import type { IocType } from '../../../src/ioc/types.js';
import type { IndicatorSummary } from '../../../src/store/records.js';
import { SHARED_DIR } from '../../helpers/shared.js';
import { checkSigma, sigmaDocuments } from '../../helpers/sigma.js';
import { summary } from '../../helpers/summaries.js';

const CONFORMANCE = path.join(SHARED_DIR, 'fixtures', 'conformance', 'sigma');
const read = (name: string): string => fs.readFileSync(path.join(CONFORMANCE, name), 'utf8');

/** An indicator with a technique and a reference, which the rules carry. */
const indicator = (type: IocType, value: string, extra: Partial<IndicatorSummary> = {}): IndicatorSummary =>
  summary(type, value, { mitre_techniques: ['T1071.001'], reference_urls: ['https://threatfox.abuse.ch/ioc/1570153/'], ...extra });

function write(indicators: IndicatorSummary[], batch = 50): string {
  const writer = sigmaWriter();
  let out = writer.head();
  for (let i = 0; i < indicators.length; i += batch) out += writer.batch(indicators.slice(i, i + batch));
  return out + writer.tail();
}

describe('the Sigma checks', () => {
  it.each(fs.readdirSync(CONFORMANCE).filter((name) => name.startsWith('good-')))('accept %s', (name) => {
    expect(checkSigma(read(name))).toEqual([]);
  });

  it.each(fs.readdirSync(CONFORMANCE).filter((name) => name.startsWith('bad-')))('reject %s', (name) => {
    expect(checkSigma(read(name)).length).toBeGreaterThan(0);
  });
});

describe('Sigma rules', () => {
  const mixed = [
    indicator('ipv4', '203.0.113.9'),
    indicator('ipv4', '91.149.0.0/16'),
    indicator('ipv6', '2a03:2880:f10c:83:face:b00c:0:25de', { confidence: 'medium' }),
    indicator('domain', "it's-evil.com"),
    indicator('url', 'http://198.51.100.7/gate.php?id=42&x=1'),
    indicator('md5', 'd41d8cd98f00b204e9800998ecf8427f'),
    indicator('sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b856', { confidence: 'low' }),
    indicator('email', 'ops@evil-mail.net'),
    indicator('cve', 'CVE-2024-3400'),
  ];

  it('are valid Sigma: one rule a kind of log and confidence, level from confidence, ATT&CK tags, references', () => {
    const yaml = write(mixed);
    expect(checkSigma(yaml)).toEqual([]);
    const rules = sigmaDocuments(yaml) as { level: string; logsource: Record<string, string>; detection: Record<string, unknown>; tags: string[]; references: string[] }[];
    expect(rules.map((rule) => [rule.logsource.category, rule.level])).toEqual([
      ['firewall', 'high'],
      ['firewall', 'medium'],
      ['dns', 'high'],
      ['proxy', 'high'],
      ['process_creation', 'high'],
      ['process_creation', 'low'],
    ]);
    expect(rules[0]!.detection).toEqual({ selection: { dst_ip: ['203.0.113.9'] }, selection_network: { 'dst_ip|cidr': ['91.149.0.0/16'] }, condition: '1 of selection*' });
    expect(rules[2]!.detection).toEqual({ selection: { query: ["it's-evil.com"] }, condition: 'selection' });
    // A URL is matched whole (never as a CIDR network), its `?` escaped: a Sigma wildcard otherwise.
    expect(rules[3]!.detection).toEqual({ selection: { 'c-uri': ['http://198.51.100.7/gate.php\\?id=42&x=1'] }, condition: 'selection' });
    expect(rules[0]!.tags).toEqual(['attack.t1071.001', 'tlp.clear']);
    expect(rules[0]!.references).toEqual(['https://threatfox.abuse.ch/ioc/1570153/']);
  });

  it(`split at ${MAX_VALUES_PER_RULE} values a rule, with stable ids`, () => {
    const many = Array.from({ length: MAX_VALUES_PER_RULE * 2 + 1 }, (_, i) => indicator('domain', `host-${i}.evil.com`));
    const yaml = write(many, 37);
    expect(checkSigma(yaml)).toEqual([]);
    const rules = sigmaDocuments(yaml) as { id: string; detection: { selection: { query: string[] } } }[];
    expect(rules.map((rule) => rule.detection.selection.query.length)).toEqual([MAX_VALUES_PER_RULE, MAX_VALUES_PER_RULE, 1]);
    expect(new Set(rules.flatMap((rule) => rule.detection.selection.query)).size).toBe(many.length);
    expect((sigmaDocuments(write(many, 200)) as { id: string }[]).map((rule) => rule.id)).toEqual(rules.map((rule) => rule.id));
  });

  it('nothing to detect is an empty file', () => {
    expect(write([indicator('email', 'ops@evil-mail.net')])).toBe('');
  });
});
