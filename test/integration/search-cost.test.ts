// One key must not be able to take the service down through search (issue 10): every search
// costs a bounded amount whatever q is, the trigram fallback runs under a time budget of its
// own and only a few at a time, and work for a client that has gone is cancelled in the database.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbError, SQLSTATE, type Db } from '../../src/store/db.js';
import { BACKENDS, openTestStore, startTestApp, type TestApp, type TestStore } from '../helpers.js';
import { expectError, get, instrument, seedStore } from './seed.js';

interface SearchData {
  found: boolean;
  match_type: string;
  matches: { value: string }[];
  meta: { fuzzy_stage: string; notices?: string[] };
}

const search = async (t: TestApp, q: string, key: string) => {
  const res = await get(t.app, `/api/v1/iocs/search?include_related=false&q=${encodeURIComponent(q)}`, key);
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { data: SearchData }).data;
};

/** Whether a statement is one of the trigram fallback's (they rank by similarity). */
const isFuzzy = (sql: string) => sql.includes('similarity(');

/** Polls until `check` holds (what it waits for happens in another process or connection). */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * A Db whose bounded transactions wait at a gate the test opens, so that a test can hold
 * searches in their fallback; the statements they complete are recorded.
 */
function gated(db: Db) {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const state = { waiting: 0, ended: 0, statements: [] as string[] };
  const wrapped: Db = {
    ...db,
    bounded: async (limits, fn) => {
      state.waiting++;
      await gate;
      try {
        return await db.bounded(limits, (tx) =>
          fn({
            ...tx,
            query: async <R>(sql: string, params?: readonly unknown[]) => {
              const rows = await tx.query<R>(sql, params);
              state.statements.push(sql);
              return rows;
            },
          }),
        );
      } finally {
        state.ended++;
      }
    },
  };
  return { db: wrapped, state, open: () => open() };
}

