import pg from "pg";
import { ConnectionTimeoutError } from "../errors/errors.js";
import { quoteIdentifier } from "../sql/quote-identifier.js";
import { PgPipelinedTransaction } from "./pg-pipelined-transaction.js";
import { PreparedStatementMode, preparedStatementFallbackWarning } from "./prepared-statement-mode.js";
import { describeServer, isConnectTimeout } from "./server-address.js";
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
   * Prepare the hot-path statements (named statements; default true). Behind a
   * transaction-mode pooler that does not track prepared statements (PgBouncer
   * before 1.21) the driver notices the first refused name, switches to unnamed
   * statements by itself and warns once; `false` starts unnamed (no warning).
   */
  preparedStatements?: boolean;
  /** Give up connecting after this long (ms; default 10000; 0 waits forever). Not for a given `pool`. */
  connectTimeoutMs?: number;
  /** Where the driver's one-off warnings go (default console.warn). */
  onWarning?: (message: string) => void;
}

/** Default of `connectTimeoutMs`: long enough for a loaded server, short enough to tell a hung one. */
export const CONNECT_TIMEOUT_DEFAULT_MS = 10_000;

/**
 * Adapt any pg client-like object (pool, client) to `Queryable`. `named`:
 * `false` never prepares; a `PreparedStatementMode` prepares until the server
 * shows that names cannot be trusted (a transaction-mode pooler), then retries
 * that statement unnamed and sends every later one unnamed.
 */
