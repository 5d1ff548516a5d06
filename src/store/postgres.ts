// The Db interface over a PostgreSQL server (the embedded one or DATABASE_URL's), through a pg
// connection pool.
import { performance } from 'node:perf_hooks';
import { finished } from 'node:stream/promises';
import pg from 'pg';
import { from as copyStdin } from 'pg-copy-streams';
import { statementChannel, type StatementEvent } from '../telemetry.js';
import { CHANNEL_PATTERN, DbError, withinBudget, type Db, type ListenHandlers, type Queryable, type Subscription } from './db.js';

function wrapError(error: unknown): never {
  if (error instanceof pg.DatabaseError) throw new DbError(error.message, error.code, error.detail);
  throw error;
}

// Each distinct statement is prepared once per connection under a name: its parse and, once
// PostgreSQL settles on a generic plan, its planning are not paid again. The statements are
// the store's constants, so their number is bounded.
const statementNames = new Map<string, string>();
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (!name) statementNames.set(sql, (name = `socd_${statementNames.size + 1}`));
  return name;
}

/** Runs a statement, timed for whoever watches the process (telemetry.ts: /metrics) when anyone does. */
async function timed<T>(run: () => Promise<T>): Promise<T> {
  if (!statementChannel.hasSubscribers) return run();
  const started = performance.now();
  let ok = false;
  try {
    const result = await run();
    ok = true;
    return result;
  } finally {
    statementChannel.publish({ seconds: (performance.now() - started) / 1000, ok } satisfies StatementEvent);
  }
}

function queryable(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<R>(sql: string, params: readonly unknown[] = []) {
      try {
        const result = await timed(() => client.query({ name: statementName(sql), text: sql, values: params as unknown[] }));
        return result.rows as R[];
      } catch (error) {
        wrapError(error);
      }
    },
    async script(sql: string) {
      // Without parameters pg uses the simple protocol, which accepts several statements.
      await timed(() => client.query(sql)).catch(wrapError);
    },
  };
}

async function copyFrom(client: pg.PoolClient, sql: string, data: Uint8Array): Promise<number> {
  const stream = client.query(copyStdin(sql));
  stream.end(data);
  await finished(stream).catch(wrapError);
  return stream.rowCount;
}

/** The server process of a connection (pg knows it, its types do not say so). */
const backendPid = (client: pg.PoolClient) => (client as unknown as { processID: number }).processID;

/** fn in a transaction on `client`: committed if it resolves, rolled back if it throws. */
async function inTransaction<T>(client: pg.PoolClient, begin: string, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  try {
    await client.query(begin);
    const result = await fn(queryable(client));
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => {});
    if (error instanceof pg.DatabaseError) wrapError(error);
    throw error;
  }
}

// A connection checked out of a pool has no listener for its errors (the pool listens to its idle
// ones only): one the server ends while it is held between statements (a source's lock held
// across a feed's fetch, when the embedded server dies) would end the process with an unhandled
// 'error'. While held, the error is left to fail the next statement (the pool then discards the
// connection, which is no longer queryable, rather than hand it out again).
const ignoreHeldError = () => {};

async function held<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  client.on('error', ignoreHeldError);
  try {
    return await fn(client);
  } finally {
    client.off('error', ignoreHeldError);
    client.release();
  }
}

const LISTEN_RETRY_MS = { first: 100, max: 5_000 };

/**
 * LISTEN on a client of its own, outside the pools (a pooled connection is handed to others, and
 * a statement timeout must not end it); after a loss it connects again, waiting longer each time
 * up to LISTEN_RETRY_MS.max, until the subscription is closed.
 */
