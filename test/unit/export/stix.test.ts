import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CharStream } from 'antlr4ng';
import fc from 'fast-check';
import { v5 as uuidv5 } from 'uuid';
import { describe, expect, it } from 'vitest';
import {
  generateStixPatternParser,
  GENERATED_FILES,
  STIX_PATTERN_PARSER_DIR,
} from '../../../scripts/generate-stix-pattern-parser.js';
import {
  createStixBundleWriter,
  isRevokedState,
  SOCD_IDENTITY_ID,
  ATTACK_PATTERN_TIMESTAMP,
  STIX_CONFIDENCE,
  stixMaterialState,
  stixPattern,
  stixVersionObjects,
  toStixBundle,
  type StixAttackPattern,
  type StixBundle,
  type StixIndicator,
  type StixObject,
  type StixRelationship,
  type StixSummary,
  type StixVulnerability,
} from '../../../src/export/stix.js';
import type { IndicatorSummary } from '../../../src/store/records.js';
import { attackTechnique, attackTechniqueUrl } from '../../../src/ioc/attack.js';
import { indicatorId } from '../../../src/ioc/ids.js';
import { checkStixPattern, STIX_STANDARDS_DIR, validateStixBundle } from '../../helpers/stix-validate.js';
import { summary, SUMMARY_ID_NAMESPACE } from '../../helpers/summaries.js';
import { STIXPatternLexer } from '../../helpers/stix-pattern/STIXPatternLexer.js';

const CONFORMANCE_DIR = path.resolve(STIX_STANDARDS_DIR, '../../fixtures/conformance/stix');

// A URL with every character that has broken STIX patterns in the wild: ' \ = ] and non-ASCII.
const NASTY_URL = "http://update-check.example.net/gate.php?id=1'or'1'='1&path=C:\\Users\\Public\\svch0st.exe]&lang=рус&e=😈";

// Stands in for src/ioc/ids.ts: a stable id per (type, value).

/** One summary of each of the 11 types, with tags, techniques, contexts and references. */
function oneOfEachType(): IndicatorSummary[] {
  return [
    summary('ipv4', '221.132.16.23', { tags: ['Viper', 'botnet_cc', 'viper', ' '], mitre_techniques: ['T1566', 'T1059.001'] }),
    summary('ipv6', '2a03:b0c0:3:d0::1a51:c001', { confidence: 'medium' }),
    summary('domain', 'sup.merahsm188.top', {
      tags: ['Vidar'],
      contexts: ['Vidar stealer C2 domain reported by crep1x.'],
      mitre_techniques: ['T1566'],
    }),
    summary('url', NASTY_URL, {
      tags: ['ClickFix'],
      mitre_techniques: ['t1059.001'],
      contexts: ['', "Payload served with a path containing quotes ' and backslashes \\."],
      reference_urls: ['https://threatfox.abuse.ch/ioc/1856791/'],
    }),
    summary('md5', 'a20052c78501ce91feba8ce56a3aa665', { confidence: 'low', tags: ['Kuiper'] }),
    summary('sha1', '18b3741afc2712dafb56505b1c1822372b35cc0b'),
    summary('sha256', '217aa6561129b2ca5958da9dde6223908ddbfc978b2b92946cda9e2e35998931', {
      tags: ['ClearFake', 'ClickFix', 'EtherHiding'],
      mitre_techniques: ['T1204.002'],
    }),
    summary(
      'sha512',
      'c5a8c0e5d1f8e8a3a0b7f1b8f3c9e9d4a7c2b1e0f9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6',
    ),
    summary('email', 'invoice@billing-secure.example', { mitre_techniques: ['T1566.001'] }),
    summary('cve', 'cve-2024-3400', {
      sources: ['CISA KEV', 'CISA advisories'],
      contexts: ['PAN-OS GlobalProtect command injection, exploited in the wild.'],
      reference_urls: ['https://www.cisa.gov/known-exploited-vulnerabilities-catalog'],
    }),
    summary('mitre_attack', 'T1566.001', { contexts: ['Spearphishing attachment used for initial access.'] }),
  ];
}

function byType<T extends StixObject>(bundle: StixBundle, type: T['type']): T[] {
  return bundle.objects.filter((object): object is T => object.type === type);
}

