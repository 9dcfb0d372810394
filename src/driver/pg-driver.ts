import pg from "pg";
import { quoteIdentifier } from "../sql/quote-identifier.js";
import type { Driver, ListenSubscription, Notification, Queryable, QueryOptions, QueryResult } from "./driver.js";

/** Options for the node-postgres driver. */
export interface PgDriverOptions {
  /** Connection string; ignored when `pool` is given. */
  connectionString?: string;
  /** A pool owned by the caller: used as is and never ended by us. */
  pool?: pg.Pool;
  /** Maximum connections of the pool we create. */
  maxConnections?: number;
  /**
   * Connection string for the LISTEN connection (e.g. a session-mode
   * connection when queries go through a transaction-mode pooler).
   */
  listenConnectionString?: string;
  /** Called with errors from idle pooled connections (they are otherwise fatal in pg). */
  onIdleError?: (error: Error) => void;
  /**
   * Prepare the hot-path statements (named statements; default true). Set
   * false behind a transaction-mode pooler that does not track prepared
   * statements (PgBouncer before 1.21): every statement is then sent unnamed.
   */
  preparedStatements?: boolean;
}

/** Adapt any pg client-like object (pool, client) to `Queryable` (`named: false` never prepares). */
export function queryableFromPg(client: Pick<pg.ClientBase, "query"> | pg.Pool, named = true): Queryable {
  return {
    async query<Row>(text: string, values?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<Row>> {
      const config: pg.QueryConfig = { text, values: values as unknown[] | undefined };
      if (named && options?.name) config.name = options.name;
      const result = await (client as pg.Pool).query(config);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    },
  };
}

/** The default driver, on node-postgres (`pg`). */
export class PgDriver implements Driver {
  readonly name = "pg";
  readonly pool: pg.Pool;
  private readonly ownsPool: boolean;
  private readonly options: PgDriverOptions;
  private readonly pooled: Queryable;
  private readonly subscriptions = new Set<ListenSubscription>();

  constructor(options: PgDriverOptions) {
    this.options = options;
    if (options.pool) {
      this.pool = options.pool;
      this.ownsPool = false;
    } else {
      this.pool = new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 10 });
      this.ownsPool = true;
      this.pool.on("error", (error) => options.onIdleError?.(error));
    }
    this.pooled = queryableFromPg(this.pool, options.preparedStatements ?? true);
  }

  query<Row = Record<string, unknown>>(text: string, values?: readonly unknown[], options?: QueryOptions) {
    return this.pooled.query<Row>(text, values, options);
  }

  async withConnection<T>(fn: (connection: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken = error;
    };
    client.on("error", onError);
    try {
      return await fn(queryableFromPg(client, this.options.preparedStatements ?? true));
    } catch (error) {
      broken ??= isConnectionError(error) ? (error as Error) : undefined;
      throw error;
    } finally {
      client.off("error", onError);
      client.release(broken);
    }
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.withConnection(async (connection) => {
      await connection.query("begin");
      try {
        const result = await fn(connection);
        await connection.query("commit");
        return result;
      } catch (error) {
        await connection.query("rollback").catch(() => undefined);
        throw error;
      }
    });
  }

  async listen(
    channels: readonly string[],
    onNotification: (notification: Notification) => void,
  ): Promise<ListenSubscription> {
    const connectionString = this.options.listenConnectionString ?? this.options.connectionString;
    // With a dedicated listen connection string we open our own client; otherwise
    // we borrow a pool connection and keep it for the life of the subscription.
    const ownClient = connectionString ? new pg.Client({ connectionString }) : undefined;
    const client: pg.ClientBase = ownClient ?? (await this.pool.connect());
    let resolveClosed!: (error: Error | undefined) => void;
    const closed = new Promise<Error | undefined>((resolve) => (resolveClosed = resolve));
    let ended = false;
    const finish = (error: Error | undefined) => {
      if (ended) return;
      ended = true;
      resolveClosed(error);
    };
    client.on("notification", (message) => onNotification({ channel: message.channel, payload: message.payload }));
    client.on("error", (error) => finish(error));
    client.on("end", () => finish(new Error("LISTEN connection ended")));
    try {
      if (ownClient) await ownClient.connect();
      for (const channel of channels) {
        await client.query(`listen ${quoteIdentifier(channel)}`);
      }
    } catch (error) {
      finish(error as Error);
      if (ownClient) await ownClient.end().catch(() => undefined);
      else (client as pg.PoolClient).release(true);
      throw error;
    }
    const subscription: ListenSubscription = {
      closed,
      close: async () => {
        this.subscriptions.delete(subscription);
        if (ended) {
          if (!ownClient) (client as pg.PoolClient).release(true);
          return;
        }
        finish(undefined);
        if (ownClient) {
          await ownClient.end().catch(() => undefined);
        } else {
          await client.query("unlisten *").catch(() => undefined);
          (client as pg.PoolClient).release();
        }
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    if (this.ownsPool) await this.pool.end();
  }
}

/** True for errors that mean the connection itself is unusable. */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  if (typeof code === "string" && (code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03")) {
    return true;
  }
  const message = (error as Error | null)?.message ?? "";
  return /Connection terminated|ECONNREFUSED|ECONNRESET|connection is closed|Client has encountered a connection error|EPIPE/i.test(
    message,
  );
}
