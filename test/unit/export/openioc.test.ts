// The OpenIOC writer against Mandiant's OpenIOC 1.1 schema and term dictionary
// (test/helpers/openioc.ts), which are first shown to accept ioc_writer's documents and to
// reject the broken samples of ../shared/fixtures/conformance/openioc.
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OPENIOC_TAIL, openIocHead, openIocItems as writeItems } from '../../../src/export/openioc.js';
import type { IocType } from '../../../src/ioc/types.js';
import type { IndicatorSummary } from '../../../src/store/records.js';
import { checkOpenIoc, openIocItems, termDisplayType } from '../../helpers/openioc.js';
import { SHARED_DIR } from '../../helpers/shared.js';
import { summary } from '../../helpers/summaries.js';

const CONFORMANCE = path.join(SHARED_DIR, 'fixtures', 'conformance', 'openioc');
const read = (name: string): string => fs.readFileSync(path.join(CONFORMANCE, name), 'utf8');

const indicator = (type: IocType, value: string, id?: string): IndicatorSummary => summary(type, value, id === undefined ? {} : { id });

const document = (indicators: IndicatorSummary[]): string => openIocHead(new Date('2026-07-24T09:00:00Z')) + writeItems(indicators) + OPENIOC_TAIL;

describe('the OpenIOC checks', () => {
  it.each(fs.readdirSync(CONFORMANCE).filter((name) => name.startsWith('good-')))('accept %s', async (name) => {
    expect(await checkOpenIoc(read(name))).toEqual([]);
  });

  it.each(fs.readdirSync(CONFORMANCE).filter((name) => name.startsWith('bad-')))('reject %s', async (name) => {
    expect((await checkOpenIoc(read(name))).length).toBeGreaterThan(0);
  });
});

describe('OpenIOC documents', () => {
  const all: [IocType, string, string][] = [
    ['ipv4', '203.0.113.9', 'PortItem/remoteIP'],
    ['ipv6', '2a03:2880:f10c:83:face:b00c:0:25de', 'PortItem/remoteIP'],
    ['domain', 'update-check.net', 'DnsEntryItem/Host'],
    ['url', 'http://198.51.100.7/gate.php?id=42&x=<1>', 'UrlHistoryItem/URL'],
    ['md5', 'd41d8cd98f00b204e9800998ecf8427f', 'FileItem/Md5sum'],
    ['sha1', 'da39a3ee5e6b4b0d3255bfef95601890afd80708', 'FileItem/Sha1sum'],
    ['sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b856', 'FileItem/Sha256sum'],
    ['email', "o'brien@evil-mail.net", 'Email/From'],
  ];

  it('validate against ioc.xsd with a known term for every type that has one, and say each value as written', async () => {
    const xml = document([...all.map(([type, value]) => indicator(type, value)), indicator('sha512', 'a'.repeat(128)), indicator('cve', 'CVE-2024-3400')]);
    expect(await checkOpenIoc(xml)).toEqual([]);
    expect(openIocItems(xml).map((item) => [item.search, item.value])).toEqual(all.map(([, value, search]) => [search, value]));
    // Each Content type is the one the term dictionary gives the term.
    for (const item of openIocItems(xml)) expect(item.type).toBe(termDisplayType(item.search));
  });

  it('an empty export is a valid document', async () => {
    expect(await checkOpenIoc(document([]))).toEqual([]);
  });

  it('any value survives XML escaping', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: fc.constantFrom('a', '&', '<', '>', '"', "'", ']]>', 'é', ' ') }), async (value) => {
        const xml = document([indicator('url', `http://a.co/${value}`)]);
        expect(await checkOpenIoc(xml)).toEqual([]);
        expect(openIocItems(xml)[0]?.value).toBe(`http://a.co/${value}`.trim());
      }),
      { numRuns: 30 },
    );
  });

  it('an item keeps its id from one export to the next', () => {
    const id = (xml: string) => /IndicatorItem id="([^"]+)"/.exec(xml)?.[1];
    expect(id(writeItems([indicator('domain', 'a-evil.com', 'x')]))).toBe(id(writeItems([indicator('domain', 'a-evil.com', 'x')])));
  });
});
