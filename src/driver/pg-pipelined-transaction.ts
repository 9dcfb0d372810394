/**
 * A node-postgres transaction that saves two round trips: `BEGIN` goes out in
 * the same write as the transaction's first statement, and `COMMIT` right
 * behind a statement sent with `{ commit: true }` (QueryOptions). Both use
 * node-postgres' pipeline mode, switched on for the client only while those two
 * queries are in flight (the client is idle before and after). Every other
 * statement is an ordinary query on the connection.
 *
 * Why this is safe:
 * - BEGIN cannot fail on a healthy connection; when the connection breaks, both
 *   queries fail and the caller rolls back (or the connection is discarded).
 * - A statement that fails ahead of a pipelined COMMIT aborts the transaction,
 *   so that COMMIT answers ROLLBACK: nothing of the transaction is written. Such
 *   a statement is never retried (a retry would run outside the transaction);
 *   a refused prepared-statement name still switches the pool to unnamed
 *   statements for the next transactions.
 */
import type pg from "pg";
import type { PreparedStatementMode } from "./prepared-statement-mode.js";
import type { Queryable, QueryOptions, QueryResult } from "./driver.js";

/** The client's pipeline switch (read by node-postgres on every query; typed read-only). */
type PipelinedClient = pg.PoolClient & { pipeline: boolean };

export class PgPipelinedTransaction implements Queryable {
  /** BEGIN was sent. */
  begun = false;
  /** A pipelined COMMIT answered: the transaction is over (committed, or rolled back by a failed statement). */
  ended = false;

  constructor(
    private readonly client: pg.PoolClient,
    /** The same connection through `queryableFromPg` (named statements, fallback). */
    private readonly connection: Queryable,
    private readonly statements: PreparedStatementMode,
  ) {}

  query<Row = Record<string, unknown>>(
    text: string,
    values?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<Row>> {
    if (this.ended) return Promise.reject(new Error("The transaction is over: its COMMIT was sent"));
    if (this.begun && !options?.commit) return this.connection.query<Row>(text, values, options);
    return this.pipelined<Row>(text, values, options);
  }

  /** End the transaction the usual way when no statement carried the COMMIT (nothing to do if none ran). */
  async commit(): Promise<void> {
    if (!this.begun || this.ended) return;
    this.ended = true;
    await this.client.query("commit");
  }

  /** After a failure: roll back if the transaction may still be open. */
  async rollback(): Promise<void> {
    if (!this.begun || this.ended) return;
    this.ended = true;
    await this.client.query("rollback");
  }

  private async pipelined<Row>(text: string, values?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<Row>> {
    const name = options?.name && this.statements.enabled ? options.name : undefined;
    const client = this.client as PipelinedClient;
    const begin = !this.begun;
    const commit = options?.commit === true;
    this.begun = true;
    if (commit) this.ended = true;
    client.pipeline = true;
    let settled: [PromiseSettledResult<unknown>, PromiseSettledResult<pg.QueryResult>, PromiseSettledResult<unknown>];
    try {
      settled = await Promise.allSettled([
        begin ? client.query("begin") : undefined,
        client.query({ text, values: values as unknown[] | undefined, name }),
        commit ? client.query("commit") : undefined,
      ]);
    } finally {
      // Every query sent was answered (or failed with the connection): back to one query at a time.
      client.pipeline = false;
    }
    const [opened, statement, committed] = settled;
    if (opened.status === "rejected") throw opened.reason;
    if (statement.status === "rejected") {
      // Named and refused (a transaction-mode pooler): the next transactions send it unnamed.
      if (name) this.statements.fallBackOn(statement.reason);
      throw statement.reason;
    }
    if (committed.status === "rejected") throw committed.reason;
    const result = statement.value;
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
  }
}
