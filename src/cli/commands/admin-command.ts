/**
 * `admin`: serve the admin web UI until SIGINT/SIGTERM. Binds to 127.0.0.1 by
 * default; `--auth none` is refused on any address that is not loopback, and
 * the secrets of `basic`/`bearer` come from the environment (never from the
 * command line, where `ps` would show them).
 */
import type { Command } from "commander";
import { ADMIN_DEFAULTS } from "../../config/defaults.js";
import { ValidationError } from "../../errors/errors.js";
import { createConsoleLogger } from "../../logger/logger.js";
import { parseInteger } from "../argument-parsers.js";
import { addExamples } from "../help-examples.js";
import { addGlobalOptions, resolveConnection, type GlobalOptions } from "../global-options.js";
import { StoppedBySignal } from "../stopped-by-signal.js";
import { CliUsageError } from "../usage-error.js";

interface AdminCommandOptions extends GlobalOptions {
  host: string;
  port?: string;
  auth: string;
  readOnly?: boolean;
  basePath?: string;
}

const AUTH_MODES = ["none", "basic", "bearer"];

export function registerAdminCommand(program: Command): void {
  addExamples(
    addGlobalOptions(
      program
        .command("admin")
        .description("serve the admin web UI (jobs, queues, workers, cron, maintenance)")
        .option("--host <address>", "address to listen on", ADMIN_DEFAULTS.host)
        .option("--port <n>", `port to listen on (default ${ADMIN_DEFAULTS.port}; 0 picks a free one)`)
        .option(
          "--auth <mode>",
          "none (loopback only), basic (GRAPHILE_WORKER_ADMIN_USER/_PASSWORD) or bearer (GRAPHILE_WORKER_ADMIN_TOKEN)",
          "none",
        )
        .option("--read-only", "hide every mutation and refuse them with 403")
        .option("--base-path <path>", "serve under this path, e.g. /admin (behind a proxy)"),
    ),
    ["admin --port 5959", "admin --host 0.0.0.0 --auth bearer --read-only   # token in GRAPHILE_WORKER_ADMIN_TOKEN"],
  ).action(async (options: AdminCommandOptions) => {
    const { connectionString, schema, connectTimeoutMs } = resolveConnection(options);
    const port = options.port === undefined ? ADMIN_DEFAULTS.port : parseInteger("--port", options.port, { min: 0, max: 65535 });
    if (!AUTH_MODES.includes(options.auth)) {
      throw new CliUsageError("--auth", `unknown mode ${JSON.stringify(options.auth)}; expected none, basic or bearer`);
    }
    // Loaded on demand so the other commands do not load the HTTP framework.
    const { authFromEnvironment, isLoopbackHost, startAdminServer } = await import("../../admin/index.js");
    const { normalizeBasePath } = await import("../../admin/admin-options.js");
    if (options.auth === "none" && !isLoopbackHost(options.host)) {
      throw new CliUsageError("--auth", `none is only allowed on a loopback address, not ${options.host}; use basic or bearer`);
    }
    let auth;
    let basePath;
    try {
      auth = authFromEnvironment(options.auth);
      basePath = normalizeBasePath(options.basePath);
    } catch (error) {
      if (error instanceof ValidationError) {
        const argument = error.field === "basePath" ? "--base-path" : error.field;
        throw new CliUsageError(argument, error.reason);
      }
      throw error;
    }
    const logger = createConsoleLogger("warn");
    const server = await startAdminServer({
      connectionString,
      schema,
      connectTimeoutMs,
      host: options.host,
      port,
      auth,
      readOnly: options.readOnly ?? false,
      basePath: basePath === "" ? undefined : basePath,
      logger,
    });
    try {
      // Fail now, in one line, when the database cannot be read (not reachable, not migrated).
      await server.handler.ready();
    } catch (error) {
      await server.close();
      throw error;
    }
    console.log(
      `graphile-worker-ts admin on ${server.url} (auth ${auth.mode}${options.readOnly ? ", read-only" : ""}; Ctrl+C to stop)`,
    );
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once("SIGINT", () => resolve("SIGINT"));
      process.once("SIGTERM", () => resolve("SIGTERM"));
    });
    await server.close();
    throw new StoppedBySignal(signal);
  });
}
