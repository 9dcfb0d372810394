/** `sweep-stale-workers`: one sweep now (same rules as a worker's sweeper); prints what was recovered. */
import type { Command } from "commander";
import { resolveDriver } from "../../driver/connect.js";
import { createConsoleLogger } from "../../logger/logger.js";
import { RECOVERY_DEFAULTS } from "../../recovery/recovery-config.js";
import { recoveryStatements } from "../../sql/recovery-statements.js";
import { Sweeper, type SweepResult } from "../../recovery/sweeper.js";
import { parseInteger } from "../argument-parsers.js";
import { addGlobalOptions, resolveConnection, type GlobalOptions } from "../global-options.js";
import { describeRowlessLockHolders, rowlessLockHolders } from "../command-report.js";
import { plural } from "../../worker/activity-log.js";
import { addExamples } from "../help-examples.js";

interface SweepCommandOptions extends GlobalOptions {
  sweepThreshold?: string;
  recoveryDelay?: string;
  json?: boolean;
}

function describe(result: SweepResult): string {
  if (!result.swept) return "Another worker is sweeping right now; nothing done";
  const dead = result.deadTransactionBatches;
  const counted =
    dead.batches > 0
      ? [
          `Counted an attempt for ${plural(dead.jobs, "job")} of ${plural(dead.batches, "dead transaction-claim batch", "dead transaction-claim batches")}`,
        ]
      : [];
  if (result.recoveredWorkerIds.length === 0) return [...counted, "No dead workers found"].join("\n");
  const lines = [
    ...counted,
    `Recovered ${plural(result.jobs.length, "job")} from ${plural(result.recoveredWorkerIds.length, "dead worker")}`,
  ];
  for (const workerId of result.recoveredWorkerIds) {
    const jobIds = result.jobs.filter((j) => j.workerId === workerId).map((j) => j.jobId);
    const kind = result.staleWorkerIds.includes(workerId) ? "stale heartbeat" : "no heartbeat, lock older than 4h";
    lines.push(`  ${workerId} (${kind}): ${jobIds.length ? jobIds.join(", ") : "no jobs"}`);
  }
  return lines.join("\n");
}

export function registerSweepCommand(program: Command): void {
  addExamples(
    addGlobalOptions(
      program
        .command("sweep-stale-workers")
        .description("recover the jobs of dead workers now (stale heartbeat, or locks older than 4 hours)")
        .option("--sweep-threshold <ms>", `a worker silent this long is dead (default ${RECOVERY_DEFAULTS.sweepThresholdMs})`)
        .option("--recovery-delay <ms>", "recovered jobs wait this long before running again (default 0)")
        .option("--json", "print the result as JSON"),
    ),
    ["sweep-stale-workers", "sweep-stale-workers --sweep-threshold 60000 --json"],
  ).action(async (options: SweepCommandOptions) => {
    const { connectionString, schema } = resolveConnection(options);
    const thresholdMs =
      options.sweepThreshold === undefined
        ? RECOVERY_DEFAULTS.sweepThresholdMs
        : parseInteger("--sweep-threshold", options.sweepThreshold, { min: 1 });
    const recoveryDelayMs =
      options.recoveryDelay === undefined ? 0 : parseInteger("--recovery-delay", options.recoveryDelay, { min: 0 });
    const { driver } = resolveDriver({ connectionString, maxPoolSize: 1 });
    try {
      const sweeper = new Sweeper(
        driver,
        recoveryStatements(schema),
        {
          schema,
          workerId: null,
          intervalMs: RECOVERY_DEFAULTS.sweepIntervalMs,
          thresholdMs,
          orphanThresholdMs: RECOVERY_DEFAULTS.nodeWorkerThresholdMs,
          recoveryDelayMs,
        },
        createConsoleLogger("error"),
      );
      const result = await sweeper.sweepOnce();
      const rowless = await rowlessLockHolders(driver, schema, RECOVERY_DEFAULTS.nodeWorkerThresholdMs);
      if (options.json) console.log(JSON.stringify({ ...result, rowlessLockHolders: rowless }));
      else {
        console.log(describe(result));
        const note = describeRowlessLockHolders(rowless);
        if (note) console.log(note);
      }
    } finally {
      await driver.close();
    }
  });
}
