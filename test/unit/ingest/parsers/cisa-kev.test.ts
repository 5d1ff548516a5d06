import { describe, expect, it } from 'vitest';
import { parseCisaKev } from '../../../../src/ingest/parsers/cisa-kev.js';
import { FeedFormatError } from '../../../../src/ingest/types.js';
import { readFeed } from './fixtures.js';

const KEV = readFeed('cisa-kev-2025-08-25.json');
const CATALOG = JSON.parse(KEV) as { dateReleased: string; vulnerabilities: Record<string, unknown>[] };
const RELEASED = new Date('2025-08-25T17:04:19.979Z');

describe('parseCisaKev on the 2025.08.25 catalogue', () => {
  const feed = parseCisaKev(KEV);

  it('reads the 1,404 vulnerabilities as distinct high-confidence cve records', () => {
    expect(feed.records).toHaveLength(1404);
    expect(feed.rejected).toEqual([]);
    expect(feed.articles).toEqual([]);
    expect(feed.records.every((record) => record.ioc.type === 'cve' && record.confidence === 'high')).toBe(true);
    expect(new Set(feed.records.map((record) => record.ioc.normalized)).size).toBe(1404);
  });

  it('maps the first entry field by field', () => {
    expect(feed.records[0]).toEqual({
      ioc: { type: 'cve', value: 'CVE-2025-48384', normalized: 'cve-2025-48384', notes: [] },
      confidence: 'high',
      firstSeen: new Date('2025-08-25T00:00:00Z'),
      lastSeen: RELEASED,
      tags: ['kev'],
      context:
        'Git: Git Link Following Vulnerability. Git contains a link following vulnerability that stems from Git’s inconsistent handling of carriage return characters in configuration files.',
      referenceUrl: 'https://nvd.nist.gov/vuln/detail/CVE-2025-48384',
    });
  });

  it('writes "<vendorProject> <product>: <vulnerabilityName>. <shortDescription>"', () => {
    const index = CATALOG.vulnerabilities.findIndex((entry) => entry.vendorProject === 'D-Link');
    const entry = CATALOG.vulnerabilities[index] as Record<string, string>;
    expect(feed.records[index]?.context).toBe(
      `D-Link ${entry.product}: ${entry.vulnerabilityName}. ${entry.shortDescription}`,
    );
  });

  it('tags the 293 entries with known ransomware use', () => {
    expect(feed.records.filter((record) => record.tags.includes('ransomware'))).toHaveLength(293);
    expect(feed.records.every((record) => record.tags[0] === 'kev')).toBe(true);
  });

  it('dates each entry from dateAdded (2021-11-03 .. 2025-08-25), and names no industries', () => {
    const added = feed.records.map((record) => record.firstSeen.toISOString().slice(0, 10)).sort();
    expect(added[0]).toBe('2021-11-03');
    expect(added.at(-1)).toBe('2025-08-25');
    expect(feed.records.some((record) => record.industries !== undefined)).toBe(false);
  });
});

describe('parseCisaKev on malformed entries built from the real catalogue', () => {
  it('rejects them by index, with the reason', () => {
    const vulnerabilities = CATALOG.vulnerabilities.slice(0, 4).map((entry) => ({ ...entry }));
    vulnerabilities[0] = { ...vulnerabilities[0], cveID: 'CVE-25-48384' };
    vulnerabilities[1] = { ...vulnerabilities[1], dateAdded: '2025-08-32' };
    const { cveID: _missing, ...withoutId } = vulnerabilities[2] as Record<string, unknown>;
    vulnerabilities[2] = withoutId;
    const feed = parseCisaKev(JSON.stringify({ ...CATALOG, vulnerabilities: [...vulnerabilities, null] }));
    expect(feed.records.map((record) => record.ioc.value)).toEqual([CATALOG.vulnerabilities[3]?.cveID]);
    expect(feed.rejected).toEqual([
      { at: 0, value: 'CVE-25-48384', reason: expect.stringMatching(/^cveID: not a valid CVE id/) },
      { at: 1, value: String(CATALOG.vulnerabilities[1]?.cveID), reason: 'dateAdded "2025-08-32" is not a date' },
      { at: 2, value: '', reason: 'cveID is missing' },
      { at: 4, value: 'null', reason: 'entry is null, not an object' },
    ]);
  });

  it('uses dateAdded as lastSeen when the catalogue has no dateReleased', () => {
    const { dateReleased: _released, ...rest } = CATALOG;
    const feed = parseCisaKev(JSON.stringify({ ...rest, vulnerabilities: CATALOG.vulnerabilities.slice(0, 1) }));
    expect(feed.records[0]?.lastSeen).toEqual(new Date('2025-08-25T00:00:00Z'));
  });

  it.each([
    ['the CSV edition', 'cveID,vendorProject,product\nCVE-2025-48384,Git,Git\n'],
    ['an array', '[]'],
    ['an object without vulnerabilities', '{"title":"CISA Catalog of Known Exploited Vulnerabilities"}'],
    ['truncated JSON', KEV.slice(0, 4096)],
  ])('throws FeedFormatError for %s', (_name, body) => {
    expect(() => parseCisaKev(body)).toThrow(FeedFormatError);
  });
});
