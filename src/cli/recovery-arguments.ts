/**
 * `worker [--recovery | --no-recovery] [--heartbeat-interval ms] [--sweep-interval ms]
 * [--sweep-threshold ms] [--recovery-delay ms]`. Recovery is on by default;
 * `--recovery` is still accepted (it changes nothing), `--no-recovery` turns it off.
 */
import type { Command } from "commander";
import { ValidationError } from "../errors/errors.js";
import { RECOVERY_DEFAULTS, RECOVERY_LIMITS, resolveRecoveryConfig, type RecoveryOptions } from "../recovery/recovery-config.js";
import { parseInteger } from "./argument-parsers.js";
import { CliUsageError } from "./usage-error.js";

export interface RecoveryArguments {
  /** true with --recovery, false with --no-recovery, undefined with neither. */
  recovery?: boolean;
  heartbeatInterval?: string;
  sweepInterval?: string;
  sweepThreshold?: string;
  recoveryDelay?: string;
}

type TunedField = "heartbeatIntervalMs" | "sweepIntervalMs" | "sweepThresholdMs" | "recoveryDelayMs";

/** Each tunable recovery option: its command-line argument (errors name it) and commander's key for it. */
const ARGUMENTS: ReadonlyArray<{ field: TunedField; argument: string; key: Exclude<keyof RecoveryArguments, "recovery"> }> = [
  { field: "heartbeatIntervalMs", argument: "--heartbeat-interval", key: "heartbeatInterval" },
  { field: "sweepIntervalMs", argument: "--sweep-interval", key: "sweepInterval" },
  { field: "sweepThresholdMs", argument: "--sweep-threshold", key: "sweepThreshold" },
  { field: "recoveryDelayMs", argument: "--recovery-delay", key: "recoveryDelay" },
];

export function addRecoveryArguments(command: Command): Command {
  const d = RECOVERY_DEFAULTS;
  return command
    .option("--recovery", "heartbeat, and recover the jobs of dead workers (the default)")
    .option("--no-recovery", "no heartbeat, no sweeping: a crashed worker's jobs stay locked until recovered by other means")
    .option("--heartbeat-interval <ms>", `heartbeat every ms (default ${d.heartbeatIntervalMs})`)
    .option("--sweep-interval <ms>", `look for dead workers every ms (default ${d.sweepIntervalMs})`)
    .option("--sweep-threshold <ms>", `a worker silent this long is dead (default ${d.sweepThresholdMs})`)
    .option("--recovery-delay <ms>", `recovered jobs wait this long before running again (default ${d.recoveryDelayMs})`);
}

/**
 * The worker's `recovery` option: undefined for the defaults, `false` with
 * `--no-recovery`. Throws CliUsageError naming the argument.
 */
export function parseRecoveryArguments(args: RecoveryArguments): RecoveryOptions | false | undefined {
  const given = ARGUMENTS.filter(({ key }) => args[key] !== undefined);
  if (args.recovery === false) {
    if (given.length > 0) throw new CliUsageError(given[0]!.argument, "does not apply with --no-recovery");
    return false;
  }
  if (given.length === 0) return undefined;
  const options: RecoveryOptions = {};
  for (const { field, argument, key } of given) options[field] = parseInteger(argument, args[key]!, RECOVERY_LIMITS[field]);
  try {
    resolveRecoveryConfig(options);
  } catch (error) {
    const named = error instanceof ValidationError ? ARGUMENTS.find((a) => error.field === `recovery.${a.field}`) : undefined;
    if (named) throw new CliUsageError(named.argument, (error as Error).message);
    throw error;
  }
  return options;
}
