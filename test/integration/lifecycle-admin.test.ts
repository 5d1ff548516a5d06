// The admin side of the IOC lifecycle over HTTP and `socd`: the lifetimes table
// (GET/PUT/DELETE /api/v1/lifetimes), revoking and restoring (POST /api/v1/iocs/revoke|restore),
// the allow-list (/api/v1/allowlist), and `socd lifetimes|revoke|restore|allowlist|expire`, on a
// store of their own whose lifetimes are the defaults (seedStore's are all "never").
import type { LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { importIocList } from '../../src/ingest/import-list.js';
import { publishStixVersions } from '../../src/ingest/publish.js';
import { parseIoc } from '../../src/ioc/index.js';
import { ensureImportSource, type SourceRef } from '../../src/store/sources.js';
import { upsertRecords } from '../../src/store/upsert.js';
import { appSuite, BACKENDS } from '../helpers.js';
import { runSocd } from '../helpers/socd.js';
import { DAY_MS, expectError, expectInvalidParameter } from './seed.js';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
const ADMIN_SCOPES = ['read:iocs', 'read:stix', 'read:stats', 'admin'];
const REASON = 'checked by the SOC';

describe.each(BACKENDS)('the IOC lifecycle, administered, on %s', (backend) => {
  const { store, t } = appSuite(backend);
  let admin = '';
  let pro = '';
  let feedA: SourceRef;
  let feedB: SourceRef;
  beforeAll(async () => {
    admin = await t.key('pro', ADMIN_SCOPES);
    pro = await t.key('pro');
    feedA = await ensureImportSource(store.db, 'Feed A', 'threat-intel');
    feedB = await ensureImportSource(store.db, 'Feed B', 'threat-intel');
  });

  /** A request with the admin key, or `key` (null: none). */
  const call = (method: Method, url: string, body?: unknown, key: string | null = admin): Promise<LightMyRequestResponse> =>
    t.app.inject({ method, url, headers: key === null ? {} : { 'x-api-key': key }, ...(body !== undefined && { payload: body as object }) });

  /** Writes these values as `source` reported them `daysAgo`, then publishes, as ingestion does. */
  async function report(source: SourceRef, values: string[], daysAgo = 0): Promise<void> {
    const at = new Date(Date.now() - daysAgo * DAY_MS);
    const records = values.map((value) => {
      const parsed = parseIoc(value);
      if (!parsed.ok) throw new Error(`${value}: ${parsed.reason}`);
      return { ioc: parsed.ioc, confidence: 'high' as const, firstSeen: at, lastSeen: at };
    });
    await store.db.transaction((tx) => upsertRecords(tx, source, 'import', records));
    await publishStixVersions(store.db);
  }

  /** The txt block-list, one value a line. */
  async function txt(): Promise<string[]> {
    const res = await call('GET', '/api/v1/iocs?format=txt&limit=1000', undefined, pro);
    expect(res.statusCode).toBe(200);
    return res.body.split('\n').filter(Boolean);
  }

  async function jsonValues(): Promise<string[]> {
    const res = await call('GET', '/api/v1/iocs?limit=1000', undefined, pro);
    expect(res.statusCode).toBe(200);
    return (res.json() as { data: { value: string }[] }).data.map((record) => record.value);
  }

  async function searchFinds(value: string): Promise<boolean> {
    const res = await call('GET', `/api/v1/iocs/search?q=${encodeURIComponent(value)}&include_related=false`, undefined, pro);
    expect(res.statusCode).toBe(200);
    const data = res.json().data as { match_type: string; matches: { value: string }[] };
    return data.match_type === 'exact' && data.matches.some((m) => m.value === value);
  }

  describe('GET /api/v1/lifetimes', () => {
    it("answers each type's default with its half-life and reason, and no override yet, to a read:iocs key", async () => {
      const res = await call('GET', '/api/v1/lifetimes', undefined, pro);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(Object.keys(body.data)).toEqual(['defaults', 'overrides']);
      expect(body.data.defaults.map((row: { type: string }) => row.type).sort()).toEqual(
        ['cve', 'domain', 'email', 'ipv4', 'ipv6', 'md5', 'mitre_attack', 'sha1', 'sha256', 'sha512', 'url'],
      );
      expect(body.data.defaults.find((row: { type: string }) => row.type === 'ipv4')).toEqual({
        type: 'ipv4',
        lifetime_days: 30,
        half_life_days: 14,
        reason: expect.stringContaining('reassigned'),
        updated_at: expect.stringMatching(/Z$/),
        updated_by: 'default',
      });
      expect(body.data.defaults.find((row: { type: string }) => row.type === 'cve')).toMatchObject({ lifetime_days: null });
      expect(body.data.overrides).toEqual([]);
    });

    it('needs a key', async () => {
      expectError(await call('GET', '/api/v1/lifetimes', undefined, null), 401, 'missing_api_key');
    });
  });

  describe('PUT and DELETE /api/v1/lifetimes', () => {
    it("sets a type's default (and its half-life), answering the table and when it takes effect", async () => {
      const res = await call('PUT', '/api/v1/lifetimes', { type: 'email', lifetime_days: 45, half_life_days: 20, reason: 'campaigns last longer here' });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body.meta.notices).toEqual([expect.stringContaining('next publisher run')]);
      expect(body.data.defaults.find((row: { type: string }) => row.type === 'email')).toMatchObject({
        lifetime_days: 45,
        half_life_days: 20,
        reason: 'campaigns last longer here',
        updated_by: expect.stringContaining('key '),
      });
      // Never expires; the half-life not given stays as it was.
      const never = await call('PUT', '/api/v1/lifetimes', { type: 'email', lifetime_days: null, reason: 'kept for good' });
      expect(never.json().data.defaults.find((row: { type: string }) => row.type === 'email')).toMatchObject({ lifetime_days: null, half_life_days: 20 });
      const read = await call('GET', '/api/v1/lifetimes', undefined, pro);
      expect(read.json().data.defaults.find((row: { type: string }) => row.type === 'email')).toMatchObject({ lifetime_days: null, reason: 'kept for good' });
    });

    it("expires, after the publisher's run, what only that source reported longer ago than its new lifetime; others stay", async () => {
      await report(feedA, ['only-a.lifecycle-test.net', 'both.lifecycle-test.net'], 20);
      await report(feedB, ['both.lifecycle-test.net'], 0);
      await report(feedB, ['only-b.lifecycle-test.net'], 20);
      expect(await txt()).toEqual(expect.arrayContaining(['only-a.lifecycle-test.net', 'both.lifecycle-test.net', 'only-b.lifecycle-test.net']));

      const res = await call('PUT', '/api/v1/lifetimes', { source: 'feed a', lifetime_days: 10, reason: 'this feed lists short-lived hosts' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().data.overrides).toEqual([
        { source: 'Feed A', type: null, lifetime_days: 10, reason: 'this feed lists short-lived hosts', updated_at: expect.any(String), updated_by: expect.stringContaining('key ') },
      ]);
      await publishStixVersions(store.db);
      const listed = await txt();
      expect(listed).not.toContain('only-a.lifecycle-test.net');
      expect(listed).toEqual(expect.arrayContaining(['both.lifecycle-test.net', 'only-b.lifecycle-test.net']));
      expect(await jsonValues()).not.toContain('only-a.lifecycle-test.net');
      // A type's row of the source wins over its row for every type.
      await call('PUT', '/api/v1/lifetimes', { source: 'Feed A', type: 'domain', lifetime_days: 30, reason: 'its domains live longer' });
      await publishStixVersions(store.db);
      expect(await txt()).toContain('only-a.lifecycle-test.net');
      const read = (await call('GET', '/api/v1/lifetimes', undefined, pro)).json();
      expect(read.data.overrides.map((row: { source: string; type: string | null; lifetime_days: number }) => [row.source, row.type, row.lifetime_days])).toEqual([
        ['Feed A', null, 10],
        ['Feed A', 'domain', 30],
      ]);
    });

    it("removes a source's override: its values follow the type's default again", async () => {
      const typed = await call('DELETE', '/api/v1/lifetimes?source=Feed%20A&type=domain');
      expect(typed.statusCode, typed.body).toBe(200);
      await publishStixVersions(store.db);
      expect(await txt()).not.toContain('only-a.lifecycle-test.net');
      const res = await call('DELETE', '/api/v1/lifetimes?source=Feed%20A');
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().data.overrides).toEqual([]);
      expect(res.json().meta.notices).toHaveLength(1);
      await publishStixVersions(store.db);
      expect(await txt()).toContain('only-a.lifecycle-test.net');
      // Gone: a second removal finds nothing.
      const again = expectError(await call('DELETE', '/api/v1/lifetimes?source=Feed%20A'), 404, 'not_found');
      expect(again.details).toMatchObject({ parameter: 'source' });
    });

    it.each([
      ['neither type nor source', { lifetime_days: 5, reason: REASON }, 'type'],
      ['a half-life with a source', { source: 'Feed A', lifetime_days: 5, half_life_days: 3, reason: REASON }, 'half_life_days'],
      ['0 days', { type: 'ipv4', lifetime_days: 0, reason: REASON }, 'lifetime_days'],
      ['a fraction of a day', { type: 'ipv4', lifetime_days: 1.5, reason: REASON }, 'lifetime_days'],
      ['a word for days', { type: 'ipv4', lifetime_days: 'never', reason: REASON }, 'lifetime_days'],
      ['more than a century', { type: 'ipv4', lifetime_days: 36_501, reason: REASON }, 'lifetime_days'],
      ['no lifetime_days', { type: 'ipv4', reason: REASON }, 'lifetime_days'],
      ['no reason', { type: 'ipv4', lifetime_days: 5 }, 'reason'],
      ['a blank reason', { type: 'ipv4', lifetime_days: 5, reason: '  ' }, 'reason'],
      ['a NUL in the reason', { type: 'ipv4', lifetime_days: 5, reason: 'a\u0000b' }, 'reason'],
      ['an unknown type', { type: 'ip', lifetime_days: 5, reason: REASON }, 'type'],
      ['a NUL in the source', { source: 'Feed\u0000A', lifetime_days: 5, reason: REASON }, 'source'],
      ['an unknown field', { type: 'ipv4', lifetime_days: 5, reason: REASON, days: 5 }, 'days'],
    ])('PUT refuses %s with 400 naming the field', async (_name, body, parameter) => {
      expectInvalidParameter(await call('PUT', '/api/v1/lifetimes', body), parameter);
    });

    it('PUT: 404 naming source for an unknown source; nothing changed', async () => {
      const error = expectError(await call('PUT', '/api/v1/lifetimes', { source: 'No Such Feed', lifetime_days: 5, reason: REASON }), 404, 'not_found');
      expect(error.details).toMatchObject({ parameter: 'source' });
      expect((await call('GET', '/api/v1/lifetimes', undefined, pro)).json().data.overrides).toEqual([]);
    });

    it("DELETE refuses a type's default (400 naming source), an unknown source or type (404, 400)", async () => {
      expectInvalidParameter(await call('DELETE', '/api/v1/lifetimes?type=ipv4'), 'source');
      expect(expectError(await call('DELETE', '/api/v1/lifetimes?source=Nope'), 404, 'not_found').details).toMatchObject({ parameter: 'source' });
      expectInvalidParameter(await call('DELETE', '/api/v1/lifetimes?source=Feed%20A&type=ip'), 'type');
    });

    it('needs the admin scope: 401 without a key, 403 for a pro key', async () => {
      const body = { type: 'ipv4', lifetime_days: 5, reason: REASON };
      expectError(await call('PUT', '/api/v1/lifetimes', body, null), 401, 'missing_api_key');
      expectError(await call('PUT', '/api/v1/lifetimes', body, pro), 403, 'insufficient_scope');
      expectError(await call('DELETE', '/api/v1/lifetimes?source=Feed%20A', undefined, pro), 403, 'insufficient_scope');
      expect((await call('GET', '/api/v1/lifetimes', undefined, pro)).json().data.defaults.find((row: { type: string }) => row.type === 'ipv4'))
        .toMatchObject({ lifetime_days: 30 });
    });
  });

  describe('POST /api/v1/iocs/revoke and /restore', () => {
    const VALUE = 'revoke-me.lifecycle-test.net';

    it('revokes a stored value, given defanged: it leaves the lists at once, search still finds it', async () => {
      await report(feedA, [VALUE]);
      expect(await txt()).toContain(VALUE);
      const TXT = '/api/v1/iocs?format=txt&limit=1000';
      const { etag } = (await call('GET', TXT, undefined, pro)).headers;
      expect(etag).toEqual(expect.any(String));
      const res = await call('POST', '/api/v1/iocs/revoke', { value: 'revoke-me[.]lifecycle-test[.]net', reason: 'our own CDN' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().data).toEqual({
        value: VALUE,
        type: 'domain',
        status: 'active',
        revoked: true,
        revoked_at: expect.stringMatching(/Z$/),
        revoked_by: expect.stringContaining('key '),
        reason: 'our own CDN',
        changed: true,
      });
      expect(await txt()).not.toContain(VALUE);
      expect(await jsonValues()).not.toContain(VALUE);
      expect(await searchFinds(VALUE)).toBe(true);
      // A poller that held the list is not told "not modified".
      const poll = await t.app.inject({ url: TXT, headers: { 'x-api-key': pro, 'if-none-match': etag as string } });
      expect(poll.statusCode).toBe(200);
      expect(poll.body).not.toContain(VALUE);
    });

    it('is idempotent: revoking it again changes nothing (200, changed false, the first reason)', async () => {
      const res = await call('POST', '/api/v1/iocs/revoke', { value: VALUE, reason: 'again' });
      expect(res.statusCode).toBe(200);
      expect(res.json().data).toMatchObject({ revoked: true, reason: 'our own CDN', changed: false });
    });

    it('stays out when it is reported again, by its source or another, written or imported', async () => {
      await report(feedA, [VALUE]);
      await report(feedB, [VALUE]);
      await importIocList(store.db, `${VALUE}\n`, { source: 'Feed A', category: 'threat-intel' });
      await publishStixVersions(store.db);
      expect(await txt()).not.toContain(VALUE);
      expect(await jsonValues()).not.toContain(VALUE);
    });

    it('restores it: back in the lists, with each of its records', async () => {
      const res = await call('POST', '/api/v1/iocs/restore', { value: VALUE, reason: 'not ours after all' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().data).toMatchObject({ value: VALUE, revoked: false, revoked_at: null, reason: null, changed: true });
      expect(await txt()).toContain(VALUE);
      expect((await jsonValues()).filter((value) => value === VALUE)).toHaveLength(2);
      const again = await call('POST', '/api/v1/iocs/restore', { value: VALUE, reason: 'again' });
      expect(again.json().data).toMatchObject({ revoked: false, changed: false });
    });

    it.each([
      ['a value that is no IOC', { value: 'not an indicator', reason: REASON }, 'value'],
      ['a value with a NUL', { value: 'revoke-me.lifecycle-test.net\u0000', reason: REASON }, 'value'],
      ['a value that is not of the type given', { value: VALUE, type: 'ipv4', reason: REASON }, 'value'],
      ['no value', { reason: REASON }, 'value'],
      ['no reason', { value: VALUE }, 'reason'],
      ['a blank reason', { value: VALUE, reason: '' }, 'reason'],
      ['an unknown type', { value: VALUE, type: 'hostname', reason: REASON }, 'type'],
    ])('refuses %s with 400 naming the field', async (_name, body, parameter) => {
      for (const action of ['revoke', 'restore']) expectInvalidParameter(await call('POST', `/api/v1/iocs/${action}`, body), parameter);
    });

    it('answers 404 naming value for a value nobody reported', async () => {
      for (const action of ['revoke', 'restore']) {
        const error = expectError(await call('POST', `/api/v1/iocs/${action}`, { value: 'never-seen.lifecycle-test.net', reason: REASON }), 404, 'not_found');
        expect(error.details).toMatchObject({ parameter: 'value', value: 'never-seen.lifecycle-test.net' });
      }
    });

    it('needs the admin scope', async () => {
      for (const action of ['revoke', 'restore']) {
        expectError(await call('POST', `/api/v1/iocs/${action}`, { value: VALUE, reason: REASON }, null), 401, 'missing_api_key');
        expectError(await call('POST', `/api/v1/iocs/${action}`, { value: VALUE, reason: REASON }, pro), 403, 'insufficient_scope');
      }
      expect(await txt()).toContain(VALUE);
    });
  });

  describe('the allow-list', () => {
    const AHEAD = 'allow-me.lifecycle-test.net';
    const STORED = 'allow-stored.lifecycle-test.net';

    it('takes a value before any source reports it (201), and once only (200)', async () => {
      const res = await call('POST', '/api/v1/allowlist', { value: 'allow-me[.]lifecycle-test[.]net', reason: 'our mail relay' });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().data).toEqual({
        type: 'domain',
        value: AHEAD,
        reason: 'our mail relay',
        added_at: expect.stringMatching(/Z$/),
        added_by: expect.stringContaining('key '),
        status: null,
        changed: true,
      });
      const again = await call('POST', '/api/v1/allowlist', { value: AHEAD, reason: 'another reason' });
      expect(again.statusCode).toBe(200);
      expect(again.json().data).toMatchObject({ reason: 'our mail relay', changed: false });
      const list = await call('GET', '/api/v1/allowlist');
      expect(list.statusCode).toBe(200);
      expect(list.json()).toMatchObject({ meta: { total: 1 }, data: [{ type: 'domain', value: AHEAD, reason: 'our mail relay' }] });
    });

    it('keeps an allow-listed value out of the lists when it is reported, written or imported', async () => {
      await report(feedA, [AHEAD]);
      await importIocList(store.db, `${AHEAD}\n`, { source: 'Feed B', category: 'threat-intel' });
      await publishStixVersions(store.db);
      expect(await txt()).not.toContain(AHEAD);
      expect(await jsonValues()).not.toContain(AHEAD);
      expect(await searchFinds(AHEAD)).toBe(true);
    });

    it('revokes a stored value when it is added; restoring it is a 409 until it leaves the allow-list', async () => {
      await report(feedB, [STORED]);
      expect(await txt()).toContain(STORED);
      const res = await call('POST', '/api/v1/allowlist', { value: STORED, reason: 'a partner' });
      expect(res.statusCode).toBe(201);
      expect(res.json().data).toMatchObject({ value: STORED, status: 'revoked' });
      expect(await txt()).not.toContain(STORED);
      const conflict = expectError(await call('POST', '/api/v1/iocs/restore', { value: STORED, reason: REASON }), 409, 'allow_listed');
      expect(conflict.message).toContain('allow-list');
      expect(conflict.details).toMatchObject({ parameter: 'value', value: STORED });
    });

    it('lists a value again once it is removed from the allow-list', async () => {
      for (const value of [AHEAD, STORED]) {
        const res = await call('POST', '/api/v1/allowlist/remove', { value, reason: 'reviewed' });
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json().data).toMatchObject({ value, status: 'active', changed: true });
      }
      expect(await txt()).toEqual(expect.arrayContaining([AHEAD, STORED]));
      expect((await call('GET', '/api/v1/allowlist')).json()).toMatchObject({ meta: { total: 0 }, data: [] });
      const gone = expectError(await call('POST', '/api/v1/allowlist/remove', { value: AHEAD }), 404, 'not_found');
      expect(gone.details).toMatchObject({ parameter: 'value' });
    });

    it('refuses bad input with 400 naming the field, and keys without the admin scope', async () => {
      expectInvalidParameter(await call('POST', '/api/v1/allowlist', { value: 'not an indicator', reason: REASON }), 'value');
      expectInvalidParameter(await call('POST', '/api/v1/allowlist', { value: AHEAD }), 'reason');
      expectInvalidParameter(await call('POST', '/api/v1/allowlist/remove', { value: '' }), 'value');
      expectInvalidParameter(await call('POST', '/api/v1/allowlist/remove', { value: AHEAD, reason: ' ' }), 'reason');
      expectError(await call('GET', '/api/v1/allowlist', undefined, null), 401, 'missing_api_key');
      expectError(await call('GET', '/api/v1/allowlist', undefined, pro), 403, 'insufficient_scope');
      expectError(await call('POST', '/api/v1/allowlist', { value: AHEAD, reason: REASON }, pro), 403, 'insufficient_scope');
      expectError(await call('POST', '/api/v1/allowlist/remove', { value: AHEAD }, pro), 403, 'insufficient_scope');
    });
  });

  describe('socd', () => {
    const socd = (...args: string[]) =>
      runSocd(args, { DATABASE_URL: store.config.databaseUrl!, DATA_DIR: store.config.dataDir, LOG_LEVEL: 'silent' });
    const VALUE = 'cli-revoke.lifecycle-test.net';
    // Each command is a process of its own (a few seconds each on a busy machine).
    const SLOW = 180_000;

    it('lifetimes: the table; set and unset a lifetime', async () => {
      const list = await socd('lifetimes');
      expect(list).toMatchObject({ code: 0, stderr: '' });
      expect(list.stdout).toMatch(/^TYPE +LIFETIME +HALF-LIFE +REASON$/m);
      expect(list.stdout).toMatch(/^ipv4 +30 days +14 days +an address/m);
      expect(list.stdout).toMatch(/^email +never +20 days +kept for good \(set by key .*\)$/m);
      expect(list.stdout).toContain('No source overrides.');
      const set = await socd('lifetimes', 'set', '*', '7', '--source', 'Feed B', '--reason', 'a fast feed');
      expect(set).toMatchObject({ code: 0, stdout: 'Lifetime of Feed B, every type: 7 days. The values it covers are up to date.\n' });
      const typed = await socd('lifetimes', 'set', 'url', 'never', '--half-life', '10', '--reason', 'kept');
      expect(typed).toMatchObject({ code: 0, stdout: 'Lifetime of url: never. The values it covers are up to date.\n' });
      const after = (await socd('lifetimes')).stdout;
      expect(after).toMatch(/^url +never +10 days +kept \(set by socd.*\)$/m);
      expect(after).toMatch(/^SOURCE +TYPE +LIFETIME +REASON$/m);
      expect(after).toMatch(/^Feed B +\* +7 days +a fast feed \(set by socd.*\)$/m);
      // What Feed B alone reported 20 days ago has expired.
      expect(await txt()).not.toContain('only-b.lifecycle-test.net');
      expect(await socd('lifetimes', 'unset', '--source', 'Feed B')).toMatchObject({ code: 0 });
      expect(await txt()).toContain('only-b.lifecycle-test.net');
      const missing = await socd('lifetimes', 'unset', '--source', 'Feed B');
      expect(missing).toMatchObject({ code: 1, stderr: 'socd: Feed B has no lifetime of its own for every type\n' });
      const bad = await socd('lifetimes', 'set', 'ipv4', 'soon', '--reason', 'x');
      expect(bad).toMatchObject({ code: 1, stderr: 'socd: <days>: "soon" is not a number of days (1 to 36500) or never\n' });
    }, SLOW);

    it('revoke and restore: by value, defanged; an unknown value is an error', async () => {
      await report(feedA, [VALUE]);
      const revoked = await socd('revoke', 'cli-revoke[.]lifecycle-test[.]net', '--reason', 'false positive');
      expect(revoked).toMatchObject({ code: 0, stdout: `Revoked domain ${VALUE}.\n`, stderr: '' });
      expect(await txt()).not.toContain(VALUE);
      const restored = await socd('restore', VALUE, '--reason', 'reviewed');
      expect(restored).toMatchObject({ code: 0, stdout: `Restored domain ${VALUE}.\n` });
      expect(await txt()).toContain(VALUE);
      const unknown = await socd('revoke', 'nobody-reported.lifecycle-test.net', '--reason', 'x');
      expect(unknown).toMatchObject({ code: 1, stderr: 'socd: no domain nobody-reported.lifecycle-test.net is stored\n' });
      const notIoc = await socd('revoke', 'not an indicator', '--reason', 'x');
      expect(notIoc.code).toBe(1);
      expect(notIoc.stderr).toMatch(/^socd: "not an indicator" is not an IOC: /);
    }, SLOW);

    it('allowlist add, list and remove', async () => {
      const added = await socd('allowlist', 'add', VALUE, '--reason', 'our VPN');
      expect(added).toMatchObject({ code: 0, stdout: `Added domain ${VALUE} to the allow-list.\n` });
      expect(await txt()).not.toContain(VALUE);
      expect((await socd('allowlist')).stdout).toMatch(new RegExp(`^domain +${VALUE.replace(/\./g, '\\.')}  added .* by socd.*: our VPN$`, 'm'));
      const restore = await socd('restore', VALUE, '--reason', 'x');
      expect(restore).toMatchObject({ code: 1, stderr: `socd: ${VALUE} is on the allow-list: remove it (socd allowlist remove ${VALUE}) to restore it\n` });
      expect(await socd('allowlist', 'remove', VALUE)).toMatchObject({ code: 0, stdout: `Removed domain ${VALUE} from the allow-list.\n` });
      expect(await txt()).toContain(VALUE);
      expect(await socd('allowlist', 'remove', VALUE)).toMatchObject({ code: 1, stderr: `socd: ${VALUE} is not on the allow-list\n` });
    }, SLOW);

    it('expire: sweeps what is due and prints the counts', async () => {
      // A value last reported 100 days ago whose validity ended 10 days ago, not swept yet: the
      // child process's clock cannot be moved, so the data is moved back instead.
      await report(feedA, ['due.lifecycle-test.net']);
      await store.db.query(
        `with due as (select id from indicators where value = 'due.lifecycle-test.net'),
           moved as (update sightings set first_seen = now() - interval '100 days', last_seen = now() - interval '100 days' where indicator_id in (select id from due)),
           queued as (update lifecycle_due set due_at = now() - interval '10 days' where indicator_id in (select id from due))
         update indicators set first_seen = now() - interval '100 days', last_seen = now() - interval '100 days', valid_until = now() - interval '10 days'
         where id in (select id from due)`,
      );
      expect(await txt()).toContain('due.lifecycle-test.net');
      const result = await socd('expire');
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toMatch(/^Checked \d+ indicators: 1 expired, 0 added, \d+ updated\.\nPruned 0 events older than 90 days from the changes feed\. Published \d+ STIX versions\.\n$/);
      expect(await txt()).not.toContain('due.lifecycle-test.net');
    }, SLOW);
  });
});
