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
  close(): Promise<void>;
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
