/** Options every command takes: --connection, --schema and --connect-timeout. */
import type { Command } from "commander";
import { parseInteger } from "./argument-parsers.js";
import { WorkerUtils } from "../client/worker-utils.js";
import { createConsoleLogger } from "../logger/logger.js";
import { validateSchemaName } from "../sql/quote-identifier.js";
import { ValidationError } from "../errors/errors.js";
import { schemaFromEnvironment } from "../config/defaults.js";
import { CliUsageError } from "./usage-error.js";

export interface GlobalOptions {
  connection?: string;
  schema?: string;
  connectTimeout?: string;
}

export function addGlobalOptions(command: Command): Command {
  return command
    .option("--connection <url>", "PostgreSQL connection string (default: DATABASE_URL)")
    .option("--schema <name>", "schema name (default: GRAPHILE_WORKER_SCHEMA, then graphile_worker)")
    .option("--connect-timeout <ms>", "give up connecting to PostgreSQL after this long (default 10000; 0: never)");
}

/**
 * A connection string pg would misread is a bad argument: `notaurl` would be
 * taken as a host name ("getaddrinfo ENOTFOUND"). A URL or a socket directory
 * (`/var/run/postgresql dbname`) is accepted; the value is not echoed, as it
 * may hold a password.
 */
export function checkConnectionString(argument: string, connectionString: string): void {
  if (connectionString.startsWith("/")) return;
  let url: URL | undefined;
  try {
    url = new URL(connectionString);
  } catch {
    url = undefined;
  }
  if (!url || !["postgres:", "postgresql:", "socket:"].includes(url.protocol)) {
    throw new CliUsageError(argument, "not a PostgreSQL URL (expected postgres://user:password@host:port/database)");
  }
}

export interface ResolvedConnection {
  /** Undefined when libpq's PG* variables (PGDATABASE, PGHOST, ...) say where to connect. */
  connectionString: string | undefined;
  schema: string;
  connectTimeoutMs: number | undefined;
}

export function resolveConnection(options: GlobalOptions): ResolvedConnection {
  const connectionString = options.connection ?? (process.env.DATABASE_URL || undefined);
  if (!connectionString && !process.env.PGDATABASE) {
    throw new CliUsageError("--connection", "no database given: pass --connection or set DATABASE_URL (or PGDATABASE)");
  }
  if (connectionString)
    checkConnectionString(options.connection !== undefined ? "--connection" : "DATABASE_URL", connectionString);
  const connectTimeoutMs =
    options.connectTimeout === undefined
      ? undefined
      : parseInteger("--connect-timeout", options.connectTimeout, { min: 0, max: 3_600_000 });
  const schema = schemaFromEnvironment(options.schema);
  try {
    validateSchemaName(schema);
  } catch (error) {
    if (error instanceof ValidationError) throw new CliUsageError("--schema", error.message);
    throw error;
  }
  return { connectionString, schema, connectTimeoutMs };
}

/** Run `fn` with a WorkerUtils for the command's connection, released afterwards. */
export async function withUtils<T>(options: GlobalOptions, fn: (utils: WorkerUtils) => Promise<T>): Promise<T> {
  const { connectionString, schema, connectTimeoutMs } = resolveConnection(options);
  const utils = new WorkerUtils({
    connectionString,
    schema,
    connectTimeoutMs,
    logger: createConsoleLogger("warn"),
    maxPoolSize: 2,
  });
  try {
    return await fn(utils);
  } finally {
    await utils.release();
  }
}
