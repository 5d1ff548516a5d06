// The CEF writer against a checker written from the ArcSight specification (test/helpers/cef.ts),
// which is itself shown to accept the specification's examples and to reject the broken
// samples of ../shared/fixtures/conformance/cef.
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cefExtensionValue, cefHeaderField, cefLine } from '../../../src/export/cef.js';
import type { IocType } from '../../../src/ioc/types.js';
import type { IocRecord } from '../../../src/store/records.js';
import { checkCef, checkCefLine } from '../../helpers/cef.js';
import { SHARED_DIR } from '../../helpers/shared.js';

const CONFORMANCE = path.join(SHARED_DIR, 'fixtures', 'conformance', 'cef');

function record(type: IocType, value: string, extra: Partial<IocRecord> = {}): IocRecord {
  return {
    id: '5b0c1f53-43b6-4c2b-9b1e-3a1a2b3c4d5e',
    type,
    value,
    confidence: 'high',
    first_seen: '2026-07-20T10:00:00Z',
    last_seen: '2026-07-24T08:30:00Z',
    source: {
      article_id: null,
      article_title: null,
      article_url: null,
      reference_url: 'https://threatfox.abuse.ch/ioc/1570153/',
      feed_name: 'ThreatFox',
      category: 'threat-intel',
      origin: 'feed',
    },
    context: 'Emotet C2',
    tags: ['emotet', 'botnet'],
    mitre_techniques: ['T1071'],
    ...extra,
  };
}

describe('the CEF checker', () => {
  it('accepts the examples of the ArcSight specification', () => {
    expect(checkCef(fs.readFileSync(path.join(CONFORMANCE, 'good-arcsight-spec-examples.cef'), 'utf8'))).toEqual([]);
  });

  it('rejects every broken sample: stray "=", unescaped "|" and "\\", severity 11, bad address, port and duplicate, a raw line break, six fields, an empty vendor', () => {
    const lines = fs.readFileSync(path.join(CONFORMANCE, 'bad-escaping-header-types.cef'), 'utf8').trimEnd().split('\n');
    expect(lines.map((line) => checkCefLine(line).errors.length > 0)).toEqual(lines.map(() => true));
  });
});

describe('CEF events', () => {
  const cases: [IocType, string, string][] = [
    ['ipv4', '203.0.113.9', 'dst'],
    ['ipv4', '91.149.0.0/16', 'cs3'],
    ['ipv6', '2a03:2880:f10c:83:face:b00c:0:25de', 'c6a1'],
    ['domain', 'update-check.net', 'dhost'],
    ['url', 'http://198.51.100.7/gate.php?id=42&x=1', 'request'],
    ['sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'fileHash'],
    ['email', 'ops@evil-mail.net', 'cs3'],
    ['cve', 'CVE-2024-3400', 'cs5'],
    ['mitre_attack', 'T1566', 'cs4'],
  ];

  it.each(cases)('%s %s is a valid event with the value in %s', (type, value, key) => {
    const line = cefLine(record(type, value));
    expect(line.endsWith('\n') && !line.slice(0, -1).includes('\n')).toBe(true);
    const { errors, event } = checkCefLine(line.slice(0, -1));
    expect(errors).toEqual([]);
    expect(event?.header.slice(4)).toEqual([type, `IOC ${type}`, '8']);
    expect(event?.extension.get(key)?.split(',')[0]).toBe(value);
    expect(event?.extension.get('cs1')).toBe('ThreatFox');
    expect(event?.extension.get('rt')).toBe(String(Date.parse('2026-07-24T08:30:00Z')));
  });

  it('severity follows confidence: 8, 5, 3', () => {
    const severity = (confidence: IocRecord['confidence']) => checkCefLine(cefLine(record('domain', 'a-evil.com', { confidence })).trimEnd()).event?.header[6];
    expect(['high', 'medium', 'low'].map((c) => severity(c as IocRecord['confidence']))).toEqual(['8', '5', '3']);
  });

  it('any feed name and context survive escaping: the checker reads back what was written', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ unit: fc.constantFrom('a', '|', '\\', '=', '\n', '\r', ' ', 'é', 'x=1') }), (feed, context) => {
        const line = cefLine(record('domain', 'update-check.net', { context, source: { ...record('domain', 'x').source, feed_name: feed } }));
        expect(line.slice(0, -1)).not.toMatch(/[\r\n]/);
        const { errors, event } = checkCefLine(line.slice(0, -1));
        expect(errors).toEqual([]);
        expect(event?.extension.get('cs1')).toBe(feed);
        if (context !== '') expect(event?.extension.get('msg')).toBe(context.replace(/\r\n/g, '\n'));
      }),
    );
  });

  it('escapes a header field and an extension value as the specification says', () => {
    expect(cefHeaderField('a|b\\c\nd')).toBe('a\\|b\\\\c d');
    expect(cefExtensionValue('a=b\\c\r\nd|e')).toBe('a\\=b\\\\c\\nd|e');
  });
});
