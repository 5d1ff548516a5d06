// MISP as a MISP instance and a script read it: format=misp in restSearch's shape and the MISP
// feed at /api/v1/misp/feed/, both checked by an oracle written from the MISP core format and
// PyMISP's describeTypes (test/helpers/misp.ts), and compared with the seeded model: an event per
// article and per feed and day, each record an attribute of its source's event, uuids stable.
// Conditional GET (ETag, 304) on the feed and on the block-list formats.
import { beforeAll, describe, expect, it } from 'vitest';
import { importIocList } from '../../src/ingest/import-list.js';
import { appSuite, BACKENDS } from '../helpers.js';
import { checkMispFeed, checkMispRestSearch } from '../helpers/misp.js';
import { CSV_INJECTION_SOURCE, CSV_INJECTION_VALUES, expectError, get, OPS_SOURCE, seedStore, type Seeded } from './seed.js';

interface Attribute {
  uuid: string;
  type: string;
  value: string;
  to_ids: boolean;
  timestamp: string;
  last_seen: string;
  Tag: { name: string }[];
}
interface MispEvent {
  uuid: string;
  info: string;
  date: string;
  timestamp: string;
  threat_level_id: string;
  Tag: { name: string }[];
  Attribute: Attribute[];
  RelatedEvent?: { Event: { uuid: string; info: string } }[];
}

