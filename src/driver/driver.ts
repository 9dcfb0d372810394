/**
 * The narrow seam between graphile-worker-ts and a PostgreSQL client library.
 * Everything the worker, utils, migrator and CLI do goes through these types,
 * so a new client library needs only one implementation of `Driver`.
 */

/** Rows returned by a query. */
export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

/** Options for a single query. */
export interface QueryOptions {
  /**
   * A stable statement name: drivers that support server-side prepared
   * statements prepare it once per connection and reuse it (hot path queries).
   */
  name?: string;
  /**
   * The last statement of a `Driver.transaction`: the driver may send COMMIT right behind it, in the
   * same round trip (node-postgres does). Nothing may be queried on the transaction after it. When it
   * fails, the transaction is rolled back. Ignored outside a transaction.
   */
  commit?: boolean;
}

/** Anything that can run a parameterised query: a pool, a connection, a transaction. */
export interface Queryable {
  /**
   * Run `text` with `$1..$n` placeholders bound to `values`. With no values the
   * text may hold several statements (used by migrations).
   */
  query<Row = Record<string, unknown>>(
    text: string,
    values?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<Row>>;
}

/** A notification received on a LISTENed channel. */
export interface Notification {
  channel: string;
  payload: string | undefined;
}

/** An open LISTEN session on a dedicated connection. */
export interface ListenSubscription {
  /** Resolves when the connection ends (error or close); the worker then re-listens. */
  readonly closed: Promise<Error | undefined>;
  /** UNLISTEN and release the connection. */
  close(): Promise<void>;
}

/** The driver seam: pool-level queries, transactions, LISTEN/NOTIFY and shutdown. */
export interface Driver extends Queryable {
  /** A short name, e.g. `pg` or `postgres`. */
  readonly name: string;
  /**
   * Run `fn` inside BEGIN/COMMIT on one connection; ROLLBACK if it throws.
   * Statements inside see each other's effects and session state (advisory locks).
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Run `fn` with one dedicated connection held for its duration, outside any
   * transaction (for session-level advisory locks and multi-step migrations).
   */
  withConnection<T>(fn: (connection: Queryable) => Promise<T>): Promise<T>;
  /** LISTEN on `channels` on a dedicated connection. */
  listen(channels: readonly string[], onNotification: (notification: Notification) => void): Promise<ListenSubscription>;
  /** Close every connection this driver opened (a user-supplied pool is left open). */
  close(): Promise<void>;
}
