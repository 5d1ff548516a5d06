import { describe, expect, it } from 'vitest';
import { parseUrlhausCsv } from '../../../../src/ingest/parsers/urlhaus-csv.js';
import { FeedFormatError } from '../../../../src/ingest/types.js';
import { lineOf, readFeed, replaceLine } from './fixtures.js';

const WITH_BANNER = readFeed('urlhaus-csv-online-2026-08-18-head.csv');
const HEADER_STRIPPED = readFeed('urlhaus-csv-online-2025-04-21-header-stripped-first200.csv');
const FIRST_DATA_LINE = 10; // 7 banner lines, a `#` line, the `# id,dateadded,...` header

describe('parseUrlhausCsv on the dump with its # banner and commented header', () => {
  const feed = parseUrlhausCsv(WITH_BANNER);

  it('reads all 78 rows as url records, none rejected, no articles', () => {
    expect(feed.records).toHaveLength(78);
    expect(feed.rejected).toEqual([]);
    expect(feed.articles).toEqual([]);
    expect(feed.records.every((record) => record.ioc.type === 'url')).toBe(true);
  });

  it('maps the first row (tags "None") field by field', () => {
    expect(feed.records[0]).toEqual({
      ioc: { type: 'url', value: 'http://120.84.215.27:44835/i', normalized: 'http://120.84.215.27:44835/i', notes: [] },
      confidence: 'high',
      firstSeen: new Date('2026-08-18T16:17:08Z'),
      lastSeen: new Date('2026-08-18T16:17:08Z'),
      tags: ['malware_download'],
      context: 'malware_download URL reported by GAYINT_DOT_ORG, online',
      referenceUrl: 'https://urlhaus.abuse.ch/url/3905439/',
    });
  });

  it('splits the tags column, lower-cased, after the threat', () => {
    expect(feed.records[1]?.ioc.value).toBe('http://176.65.139.212/eclipse.sh4');
    expect(feed.records[1]?.tags).toEqual(['malware_download', '176-65-139-212', 'elf', 'mirai', 'ua-wget']);
    const last = feed.records.at(-1);
    expect(last?.tags).toEqual(['malware_download', '32-bit', 'arm', 'elf', 'mirai', 'mozi']);
  });

  it('takes lastSeen from last_online, as UTC', () => {
    const last = feed.records.at(-1);
    expect(last?.ioc.value).toBe('http://138.204.196.254:46255/bin.sh');
    expect(last?.firstSeen.toISOString()).toBe('2026-08-18T12:46:22.000Z');
    expect(last?.lastSeen.toISOString()).toBe('2026-08-18T13:57:27.000Z');
    expect(feed.records.filter((record) => record.lastSeen > record.firstSeen)).toHaveLength(4);
  });

  it('reads the same rows with CRLF line endings', () => {
    const crlf = parseUrlhausCsv(WITH_BANNER.replaceAll('\n', '\r\n'));
    expect(crlf.records).toEqual(feed.records);
    expect(crlf.rejected).toEqual([]);
  });
});

describe('parseUrlhausCsv on the header-stripped mirror (un-commented header, no banner)', () => {
  const feed = parseUrlhausCsv(HEADER_STRIPPED);

  it('reads 200 rows and skips the header line', () => {
    expect(feed.records).toHaveLength(200);
    expect(feed.rejected).toEqual([]);
    expect(feed.records[0]?.ioc.value).toBe('http://117.209.87.242:60905/bin.sh');
    expect(feed.records[0]?.firstSeen.toISOString()).toBe('2025-04-21T12:35:06.000Z');
    expect(feed.records[0]?.tags).toEqual(['malware_download', '32-bit', 'elf', 'mips', 'mozi']);
    expect(feed.records.at(-1)?.referenceUrl).toBe('https://urlhaus.abuse.ch/url/3520338/');
  });

  it('drops the literal None of an empty tags column', () => {
    expect(feed.records.filter((record) => record.tags.length === 1)).toHaveLength(1);
    expect(feed.records.some((record) => record.tags.includes('none'))).toBe(false);
  });
});