describe.each(BACKENDS)('bounded search on %s', (backend) => {
  let store: TestStore;
  /** A stored value: its search is exact. */
  let stored: string;

  beforeAll(async () => {
    store = await openTestStore(backend);
    await seedStore(store.db);
    const [row] = await store.db.query<{ value: string }>(
      `select i.value from indicators i join sightings s on s.indicator_id = i.id where i.type = 'domain' limit 1`,
    );
    stored = row!.value;
  }, 120_000);
  afterAll(async () => store?.close());

  describe('Db.bounded', () => {
    const activeSleeps = async () =>
      (await store.db.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where query like 'select pg_sleep(%' and state = 'active'`))[0]!.n;

    it('cancels a statement at its budget, and the connections it leaves behave as before', async () => {
      const error = await store.db.bounded({ budgetMs: 100 }, (tx) => tx.query('select pg_sleep(30)')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DbError);
      expect((error as DbError).code).toBe(SQLSTATE.queryCanceled);
      // The budget was the transaction's own: the pool's statements keep the configured timeout.
      const timeouts = await Promise.all(
        Array.from({ length: 12 }, () => store.db.query<{ statement_timeout: string }>('show statement_timeout')),
      );
      for (const [row] of timeouts) expect(row!.statement_timeout).not.toBe('100ms');
    });

    it('shares one budget among its statements', async () => {
      let ran = 0;
      const error = await store.db
        .bounded({ budgetMs: 300 }, async (tx) => {
          for (let i = 0; i < 10; i++) {
            await tx.query('select pg_sleep(0.1)');
            ran++;
          }
        })
        .catch((e: unknown) => e);
      expect((error as DbError).code).toBe(SQLSTATE.queryCanceled);
      expect(ran).toBeLessThan(3);
    });

    it('cancels the running statement in the database when its client gives up', async () => {
      const gone = new AbortController();
      const running = store.db.bounded({ budgetMs: 60_000, signal: gone.signal }, (tx) => tx.query('select pg_sleep(30)'));
      const outcome = running.catch((e: unknown) => e);
      await until(async () => (await activeSleeps()) === 1, 'the statement to run');
      gone.abort();
      expect(((await outcome) as DbError).code).toBe(SQLSTATE.queryCanceled);
      await until(async () => (await activeSleeps()) === 0, 'the statement to end');
      // Nothing starts once the client has gone.
      let started = false;
      await expect(
        store.db.bounded({ budgetMs: 60_000, signal: gone.signal }, async (tx) => {
          started = true;
          return tx.query('select 1');
        }),
      ).rejects.toThrow(DbError);
      expect(started).toBe(true); // fn ran, its statement did not
    });

    it('only reads', async () => {
      const error = await store.db.bounded({ budgetMs: 1000 }, (tx) => tx.query(`delete from api_keys`)).catch((e: unknown) => e);
      expect((error as DbError).code).toBe('25006'); // read_only_sql_transaction
    });
  });

  describe('the trigram fallback', () => {
    it('does not run on input where a near match cannot mean anything', async () => {
      const probe = instrument(store.db);
      const t = await startTestApp({ ...store, db: probe.db });
      try {
        const key = await t.key('pro');
        for (const q of ['a.'.repeat(1024), '%_'.repeat(500), '-'.repeat(2048), 'a b c d e f g h'.repeat(50), 'ab.cd.ef.gh.ij.kl', 'évil domain.com', 'пример'.repeat(100)]) {
          probe.state.statements.length = 0;
          const data = await search(t, q, key);
          expect(data.match_type, q.slice(0, 20)).toBe('none');
          expect(data.meta.fuzzy_stage).toBe('not_applicable');
          expect(probe.state.statements.filter((s) => isFuzzy(s.sql))).toEqual([]);
        }
      } finally {
        await t.close();
      }
    });

    it('reads at most the first 64 characters of q, and says so', async () => {
      const probe = instrument(store.db);
      const t = await startTestApp({ ...store, db: probe.db });
      try {
        const key = await t.key('pro');
        const q = 'qwertyuiopasdfghjklzxcvbnm'.repeat(80).slice(0, 2048); // the longest q allowed
        const data = await search(t, q, key);
        expect(data.meta.fuzzy_stage).toBe('done');
        expect(data.meta.notices).toEqual([expect.stringContaining('first 64 characters')]);
        const fuzzy = probe.state.statements.filter((s) => isFuzzy(s.sql));
        expect(fuzzy.length).toBeGreaterThan(0);
        for (const { params } of fuzzy) for (const param of params) expect(String(param).length).toBeLessThanOrEqual(66);
      } finally {
        await t.close();
      }
    });

    it('stops at its time budget and answers without near matches, saying why', async () => {
      // 100,000 values sharing trigrams with q: the near-miss stage must weigh each of them.
      await store.db.query(`insert into indicators (id, type, value, value_normalized, confidence, first_seen, last_seen)
        select gen_random_uuid(), 'domain', v, v, 'low', now(), now()
        from (select 'abcfoo' || g || '.example' as v from generate_series(1, 100000) g) s`);
      const t = await startTestApp({ ...store, config: { ...store.config, searchFuzzyBudgetMs: 1 } });
      try {
        const key = await t.key('pro');
        const data = await search(t, 'abcx', key);
        expect(data).toMatchObject({ found: false, match_type: 'none', matches: [] });
        expect(data.meta.fuzzy_stage).toBe('budget_spent');
        expect(data.meta.notices).toEqual([expect.stringContaining('time budget (1 ms)')]);
        // The connection the budget was cancelled on does not carry it to others.
        expect((await search(t, stored, key)).match_type).toBe('exact');
      } finally {
        await t.close();
        await store.db.query(`delete from indicators where value like 'abcfoo%.example'`);
      }
    });

    it('runs a few at a time per key and per server, and refuses the rest with Retry-After', async () => {
      const held = gated(store.db);
      const t = await startTestApp({ ...store, db: held.db, config: { ...store.config, searchFuzzyPerKey: 1, searchFuzzyPerInstance: 2 } });
      try {
        const [a, b, c] = [await t.key('pro'), await t.key('pro'), await t.key('pro')];
        const fuzzyOf = (key: string) => get(t.app, '/api/v1/iocs/search?q=evil-c2', key);
        const first = fuzzyOf(a);
        await until(() => held.state.waiting === 1, 'the first fallback');
        // The same key: 429, and when to retry.
        const perKey = await fuzzyOf(a);
        expect(perKey.headers['retry-after']).toBe('1');
        expect(expectError(perKey, 429, 'rate_limit_exceeded').details).toMatchObject({ window: 'concurrent', limit: 1 });
        // Its exact searches are never held back.
        expect((await search(t, stored, a)).match_type).toBe('exact');
        expect(held.state.waiting).toBe(1);
        // Another key is admitted; a third finds the server's two places taken: 503.
        const second = fuzzyOf(b);
        await until(() => held.state.waiting === 2, 'the second fallback');
        const perServer = await fuzzyOf(c);
        expect(perServer.headers['retry-after']).toBe('1');
        expect(expectError(perServer, 503, 'service_unavailable').details).toMatchObject({ limit: 2 });
        // An operator sees them (/metrics).
        const metrics = (await t.app.inject({ url: '/metrics' })).body;
        expect(metrics).toContain('socd_refusals_total{reason="admission_per_key"} 1\n');
        expect(metrics).toContain('socd_refusals_total{reason="admission_per_instance"} 1\n');
        held.open();
        for (const res of await Promise.all([first, second])) expect(res.statusCode).toBe(200);
        // Their places are free again.
        expect((await fuzzyOf(c)).statusCode).toBe(200);
      } finally {
        held.open();
        await t.close();
      }
    });

    it('runs nothing for a client that has gone', async () => {
      const held = gated(store.db);
      const t = await startTestApp({ ...store, db: held.db });
      try {
        const key = await t.key('pro');
        await t.app.listen({ host: '127.0.0.1', port: 0 });
        const { port } = t.app.server.address() as AddressInfo;
        const request = http.get({ host: '127.0.0.1', port, path: '/api/v1/iocs/search?q=evil-c2', headers: { 'x-api-key': key } });
        request.on('error', () => {});
        await until(() => held.state.waiting === 1, 'the fallback');
        request.destroy();
        await until(() => t.logs.lines.some((line) => line.msg === 'request aborted by the client'), 'the server to see it go');
        held.open();
        await until(() => held.state.ended === 1, 'the abandoned fallback to end');
        expect(held.state.statements.filter(isFuzzy)).toEqual([]);
        // Its place was given back: the key's next fallback runs, and its statements are seen.
        expect((await get(t.app, '/api/v1/iocs/search?q=evil-c2', key)).statusCode).toBe(200);
        expect(held.state.statements.filter(isFuzzy).length).toBeGreaterThan(0);
      } finally {
        held.open();
        await t.close();
      }
    });
  });
});
