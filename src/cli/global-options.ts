/** Options every command takes: --connection and --schema. */
import type { Command } from "commander";
import { WorkerUtils } from "../utils/worker-utils.js";
import { createConsoleLogger } from "../logger/logger.js";
import { validateSchemaName } from "../sql/quote-identifier.js";
import { ValidationError } from "../errors/errors.js";
import { CliUsageError } from "./usage-error.js";

export interface GlobalOptions {
  connection?: string;
  schema?: string;
}

export function addGlobalOptions(command: Command): Command {
  return command
    .option("--connection <url>", "PostgreSQL connection string (default: DATABASE_URL)")
    .option("--schema <name>", "schema name (default: GRAPHILE_WORKER_SCHEMA, then graphile_worker)");
}

export interface ResolvedConnection {
  connectionString: string;
  schema: string;
}

export function resolveConnection(options: GlobalOptions): ResolvedConnection {
  const connectionString = options.connection ?? process.env.DATABASE_URL;
  if (!connectionString) throw new CliUsageError("--connection", "no database given: pass --connection or set DATABASE_URL");
  const schema = options.schema ?? process.env.GRAPHILE_WORKER_SCHEMA ?? "graphile_worker";
  try {
    validateSchemaName(schema);
  } catch (error) {
    if (error instanceof ValidationError) throw new CliUsageError("--schema", error.message);
    throw error;
  }
  return { connectionString, schema };
}

/** Run `fn` with a WorkerUtils for the command's connection, released afterwards. */
export async function withUtils<T>(options: GlobalOptions, fn: (utils: WorkerUtils) => Promise<T>): Promise<T> {
  const { connectionString, schema } = resolveConnection(options);
  const utils = new WorkerUtils({ connectionString, schema, logger: createConsoleLogger("warn"), maxPoolSize: 2 });
  try {
    return await fn(utils);
  } finally {
    await utils.release();
  }
}
