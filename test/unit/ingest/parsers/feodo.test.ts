import { describe, expect, it } from 'vitest';
import { parseFeodoCsv } from '../../../../src/ingest/parsers/feodo-csv.js';
import { parseFeodoJson } from '../../../../src/ingest/parsers/feodo-json.js';
import { FeedFormatError } from '../../../../src/ingest/types.js';
import { lineOf, readFeed, replaceLine } from './fixtures.js';

const JSON_2026 = readFeed('feodotracker-ipblocklist-2026-07-24.json');
const CSV_2024_04_04 = readFeed('feodotracker-ipblocklist-2024-04-04.csv');
const CSV_2024_03_26 = readFeed('feodotracker-ipblocklist-2024-03-26.csv');
const FIRST_DATA_LINE = 10; // 7 banner lines, a `#` line, the quoted header row

describe('parseFeodoJson on ipblocklist.json', () => {
  const feed = parseFeodoJson(JSON_2026);

  it('reads the 5 C2 entries as ipv4 records with their port', () => {
    expect(feed.rejected).toEqual([]);
    expect(feed.records.map((record) => [record.ioc.value, record.ports])).toEqual([
      ['162.243.103.246', [8080]],
      ['50.16.16.211', [443]],
      ['34.204.119.63', [443]],
      ['178.62.3.223', [443]],
      ['27.133.154.218', [443]],
    ]);
    expect(feed.records.filter((record) => record.tags[0] === 'qakbot')).toHaveLength(4);
    expect(feed.records.filter((record) => record.tags[0] === 'emotet')).toHaveLength(1);
  });

  it('maps an online C2 field by field', () => {
    expect(feed.records[1]).toEqual({
      ioc: { type: 'ipv4', value: '50.16.16.211', normalized: '50.16.16.211', notes: [] },
      confidence: 'high',
      firstSeen: new Date('2025-12-30T13:56:31Z'),
      lastSeen: new Date('2026-03-12T00:00:00Z'),
      tags: ['qakbot', 'botnet_cc'],
      context: 'QakBot botnet C2 on port 443, online; AS14618 AMAZON-AES, US; hostname ec2-50-16-16-211.compute-1.amazonaws.com',
      referenceUrl: 'https://feodotracker.abuse.ch/browse/host/50.16.16.211/',
      ports: [443],
    });
  });

  it('gives offline C2s medium confidence, and a context without a null hostname', () => {
    expect(feed.records[0]?.confidence).toBe('medium');
    expect(feed.records[0]?.context).toBe('Emotet botnet C2 on port 8080, offline; AS14061 DIGITALOCEAN-ASN, US');
  });

  it('rejects malformed entries by index, keeping the others', () => {
    const entries = JSON.parse(JSON_2026) as Record<string, unknown>[];
    entries[0] = { ...entries[0], ip_address: '162.243.103.256' };
    entries[1] = { ...entries[1], port: 70000 };
    entries[2] = { ...entries[2], first_seen: '2026-01-13 25:41:15' };
    entries[3] = { ...entries[3], last_online: 'yesterday' };
    const feed = parseFeodoJson(JSON.stringify([...entries, 'not an entry']));
    expect(feed.records.map((record) => record.ioc.value)).toEqual(['27.133.154.218']);
    expect(feed.rejected).toEqual([
      { at: 0, value: '162.243.103.256', reason: expect.stringMatching(/^ip address: not a valid IPv4 address/) },
      { at: 1, value: '50.16.16.211', reason: 'port "70000" is not a port (1-65535)' },
      { at: 2, value: '34.204.119.63', reason: 'first_seen "2026-01-13 25:41:15" is not a date' },
      { at: 3, value: '178.62.3.223', reason: 'last_online "yesterday" is not a date' },
      { at: 5, value: '"not an entry"', reason: 'entry is a string, not an object' },
    ]);
  });

  it.each([
    ['truncated JSON', JSON_2026.slice(0, 500)],
    ['an object instead of the array', '{"ip_address":"50.16.16.211"}'],
    ['an HTML page', '<html><body><h1>429 Too Many Requests</h1></body></html>'],
  ])('throws FeedFormatError for %s', (_name, body) => {
    expect(() => parseFeodoJson(body)).toThrow(FeedFormatError);
  });
});