export function queryableFromPg(
  client: Pick<pg.ClientBase, "query"> | pg.Pool,
  named: boolean | PreparedStatementMode = true,
): Queryable {
  const mode =
    typeof named === "boolean"
      ? new PreparedStatementMode(named, (error) => console.warn(preparedStatementFallbackWarning(error)))
      : named;
  const run = async <Row>(config: pg.QueryConfig): Promise<QueryResult<Row>> => {
    const result = await (client as pg.Pool).query(config);
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
  };
  return {
    async query<Row>(text: string, values?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<Row>> {
      const config: pg.QueryConfig = { text, values: values as unknown[] | undefined };
      if (!options?.name || !mode.enabled) return run<Row>(config);
      try {
        return await run<Row>({ ...config, name: options.name });
      } catch (error) {
        // Refused before it ran (at parse or bind): safe to send again, unnamed.
        if (!mode.fallBackOn(error)) throw error;
        try {
          return await run<Row>(config);
        } catch (retryError) {
          // Inside the caller's transaction the refusal aborted it: report the cause, not "transaction aborted".
          throw (retryError as { code?: string }).code === "25P02" ? error : retryError;
        }
      }
    },
  };
}

/** The default driver, on node-postgres (`pg`). */
export class PgDriver implements Driver {
  readonly name = "pg";
  readonly pool: pg.Pool;
  private readonly ownsPool: boolean;
  /** close() was called: idle-connection errors are no longer reported. */
  private closing = false;
  private readonly options: PgDriverOptions;
  private readonly pooled: Queryable;
  private readonly subscriptions = new Set<ListenSubscription>();
  /** Shared by every connection of the pool: one refused name switches them all. */
  private readonly statements: PreparedStatementMode;
  private readonly connectTimeoutMs: number;

  constructor(options: PgDriverOptions) {
    this.options = options;
    this.connectTimeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_DEFAULT_MS;
    if (options.pool) {
      this.pool = options.pool;
      this.ownsPool = false;
    } else {
      // connectionTimeoutMillis bounds connecting (TCP + startup). pg-pool applies it to waiting
      // for a free pooled client too: that is fine here, the worker's statements are short.
      this.pool = new pg.Pool({
        connectionString: options.connectionString,
        max: options.maxConnections ?? 10,
        connectionTimeoutMillis: this.connectTimeoutMs,
      });
      this.ownsPool = true;
      // Once closing, a connection's error is expected: pool.end() resolves before the sockets
      // have closed, so a server stopping right after can still reach them (seen at load).
      this.pool.on("error", (error) => {
        if (!this.closing) options.onIdleError?.(error);
      });
    }
    // pg-pool takes its idle listener off a client as it hands the client out, and the borrower of
    // `pool.connect()` adds its own a microtask later. An error message read in the same chunk as the
    // client's last reply (a backend terminated right after its startup or its last statement) is emitted
    // in between: with no listener, node-postgres' 'error' event would crash the process. Every client
    // keeps this one (a user's pool too: our borrowings have the same gap); the client is then not
    // queryable, so the borrower's first statement fails with a connection error and is discarded.
    this.pool.on("acquire", guardHandOff);
    const warn = options.onWarning ?? ((message: string) => console.warn(message));
    this.statements = new PreparedStatementMode(options.preparedStatements ?? true, (error) =>
      warn(preparedStatementFallbackWarning(error)),
    );
    this.pooled = queryableFromPg(this.pool, this.statements);
  }

  /** False once the driver switched to unnamed statements (or was told to start so). */
  get usesPreparedStatements(): boolean {
    return this.statements.enabled;
  }

  query<Row = Record<string, unknown>>(text: string, values?: readonly unknown[], options?: QueryOptions) {
    return this.pooled.query<Row>(text, values, options).catch((error: unknown) => {
      throw this.explain(error);
    });
  }

  /** A connect timeout names the server; anything else is passed on as it is. */
  private explain(error: unknown, connectionString = this.options.connectionString): unknown {
    if (!isConnectTimeout(error)) return error;
    connectionString ??= (this.pool.options as { connectionString?: string }).connectionString;
    return new ConnectionTimeoutError(describeServer(connectionString), this.connectTimeoutMs, { cause: error });
  }

  /**
   * Run `fn` with one pool connection. `broken()` tells whether the connection failed meanwhile (an error
   * event, or a connection error thrown by `fn`): such a connection is destroyed instead of reused.
   */
  private async withClient<T>(fn: (client: pg.PoolClient, broken: () => Error | undefined) => Promise<T>): Promise<T> {
    const client = await this.pool.connect().catch((error: unknown) => {
      throw this.explain(error);
    });
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken = error;
    };
    client.on("error", onError);
    try {
      return await fn(client, () => broken);
    } catch (error) {
      broken ??= isConnectionError(error) ? (error as Error) : undefined;
      throw error;
    } finally {
      client.off("error", onError);
      client.release(broken);
    }
  }

  withConnection<T>(fn: (connection: Queryable) => Promise<T>): Promise<T> {
    return this.withClient((client) => fn(queryableFromPg(client, this.statements)));
  }

  /** BEGIN travels with the first statement, and COMMIT with one sent `{ commit: true }` (PgPipelinedTransaction). */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.withClient(async (client, broken) => {
      const tx = new PgPipelinedTransaction(client, queryableFromPg(client, this.statements), this.statements);
      try {
        const result = await fn(tx);
        await tx.commit();
        return result;
      } catch (error) {
        if (!broken() && !isConnectionError(error)) await tx.rollback().catch(() => undefined);
        throw error;
      }
    });
  }

  async listen(channels: readonly string[], onNotification: (notification: Notification) => void): Promise<ListenSubscription> {
    const connectionString = this.options.listenConnectionString ?? this.options.connectionString;
    // With a dedicated listen connection string we open our own client; otherwise
    // we borrow a pool connection and keep it for the life of the subscription.
    const ownClient = connectionString
      ? new pg.Client({ connectionString, connectionTimeoutMillis: this.connectTimeoutMs })
      : undefined;
    const client: pg.ClientBase =
      ownClient ??
      (await this.pool.connect().catch((error: unknown) => {
        throw this.explain(error);
      }));
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
      throw this.explain(error, connectionString);
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
    this.closing = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    if (this.ownsPool) await this.pool.end();
    else this.pool.off("acquire", guardHandOff);
  }
}

/** See the pool's "acquire" listener: the borrower learns of the error from its first statement. */
function ignoreHandOffError(): void {}

function guardHandOff(client: pg.PoolClient): void {
  if (!client.listeners("error").includes(ignoreHandOffError)) client.on("error", ignoreHandOffError);
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
