/**
 * Unknown option names: a misspelt option (`concurency`) would otherwise be
 * ignored silently and its default used. Each options type has one list of
 * its names, typed `satisfies Record<keyof Options, true>`, so adding an option
 * to the interface without listing it fails to compile. Connection and
 * recovery names are listed here; the others next to their interface.
 */
import type { ConnectionOptions } from "../driver/connect.js";
import { ValidationError } from "../errors/errors.js";
import type { WorkerPlugin } from "../hooks/plugin.js";
import type { RecoveryOptions } from "../recovery/recovery-config.js";
import type { CronItem } from "../cron/cron-item.js";

/** The names of one options type, as `checkKnownOptions` takes them. */
export type OptionNames = ReadonlySet<string>;

/** A set of option names from a `{ name: true }` record (the record is what the compiler checks). */
export function optionNames(names: Readonly<Record<string, true>>): OptionNames {
  return new Set(Object.keys(names));
}

/**
 * The connection options. `connectTimeoutMs` is listed ahead of its addition
 * to ConnectionOptions (the union keeps this compiling before and after).
 */
export const CONNECTION_OPTION_NAMES = {
  connectionString: true,
  pool: true,
  driver: true,
  listenConnectionString: true,
  maxPoolSize: true,
  preparedStatements: true,
  connectTimeoutMs: true,
} as const satisfies Record<keyof ConnectionOptions | "connectTimeoutMs", true>;

export const RECOVERY_OPTION_NAMES: OptionNames = optionNames({
  enabled: true,
  heartbeatIntervalMs: true,
  sweepIntervalMs: true,
  sweepThresholdMs: true,
  recoveryDelayMs: true,
  nodeWorkerThresholdMs: true,
} satisfies Record<keyof RecoveryOptions, true>);

/** The fields of a plain cron item (`crontab: [{ schedule, task, … }]`): every other name is refused. */
export const CRON_ITEM_FIELD_NAMES: OptionNames = optionNames({
  schedule: true,
  task: true,
  payload: true,
  identifier: true,
  timeZone: true,
  backfill: true,
  queueName: true,
  maxAttempts: true,
  jobKey: true,
  jobKeyMode: true,
  priority: true,
} satisfies Record<keyof CronItem, true>);

/** The names a plugin of `hooks` may have (`name` and its hook methods): every other name is refused. */
export const PLUGIN_MEMBER_NAMES: OptionNames = optionNames({
  name: true,
  onWorkerStart: true,
  onWorkerShutdown: true,
  onWorkerRecovered: true,
  onJobFetch: true,
  onJobStart: true,
  onJobComplete: true,
  onJobFail: true,
  onJobPermanentlyFail: true,
  onJobInterrupted: true,
  onCronTick: true,
  onCronJobScheduled: true,
  onLocalQueue: true,
  onJobsAdded: true,
  beforeJobRun: true,
  afterJobRun: true,
  beforeJobSchedule: true,
  onJobRecovery: true,
} satisfies Record<keyof WorkerPlugin, true>);

/** Edit distance (insertions, deletions, substitutions), case-insensitive. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= y.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[y.length]!;
}

/** The known name closest to `name`, if close enough to be a likely misspelling (or a shortened name). */
export function closestName(name: string, known: OptionNames): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  const lower = name.toLowerCase();
  for (const candidate of known) {
    const shortened = lower.length >= 4 && candidate.toLowerCase().startsWith(lower);
    const d = shortened ? 1 : distance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Throw a ValidationError naming the first own property of `options` that is
 * not in `known` (field `prefix` + name, e.g. `localQueue.sise`), suggesting
 * the closest known name. `what` names the options in the message.
 */
export function checkKnownOptions(options: object, known: OptionNames, what: string, prefix = ""): void {
  for (const name in options) {
    if (!Object.hasOwn(options, name) || known.has(name)) continue;
    const suggestion = closestName(name, known);
    const hint = suggestion === undefined ? "" : ` (did you mean ${JSON.stringify(suggestion)}?)`;
    throw new ValidationError(`${prefix}${name}`, (options as Record<string, unknown>)[name], `unknown ${what} option${hint}`);
  }
}