describe('parseFeodoCsv on ipblocklist.csv', () => {
  const feed = parseFeodoCsv(CSV_2024_04_04);

  it('reads the 28 rows, quoted header skipped, trailer count agreeing', () => {
    expect(feed.records).toHaveLength(28);
    expect(feed.rejected).toEqual([]);
    expect(feed.records.every((record) => record.ioc.type === 'ipv4' && record.tags.join() === 'pikabot,botnet_cc')).toBe(true);
    expect(feed.records.filter((record) => record.confidence === 'high')).toHaveLength(4);
  });

  it('maps the first row field by field', () => {
    expect(feed.records[0]).toEqual({
      ioc: { type: 'ipv4', value: '192.9.135.73', normalized: '192.9.135.73', notes: [] },
      confidence: 'high',
      firstSeen: new Date('2023-05-23T17:51:44Z'),
      lastSeen: new Date('2024-04-01T00:00:00Z'),
      tags: ['pikabot', 'botnet_cc'],
      context: 'Pikabot botnet C2 on port 1194, online',
      referenceUrl: 'https://feodotracker.abuse.ch/browse/host/192.9.135.73/',
      ports: [1194],
    });
  });

  it('never puts lastSeen (a bare last_online day) before first_seen', () => {
    const last = feed.records.at(-1);
    expect(last?.ioc.value).toBe('172.233.221.61');
    expect(last?.firstSeen.toISOString()).toBe('2024-04-04T07:03:03.000Z');
    expect(last?.lastSeen.toISOString()).toBe('2024-04-04T07:03:03.000Z');
    expect(feed.records.every((record) => record.lastSeen >= record.firstSeen)).toBe(true);
  });

  it('reads the previous version, whose trailer has no final newline', () => {
    expect(CSV_2024_03_26.endsWith('# END 27 entries')).toBe(true);
    const previous = parseFeodoCsv(CSV_2024_03_26);
    expect(previous.records).toHaveLength(27);
    expect(previous.rejected).toEqual([]);
    expect(previous.records.at(-1)?.ioc.value).toBe('84.247.157.112');
    expect(previous.records.at(-1)?.ports).toEqual([13783]);
  });

  it('rejects a truncated row, a bad port and a bad IP with their lines', () => {
    let body = replaceLine(CSV_2024_04_04, FIRST_DATA_LINE, '"2023-05-23 17:51:44","192.9.135.73","11');
    body = replaceLine(body, 11, lineOf(body, 11).replace('"5000"', '"0"'));
    body = replaceLine(body, 12, lineOf(body, 12).replace('"37.60.242.85"', '"37.60.242"'));
    const result = parseFeodoCsv(body);
    expect(result.records).toHaveLength(25);
    expect(result.rejected).toEqual([
      { at: 10, value: '"2023-05-23 17:51:44","192.9.135.73","11', reason: expect.stringMatching(/quote is never closed/) },
      { at: 11, value: expect.stringContaining('85.239.243.155'), reason: 'port "0" is not a port (1-65535)' },
      { at: 12, value: expect.stringContaining('37.60.242'), reason: expect.stringMatching(/^ip address: not a valid IPv4 address/) },
    ]);
  });

  it('reports a trailer count that differs from the rows read', () => {
    const result = parseFeodoCsv(replaceLine(CSV_2024_04_04, FIRST_DATA_LINE, undefined));
    expect(result.records).toHaveLength(27);
    expect(result.rejected).toEqual([
      { at: 37, value: '# END 28 entries', reason: expect.stringContaining('announces 28 entries but 27 rows were read') },
    ]);
  });

  it('reads the older layout with a commented header and no status column', () => {
    const old = '# Firstseen,DstIP,DstPort,LastOnline,Malware\n2019-05-23 17:51:44,192.9.135.73,1194,2019-06-01,Emotet\n';
    const result = parseFeodoCsv(old);
    expect(result.rejected).toEqual([]);
    expect(result.records[0]).toMatchObject({ ioc: { value: '192.9.135.73' }, confidence: 'medium', ports: [1194], tags: ['emotet', 'botnet_cc'] });
  });

  it.each([
    ['an HTML page', '<!doctype html><html><body>maintenance</body></html>'],
    ['the JSON format', JSON_2026],
    ['no header', '"2023-05-23 17:51:44","192.9.135.73","1194","online","2024-04-01","Pikabot"\n'],
  ])('throws FeedFormatError for %s', (_name, body) => {
    expect(() => parseFeodoCsv(body)).toThrow(FeedFormatError);
  });
});
