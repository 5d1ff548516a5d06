// What the lifecycle changes for the lists' clients (issue 15), through the HTTP app, with a
// controllable clock (the `now` given to the publisher and the sweep): expired values leave every
// list format (include_expired brings them back) while an incremental STIX export carries their new
// version; the changes feed gives every event once and in order, also while events are written;
// block-list delta lines applied to yesterday's list give today's list exactly; and the feed's
// edges: 410 before the retained history, 400 for what a delta cannot honour, 304 for a poll that
// finds nothing new.
import type { LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { publishStixVersions } from '../../src/ingest/publish.js';
import { indicatorId, parseIoc } from '../../src/ioc/index.js';
import type { Confidence, IocType } from '../../src/ioc/types.js';
import { pruneChanges, setRevoked, sweepLifecycle } from '../../src/store/lifecycle.js';
import { ensureImportSource, type SourceRef } from '../../src/store/sources.js';
import { upsertRecords } from '../../src/store/upsert.js';
import { appSuite, BACKENDS } from '../helpers.js';
import { validateStixBundle } from '../helpers/stix-validate.js';
import { expectError, expectInvalidParameter, get } from './seed.js';

const DAY = 86_400_000;
const FEED_POINT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

function ioc(value: string, type: IocType) {
  const parsed = parseIoc(value, type);
  if (!parsed.ok) throw new Error(`${value}: ${parsed.reason}`);
  return parsed.ioc;
}

interface ChangeEvent {
  at: string;
  kind: string;
  indicator: { id: string; type: string; value: string };
  reason: string | null;
  valid_until: string | null;
}
interface ChangesPage {
  meta: { since: string; next_since?: string; complete_since: string; limit: number; notices?: string[] };
  data: ChangeEvent[];
  links: { self: string; next?: string };
}
interface StixObject {
  type: string;
  id: string;
  name?: string;
  modified: string;
  valid_until?: string;
  revoked?: boolean;
}

/** A value as a whole word of a text export (not a piece of a longer value). */
const holds = (body: string, value: string) => new RegExp(`(?<![\\w.-])${value.replaceAll('.', '\\.')}(?![\\w.-])`).test(body);
/** The path and query of an absolute link, for inject. */
const pathOf = (link: string) => {
  const url = new URL(link);
  return url.pathname + url.search;
};

describe.each(BACKENDS)('the lists, the changes feed and block-list deltas over the lifecycle on %s', (backend) => {
  // A store of its own, with the default lifetimes (ipv4 30 days, domain 90).
  const { store, t } = appSuite(backend);
  // The clock the publisher and the sweep are given; the records are stored now (extracted_at),
  // well within the tier lookback, whatever the clock says.
  const T0 = new Date(Math.floor(Date.now() / 1000) * 1000);
  const at = (days: number) => new Date(T0.getTime() + days * DAY);
  let pro: string;
  let free: string;
  let feedA: SourceRef;
  let vendor: SourceRef;

  beforeAll(async () => {
    pro = await t.key('pro');
    free = await t.key('free');
    feedA = await ensureImportSource(store.db, 'Lifecycle feed A', 'threat-intel');
    vendor = await ensureImportSource(store.db, 'Lifecycle vendor', 'vendor');
  });

  const report = (source: SourceRef, type: IocType, values: string[], seen: Date, confidence: Confidence = 'medium') =>
    upsertRecords(
      store.db,
      source,
      'import',
      values.map((value) => ({ ioc: ioc(value, type), confidence, firstSeen: seen, lastSeen: seen })),
    );
  const publish = (now: Date) => publishStixVersions(store.db, () => now);
  const revoke = (type: IocType, value: string, revoked: boolean, reason: string, now = new Date()) =>
    setRevoked(store.db, { type, normalized: ioc(value, type).normalized }, { revoked, reason, by: 'test' }, now);

  const ok = async (url: string, key = pro, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> => {
    const res = await get(t.app, url, key, headers);
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    return res;
  };
  const lines = (body: string) => body.split('\n').filter(Boolean);

  /** The whole txt list (every page, by offset), and the X-Changes-Since of its first page. */
  async function txtList(filters: string): Promise<{ values: Set<string>; since: string }> {
    const values = new Set<string>();
    let since: string | undefined;
    for (let offset = 0; ; offset += 4) {
      const res = await ok(`/api/v1/iocs?format=txt&limit=4&offset=${offset}${filters && `&${filters}`}`);
      since ??= res.headers['x-changes-since'] as string;
      const page = lines(res.body);
      for (const value of page) values.add(value);
      if (page.length < 4) break;
    }
    expect(since).toMatch(FEED_POINT);
    return { values, since: since! };
  }

  /** Applies the delta pages from `since` (following Link rel="next") to `list`; returns what it applied and where it ended. */
  async function applyDelta(list: Set<string>, since: string, filters: string) {
    const applied: string[] = [];
    let url: string | undefined = `/api/v1/iocs?format=txt&delta=true&limit=3&since=${encodeURIComponent(since)}${filters && `&${filters}`}`;
    let end = since;
    for (let pages = 0; url; pages++) {
      expect(pages).toBeLessThan(200);
      const res = await ok(url);
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
      for (const line of lines(res.body)) {
        expect(line).toMatch(/^[+-]\S+$/);
        applied.push(line);
        if (line.startsWith('+')) list.add(line.slice(1));
        else list.delete(line.slice(1));
      }
      end = res.headers['x-changes-since'] as string;
      expect(end).toMatch(FEED_POINT);
      const link = res.headers.link as string | undefined;
      if (link) {
        const [, next] = /^<([^>]+)>; rel="next"$/.exec(link) ?? [];
        expect(new URL(next!).searchParams.get('since')).toBe(end);
        url = pathOf(next!);
      } else {
        url = undefined;
      }
    }
    return { applied, end };
  }

  /** The events after `since`, following links.next, as the feed gives them. */
  async function readFeed(since: string, limit: number, key = pro): Promise<ChangeEvent[]> {
    const events: ChangeEvent[] = [];
    let url: string | undefined = `/api/v1/iocs/changes?since=${encodeURIComponent(since)}&limit=${limit}`;
    while (url) {
      const page = (await ok(url, key)).json() as ChangesPage;
      events.push(...page.data);
      url = page.links.next && pathOf(page.links.next);
    }
    return events;
  }

  /** Every event after `since`, straight from the table. */
  const storedEvents = (since: string) =>
    store.db.query<{ at: string; kind: string; value: string }>(
      `select to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at, kind, value from ioc_changes
       where at > $1::timestamptz order by at`,
      [since],
    );

  const listHead = async () => (await ok('/api/v1/iocs?limit=1')).headers['x-changes-since'] as string;

  // ---- the lists -------------------------------------------------------------------------------

  const FRESH_IP = '91.215.85.17';
  const FRESH_DOMAIN = 'login-verify-portal.top';
  const STALE_IP = '45.146.164.110';
  const STALE_DOMAIN = 'cdn-update-check.xyz';
  const FADING_IP = '193.42.33.14';
  const REVOKED_IP = '77.91.124.55';

  it('leaves expired values out of every list format, counts what it returns, and brings them back with include_expired=true', async () => {
    await report(feedA, 'ipv4', [FRESH_IP, REVOKED_IP], T0, 'high');
    await report(feedA, 'domain', [FRESH_DOMAIN], T0, 'high');
    await report(feedA, 'ipv4', [STALE_IP], at(-40), 'high');
    await report(feedA, 'domain', [STALE_DOMAIN], at(-100), 'high');
    await report(feedA, 'ipv4', [FADING_IP], at(-29), 'high');
    await publish(T0);
    await sweepLifecycle(store.db, T0);
    await publish(T0);
    const active = [FRESH_IP, FRESH_DOMAIN, FADING_IP, REVOKED_IP];
    const expired = [STALE_IP, STALE_DOMAIN];

    for (const [include, query] of [
      [false, ''],
      [true, '&include_expired=true'],
    ] as const) {
      const json = (await ok(`/api/v1/iocs?limit=100${query}`)).json() as {
        data: { value: string }[];
        meta: { total: number; total_exact: boolean; filters: Record<string, string> };
      };
      const values = json.data.map((record) => record.value);
      expect(new Set(values)).toEqual(new Set(include ? [...active, ...expired] : active));
      expect(json.meta.total).toBe(values.length);
      expect(json.meta.total_exact).toBe(true);
      expect(json.meta.filters.include_expired).toBe(String(include));

      for (const format of ['csv', 'txt', 'cef', 'openioc', 'misp']) {
        const body = (await ok(`/api/v1/iocs?format=${format}${query}`)).body;
        for (const value of active) expect(holds(body, value), `${format}${query}: ${value}`).toBe(true);
        for (const value of expired) expect(holds(body, value), `${format}${query}: ${value}`).toBe(include);
      }
      const sigma = (await ok(`/api/v1/rules/sigma?${query.slice(1)}`)).body;
      for (const value of active) expect(holds(sigma, value), `sigma${query}: ${value}`).toBe(true);
      for (const value of expired) expect(holds(sigma, value), `sigma${query}: ${value}`).toBe(include);

      const bundle = (await ok(`/api/v1/iocs/stix?${query.slice(1)}`)).json() as { objects: StixObject[] };
      expect(validateStixBundle(bundle)).toEqual([]);
      const names = bundle.objects.filter((o) => o.type === 'indicator').map((o) => o.name);
      expect(new Set(names)).toEqual(new Set(include ? [...active, ...expired] : active));
      if (include) {
        const stale = bundle.objects.find((o) => o.name === STALE_IP)!;
        expect(Date.parse(stale.valid_until!)).toBe(at(-10).getTime());
      }
    }
  });

  it('carries the indicators that expired or were revoked since an incremental STIX export, as their new version', async () => {
    // After the writes and the first computation of their validity.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const since = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    // FADING_IP was valid until T0 + 1 day; REVOKED_IP is a false positive.
    expect((await sweepLifecycle(store.db, at(2))).expired).toBeGreaterThanOrEqual(1);
    await publish(at(2));
    await revoke('ipv4', REVOKED_IP, true, 'false positive: our own CDN');

    const incremental = (await ok(`/api/v1/iocs/stix?since=${since}`)).json() as { objects: StixObject[] };
    expect(validateStixBundle(incremental)).toEqual([]);
    const indicators = incremental.objects.filter((o) => o.type === 'indicator');
    expect(new Set(indicators.map((o) => o.name))).toEqual(new Set([FADING_IP, REVOKED_IP]));
    const fading = indicators.find((o) => o.name === FADING_IP)!;
    expect(fading.id).toBe(`indicator--${indicatorId('ipv4', FADING_IP)}`);
    expect(Date.parse(fading.valid_until!)).toBe(at(1).getTime());
    expect(Date.parse(fading.valid_until!)).toBeLessThan(at(2).getTime());
    expect(fading.revoked).toBeUndefined();
    expect(indicators.find((o) => o.name === REVOKED_IP)!.revoked).toBe(true);

    // A full export leaves both out; include_expired brings back the expired one, never the revoked one.
    const full = (await ok('/api/v1/iocs/stix')).json() as { objects: StixObject[] };
    const fullNames = full.objects.filter((o) => o.type === 'indicator').map((o) => o.name);
    expect(fullNames).not.toContain(FADING_IP);
    expect(fullNames).not.toContain(REVOKED_IP);
    const withExpired = (await ok('/api/v1/iocs/stix?include_expired=true')).json() as { objects: StixObject[] };
    const withExpiredNames = withExpired.objects.filter((o) => o.type === 'indicator').map((o) => o.name);
    expect(withExpiredNames).toContain(FADING_IP);
    expect(withExpiredNames).not.toContain(REVOKED_IP);
    const txt = await txtList('include_expired=true');
    expect(txt.values.has(FADING_IP)).toBe(true);
    expect(txt.values.has(REVOKED_IP)).toBe(false);
  });

  // ---- the changes feed -----------------------------------------------------------------------

  it('gives added, updated, expired, revoked and restored events with the indicator and the reason, each after the last, to the microsecond', async () => {
    const start = await listHead();
    const clock = at(3);
    const X = 'kinds-probe-panel.net';
    const Y = '194.26.192.64';
    await report(feedA, 'domain', [X], clock, 'medium');
    await publish(clock);
    await report(feedA, 'domain', [X], clock, 'high');
    await publish(clock);
    await report(feedA, 'ipv4', [Y], at(3 - 29), 'medium');
    await publish(clock);
    await sweepLifecycle(store.db, at(5));
    await publish(at(5));
    await revoke('ipv4', FRESH_IP, true, 'false positive: a partner gateway');
    await revoke('ipv4', FRESH_IP, false, 'confirmed malicious after all');

    const events = await readFeed(start, 2);
    expect(events.map((e) => e.at)).toEqual((await storedEvents(start)).map((e) => e.at));
    const of = (value: string) => events.filter((e) => e.indicator.value === value);
    expect(of(X).map((e) => e.kind)).toEqual(['added', 'updated']);
    expect(of(Y).map((e) => e.kind)).toEqual(['added', 'expired']);
    expect(of(FRESH_IP).map((e) => e.kind)).toEqual(['revoked', 'restored']);
    expect(of(X)[0]).toMatchObject({ indicator: { id: indicatorId('domain', X), type: 'domain', value: X }, reason: expect.stringMatching(/^new: valid until /) });
    expect(Date.parse(of(X)[0]!.valid_until!)).toBe(at(3 + 90).getTime());
    expect(of(X)[1]!.reason).toEqual(expect.any(String));
    expect(of(Y)[1]).toMatchObject({ indicator: { type: 'ipv4', value: Y }, reason: expect.stringMatching(/^not reported since .*lifetime ended/) });
    expect(Date.parse(of(Y)[1]!.valid_until!)).toBe(at(4).getTime());
    expect(of(FRESH_IP)[0]!.reason).toBe('false positive: a partner gateway');
    expect(of(FRESH_IP)[1]!.reason).toBe('confirmed malicious after all');

    // Every `at` is a unique point to the microsecond; a `since` resumes right after it, however written.
    for (const event of events) expect(event.at).toMatch(FEED_POINT);
    for (let i = 1; i < events.length; i++) expect(events[i]!.at > events[i - 1]!.at).toBe(true);
    const k = 2;
    const resumed = (await ok(`/api/v1/iocs/changes?since=${events[k]!.at}&limit=3`)).json() as ChangesPage;
    expect(resumed.data.map((e) => e.at)).toEqual(events.slice(k + 1, k + 4).map((e) => e.at));
    expect(resumed.meta).toMatchObject({ since: events[k]!.at, limit: 3, next_since: events[k + 3]!.at });
    // The same point written at +02:00.
    const ms = Date.parse(events[k]!.at);
    const micro = events[k]!.at.slice(20, 26);
    const shifted = new Date(ms + 2 * 3_600_000).toISOString().slice(0, 19) + `.${micro}+02:00`;
    const same = (await ok(`/api/v1/iocs/changes?since=${encodeURIComponent(shifted)}&limit=3`)).json() as ChangesPage;
    expect(same.data).toEqual(resumed.data);
    expect(same.meta.since).toBe(events[k]!.at);
    // The type filter.
    const domains = (await ok(`/api/v1/iocs/changes?since=${start}&type=domain&limit=100`)).json() as ChangesPage;
    expect(domains.data.map((e) => e.at)).toEqual(events.filter((e) => e.indicator.type === 'domain').map((e) => e.at));
  });

  it('gives every event exactly once and in order to a reader paging while events are being written', async () => {
    const start = await listHead();
    let writing = true;
    const writer = (async () => {
      for (let i = 0; i < 12; i++) {
        const values = [`151.80.${i + 10}.21`, `151.80.${i + 10}.22`];
        await report(feedA, 'ipv4', values, new Date(), 'medium');
        await publishStixVersions(store.db);
        if (i % 4 === 3) await revoke('ipv4', values[0]!, true, `withdrawn ${i}`);
        await new Promise((resolve) => setImmediate(resolve));
      }
      writing = false;
    })();

    const seen: ChangeEvent[] = [];
    let since = start;
    let pages = 0;
    for (;;) {
      const done = !writing;
      const page = (await ok(`/api/v1/iocs/changes?since=${encodeURIComponent(since)}&limit=3`)).json() as ChangesPage;
      pages++;
      seen.push(...page.data);
      if (page.data.length > 0) since = page.data.at(-1)!.at;
      expect(page.meta.next_since).toBe(page.data.length === 3 ? since : undefined);
      // The writer had finished before this page was read, and the page was the last.
      if (done && !page.meta.next_since) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await writer;
    expect(pages).toBeGreaterThan(3);
    const stored = await storedEvents(start);
    expect(stored.filter((e) => e.value.startsWith('151.80.')).length).toBe(24 + 3);
    expect(seen.map((e) => [e.at, e.kind, e.indicator.value])).toEqual(stored.map((e) => [e.at, e.kind, e.value]));
  });

  // ---- block-list deltas ----------------------------------------------------------------------

  it("applies delta lines to yesterday's list to give today's list exactly, whatever the filters", async () => {
    const day1 = at(10);
    const A = ['62.60.226.11', '62.60.226.12', '62.60.226.13', '62.60.226.14', '62.60.226.15', '62.60.226.16'];
    const B = ['185.244.25.31', '185.244.25.32', '185.244.25.33'];
    const D = ['billing-secure-update.info', 'mail-auth-check.online', 'docs-share-view.site'];
    const EXPIRED = '5.42.92.101';
    const RESTORE = '5.42.92.102';
    await report(feedA, 'ipv4', A, new Date(day1.getTime() - 25 * DAY), 'high');
    await report(feedA, 'ipv4', B, day1, 'medium');
    await report(vendor, 'ipv4', [B[2]!], day1, 'high');
    await report(feedA, 'domain', D, new Date(day1.getTime() - 80 * DAY), 'medium');
    await report(feedA, 'ipv4', [EXPIRED], new Date(day1.getTime() - 40 * DAY), 'high');
    await report(vendor, 'ipv4', [RESTORE], day1, 'high');
    await publish(day1);
    await sweepLifecycle(store.db, day1);
    await publish(day1);
    await revoke('ipv4', RESTORE, true, 'under review');

    const FILTERS = ['', 'type=ipv4', 'confidence=high', 'type=ipv4&confidence=high&category=vendor', 'type=domain&confidence=medium'];
    const yesterday = new Map<string, { values: Set<string>; since: string }>();
    for (const filters of FILTERS) yesterday.set(filters, await txtList(filters));
    expect(yesterday.get('')!.values.has(A[0]!)).toBe(true);
    expect(yesterday.get('')!.values.has(EXPIRED)).toBe(false);
    expect(yesterday.get('')!.values.has(RESTORE)).toBe(false);

    // A day later (by the clock): new values, some reported again, the rest expire; one revoked, one restored.
    const day2 = at(25);
    await report(feedA, 'ipv4', ['141.98.10.71', '141.98.10.72'], day2, 'high');
    await report(vendor, 'domain', ['cloud-sync-files.cc'], day2, 'high');
    await report(feedA, 'ipv4', [A[0]!, A[1]!], day2, 'high');
    await report(feedA, 'domain', [D[0]!], day2, 'medium');
    await report(feedA, 'ipv4', [EXPIRED], day2, 'high');
    await report(vendor, 'ipv4', [B[0]!], day2, 'high');
    await publish(day2);
    await sweepLifecycle(store.db, day2);
    await publish(day2);
    await revoke('ipv4', B[1]!, true, 'sinkholed by a partner');
    await revoke('ipv4', RESTORE, false, 'review done: malicious');

    for (const filters of FILTERS) {
      const old = yesterday.get(filters)!;
      const list = new Set(old.values);
      const { applied, end } = await applyDelta(list, old.since, filters);
      const today = await txtList(filters);
      expect([...list].sort(), filters).toEqual([...today.values].sort());
      // Nothing happened after: the delta ends at the list's own place in the feed.
      expect(end, filters).toBe(today.since);
      if (filters === '') {
        expect(applied).toEqual(expect.arrayContaining(['+141.98.10.71', '+cloud-sync-files.cc', `+${EXPIRED}`, `+${RESTORE}`, `-${A[2]}`, `-${B[1]}`, `-${D[1]}`]));
        expect(old.values).not.toEqual(today.values);
      }
    }
    // The vendor's high-confidence IPs gained B[0] (a new record of a listed value) and RESTORE.
    const vendorHigh = yesterday.get('type=ipv4&confidence=high&category=vendor')!;
    expect(vendorHigh.values.has(B[0]!)).toBe(false);
    expect((await txtList('type=ipv4&confidence=high&category=vendor')).values).toEqual(new Set([B[0], B[2], RESTORE]));
  });

  it('answers 304 to a delta poll that finds nothing new, and moves the ETag with any change of the list', async () => {
    const head = await listHead();
    const url = `/api/v1/iocs?format=txt&delta=true&since=${head}`;
    const first = await ok(url);
    expect(first.body).toBe('');
    expect(first.headers['x-changes-since']).toBe(head);
    expect(first.headers.link).toBeUndefined();
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await get(t.app, url, pro, { 'if-none-match': etag });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');

    await report(feedA, 'ipv4', ['146.70.87.9'], new Date(), 'high');
    await publishStixVersions(store.db);
    const changed = await ok(url, pro, { 'if-none-match': etag });
    expect(lines(changed.body)).toEqual(['+146.70.87.9']);
    expect(changed.headers.etag).not.toBe(etag);
    expect((changed.headers['x-changes-since'] as string) > head).toBe(true);

    // The full list's ETag follows the feed too: a revocation changes the list without a write of records.
    const list = await ok('/api/v1/iocs?format=txt');
    expect(lines(list.body)).toContain('146.70.87.9');
    expect((await get(t.app, '/api/v1/iocs?format=txt', pro, { 'if-none-match': list.headers.etag as string })).statusCode).toBe(304);
    await revoke('ipv4', '146.70.87.9', true, 'test network');
    const after = await ok('/api/v1/iocs?format=txt', pro, { 'if-none-match': list.headers.etag as string });
    expect(lines(after.body)).not.toContain('146.70.87.9');
  });

  it('refuses with 400, naming the parameter, what a delta cannot honour and a since that is no time', async () => {
    const head = encodeURIComponent(await listHead());
    expectInvalidParameter(await get(t.app, `/api/v1/iocs?delta=true&since=${head}`, pro), 'format');
    expectInvalidParameter(await get(t.app, `/api/v1/iocs?format=csv&delta=true&since=${head}`, pro), 'format');
    expectInvalidParameter(await get(t.app, '/api/v1/iocs?format=txt&delta=true', pro), 'since');
    for (const [parameter, value] of [
      ['industry', 'finance'],
      ['until', '2026-01-01'],
      ['offset', '10'],
      ['cursor', 'WyIyMDI2LTAxLTAxVDAwOjAwOjAwLjAwMDAwMFoiLCIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDAiXQ'],
      ['include_expired', 'true'],
    ]) {
      expectInvalidParameter(await get(t.app, `/api/v1/iocs?format=txt&delta=true&since=${head}&${parameter}=${value}`, pro), parameter!);
    }
    expectInvalidParameter(await get(t.app, '/api/v1/iocs?format=txt&delta=true&since=yesterday', pro), 'since');
    expectInvalidParameter(await get(t.app, '/api/v1/iocs/changes?since=2026-02-30T00:00:00Z', pro), 'since');
    expectInvalidParameter(await get(t.app, '/api/v1/iocs/changes?limit=0', pro), 'limit');
    expectInvalidParameter(await get(t.app, '/api/v1/iocs/changes?type=hostname', pro), 'type');
    // A free key reads the feed, within its cap.
    const capped = (await ok('/api/v1/iocs/changes?limit=500', free)).json() as ChangesPage;
    expect(capped.meta.limit).toBe(100);
    expect(capped.meta.notices).toEqual([expect.stringContaining('limit reduced from 500 to 100')]);
  });

  it('answers 410 history_gone for a since older than the retained history', async () => {
    const [first] = (await ok('/api/v1/iocs/changes?limit=1')).json().data as ChangeEvent[];
    expect(first).toBeDefined();
    await pruneChanges(store.db, new Date());
    const page = (await ok('/api/v1/iocs/changes')).json() as ChangesPage;
    expect(page.meta.since).toBe(page.meta.complete_since);
    expect(page.meta.complete_since > first!.at).toBe(true);
    for (const url of [
      `/api/v1/iocs/changes?since=${first!.at}`,
      `/api/v1/iocs?format=txt&delta=true&since=${first!.at}`,
    ]) {
      const error = expectError(await get(t.app, url, pro), 410, 'history_gone');
      expect(error.details).toMatchObject({ parameter: 'since', since: first!.at, complete_since: page.meta.complete_since });
      expect(error.message).toContain('fetch the whole list again');
    }
    // From complete_since on, it answers.
    await ok(`/api/v1/iocs?format=txt&delta=true&since=${page.meta.complete_since}`);
  });
});