describe('parseUrlhausCsv on malformed rows built from the real file', () => {
  it('rejects a truncated line and still reads the line after it', () => {
    const truncated = lineOf(WITH_BANNER, 13).slice(0, 40); // `"3905437","2026-08-18 16:05:19","http://`
    const feed = parseUrlhausCsv(replaceLine(WITH_BANNER, 13, truncated));
    expect(feed.records).toHaveLength(77);
    expect(feed.rejected).toEqual([{ at: 13, value: truncated, reason: expect.stringMatching(/quote is never closed/) }]);
    expect(feed.records.map((record) => record.ioc.value)).toContain('http://176.65.139.212/eclipse.armv6l');
  });

  it('rejects a truncated last line without a final newline', () => {
    const cut = `${WITH_BANNER}"3905350","2026-08-18 12:40:00","http://138.2`;
    const feed = parseUrlhausCsv(cut);
    expect(feed.records).toHaveLength(78);
    expect(feed.rejected).toEqual([{ at: 88, value: '"3905350","2026-08-18 12:40:00","http://138.2', reason: expect.any(String) }]);
  });

  it('rejects a row cut short of its columns', () => {
    const short = '"3905437","2026-08-18 16:05:19","http://176.65.139.212/eclipse.m68k"';
    const feed = parseUrlhausCsv(replaceLine(WITH_BANNER, 13, short));
    expect(feed.rejected).toEqual([{ at: 13, value: expect.stringContaining('3905437'), reason: 'expected 9 fields, got 3 (truncated line?)' }]);
  });

  it('rejects a bad date and a value that is not a URL, with the line and the reason', () => {
    let body = replaceLine(WITH_BANNER, FIRST_DATA_LINE, lineOf(WITH_BANNER, FIRST_DATA_LINE).replace('"2026-08-18 16:17:08"', '"2026-02-30 16:17:08"'));
    body = replaceLine(body, 12, lineOf(body, 12).replace('http://176.65.139.212/eclipse.i586', 'javascript:alert(1)'));
    const feed = parseUrlhausCsv(body);
    expect(feed.records).toHaveLength(76);
    expect(feed.rejected).toEqual([
      { at: 10, value: expect.stringContaining('3905439'), reason: 'dateadded "2026-02-30 16:17:08" is not a date' },
      { at: 12, value: expect.stringContaining('javascript:alert(1)'), reason: expect.stringMatching(/^url: /) },
    ]);
  });

  it('gives offline URLs medium confidence', () => {
    const body = replaceLine(WITH_BANNER, FIRST_DATA_LINE, lineOf(WITH_BANNER, FIRST_DATA_LINE).replace('"online"', '"offline"'));
    const first = parseUrlhausCsv(body).records[0];
    expect(first?.confidence).toBe('medium');
    expect(first?.context).toBe('malware_download URL reported by GAYINT_DOT_ORG, offline');
  });
});

describe('parseUrlhausCsv on bodies that are not the dump', () => {
  it.each([
    ['an HTML error page', '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body></body></html>'],
    ['a JSON answer', '{"query_status":"no_results"}'],
    ['an empty body', ''],
    ['rows without any header', WITH_BANNER.split('\n').slice(FIRST_DATA_LINE - 1).join('\n')],
  ])('throws FeedFormatError for %s', (_name, body) => {
    expect(() => parseUrlhausCsv(body)).toThrow(FeedFormatError);
  });

  it('accepts the banner alone as an empty dump', () => {
    const bannerOnly = WITH_BANNER.split('\n').slice(0, FIRST_DATA_LINE - 1).join('\n');
    expect(parseUrlhausCsv(bannerOnly)).toEqual({ records: [], articles: [], rejected: [] });
  });
});
