import { describe, expect, it } from 'vitest';
import { parseUrlhausHostfile } from '../../../../src/ingest/parsers/urlhaus-hostfile.js';
import { FeedFormatError } from '../../../../src/ingest/types.js';
import { readFeed, replaceLine } from './fixtures.js';

const HOSTFILE = readFeed('urlhaus-hostfile-2020-04-14.txt');
const LISTED_AT = new Date('2020-04-14T17:47:03Z');

describe('parseUrlhausHostfile on the real host file (CRLF, banner, trailer)', () => {
  const feed = parseUrlhausHostfile(HOSTFILE);

  it('is the CRLF file the fixture README describes', () => {
    expect(HOSTFILE.includes('\r\n')).toBe(true);
    expect(HOSTFILE.trimEnd().endsWith('# Number of entries: 869')).toBe(true);
  });

  it('reads all 869 entries as domain records, the trailer count agreeing', () => {
    expect(feed.records).toHaveLength(869);
    expect(feed.rejected).toEqual([]);
    expect(feed.records.every((record) => record.ioc.type === 'domain')).toBe(true);
    expect(feed.records[0]?.ioc.value).toBe('0400msc.com');
    expect(feed.records.at(-1)?.ioc.value).toBe('zumodelima.com');
  });

  it('dates every entry with the banner time, as the file has no other date', () => {
    expect(feed.records[0]).toEqual({
      ioc: { type: 'domain', value: '0400msc.com', normalized: '0400msc.com', notes: [] },
      confidence: 'medium',
      firstSeen: LISTED_AT,
      lastSeen: LISTED_AT,
      tags: ['malware_download'],
      context: 'Domain hosting malware URLs, listed in the URLhaus host file',
      referenceUrl: 'https://urlhaus.abuse.ch/host/0400msc.com/',
    });
  });

  it('keeps the odd concatenated names the file really lists', () => {
    const values = feed.records.map((record) => record.ioc.value);
    expect(values).toContain('3.zhzy999.net3.zhzy999.net');
    expect(values).toContain('31.128.173.853.zhzy999.net');
  });
});

describe('parseUrlhausHostfile on malformed lines', () => {
  it('rejects an IP, a missing domain and another address, with line numbers', () => {
    let body = replaceLine(HOSTFILE, 9, '127.0.0.1\t185.172.110.214\r');
    body = replaceLine(body, 10, '127.0.0.1\r');
    body = replaceLine(body, 11, '10.0.0.1\t2000kumdo.com\r');
    const feed = parseUrlhausHostfile(body);
    expect(feed.records).toHaveLength(866);
    expect(feed.rejected).toEqual([
      { at: 9, value: '127.0.0.1\t185.172.110.214', reason: 'domain: an IP address is not a domain: 185.172.110.214' },
      { at: 10, value: '127.0.0.1', reason: 'expected "127.0.0.1<TAB>domain", found one field' },
      { at: 11, value: '10.0.0.1\t2000kumdo.com', reason: 'expected 127.0.0.1 or 0.0.0.0 before the domain, found "10.0.0.1"' },
    ]);
  });

  it('reports a trailer count that no longer matches (a line lost in transit)', () => {
    const feed = parseUrlhausHostfile(replaceLine(HOSTFILE, 9, undefined));
    expect(feed.records).toHaveLength(868);
    expect(feed.rejected).toEqual([
      { at: 877, value: '# Number of entries: 869', reason: expect.stringContaining('announces 869 entries but 868 rows were read') },
    ]);
  });

  it('uses the now option when the banner has no date', () => {
    const now = new Date('2026-01-02T03:04:05Z');
    const feed = parseUrlhausHostfile('127.0.0.1\t0400msc.com\n0.0.0.0 1podcast.best\n', { now });
    expect(feed.records.map((record) => [record.ioc.value, record.firstSeen])).toEqual([
      ['0400msc.com', now],
      ['1podcast.best', now],
    ]);
  });

  it('throws FeedFormatError for an HTML page or an empty body', () => {
    expect(() => parseUrlhausHostfile('<html><body>Forbidden</body></html>')).toThrow(FeedFormatError);
    expect(() => parseUrlhausHostfile('  \r\n')).toThrow(FeedFormatError);
  });
});
