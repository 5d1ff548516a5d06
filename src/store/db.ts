// One database interface over PostgreSQL, the embedded server in DATA_DIR or an external one:
// every statement in store/ is plain parameterized SQL (kept to what PostgreSQL 15 runs).

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs several statements without parameters (migrations). */
  script(sql: string): Promise<void>;
  /** `copy … from stdin` with these bytes; returns the rows written (a transaction on a server has it). */
  copyFrom?(sql: string, data: Uint8Array): Promise<number>;
}

export interface Db extends Queryable {
  /** Which server: the one embedded in DATA_DIR, or DATABASE_URL's. */
  readonly kind: 'embedded' | 'external';
  /** Runs fn in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs fn on one connection of its own, outside any transaction, for session state such as advisory locks. */
  session<T>(fn: (conn: Queryable) => Promise<T>): Promise<T>;
  /**
   * Runs fn's reads in a read-only transaction of their own, for work one request alone waits
   * for: together its statements stop after `budgetMs`, and when `signal` aborts (its client has
   * gone) the running one is cancelled in the database. Both end in a DbError queryCanceled.
   */
  bounded<T>(limits: Limits, fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * LISTENs on `channel` (an SQL identifier) on a connection of its own, kept open until the
   * subscription is closed: after a loss it reconnects by itself. A NOTIFY sent in a transaction
   * arrives when the transaction commits, on every instance listening.
   */
  listen(channel: string, handlers: ListenHandlers): Subscription;
  /** Closes the pool, and every subscription. */
  close(): Promise<void>;
}

export interface ListenHandlers {
  /** A notification on the channel, with its payload. */
  onNotify(payload: string): void;
  /** Listening has begun: the first time, and again after each loss. */
  onListening?(): void;
  /** The connection was lost, or could not be made: notifications sent until the next onListening are missed. */
  onLost?(error: Error): void;
}

export interface Subscription {
  close(): Promise<void>;
}

/** What LISTEN takes as a channel: it cannot be a parameter. */
export const CHANNEL_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

export interface Limits {
  budgetMs: number;
  signal?: AbortSignal;
}

/** A database error with PostgreSQL's SQLSTATE. */
export class DbError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'DbError';
  }
}

export const SQLSTATE = {
  uniqueViolation: '23505',
  queryCanceled: '57014',
} as const;

/**
 * The statements of a bounded transaction (Db.bounded): each is given what is left of the budget
 * as its statement_timeout, and none starts once the budget is spent or the signal aborted.
 */
export function withinBudget(conn: Queryable, { budgetMs, signal }: Limits): Queryable {
  const deadline = performance.now() + budgetMs;
  return {
    async query<R>(sql: string, params?: readonly unknown[]) {
      const left = Math.floor(deadline - performance.now());
      if (signal?.aborted) throw new DbError('canceling statement: its client has gone', SQLSTATE.queryCanceled);
      if (left <= 0) throw new DbError('canceling statement: the time budget is spent', SQLSTATE.queryCanceled);
      await conn.query(`select set_config('statement_timeout', $1, true)`, [String(left)]);
      return conn.query<R>(sql, params);
    },
    script: () => Promise.reject(new Error('a bounded transaction runs no scripts')),
  };
}
