/** `worker --recovery [--heartbeat-interval ms] [--sweep-interval ms] [--sweep-threshold ms] [--recovery-delay ms]`. */
import type { Command } from "commander";
import { ValidationError } from "../errors/errors.js";
import { resolveRecoveryConfig, type RecoveryOptions } from "../recovery/recovery-config.js";
import { parseInteger } from "./argument-parsers.js";
import { CliUsageError } from "./usage-error.js";

export interface RecoveryArguments {
  recovery?: boolean;
  heartbeatInterval?: string;
  sweepInterval?: string;
  sweepThreshold?: string;
  recoveryDelay?: string;
}

/** Command-line argument of each recovery option (for errors naming the argument). */
const ARGUMENT_OF: Record<string, string> = {
  "recovery.heartbeatIntervalMs": "--heartbeat-interval",
  "recovery.sweepIntervalMs": "--sweep-interval",
  "recovery.sweepThresholdMs": "--sweep-threshold",
  "recovery.recoveryDelayMs": "--recovery-delay",
};

export function addRecoveryArguments(command: Command): Command {
  return command
    .option("--recovery", "heartbeat, and recover the jobs of dead workers")
    .option("--heartbeat-interval <ms>", "with --recovery: heartbeat every ms (default 30000)")
    .option("--sweep-interval <ms>", "with --recovery: look for dead workers every ms (default 60000)")
    .option("--sweep-threshold <ms>", "with --recovery: a worker silent this long is dead (default 300000)")
    .option("--recovery-delay <ms>", "with --recovery: recovered jobs wait this long before running again (default 30000)");
}

/** The worker's `recovery` option, or undefined without `--recovery`; throws CliUsageError naming the argument. */
export function parseRecoveryArguments(args: RecoveryArguments): RecoveryOptions | undefined {
  const given: Array<[keyof RecoveryOptions, string, string | undefined, number]> = [
    ["heartbeatIntervalMs", "--heartbeat-interval", args.heartbeatInterval, 1],
    ["sweepIntervalMs", "--sweep-interval", args.sweepInterval, 1],
    ["sweepThresholdMs", "--sweep-threshold", args.sweepThreshold, 1],
    ["recoveryDelayMs", "--recovery-delay", args.recoveryDelay, 0],
  ];
  if (!args.recovery) {
    const stray = given.find(([, , text]) => text !== undefined);
    if (stray) throw new CliUsageError(stray[1], "only applies with --recovery");
    return undefined;
  }
  const options: RecoveryOptions = { enabled: true };
  for (const [field, argument, text, min] of given) {
    if (text !== undefined) (options as Record<string, unknown>)[field] = parseInteger(argument, text, { min });
  }
  try {
    resolveRecoveryConfig(options);
  } catch (error) {
    if (error instanceof ValidationError && ARGUMENT_OF[error.field]) {
      throw new CliUsageError(ARGUMENT_OF[error.field]!, error.message);
    }
    throw error;
  }
  return options;
}