function listenOn(options: PostgresOptions, channel: string, handlers: ListenHandlers): Subscription & { closed: Promise<void> } {
  if (!CHANNEL_PATTERN.test(channel)) throw new Error(`not a channel name: ${channel}`);
  let closing = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let delay = LISTEN_RETRY_MS.first;
  let settle: () => void = () => {};
  const closed = new Promise<void>((resolve) => (settle = resolve));

  const connect = async () => {
    const conn = new pg.Client({
      connectionString: options.connectionString,
      application_name: `${options.applicationName ?? 'socdefenders'} (listen)`,
      // A connection that went quiet without closing (a network gone) is noticed.
      keepAlive: true,
    });
    client = conn;
    let lost = false;
    const lose = (error: Error) => {
      if (lost) return;
      lost = true;
      if (client === conn) client = undefined;
      conn.end().catch(() => {});
      if (closing) return;
      handlers.onLost?.(error);
      retry = setTimeout(() => void connect(), delay);
      retry.unref();
      delay = Math.min(delay * 2, LISTEN_RETRY_MS.max);
    };
    conn.on('error', lose);
    conn.on('end', () => lose(new Error('the listening connection was closed')));
    conn.on('notification', (message) => {
      if (message.channel === channel) handlers.onNotify(message.payload ?? '');
    });
    try {
      await conn.connect();
      await conn.query(`listen ${channel}`);
    } catch (error) {
      return lose(error instanceof Error ? error : new Error(String(error)));
    }
    if (closing || lost) return;
    delay = LISTEN_RETRY_MS.first;
    handlers.onListening?.();
  };
  void connect();
  return {
    closed,
    async close() {
      closing = true;
      clearTimeout(retry);
      await client?.end().catch(() => {});
      settle();
    },
  };
}

export interface PostgresOptions {
  kind: Db['kind'];
  connectionString: string;
  poolSize: number;
  statementTimeoutMs: number;
  applicationName?: string;
}

export function openPostgres(options: PostgresOptions): Db & { pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize,
    statement_timeout: options.statementTimeoutMs,
    application_name: options.applicationName ?? 'socdefenders',
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  // Sessions (a source run holds its advisory lock in one for the whole run) get connections of
  // their own: taken from the query pool, a few of them would hold every connection while the
  // runs inside them wait for one, and nothing would move again.
  let sessions: pg.Pool | undefined;
  const sessionPool = () => {
    if (!sessions) {
      sessions = new pg.Pool({
        connectionString: options.connectionString,
        max: options.poolSize,
        statement_timeout: options.statementTimeoutMs,
        application_name: `${options.applicationName ?? 'socdefenders'} (session)`,
      });
      sessions.on('error', () => {});
    }
    return sessions;
  };
  const { query, script } = queryable(pool);
  const subscriptions = new Set<Subscription>();
  return {
    kind: options.kind,
    pool,
    query,
    script,
    transaction: (fn) =>
      held(pool, (client) => inTransaction(client, 'begin', (tx) => fn({ ...tx, copyFrom: (sql, data) => copyFrom(client, sql, data) }))),
    async bounded(limits, fn) {
      const client = await pool.connect();
      client.on('error', ignoreHeldError);
      // Cancelled from another connection, as PostgreSQL cancels; the connection is then closed
      // rather than returned to the pool, where a late cancel could reach another statement.
      let cancelling: Promise<unknown> | undefined;
      const cancel = () => {
        cancelling = sessionPool().query('select pg_cancel_backend($1)', [backendPid(client)]).catch(() => undefined);
      };
      limits.signal?.addEventListener('abort', cancel, { once: true });
      try {
        return await inTransaction(client, 'begin read only', (tx) => fn(withinBudget(tx, limits)));
      } finally {
        limits.signal?.removeEventListener('abort', cancel);
        await cancelling;
        client.off('error', ignoreHeldError);
        client.release(cancelling !== undefined);
      }
    },
    session: (fn) => held(sessionPool(), (client) => fn(queryable(client))),
    listen(channel, handlers) {
      const subscription = listenOn(options, channel, handlers);
      subscriptions.add(subscription);
      void subscription.closed.then(() => subscriptions.delete(subscription));
      return subscription;
    },
    async close() {
      await Promise.all([pool.end(), sessions?.end(), ...[...subscriptions].map((s) => s.close())]);
    },
  };
}