function indicatorNamed(bundle: StixBundle, value: string): StixIndicator {
  const found = byType<StixIndicator>(bundle, 'indicator').find((indicator) => indicator.name === value);
  if (!found) throw new Error(`no indicator for ${value}`);
  return found;
}

function objectIds(bundle: StixBundle): string[] {
  return bundle.objects.map((object) => object.id);
}

/** The value inside the pattern's last string literal, unescaped as the grammar defines it. */
function patternLiteral(pattern: string): string {
  const lexer = new STIXPatternLexer(CharStream.fromString(pattern));
  const literals = lexer.getAllTokens().filter((token) => token.type === STIXPatternLexer.StringLiteral);
  const text = literals.at(-1)?.text ?? '';
  return text.slice(1, -1).replace(/\\(['\\])/g, '$1');
}

describe('stix-validate helper', () => {
  const fixtures = readdirSync(CONFORMANCE_DIR);
  const load = (name: string): unknown => JSON.parse(readFileSync(path.join(CONFORMANCE_DIR, name), 'utf8'));

  it.each(fixtures.filter((name) => name.startsWith('bad-')))('finds errors in %s', (name) => {
    expect(validateStixBundle(load(name))).not.toEqual([]);
  });

  it.each(fixtures.filter((name) => name.startsWith('good-')))('accepts %s', (name) => {
    expect(validateStixBundle(load(name))).toEqual([]);
  });

  it('catches a pattern error that only the grammar sees', () => {
    expect(validateStixBundle(load('bad-pattern-unclosed-bracket.json')).join('\n')).toMatch(/pattern: .*missing '\]'/);
    expect(checkStixPattern("[url:value = 'it's']")).not.toEqual([]);
    expect(checkStixPattern("[file:hashes.SHA-256 = 'ab']")).not.toEqual([]);
    expect(checkStixPattern("[url:value = 'a\\b']")).not.toEqual([]);
    expect(checkStixPattern("[file:hashes.'SHA-256' = 'ab'] AND [url:value = 'it\\'s']")).toEqual([]);
  });

  it('rejects our own bundle once broken on purpose', () => {
    const bundle = toStixBundle(oneOfEachType());
    const broken = structuredClone(bundle) as unknown as { objects: Record<string, unknown>[] };
    const indicator = broken.objects.find((object) => object.type === 'indicator') ?? {};
    Object.assign(indicator, { labels: [], created: '2026-07-24T13:50:06Z', external_references: [{ source_name: 'x', url: 'not a uri' }] });
    const errors = validateStixBundle(broken).join('\n');
    expect(errors).toMatch(/\/labels must NOT have fewer than 1 items/);
    expect(errors).toMatch(/\/created must match pattern/);
    expect(errors).toMatch(/\/external_references\/0\/url must match format "uri"/);
  });

  it('uses a parser that is exactly what the script generates from the official grammar', () => {
    const generated = generateStixPatternParser();
    for (const name of GENERATED_FILES) {
      expect(readFileSync(path.join(STIX_PATTERN_PARSER_DIR, name), 'utf8'), name).toBe(generated.get(name));
    }
  });
});

describe('toStixBundle', () => {
  it('gives a valid STIX 2.1 bundle for every IOC type', () => {
    const bundle = toStixBundle(oneOfEachType());
    expect(validateStixBundle(bundle)).toEqual([]);
    expect(bundle).not.toHaveProperty('spec_version');
    expect(bundle.id).toMatch(/^bundle--[0-9a-f-]{36}$/);
    for (const object of bundle.objects) {
      expect(object.spec_version).toBe('2.1');
      expect(object.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(object.modified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    expect(byType(bundle, 'indicator')).toHaveLength(9);
    expect(byType(bundle, 'vulnerability')).toHaveLength(1);
    // T1566, T1059.001, T1204.002 and T1566.001 named by records; the T1566.001 IOC that comes
    // after them is the same object and is not written twice.
    expect(byType(bundle, 'attack-pattern')).toHaveLength(4);
    expect(new Set(objectIds(bundle)).size).toBe(bundle.objects.length);
  });

  it('puts the SOC Defenders identity first and has every object refer to it', () => {
    const bundle = toStixBundle(oneOfEachType());
    expect(bundle.objects[0]).toEqual({
      type: 'identity',
      spec_version: '2.1',
      id: SOCD_IDENTITY_ID,
      created: expect.any(String),
      modified: expect.any(String),
      name: 'SOC Defenders',
      identity_class: 'organization',
    });
    for (const object of bundle.objects.slice(1)) expect(object.created_by_ref).toBe(SOCD_IDENTITY_ID);
  });

  it('gives the same object ids (and content) on every export, and a new bundle id', () => {
    const first = toStixBundle(oneOfEachType());
    const second = toStixBundle(oneOfEachType());
    expect(objectIds(second)).toEqual(objectIds(first));
    expect(second.objects).toEqual(first.objects);
    expect(second.id).not.toBe(first.id);
    expect(indicatorNamed(first, '221.132.16.23').id).toBe(`indicator--${uuidv5('ipv4:221.132.16.23', SUMMARY_ID_NAMESPACE)}`);
  });

  it('streams the same objects as toStixBundle builds', () => {
    const rows = oneOfEachType();
    const writer = createStixBundleWriter();
    const head = writer.head();
    expect(head).toMatch(/^\{"type":"bundle","id":"bundle--[0-9a-f-]{36}","objects":\[\{"type":"identity"/);
    const chunks = rows.map((row) => writer.objects(row));
    for (const chunk of chunks) expect(chunk === '' || chunk.startsWith(',')).toBe(true);
    const streamed = JSON.parse(head + chunks.join('') + writer.tail()) as StixBundle;
    expect(validateStixBundle(streamed)).toEqual([]);
    expect(streamed.objects).toEqual(toStixBundle(rows).objects);
  });

  it('gives an empty export as a valid bundle holding only the identity', () => {
    const bundle = toStixBundle([]);
    expect(bundle.objects.map((object) => object.type)).toEqual(['identity']);
    expect(validateStixBundle(bundle)).toEqual([]);
  });
});

describe('indicators', () => {
  it.each([
    ['ipv4', '198.51.100.7', "[ipv4-addr:value = '198.51.100.7']"],
    ['ipv4', '198.51.100.0/24', "[ipv4-addr:value = '198.51.100.0/24']"],
    ['ipv6', '2001:db8::1', "[ipv6-addr:value = '2001:db8::1']"],
    ['domain', 'evil.example', "[domain-name:value = 'evil.example']"],
    ['url', 'http://evil.example/a?b=1', "[url:value = 'http://evil.example/a?b=1']"],
    ['email', 'a@b.example', "[email-addr:value = 'a@b.example']"],
    ['md5', 'A20052C78501CE91FEBA8CE56A3AA665', "[file:hashes.'MD5' = 'a20052c78501ce91feba8ce56a3aa665']"],
    ['sha1', '18b3741afc2712dafb56505b1c1822372b35cc0b', "[file:hashes.'SHA-1' = '18b3741afc2712dafb56505b1c1822372b35cc0b']"],
    ['sha256', 'ab'.repeat(32), `[file:hashes.'SHA-256' = '${'ab'.repeat(32)}']`],
    ['sha512', 'cd'.repeat(64), `[file:hashes.'SHA-512' = '${'cd'.repeat(64)}']`],
  ] as const)('%s %s → %s', (type, value, pattern) => {
    expect(stixPattern(type, value)).toBe(pattern);
    expect(checkStixPattern(pattern)).toEqual([]);
  });

  it('escapes quotes and backslashes so the pattern parses and gives the value back', () => {
    const pattern = stixPattern('url', NASTY_URL);
    expect(pattern).toContain("id=1\\'or\\'1\\'=\\'1&path=C:\\\\Users\\\\Public");
    expect(checkStixPattern(pattern)).toEqual([]);
    expect(patternLiteral(pattern)).toBe(NASTY_URL);
  });

  it('round-trips any string through the pattern literal', () => {
    const nasty = fc.constantFrom("'", '\\', '=', ']', '[', ' AND ', 'é', '😈', '\n');
    const value = fc.array(fc.oneof(fc.string({ unit: 'grapheme' }), nasty)).map((parts) => parts.join(''));
    fc.assert(
      fc.property(value, (text) => {
        const pattern = stixPattern('url', text);
        return checkStixPattern(pattern).length === 0 && patternLiteral(pattern) === text;
      }),
      { numRuns: 300 },
    );
  });

  it('carries the fields a TIP reads', () => {
    const bundle = toStixBundle(oneOfEachType());
    const url = indicatorNamed(bundle, NASTY_URL);
    expect(url).toMatchObject({
      created: '2026-07-24T13:50:06.000Z',
      valid_from: '2026-07-24T13:50:06.000Z',
      modified: '2026-07-25T08:12:41.250Z',
      description: "Payload served with a path containing quotes ' and backslashes \\.",
      indicator_types: ['malicious-activity'],
      pattern_type: 'stix',
      pattern_version: '2.1',
      labels: ['clickfix'],
      confidence: 85,
      external_references: [{ source_name: 'ThreatFox', url: 'https://threatfox.abuse.ch/ioc/1856791/' }],
      kill_chain_phases: [{ kill_chain_name: 'mitre-attack', phase_name: 'execution' }],
    });
    expect(indicatorNamed(bundle, '221.132.16.23').labels).toEqual(['viper', 'botnet_cc']);
    expect(indicatorNamed(bundle, '221.132.16.23').kill_chain_phases).toEqual([
      { kill_chain_name: 'mitre-attack', phase_name: 'initial-access' },
      { kill_chain_name: 'mitre-attack', phase_name: 'execution' },
    ]);
    const bare = indicatorNamed(bundle, '18b3741afc2712dafb56505b1c1822372b35cc0b');
    for (const key of ['labels', 'external_references', 'kill_chain_phases']) expect(bare).not.toHaveProperty(key);
    // Without a context sentence the description says what it is and who reported it (STIX's
    // SHOULD: strict validation and TAXII clients want a name and a description).
    expect(bare.description).toMatch(/^SHA-1 hash 18b3741afc2712dafb56505b1c1822372b35cc0b( reported by .+)?\.$/);
  });

  it('every indicator has a name and a description', () => {
    for (const indicator of toStixBundle(oneOfEachType()).objects.filter((o): o is StixIndicator => o.type === 'indicator')) {
      expect(indicator.name.length).toBeGreaterThan(0);
      expect(indicator.description?.length ?? 0).toBeGreaterThan(0);
    }
  });

  it('maps confidence high/medium/low to 85/50/15', () => {
    expect(STIX_CONFIDENCE).toEqual({ high: 85, medium: 50, low: 15 });
    const rows = (['high', 'medium', 'low'] as const).map((confidence, index) =>
      summary('domain', `c${index}.example`, { confidence }),
    );
    const bundle = toStixBundle(rows);
    expect(byType<StixIndicator>(bundle, 'indicator').map((indicator) => indicator.confidence)).toEqual([85, 50, 15]);
  });

  it('never has modified before created, and reformats second-precision timestamps', () => {
    const row = summary('domain', 'clock-skew.example', { first_seen: '2026-07-24T13:50:06Z', last_seen: '2026-07-01T00:00:00Z' });
    const indicator = indicatorNamed(toStixBundle([row]), 'clock-skew.example');
    expect(indicator.created).toBe('2026-07-24T13:50:06.000Z');
    expect(indicator.modified).toBe('2026-07-24T13:50:06.000Z');
  });

  it('names the reference by its host when several sources share an indicator', () => {
    const row = summary('domain', 'shared.example', {
      sources: ['URLhaus', 'ThreatFox'],
      reference_urls: ['https://urlhaus.abuse.ch/url/3456/', 'https://news.example/artículo 1'],
    });
    expect(indicatorNamed(toStixBundle([row]), 'shared.example').external_references).toEqual([
      { source_name: 'urlhaus.abuse.ch', url: 'https://urlhaus.abuse.ch/url/3456/' },
      { source_name: 'news.example', url: 'https://news.example/art%C3%ADculo%201' },
    ]);
    expect(validateStixBundle(toStixBundle([row]))).toEqual([]);
  });
});

describe('ATT&CK techniques', () => {
  it('writes each technique attack-pattern once per bundle, and one relationship per indicator', () => {
    const rows = Array.from({ length: 20 }, (_, index) =>
      summary('ipv4', `203.0.113.${index + 1}`, { mitre_techniques: ['T1566', 'T1059.001', 'T1566'] }),
    );
    const writer = createStixBundleWriter();
    const chunks = rows.map((row) => writer.objects(row));
    const bundle = JSON.parse(writer.head() + chunks.join('') + writer.tail()) as StixBundle;
    expect(validateStixBundle(bundle)).toEqual([]);
    expect(byType(bundle, 'attack-pattern')).toHaveLength(2);
    expect(chunks.slice(1).every((chunk) => !chunk.includes('"type":"attack-pattern"'))).toBe(true);
    const relationships = byType<StixRelationship>(bundle, 'relationship');
    expect(relationships).toHaveLength(40);
    expect(new Set(relationships.map((relationship) => relationship.id)).size).toBe(40);
    // Every relationship points at objects that come before it in the bundle.
    const seen = new Set<string>();
    for (const object of bundle.objects) {
      if (object.type === 'relationship') expect([seen.has(object.source_ref), seen.has(object.target_ref)]).toEqual([true, true]);
      seen.add(object.id);
    }
  });

  it('links indicator → technique with a deterministic indicates relationship', () => {
    const row = summary('email', 'invoice@billing-secure.example', { mitre_techniques: ['T1566.001'] });
    const [first, second] = [toStixBundle([row]), toStixBundle([row])];
    const relationship = byType<StixRelationship>(first, 'relationship')[0];
    const attackPattern = byType<StixAttackPattern>(first, 'attack-pattern')[0];
    expect(relationship).toMatchObject({
      relationship_type: 'indicates',
      source_ref: `indicator--${row.id}`,
      target_ref: attackPattern?.id,
      created: '2026-07-24T13:50:06.000Z',
      modified: '2026-07-25T08:12:41.250Z',
    });
    expect(objectIds(second)).toEqual(objectIds(first));
    // The same technique gets the same id whatever indicator names it.
    const other = toStixBundle([summary('domain', 'other.example', { mitre_techniques: ['t1566.001'] })]);
    expect(byType(other, 'attack-pattern')[0]?.id).toBe(attackPattern?.id);
  });

  it('describes a named technique with its ATT&CK name, reference and tactics', () => {
    const bundle = toStixBundle([summary('domain', 'x.example', { mitre_techniques: ['T1059.001'] })]);
    expect(byType<StixAttackPattern>(bundle, 'attack-pattern')[0]).toMatchObject({
      name: 'PowerShell',
      external_references: [
        { source_name: 'mitre-attack', external_id: 'T1059.001', url: 'https://attack.mitre.org/techniques/T1059/001' },
      ],
      kill_chain_phases: [{ kill_chain_name: 'mitre-attack', phase_name: 'execution' }],
    });
  });

  it('keeps an unknown but well-formed technique, named by its id, and skips malformed ones', () => {
    const bundle = toStixBundle([summary('domain', 'y.example', { mitre_techniques: ['T9999', 'not-a-technique', ''] })]);
    const attackPatterns = byType<StixAttackPattern>(bundle, 'attack-pattern');
    expect(attackPatterns.map((attackPattern) => attackPattern.name)).toEqual(['T9999']);
    expect(attackPatterns[0]).not.toHaveProperty('kill_chain_phases');
    expect(indicatorNamed(bundle, 'y.example')).not.toHaveProperty('kill_chain_phases');
    expect(validateStixBundle(bundle)).toEqual([]);
  });

  it('gives a technique named by a record the id its mitre_attack IOC has', () => {
    const ioc = { ...summary('mitre_attack', 'T1566'), id: indicatorId('mitre_attack', 't1566') };
    const named = summary('domain', 'y.example', { mitre_techniques: ['T1566'] });
    for (const rows of [[ioc, named], [named, ioc]]) {
      const attackPatterns = byType<StixAttackPattern>(toStixBundle(rows), 'attack-pattern');
      expect(attackPatterns.map((attackPattern) => attackPattern.id)).toEqual([`attack-pattern--${ioc.id}`]);
    }
  });

  it('turns a mitre_attack IOC into the technique\'s one attack-pattern, the same in every bundle', () => {
    const row = { ...summary('mitre_attack', 't1566.001', { tags: ['Phishing'], confidence: 'medium' }), id: indicatorId('mitre_attack', 't1566.001') };
    const alone = byType<StixAttackPattern>(toStixBundle([row]), 'attack-pattern');
    const named = byType<StixAttackPattern>(
      toStixBundle([summary('domain', 'y.example', { mitre_techniques: ['T1566.001'] })]),
      'attack-pattern',
    );
    expect(alone).toEqual(named);
    expect(alone[0]).toEqual({
      type: 'attack-pattern',
      spec_version: '2.1',
      id: `attack-pattern--${row.id}`,
      created_by_ref: SOCD_IDENTITY_ID,
      created: ATTACK_PATTERN_TIMESTAMP,
      modified: ATTACK_PATTERN_TIMESTAMP,
      name: 'Spearphishing Attachment',
      kill_chain_phases: [{ kill_chain_name: 'mitre-attack', phase_name: 'initial-access' }],
      external_references: [
        { source_name: 'mitre-attack', external_id: 'T1566.001', url: 'https://attack.mitre.org/techniques/T1566/001' },
      ],
    });
  });

  it('looks techniques up case-insensitively and builds sub-technique URLs', () => {
    expect(attackTechnique('t1059.001')).toEqual({
      id: 'T1059.001',
      name: 'PowerShell',
      tactics: ['execution'],
      revoked: false,
      deprecated: false,
    });
    expect(attackTechnique('T1566')?.tactics).toEqual(['initial-access']);
    expect(attackTechnique('T0000')).toBeUndefined();
    expect(attackTechniqueUrl('T1566')).toBe('https://attack.mitre.org/techniques/T1566');
    expect(attackTechniqueUrl('t1059.001')).toBe('https://attack.mitre.org/techniques/T1059/001');
  });
});

describe('vulnerabilities', () => {
  it('turns a CVE into a vulnerability with the cve external reference', () => {
    const row = summary('cve', 'cve-2024-3400', {
      sources: ['CISA KEV'],
      contexts: ['PAN-OS GlobalProtect command injection.'],
      reference_urls: ['https://www.cisa.gov/known-exploited-vulnerabilities-catalog'],
    });
    const bundle = toStixBundle([row]);
    expect(byType<StixVulnerability>(bundle, 'vulnerability')[0]).toEqual({
      type: 'vulnerability',
      spec_version: '2.1',
      id: `vulnerability--${row.id}`,
      created_by_ref: SOCD_IDENTITY_ID,
      created: '2026-07-24T13:50:06.000Z',
      modified: '2026-07-25T08:12:41.250Z',
      name: 'CVE-2024-3400',
      description: 'PAN-OS GlobalProtect command injection.',
      confidence: 85,
      external_references: [
        { source_name: 'cve', external_id: 'CVE-2024-3400' },
        { source_name: 'CISA KEV', url: 'https://www.cisa.gov/known-exploited-vulnerabilities-catalog' },
      ],
    });
    expect(byType(bundle, 'indicator')).toEqual([]);
    expect(validateStixBundle(bundle)).toEqual([]);
  });
});

describe('the lifecycle in STIX', () => {
  it('writes valid_until from the validity, after valid_from as STIX requires, and none for a value that never expires', () => {
    const rows = [
      summary('domain', 'valid.example', { valid_until: '2026-10-23T08:12:41.250Z' }),
      // Validity cannot end before the knowledge began: a millisecond after valid_from.
      summary('domain', 'early.example', { valid_until: '2026-07-01T00:00:00.000Z' }),
      summary('domain', 'forever.example', { valid_until: null }),
    ];
    const bundle = toStixBundle(rows);
    expect(validateStixBundle(bundle)).toEqual([]);
    expect(indicatorNamed(bundle, 'valid.example').valid_until).toBe('2026-10-23T08:12:41.250Z');
    const early = indicatorNamed(bundle, 'early.example');
    expect(early.valid_until).toBe('2026-07-24T13:50:06.001Z');
    expect(early.valid_until! > early.valid_from).toBe(true);
    expect(indicatorNamed(bundle, 'forever.example')).not.toHaveProperty('valid_until');
  });

  it('moves modified when the lifecycle changed after the last sighting (a revocation is a new version)', () => {
    const seen: StixSummary = { ...summary('domain', 'seen.example'), lifecycle_at: '2026-07-25T00:00:00.000Z' };
    const revoked: StixSummary = { ...summary('domain', 'revoked.example', { revoked: true }), lifecycle_at: '2026-08-01T09:00:00.000Z' };
    const bundle = toStixBundle([seen, revoked]);
    expect(indicatorNamed(bundle, 'seen.example').modified).toBe(seen.last_seen);
    expect(indicatorNamed(bundle, 'revoked.example')).toMatchObject({ modified: '2026-08-01T09:00:00.000Z', revoked: true });
  });

  it('revokes an indicator\'s indicates relationships with it', () => {
    const bundle = toStixBundle([summary('domain', 'fp.example', { revoked: true, mitre_techniques: ['T1566'] })]);
    expect(validateStixBundle(bundle)).toEqual([]);
    const [relationship] = byType<StixRelationship>(bundle, 'relationship');
    expect(relationship).toMatchObject({ revoked: true, source_ref: indicatorNamed(bundle, 'fp.example').id });
  });

  it('gives a value restored after a revocation a new object: a new id for it and its relationships, stable per restore', () => {
    const row = summary('domain', 'restored.example', { mitre_techniques: ['T1566'] });
    const cve = summary('cve', 'CVE-2024-3400');
    const first = toStixBundle([row, cve]);
    expect(objectIds(toStixBundle([{ ...row, stix_chain: 0 }, { ...cve, stix_chain: 0 }]))).toEqual(objectIds(first));
    const again = toStixBundle([{ ...row, stix_chain: 1 }, { ...cve, stix_chain: 1 }]);
    expect(validateStixBundle(again)).toEqual([]);
    const [was, is] = [indicatorNamed(first, 'restored.example'), indicatorNamed(again, 'restored.example')];
    expect(is.id).not.toBe(was.id);
    expect(is.id).toMatch(/^indicator--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(byType<StixRelationship>(again, 'relationship')[0]!.source_ref).toBe(is.id);
    expect(byType<StixRelationship>(again, 'relationship')[0]!.id).not.toBe(byType<StixRelationship>(first, 'relationship')[0]!.id);
    expect(byType(again, 'vulnerability')[0]!.id).not.toBe(byType(first, 'vulnerability')[0]!.id);
    expect(objectIds(toStixBundle([{ ...row, stix_chain: 1 }, { ...cve, stix_chain: 1 }]))).toEqual(objectIds(again));
    expect(indicatorNamed(toStixBundle([{ ...row, stix_chain: 2 }]), 'restored.example').id).not.toBe(is.id);
  });

  it('makes validity and revocation material to a version, and knows a revoked state', () => {
    const row = summary('domain', 'state.example');
    const base = stixMaterialState(row);
    // Never expiring: the state as it was before validity was part of it.
    expect(stixMaterialState({ ...row, valid_until: null })).toBe(base);
    expect(JSON.parse(base)).toHaveLength(4);
    const until = stixMaterialState({ ...row, valid_until: '2026-10-23T08:12:41.250Z' });
    expect(until).not.toBe(base);
    expect(stixMaterialState({ ...row, valid_until: '2026-11-23T08:12:41.250Z' })).not.toBe(until);
    expect(isRevokedState(base)).toBe(false);
    expect(isRevokedState(until)).toBe(false);
    expect(isRevokedState(stixMaterialState({ ...row, revoked: true, valid_until: '2026-10-23T08:12:41.250Z' }))).toBe(true);
  });

  it('dates a TAXII version by the version alone, whatever the lifecycle time says', () => {
    const row: StixSummary = {
      ...summary('domain', 'version.example', { revoked: true, valid_until: '2026-10-23T08:12:41.250Z' }),
      lifecycle_at: '2026-09-01T00:00:00.000Z',
    };
    const { object } = stixVersionObjects(row, '2026-09-01T00:00:00.123Z');
    const indicator = JSON.parse(object!.json) as StixIndicator;
    expect(indicator).toMatchObject({ modified: '2026-09-01T00:00:00.123Z', revoked: true, valid_until: '2026-10-23T08:12:41.250Z' });
    expect(validateStixBundle({ type: 'bundle', id: 'bundle--3f1c7a52-5d0e-4b8e-9a43-2f6d1c0b9e71', objects: [indicator] })).toEqual([]);
  });
});
