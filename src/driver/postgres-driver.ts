/**
 * The driver seam on postgres.js (`postgres` 3.x). Results look like
 * node-postgres results: bigint as strings, timestamps as Dates, json parsed,
 * int2/int4 as numbers, and parameters are bound as node-postgres binds them
 * (see parameter-text.ts), so every statement behaves the same on both drivers.
 */
import postgres from "postgres";
import { ValidationError } from "../errors/errors.js";
import { quoteIdentifier } from "../sql/quote-identifier.js";
import type { Driver, ListenSubscription, Notification, Queryable, QueryOptions, QueryResult } from "./driver.js";
import { parameterText } from "./parameter-text.js";

/** The part of a postgres.js `sql`, `sql.begin` transaction or `sql.reserve()` connection we query through. */
export type PostgresJsQueryable = Pick<postgres.Sql, "unsafe" | "typed">;

/** Options for the postgres.js driver. */
export interface PostgresJsDriverOptions {
  /** Maximum connections of the `sql` we create from a connection string (default 10). */
  maxConnections?: number;
  /**
   * Connection string for the LISTEN connection (e.g. a session-mode
   * connection when queries go through a transaction-mode pooler). By default
   * LISTEN uses a dedicated connection with the settings of `sql`.
   */
  listenConnectionString?: string;
}

/** Type OID `unknown`: the server infers the parameter's type, as when none is given. */
const UNKNOWN_OID = 705;
const INT8_OID = 20;
const DATE_OIDS = new Set([1082, 1114, 1184]);

interface RawResult extends Array<Record<string, unknown>> {
  count: number | null;
  columns?: ReadonlyArray<{ name: string; type: number }>;
}

/** Adapt any postgres.js query handle (`sql`, a `sql.begin` transaction, a reserved connection) to `Queryable`. */
export function queryableFromPostgresJs(sql: PostgresJsQueryable): Queryable {
  return {
    async query<Row>(text: string, values?: readonly unknown[], _options?: QueryOptions): Promise<QueryResult<Row>> {
      if (!values || values.length === 0) {
        // Simple query protocol: several statements allowed; the last result counts.
        const raw = (await sql.unsafe(text)) as unknown as RawResult | RawResult[];
        const last = Array.isArray(raw[0]) ? (raw as RawResult[])[raw.length - 1] : (raw as RawResult);
        return toQueryResult<Row>(last);
      }
      // Bound as text with type `unknown` so the server infers each type exactly
      // as it does for node-postgres, and postgres.js applies no serializer.
      const parameters = values.map((value) => sql.typed(parameterText(value), UNKNOWN_OID));
      const raw = (await sql.unsafe(text, parameters as never[], { prepare: true })) as unknown as RawResult;
      return toQueryResult<Row>(raw);
    },
  };
}

function toQueryResult<Row>(raw: RawResult | undefined): QueryResult<Row> {
  if (!raw) return { rows: [], rowCount: 0 };
  const rows = Array.from(raw);
  normaliseTypes(rows, raw.columns ?? []);
  return { rows: rows as Row[], rowCount: raw.count ?? rows.length };
}

/**
 * Undo per-`sql` type settings that would change what our code reads: custom
 * bigint parsing (postgres.BigInt) and date parsers that keep strings (as
 * Drizzle installs on a shared `sql`).
 */
function normaliseTypes(rows: Record<string, unknown>[], columns: ReadonlyArray<{ name: string; type: number }>): void {
  for (const { name, type } of columns) {
    if (type === INT8_OID) {
      for (const row of rows) if (typeof row[name] === "bigint") row[name] = String(row[name]);
    } else if (DATE_OIDS.has(type)) {
      for (const row of rows) if (typeof row[name] === "string") row[name] = new Date(row[name] as string);
    }
  }
}

/** The driver seam on postgres.js. */
export class PostgresJsDriver implements Driver {
  readonly name = "postgres";
  readonly sql: postgres.Sql;
  private readonly ownsSql: boolean;
  private readonly options: PostgresJsDriverOptions;
  private readonly pooled: Queryable;
  private readonly subscriptions = new Set<ListenSubscription>();

