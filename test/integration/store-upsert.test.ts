// upsertRecords sends its rows as array literals and rewrites only what changed; the trigram
// index leaves hashes out, which the fuzzy search finds by their beginning
// (src/store/migrations/0003_ingest_indexes.sql).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIoc } from '../../src/ioc/index.js';
import type { IocType } from '../../src/ioc/types.js';
import { searcher } from '../../src/store/search.js';
import { upsertArticle } from '../../src/store/articles.js';
import { upsertRecords, type NewRecord } from '../../src/store/upsert.js';
import { ensureImportSource, type SourceRef } from '../../src/store/sources.js';
import { BACKENDS, openTestStore, type TestStore } from '../helpers.js';

const SHA256 = '3f9c01b2e4a7d5c6b8a9f0e1d2c3b4a5968778695a4b3c2d1e0f9a8b7c6d5e4f';
const MD5 = 'deadbeef9b1c2d3e4f5a6b7c8d9e0f19';
const AT = new Date('2026-03-01T10:00:00.123Z');
const LATER = new Date('2026-03-02T11:30:00.456Z');

function record(value: string, type: IocType, extra: Partial<NewRecord> = {}): NewRecord {
  const parsed = parseIoc(value, type);
  if (!parsed.ok) throw new Error(`${value}: ${parsed.reason}`);
  return { ioc: parsed.ioc, confidence: 'medium', firstSeen: AT, lastSeen: AT, ...extra };
}

