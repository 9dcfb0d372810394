import { Option, type Command } from "commander";
import { createConsoleLogger, LOG_FORMATS, type LogFormat, type Logger } from "../../logger/logger.js";
import { CLAIM_MODES, WORKER_DEFAULTS, type ClaimMode, type WorkerOptions } from "../../worker/worker-config.js";
import { parseInteger, parseList } from "../argument-parsers.js";
import { addGlobalOptions, resolveConnection, withUtils, type GlobalOptions } from "../global-options.js";
import { countJobsForOtherTasks, onceSummary } from "../once-summary.js";
import { loadTasks } from "../load-tasks.js";
import { loadCrontabFile } from "../crontab-file.js";
import { addRecoveryArguments, parseRecoveryArguments, type RecoveryArguments } from "../recovery-arguments.js";
import { StoppedBySignal } from "../stopped-by-signal.js";
import { addExamples } from "../help-examples.js";
import { CliUsageError } from "../usage-error.js";

interface WorkerCommandOptions extends GlobalOptions, RecoveryArguments {
  tasks: string;
  concurrency?: string;
  once?: boolean;
  forbiddenFlags?: string;
  pollInterval?: string;
  shutdownTimeout?: string;
  /** false with --no-prepared-statements */
  preparedStatements: boolean;
  listenConnection?: string;
  logFormat: LogFormat;
  crontab?: string;
  metricsPort?: string;
  claimMode: ClaimMode;
  transactionClaimMaxHold?: string;
}

/** `--metrics-port`: one line and exit 2 when the optional exporter packages are missing. */
async function startMetricsEndpoint(port: number, logger: Logger): Promise<void> {
  const { startPrometheusEndpoint, MissingOptionalPackageError } = await import("../../telemetry/prometheus-endpoint.js");
  try {
    await startPrometheusEndpoint({ port, logger });
  } catch (error) {
    if (error instanceof MissingOptionalPackageError) throw new CliUsageError("--metrics-port", error.message);
    throw error;
  }
}

export function registerWorkerCommand(program: Command): void {
  addExamples(
    addGlobalOptions(
      addRecoveryArguments(
        program
          .command("worker")
          .description("run a worker")
          .requiredOption("--tasks <module>", "ES module whose default export is the tasks (required)")
          .option("--concurrency <n>", `jobs run at the same time (default ${WORKER_DEFAULTS.concurrency})`)
          .option("--once", "run until no job is runnable, then exit (runs no cron)")
          .option("--crontab <file>", "recurring jobs (graphile-worker crontab syntax + tz=); default: ./crontab when present")
          .option("--forbidden-flags <a,b>", "refuse jobs carrying any of these flags")
          .option(
            "--poll-interval <ms>",
            `poll for jobs this often, in ms, besides LISTEN (default ${WORKER_DEFAULTS.pollInterval})`,
          )
          .option(
            "--shutdown-timeout <ms>",
            "on SIGINT/SIGTERM, wait this long for running jobs before aborting them (default 30000)",
          )
          .addOption(
            new Option("--claim-mode <mode>", "how jobs without a named queue are claimed (see docs/claim-modes.md)")
              .choices(CLAIM_MODES)
              .default(WORKER_DEFAULTS.claimMode),
          )
          .option(
            "--transaction-claim-max-hold <ms>",
            `with --claim-mode transaction: convert a job still running after this long to a classic lock (default ${WORKER_DEFAULTS.transactionClaimMaxHoldMs})`,
          )
          .addOption(
            new Option("--log-format <format>", "log lines as text, or one JSON object per line")
              .choices(LOG_FORMATS)
              .default("text"),
          )
          .option(
            "--metrics-port <n>",
            "serve metrics at http://HOST:N/metrics in Prometheus format (0 picks a free port; needs @opentelemetry/exporter-prometheus)",
          )
          .option(
            "--no-prepared-statements",
            "send every statement unnamed (transaction-mode poolers without prepared statements)",
          )
          .option(
            "--listen-connection <url>",
            "separate connection for LISTEN, e.g. direct or session mode behind PgBouncer (default: GRAPHILE_WORKER_LISTEN_URL)",
          ),
      ),
    ),
    [
      "worker --tasks ./tasks.js --concurrency 20",
      "worker --tasks ./tasks.ts --once",
      "worker --tasks ./tasks.js --crontab ./crontab",
      "worker --tasks ./tasks.js --claim-mode transaction",
    ],
  ).action(async (options: WorkerCommandOptions) => {
    const { connectionString, schema, connectTimeoutMs } = resolveConnection(options);
    const logger = createConsoleLogger(undefined, undefined, options.logFormat);
    const listenConnectionString = options.listenConnection ?? (process.env.GRAPHILE_WORKER_LISTEN_URL || undefined);
    const workerOptions: WorkerOptions = {
      connectionString,
      schema,
      connectTimeoutMs,
      listenConnectionString,
      tasks: [], // loaded below, once every argument is known to be valid
      logger,
      handleSignals: true,
    };
    if (!options.preparedStatements) workerOptions.preparedStatements = false;
    if (options.concurrency !== undefined) {
      workerOptions.concurrency = parseInteger("--concurrency", options.concurrency, { min: 1, max: 10_000 });
    }
    if (options.pollInterval !== undefined) {
      workerOptions.pollInterval = parseInteger("--poll-interval", options.pollInterval, { min: 10, max: 24 * 3_600_000 });
    }
    if (options.shutdownTimeout !== undefined) {
      workerOptions.shutdownTimeoutMs = parseInteger("--shutdown-timeout", options.shutdownTimeout, {
        min: 0,
        max: 24 * 3_600_000,
      });
    }
    workerOptions.claimMode = options.claimMode;
    if (options.transactionClaimMaxHold !== undefined) {
      const maxHoldMs = parseInteger("--transaction-claim-max-hold", options.transactionClaimMaxHold, { min: 10, max: 60_000 });
      workerOptions.transactionClaim = { maxHoldMs };
    }
    if (options.forbiddenFlags !== undefined) workerOptions.forbiddenFlags = parseList(options.forbiddenFlags);
    // Validated before anything connects: a bad crontab is one line naming file:line and field, exit 2.
    const crontab = options.once ? undefined : loadCrontabFile(options.crontab);
    if (crontab) workerOptions.crontab = crontab.text;
    const recovery = parseRecoveryArguments(options);
    if (recovery !== undefined) workerOptions.recovery = recovery;
    const metricsPort =
      options.metricsPort === undefined
        ? undefined
        : parseInteger("--metrics-port", options.metricsPort, { min: 0, max: 65_535 });
    // Before the tasks module loads, so the worker reads this meter provider.
    if (metricsPort !== undefined) await startMetricsEndpoint(metricsPort, logger);
    workerOptions.tasks = await loadTasks(options.tasks);
    // Loaded on demand so the other commands start faster.
    const { Worker } = await import("../../worker/worker.js");
    const worker = new Worker(workerOptions);
    let stopError: Error | undefined;
    worker.events.on("worker:stop", ({ error }) => (stopError = error));
    if (options.once) {
      await worker.runOnce();
      const left = await withUtils(options, (utils) =>
        countJobsForOtherTasks(utils.driver, schema, worker.taskIdentifiers),
      ).catch(() => undefined);
      logger.info(onceSummary(worker.activityLog.totals, left));
    } else await worker.run();
    // Stopped by a signal: end by it (main.ts), whatever else went wrong (the worker logged it).
    if (worker.stopSignal) throw new StoppedBySignal(worker.stopSignal);
    // Stopped without releasing every lock (the database went away): exit 1.
    if (stopError) throw stopError;
  });
}