  /** Pass your own `sql` (left open by `close()`) or a connection string (we create and end the `sql`). */
  constructor(sqlOrConnectionString: postgres.Sql | string, options: PostgresJsDriverOptions = {}) {
    this.options = options;
    if (typeof sqlOrConnectionString === "string") {
      this.sql = postgres(sqlOrConnectionString, { max: options.maxConnections ?? 10, onnotice: () => undefined });
      this.ownsSql = true;
    } else {
      assertNoTransforms(sqlOrConnectionString);
      this.sql = sqlOrConnectionString;
      this.ownsSql = false;
    }
    this.pooled = queryableFromPostgresJs(this.sql);
  }

  query<Row = Record<string, unknown>>(text: string, values?: readonly unknown[], options?: QueryOptions) {
    return this.pooled.query<Row>(text, values, options);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    // Boxed: postgres.js awaits every element when the callback returns an array.
    const box = await this.sql.begin(async (tx) => ({ value: await fn(queryableFromPostgresJs(tx)) }));
    return box.value;
  }

  async withConnection<T>(fn: (connection: Queryable) => Promise<T>): Promise<T> {
    const reserved = await this.sql.reserve();
    try {
      return await fn(queryableFromPostgresJs(reserved));
    } finally {
      reserved.release();
    }
  }

  /**
   * LISTEN on a dedicated single-connection `sql`. Unlike `sql.listen`, a drop
   * is reported through `closed` (the worker then re-listens and polls for
   * anything it missed) instead of being re-established silently.
   */
  async listen(channels: readonly string[], onNotification: (notification: Notification) => void): Promise<ListenSubscription> {
    let resolveClosed!: (error: Error | undefined) => void;
    const closed = new Promise<Error | undefined>((resolve) => (resolveClosed = resolve));
    let ended = false;
    const finish = (error: Error | undefined) => {
      if (ended) return;
      ended = true;
      resolveClosed(error);
    };
    // `onnotify` is the (untyped) hook postgres.js's own `sql.listen` is built on.
    const settings = {
      max: 1,
      idle_timeout: 0, // 0: never
      max_lifetime: 0,
      fetch_types: false,
      onnotice: () => undefined,
      onnotify: (channel: string, payload: string) => onNotification({ channel, payload }),
      onclose: () => {
        finish(new Error("LISTEN connection closed"));
        void listener.end({ timeout: 0 }).catch(() => undefined);
      },
    } satisfies postgres.Options<Record<string, never>> & { onnotify: unknown } as postgres.Options<Record<string, never>>;
    const listener = this.options.listenConnectionString
      ? postgres(this.options.listenConnectionString, settings)
      : // The same parsed settings as `sql`, as postgres.js's own `sql.listen` does.
        postgres({ ...this.sql.options, ...settings } as unknown as postgres.Options<Record<string, never>>);
    try {
      for (const channel of channels) await listener.unsafe(`listen ${quoteIdentifier(channel)}`);
    } catch (error) {
      finish(error as Error);
      await listener.end({ timeout: 0 }).catch(() => undefined);
      throw error;
    }
    const subscription: ListenSubscription = {
      closed,
      close: async () => {
        this.subscriptions.delete(subscription);
        finish(undefined);
        await listener.end({ timeout: 1 }).catch(() => undefined);
      },
    };
    this.subscriptions.add(subscription);
    // A dropped connection has ended itself; forget it (the worker opens a new one).
    void closed.then(() => this.subscriptions.delete(subscription));
    return subscription;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    if (this.ownsSql) await this.sql.end({ timeout: 5 });
  }
}

/** Column or row transforms (e.g. `postgres.camel`) would rename the columns our queries read. */
function assertNoTransforms(sql: postgres.Sql): void {
  const transform = sql.options?.transform;
  if (transform?.column?.from || transform?.row?.from || transform?.value?.from) {
    throw new ValidationError(
      "sql",
      "postgres.js instance with transform",
      "must not transform result columns, rows or values (create a separate sql without `transform` for the worker)",
    );
  }
}

/**
 * A driver on postgres.js. Give your own `sql` (left open by `close()`) or a
 * connection string: `createWorker({ driver: createPostgresJsDriver(sql), tasks })`.
 */
export function createPostgresJsDriver(
  sqlOrConnectionString: postgres.Sql | string,
  options?: PostgresJsDriverOptions,
): PostgresJsDriver {
  return new PostgresJsDriver(sqlOrConnectionString, options);
}