describe.each(BACKENDS)('MISP on %s', (backend) => {
  let seeded: Seeded;
  const { store, t } = appSuite(backend, {
    seed: async (db) => {
      seeded = await seedStore(db);
    },
  });
  let pro: string;
  let free: string;
  beforeAll(async () => {
    pro = await t.key('pro');
    free = await t.key('free');
  });

  async function restSearch(query: string) {
    const res = await get(t.app, `/api/v1/iocs?format=misp&${query}`, pro);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { response: { Event: MispEvent }[] };
    expect(checkMispRestSearch(body)).toEqual([]);
    return { events: body.response.map((r) => r.Event), link: res.headers.link as string | undefined };
  }

  /** Every event, following the Link header's next page. */
  async function allEvents(limit: number) {
    const events: MispEvent[] = [];
    let query = `limit=${limit}`;
    for (;;) {
      const page = await restSearch(query);
      events.push(...page.events);
      if (!page.link) return events;
      const next = /^<([^>]+)>; rel="next"$/.exec(page.link)![1]!;
      const params = new URL(next).searchParams;
      params.delete('format');
      query = params.toString();
    }
  }

  /** The model's events: an article's records, or a source's of one (UTC) day, as the store dated them. */
  async function modelEvents() {
    const days = await store.db.query<{ id: string; day: string }>(
      `select id, to_char(extracted_at at time zone 'UTC', 'YYYY-MM-DD') as day from sightings`,
    );
    const dayOf = new Map(days.map((d) => [d.id, d.day]));
    const groups = new Map<string, typeof seeded.records>();
    for (const r of seeded.records) {
      const key = r.articleId ?? `${r.source}/${dayOf.get(r.id)}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    return groups;
  }

  it('gives an event per article and per feed and day, each record an attribute of its source\'s event', async () => {
    const events = await allEvents(100);
    const model = await modelEvents();
    expect(events).toHaveLength(model.size);
    const byAttributes = new Map(events.map((e) => [[...e.Attribute.map((a) => a.uuid)].sort().join(','), e]));
    for (const [key, records] of model) {
      const attributes = records.filter((r) => r.type !== 'mitre_attack');
      const event = byAttributes.get(attributes.map((r) => r.id).sort().join(','));
      expect(event, key).toBeDefined();
      for (const record of attributes) {
        const attribute = event!.Attribute.find((a) => a.uuid === record.id)!;
        expect(attribute.value).toBe(record.value);
        // to_ids from confidence: low is for context, not for blocking; a CVE never matches traffic.
        expect(attribute.to_ids).toBe(record.type !== 'cve' && record.confidence !== 'low');
        expect(attribute.Tag).toContainEqual({ name: `socd:confidence="${record.confidence}"` });
        for (const tag of record.tags) expect(attribute.Tag).toContainEqual({ name: tag });
      }
      if (records[0]!.articleId) {
        expect(event!.uuid).toBe(records[0]!.articleId);
        expect(event!.info).toBe(seeded.article.title);
        // The techniques the article reports are galaxy tags of its event, not attributes.
        expect(event!.Tag.map((tag) => tag.name)).toEqual(
          expect.arrayContaining([expect.stringMatching(/^misp-galaxy:mitre-attack-pattern=".+ - T1110\.003"$/), 'tlp:clear']),
        );
      } else {
        expect(event!.info).toContain(records[0]!.source);
      }
    }
  });

  it('relates the events that share a value, and keeps a re-sighting in its first event', async () => {
    const events = await allEvents(100);
    const holding = (value: string) => events.filter((e) => e.Attribute.some((a) => a.value === value));
    const [ops, injected] = [OPS_SOURCE, CSV_INJECTION_SOURCE].map((source) => events.find((e) => e.info.startsWith(source))!);
    for (const value of CSV_INJECTION_VALUES) expect(holding(value).map((e) => e.uuid).sort()).toEqual([ops!.uuid, injected!.uuid].sort());
    expect(injected!.RelatedEvent?.map((r) => r.Event.uuid)).toContain(ops!.uuid);
    expect(ops!.RelatedEvent?.map((r) => r.Event.uuid)).toContain(injected!.uuid);

    // Seen again an hour later: its attribute's last_seen and timestamp move, nothing is copied.
    const value = CSV_INJECTION_VALUES[0]!;
    const later = new Date(Date.now() + 3_600_000);
    await importIocList(store.db, value, { source: CSV_INJECTION_SOURCE, confidence: 'medium', now: later });
    const after = await allEvents(100);
    expect(after.map((e) => e.uuid).sort()).toEqual(events.map((e) => e.uuid).sort());
    const attribute = after.find((e) => e.uuid === injected!.uuid)!.Attribute.find((a) => a.value === value)!;
    expect(Date.parse(attribute.last_seen)).toBe(Math.floor(later.getTime() / 1000) * 1000);
    expect(Number(attribute.timestamp)).toBe(Math.floor(later.getTime() / 1000));
    expect(after.find((e) => e.uuid === injected!.uuid)!.timestamp).toBe(attribute.timestamp);
  });

  it('pages events: limit and the cursor count events, the next page in the Link header', async () => {
    const all = await allEvents(100);
    const one = await restSearch('limit=1');
    expect(one.events).toHaveLength(1);
    expect(one.link).toMatch(/rel="next"$/);
    const walked = await allEvents(1);
    expect(walked.map((e) => e.uuid)).toEqual(all.map((e) => e.uuid));
    const typed = await restSearch('type=email');
    for (const e of typed.events) for (const a of e.Attribute) expect(a.type).toBe('email-src');
    expect(typed.events.length).toBeGreaterThan(0);
  });

  it('serves a MISP feed that MISP can subscribe to: manifest, hashes, one file an event', async () => {
    const manifestRes = await get(t.app, '/api/v1/misp/feed/manifest.json', pro);
    expect(manifestRes.statusCode, manifestRes.body).toBe(200);
    const manifest = manifestRes.json() as Record<string, { timestamp: string; info: string }>;
    const hashes = await get(t.app, '/api/v1/misp/feed/hashes.csv', pro);
    expect(hashes.statusCode).toBe(200);
    const events = new Map<string, unknown>();
    for (const uuid of Object.keys(manifest)) {
      const res = await get(t.app, `/api/v1/misp/feed/${uuid}.json`, pro);
      expect(res.statusCode, uuid).toBe(200);
      events.set(uuid, res.json());
    }
    expect(checkMispFeed({ manifest, hashesCsv: hashes.body, events })).toEqual([]);
    // The same events as restSearch's, by uuid: stable ids.
    expect(Object.keys(manifest).sort()).toEqual((await allEvents(100)).map((e) => e.uuid).sort());
    expect(Object.keys((await get(t.app, '/api/v1/misp/feed/manifest.json', pro)).json() as object).sort()).toEqual(Object.keys(manifest).sort());

    expectError(await get(t.app, '/api/v1/misp/feed/00000000-0000-4000-8000-000000000000.json', pro), 404, 'not_found');
    expectError(await get(t.app, '/api/v1/misp/feed/manifest.json', free), 403, 'insufficient_scope');
  });

  it('answers If-None-Match with 304 while nothing changed (MISP feed, txt, csv, cef)', async () => {
    for (const url of ['/api/v1/misp/feed/manifest.json', '/api/v1/misp/feed/hashes.csv', '/api/v1/iocs?format=txt', '/api/v1/iocs?format=csv&limit=50', '/api/v1/iocs?format=cef']) {
      const first = await get(t.app, url, pro);
      expect(first.statusCode, url).toBe(200);
      const etag = first.headers.etag as string;
      expect(etag, url).toMatch(/^"[\w-]+"$/);
      const again = await get(t.app, url, pro, { 'if-none-match': etag });
      expect(again.statusCode, url).toBe(304);
      expect(again.body).toBe('');
      expect(again.headers.etag).toBe(etag);
      expect((await get(t.app, url, pro, { 'if-none-match': `W/${etag}, "other"` })).statusCode).toBe(304);
      // Another query is another answer.
      expect((await get(t.app, `${url}${url.includes('?') ? '&' : '?'}type=ipv4`, pro)).headers.etag).not.toBe(etag);
    }
    const etag = (await get(t.app, '/api/v1/iocs?format=txt', pro)).headers.etag as string;
    await importIocList(store.db, '185.220.9.9', { source: 'Conditional GET', confidence: 'high' });
    const changed = await get(t.app, '/api/v1/iocs?format=txt', pro, { 'if-none-match': etag });
    expect(changed.statusCode).toBe(200);
    expect(changed.body.split('\n')).toContain('185.220.9.9');
    expect(changed.headers.etag).not.toBe(etag);
  });
});
