// One database interface for both backends: the embedded PGlite (in a worker thread) and a
// PostgreSQL server through `pg`. Every statement in store/ is plain parameterized SQL that
// runs on both.

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs several statements without parameters (migrations). */
  script(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs fn in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Runs fn on one connection of its own, outside any transaction, for session state such as
   * advisory locks (PGlite has a single connection: fn shares it).
   */
  session<T>(fn: (conn: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A database error with PostgreSQL's SQLSTATE, whichever backend raised it. */
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