describe.each(BACKENDS)('upsertRecords and the hash index on %s', (backend) => {
  let store: TestStore;
  let source: SourceRef;
  beforeAll(async () => {
    store = await openTestStore(backend);
    source = await ensureImportSource(store.db, 'upsert-test', 'threat-intel');
  });
  afterAll(async () => {
    await store?.close();
  });

  const sighting = async (value: string) =>
    (
      await store.db.query<{
        context: string | null; tags: string[]; mitre_techniques: string[]; industries: string[]; ports: number[];
        reference_url: string | null; first_seen: Date; last_seen: Date; confidence: string; xmin: string;
      }>(
        `select s.context, s.tags, s.mitre_techniques, s.industries, s.ports, s.reference_url, s.first_seen, s.last_seen,
           s.confidence, s.xmin::text as xmin
         from sightings s join indicators i on i.id = s.indicator_id where i.value = $1 and s.source_id = $2`,
        [value, source.id],
      )
    )[0];

  it("counts an article's records as they are written: a record seen again is not counted twice", async () => {
    const articleId = await upsertArticle(store.db, { id: '6f0b1c2d-3e4f-5a6b-7c8d-9e0f1a2b3c4d', sourceId: source.id, title: 'A report', url: 'https://news.example.org/report' });
    const count = async () => {
      const [row] = await store.db.query<{ kept: number; counted: number }>(
        `select c.ioc_count as kept, (select count(*)::int from sightings s where s.article_id = a.id) as counted
         from articles a join article_ioc_counts c on c.article_id = a.id where a.id = $1`,
        [articleId],
      );
      return row!;
    };
    const write = (records: NewRecord[]) => store.db.transaction((tx) => upsertRecords(tx, source, 'article', records));
    await write([record('203.0.113.61', 'ipv4', { articleId }), record('counted.example-c2.net', 'domain', { articleId })]);
    expect(await count()).toEqual({ kept: 2, counted: 2 });
    // Seen again (a later last_seen: an update, no insert), beside one new record and a feed record.
    await write([
      record('203.0.113.61', 'ipv4', { articleId, lastSeen: LATER }),
      record('203.0.113.62', 'ipv4', { articleId }),
      record('203.0.113.63', 'ipv4'),
    ]);
    expect(await count()).toEqual({ kept: 3, counted: 3 });
  });

  it('stores what it is given, whatever the characters, times to the millisecond', async () => {
    const context = 'He said "stop" \\ then {left}, NULL; next line:\nend';
    const counts = await store.db.transaction((tx) =>
      upsertRecords(tx, source, 'import', [
        record('quoted-context.example-c2.net', 'domain', {
          context,
          tags: ['NULL', 'a,b', 'say "hi"', 'back\\slash', '{braced}', ''],
          mitreTechniques: ['T1566.001'],
          industries: ['finance'],
          ports: [443, 22, 443],
          referenceUrl: 'https://ref.example.org/a?b="c"',
          lastSeen: LATER,
        }),
        record('http://198.51.100.7:8080/Path/With,Comma"Quote', 'url'),
        record(SHA256, 'sha256'),
      ]),
    );
    expect(counts).toEqual({ inserted: 3, updated: 0 });
    const stored = await sighting('quoted-context.example-c2.net');
    expect(stored).toMatchObject({
      context,
      tags: ['NULL', 'a,b', 'say "hi"', 'back\\slash', '{braced}', ''],
      mitre_techniques: ['T1566.001'],
      industries: ['finance'],
      ports: [22, 443],
      reference_url: 'https://ref.example.org/a?b="c"',
      confidence: 'medium',
    });
    expect(stored!.first_seen.toISOString()).toBe(AT.toISOString());
    expect(stored!.last_seen.toISOString()).toBe(LATER.toISOString());
    const [url] = await store.db.query<{ value: string; value_normalized: string }>(
      `select value, value_normalized from indicators where type = 'url' and value like '%Comma%'`,
    );
    expect(url!.value).toContain('Path/With,Comma');
    const [empty] = await store.db.query<{ tags: string[]; context: string | null }>(
      `select s.tags, s.context from sightings s join indicators i on i.id = s.indicator_id where i.value = $1`,
      [SHA256],
    );
    expect(empty).toEqual({ tags: [], context: null });
  });

  it('leaves a record seen again with nothing new as it was, and counts it as seen again', async () => {
    const before = await sighting('quoted-context.example-c2.net');
    const counts = await store.db.transaction((tx) =>
      upsertRecords(tx, source, 'import', [record('quoted-context.example-c2.net', 'domain', { tags: ['NULL'], lastSeen: AT })]),
    );
    expect(counts).toEqual({ inserted: 0, updated: 1 });
    const after = await sighting('quoted-context.example-c2.net');
    // Not rewritten at all: the same row version.
    expect(after).toEqual(before);
  });

  it('merges what is new into a record seen again', async () => {
    const counts = await upsertRecords(store.db, source, 'import', [
      record('quoted-context.example-c2.net', 'domain', { tags: ['fresh', 'NULL'], ports: [8443], lastSeen: new Date('2026-03-05T00:00:00Z') }),
    ]);
    expect(counts).toEqual({ inserted: 0, updated: 1 });
    const after = await sighting('quoted-context.example-c2.net');
    expect(after!.tags).toEqual(['NULL', 'a,b', 'say "hi"', 'back\\slash', '{braced}', '', 'fresh']);
    expect(after!.ports).toEqual([22, 443, 8443]);
    expect(after!.last_seen.toISOString()).toBe('2026-03-05T00:00:00.000Z');
    expect(after!.first_seen.toISOString()).toBe(AT.toISOString());
  });

  it('finds a hash by its beginning, and not by a piece of its middle', async () => {
    await upsertRecords(store.db, source, 'import', [
      record(MD5, 'md5'),
      record('deadbeef-cdn.example-c2.net', 'domain'),
      record('cdn9f.example-c2.net', 'domain'),
    ]);
    const search = searcher(store.db, 10_000);
    const fuzzy = async (q: string) => {
      const { matches, stopped } = await search.fuzzy(q);
      expect(stopped).toBe(false);
      return matches.map((json) => JSON.parse(json) as { value: string; similarity: number });
    };
    const found = async (q: string) => (await fuzzy(q)).map((m) => m.value).sort();
    expect(await found(SHA256.slice(0, 12))).toEqual([SHA256]);
    // A hex q finds the hashes that begin with it and the other values that contain it.
    expect(await found('deadbeef')).toEqual(['deadbeef-cdn.example-c2.net', MD5].sort());
    // The last digit of q is the end of the range: 9 and f are no special case.
    expect(await found(MD5.slice(0, 31))).toEqual([MD5]);
    expect(await found(SHA256.slice(0, 63))).toEqual([SHA256]);
    expect(await found('3f9')).toEqual([SHA256]);
    expect(await found(SHA256.slice(20, 36))).toEqual([]);
    for (const match of await fuzzy(SHA256.slice(0, 12))) expect(match.similarity).toBeGreaterThan(0);
  });

  it('plans the fuzzy statements on the partial indexes', async () => {
    // One transaction: the setting and the plans on one connection.
    const [trigram, prefix] = await store.db.transaction(async (tx) => {
      await tx.query('set local enable_seqscan = off');
      const plan = async (sql: string) =>
        (await tx.query<Record<string, string>>(`explain ${sql}`)).map((row) => Object.values(row)[0]).join('\n');
      return [
        await plan(`select id from indicators where type not in ('md5', 'sha1', 'sha256', 'sha512') and value_normalized ilike '%example%'`),
        await plan(`select id from indicators where type in ('md5', 'sha1', 'sha256', 'sha512') and value_normalized ~>=~ 'dead' and value_normalized ~<~ 'deae'`),
      ];
    });
    expect(trigram).toContain('indicators_value_trgm');
    expect(prefix).toContain('indicators_hash_prefix');
  });
});
