import type pg from "pg";
import { ValidationError } from "../errors/errors.js";
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
}

export interface ResolvedDriver {
  driver: Driver;
  /** True when we created the driver and so must close it. */
  owned: boolean;
}

export function resolveDriver(options: ConnectionOptions, onIdleError?: (error: Error) => void): ResolvedDriver {
  const given = [options.connectionString, options.pool, options.driver].filter((v) => v !== undefined).length;
  if (given > 1) {
    throw new ValidationError("connection", "connectionString/pool/driver", "give only one of connectionString, pool or driver");
  }
  if (options.driver) {
    // These configure a driver we create; a given driver takes them in its own options.
    for (const field of ["listenConnectionString", "maxPoolSize", "preparedStatements"] as const) {
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
  if (options.pool) {
    return {
      driver: new PgDriver({
        pool: options.pool,
        listenConnectionString: options.listenConnectionString,
        preparedStatements: options.preparedStatements,
      }),
      owned: true,
    };
  }
  const connectionString = options.connectionString ?? process.env.DATABASE_URL;
  if (!connectionString) {
    throw new ValidationError(
      "connectionString",
      connectionString,
      "no connection given: pass connectionString, pool or driver, or set DATABASE_URL",
    );
  }
  return {
    driver: new PgDriver({
      connectionString,
      listenConnectionString: options.listenConnectionString,
      maxConnections: options.maxPoolSize,
      onIdleError,
      preparedStatements: options.preparedStatements,
    }),
    owned: true,
  };
}
