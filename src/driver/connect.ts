import type pg from "pg";
import { ValidationError } from "../errors/errors.js";
import type { Logger } from "../logger/logger.js";
import type { Driver } from "./driver.js";
import { PgDriver } from "./pg-driver.js";

/** How to reach PostgreSQL: one of a connection string, a pg pool or a driver. */
export interface ConnectionOptions {
  /** Defaults to the DATABASE_URL environment variable. */
  connectionString?: string;
  /** Your own node-postgres pool (left open on release). */
  pool?: pg.Pool;
  /** Any implementation of the driver seam (e.g. `createPostgresJsDriver(sql)`). */
  driver?: Driver;
  /** A separate connection string for LISTEN (e.g. session mode behind PgBouncer). */
  listenConnectionString?: string;
  /** Size of the pool we create from `connectionString` (default 10). */
  maxPoolSize?: number;
  /**
   * Use named prepared statements on the hot path (default true). Set false
   * behind a transaction-mode pooler that does not track prepared statements
   * (PgBouncer before 1.21). Not for `driver` (set it in the driver's options).
   */
  preparedStatements?: boolean;
  /**
   * Give up connecting to PostgreSQL after this long (ms; default 10000; 0
   * waits forever), with a `ConnectionTimeoutError` naming the server. Not for
   * a given `pool` or `driver` (set it in their own options).
   */
  connectTimeoutMs?: number;
}

/** Upper bound of `connectTimeoutMs` (one hour). */
const MAX_CONNECT_TIMEOUT_MS = 3_600_000;

export interface ResolvedDriver {
  driver: Driver;
  /** True when we created the driver and so must close it. */
  owned: boolean;
}

/**
 * The driver for `options`: the given one, one around a given pool, or one we
 * create from `connectionString`, `DATABASE_URL` or libpq's PG* variables (as
 * node-postgres and graphile-worker read them when PGDATABASE is set).
 */
export function resolveDriver(
  options: ConnectionOptions,
  /** Where idle-connection errors and the driver's one-off warnings go (default: console). */
  logger?: Logger,
): ResolvedDriver {
  const onIdleError = logger && ((error: Error) => logger.warn(`idle connection error: ${error.message}`));
  const onWarning = logger && ((message: string) => logger.warn(message));
  const given = [options.connectionString, options.pool, options.driver].filter((v) => v !== undefined).length;
  if (given > 1) {
    throw new ValidationError("connection", "connectionString/pool/driver", "give only one of connectionString, pool or driver");
  }
  if (options.driver) {
    // These configure a driver we create; a given driver takes them in its own options.
    for (const field of ["listenConnectionString", "maxPoolSize", "preparedStatements", "connectTimeoutMs"] as const) {
      if (options[field] !== undefined) {
        throw new ValidationError(field, options[field], "set it in the driver's own options when passing `driver`");
      }
    }
    return { driver: options.driver, owned: false };
  }
  if (options.maxPoolSize !== undefined && (!Number.isInteger(options.maxPoolSize) || options.maxPoolSize < 1)) {
    throw new ValidationError("maxPoolSize", options.maxPoolSize, "must be a positive integer");
  }
  if (options.preparedStatements !== undefined && typeof options.preparedStatements !== "boolean") {
    throw new ValidationError("preparedStatements", options.preparedStatements, "must be true or false");
  }
  const connectTimeoutMs = options.connectTimeoutMs;
  if (
    connectTimeoutMs !== undefined &&
    (!Number.isInteger(connectTimeoutMs) || connectTimeoutMs < 0 || connectTimeoutMs > MAX_CONNECT_TIMEOUT_MS)
  ) {
    throw new ValidationError("connectTimeoutMs", connectTimeoutMs, `must be an integer from 0 to ${MAX_CONNECT_TIMEOUT_MS}`);
  }
  if (options.pool) {
    if (connectTimeoutMs !== undefined) {
      throw new ValidationError(
        "connectTimeoutMs",
        connectTimeoutMs,
        "set connectionTimeoutMillis in your pool's own options when passing `pool`",
      );
    }
    return {
      driver: new PgDriver({
        pool: options.pool,
        listenConnectionString: options.listenConnectionString,
        preparedStatements: options.preparedStatements,
        onWarning,
      }),
      owned: true,
    };
  }
  const connectionString = options.connectionString ?? (process.env.DATABASE_URL || undefined);
  // With neither, node-postgres reads PGHOST, PGPORT, PGDATABASE, PGUSER and PGPASSWORD itself.
  if (!connectionString && !process.env.PGDATABASE) {
    throw new ValidationError(
      "connectionString",
      connectionString,
      "no connection given: pass connectionString, pool or driver, or set DATABASE_URL (or PGDATABASE and the other PG* variables)",
    );
  }
  return {
    driver: new PgDriver({
      connectionString,
      listenConnectionString: options.listenConnectionString,
      maxConnections: options.maxPoolSize,
      onIdleError,
      onWarning,
      preparedStatements: options.preparedStatements,
      connectTimeoutMs,
    }),
    owned: true,
  };
}
