/**
 * Worker options: the one place where defaults live and every option is
 * validated (errors name the bad field and value).
 */
import type { ConnectionOptions } from "../driver/connect.js";
import { DEFAULT_SCHEMA } from "../config/defaults.js";
import { ValidationError } from "../errors/errors.js";
import { CONNECTION_OPTION_NAMES, RECOVERY_OPTION_NAMES, checkKnownOptions, optionNames } from "../config/known-options.js";
import { validateFlags, validateStoredText } from "../jobs/job-spec-validation.js";
import { createConsoleLogger, type Logger } from "../logger/logger.js";
import { validateSchemaName } from "../sql/quote-identifier.js";
import type { TaskList } from "../tasks/task.js";
import { FLUSHER_DEFAULTS, type FlusherConfig } from "../completion/completion-config.js";
import type { WorkerPlugin } from "../hooks/plugin.js";
import { validatePlugins } from "../hooks/validate-plugins.js";
import { LISTENER_DEFAULTS, type ListenerConfig } from "./notify-listener.js";
import { randomBytes } from "node:crypto";
import type { Crontab, ResolvedCronItem } from "../cron/cron-item.js";
import { resolveCrontab } from "../cron/resolve-items.js";
import { systemClock, type CronClock } from "../cron/cron-clock.js";
import { resolveRecoveryConfig, type RecoveryConfig, type RecoveryOptions } from "../recovery/recovery-config.js";

/** Forbidden flags: a fixed list, or a function asked before every claim. */
export type ForbiddenFlags = readonly string[] | (() => readonly string[] | null | Promise<readonly string[] | null>);

/** The local queue: jobs claimed in batches and held in memory until a slot is free. */
export interface LocalQueueOptions {
  /** Most jobs held (claimed but not yet started); 0 claims only for free slots. */
  size?: number;
  /** Hold enough jobs for this long (ms) at the recent completion rate (default 250; 0: always fill up to `size`). */
  lookaheadMs?: number;
  /** Jobs held longer than this (ms) are given back to the database. */
  ttlMs?: number;
}

export interface WorkerOptions<State = unknown> extends ConnectionOptions {
  /** Task handlers this worker runs. */
  tasks: TaskList<State>;
  schema?: string;
  /** Jobs run at the same time (default 10). */
  concurrency?: number;
  /** Poll for jobs this often (ms) even without notifications (default 2000). */
  pollInterval?: number;
  forbiddenFlags?: ForbiddenFlags;
  localQueue?: LocalQueueOptions | false;
  /** Result batching (size / delay); mostly for tuning and tests. */
  completionBatch?: Partial<Pick<FlusherConfig, "maxBatchSize" | "delayMs">>;
  /** Graceful stop waits this long for running jobs before aborting them (default 30000). */
  shutdownTimeoutMs?: number;
  /** Stop gracefully on SIGINT/SIGTERM (default true; false when your app owns signals). */
  handleSignals?: boolean;
  /** Run migrations before starting (default true). */
  migrate?: boolean;
  logger?: Logger;
  /** Application state handed to every task as `ctx.state`. */
  state?: State;
  /** Override the generated worker id (must be unique among live workers). */
  workerId?: string;
  /** Crash recovery: heartbeats and sweeping for dead workers' jobs (on by default; `false` turns it off; see docs/recovery.md). */
  recovery?: RecoveryOptions | false;
  /** Plugins: observers and interceptors of the worker (see src/hooks/plugin.ts). */
  hooks?: readonly WorkerPlugin[];
  /** Recurring jobs: crontab text or cron items (see docs/cron.md); none by default, and then no scheduler runs. */
  crontab?: Crontab;
  /**
   * The cron scheduler's clock (default: the system clock). Tests pass a
   * `ManualClock` (from `graphile-worker-ts/testing`) to move time by hand.
   */
  clock?: CronClock;
  /**
   * How jobs without a named queue are claimed: "classic" (default: the claim writes locked_at/locked_by)
   * or "transaction" (held by an open transaction while they run; see docs/claim-modes.md).
   */
  claimMode?: ClaimMode;
  /** Tuning of the "transaction" claim mode. */
  transactionClaim?: TransactionClaimOptions;
}

export type ClaimMode = "classic" | "transaction";
export const CLAIM_MODES: readonly ClaimMode[] = ["classic", "transaction"];

export interface TransactionClaimOptions {
  /** A job still running this long (ms) after its batch was claimed is converted to a classic lock (default 1000). */
  maxHoldMs?: number;
  /**
   * The most jobs one batch locks (default 500). A batch claims about 250 ms of work at the recent completion
   * rate, at least one job per free slot, and starts them as slots free up; those not started by `maxHoldMs`
   * are released unchanged by its commit.
   */
  batchSize?: number;
}

export interface ResolvedTransactionClaim {
  maxHoldMs: number;
  batchSize: number;
  /** Batch transactions open at once: 2 (the next claimed while one finishes) with a pool of 5 or more, else 1. */
  maxOpenBatches: number;
}

export interface ResolvedLocalQueue {
  size: number;
  lookaheadMs: number;
  ttlMs: number;
}

export interface WorkerConfig {
  schema: string;
  concurrency: number;
  pollInterval: number;
  forbiddenFlags: ForbiddenFlags | null;
  localQueue: ResolvedLocalQueue;
  flusher: FlusherConfig;
  listener: ListenerConfig;
  shutdownTimeoutMs: number;
  handleSignals: boolean;
  migrate: boolean;
  logger: Logger;
  workerId: string;
  recovery: RecoveryConfig;
  hooks: readonly WorkerPlugin[];
  /** Validated cron items (empty: no scheduler). */
  crontab: readonly ResolvedCronItem[];
  /** The clock cron reads and sleeps on. */
  clock: CronClock;
  claimMode: ClaimMode;
  transactionClaim: ResolvedTransactionClaim;
}

/** Every createWorker option name: anything else is refused as a likely misspelling. */
const WORKER_OPTION_NAMES = optionNames({
  ...CONNECTION_OPTION_NAMES,
  tasks: true,
  schema: true,
  concurrency: true,
  pollInterval: true,
  forbiddenFlags: true,
  localQueue: true,
  completionBatch: true,
  shutdownTimeoutMs: true,
  handleSignals: true,
  migrate: true,
  logger: true,
  state: true,
  workerId: true,
  recovery: true,
  hooks: true,
  crontab: true,
  clock: true,
  claimMode: true,
  transactionClaim: true,
} satisfies Record<keyof WorkerOptions, true>);
const TRANSACTION_CLAIM_OPTION_NAMES = optionNames({ maxHoldMs: true, batchSize: true } satisfies Record<
  keyof TransactionClaimOptions,
  true
>);
const LOCAL_QUEUE_OPTION_NAMES = optionNames({ size: true, lookaheadMs: true, ttlMs: true } satisfies Record<
  keyof LocalQueueOptions,
  true
>);
const COMPLETION_BATCH_OPTION_NAMES = optionNames({ maxBatchSize: true, delayMs: true } satisfies Record<
  keyof NonNullable<WorkerOptions["completionBatch"]>,
  true
>);

/** `value` when it is an object (then its option names are checked), undefined when absent. */
function nestedOptions<T extends object>(field: string, value: T | undefined, names: ReadonlySet<string>): T | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new ValidationError(field, value, "must be an object");
  checkKnownOptions(value, names, field, `${field}.`);
  return value;
}

function booleanOption(field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new ValidationError(field, value, "must be true or false");
  return value;
}

export const WORKER_DEFAULTS = {
  schema: DEFAULT_SCHEMA,
  concurrency: 10,
  pollInterval: 2000,
  shutdownTimeoutMs: 30_000,
  localQueueSize: 500,
  localQueueLookaheadMs: 250,
  localQueueTtlMs: 5 * 60_000,
  /** `runOnce`: claims tried this many times in a row (backoff from 250 ms, doubling) before it fails. */
  onceClaimAttempts: 6,
  onceClaimRetryDelayMs: 250,
  claimMode: "classic",
  transactionClaimMaxHoldMs: 1000,
  transactionClaimBatchSize: 500,
} as const;

function claimModeOption(value: unknown): ClaimMode {
  if (value === undefined) return WORKER_DEFAULTS.claimMode;
  if (!CLAIM_MODES.includes(value as ClaimMode))
    throw new ValidationError("claimMode", value, `must be one of ${CLAIM_MODES.join(", ")}`);
  return value as ClaimMode;
}

function transactionClaimOption(value: TransactionClaimOptions | undefined, maxConnections: number): ResolvedTransactionClaim {
  const options = nestedOptions("transactionClaim", value, TRANSACTION_CLAIM_OPTION_NAMES) ?? {};
  return {
    maxHoldMs: positiveInteger("transactionClaim.maxHoldMs", options.maxHoldMs ?? WORKER_DEFAULTS.transactionClaimMaxHoldMs, {
      min: 10,
      max: 60_000,
    }),
    batchSize: positiveInteger("transactionClaim.batchSize", options.batchSize ?? WORKER_DEFAULTS.transactionClaimBatchSize, {
      max: 10_000,
    }),
    // Two batches hold two connections, beside their records, LISTEN and the classic completer's writes. A batch never
    // starts a job whose run from a dead batch is still going here (test/chaos/transaction-claim-abandoned-runs.test.ts).
    maxOpenBatches: maxConnections >= 5 ? 2 : 1,
  };
}

/** A clock is any object with `now()` and `sleepUntil(epochMs, signal)` (see src/cron/cron-clock.ts). */
function clockOption(value: unknown): CronClock {
  if (value === undefined) return systemClock;
  const clock = value as Partial<CronClock> | null;
  if (clock === null || typeof clock !== "object" || typeof clock.now !== "function" || typeof clock.sleepUntil !== "function") {
    throw new ValidationError("clock", value, "must be an object with now() and sleepUntil(epochMs, signal) methods");
  }
  return clock as CronClock;
}

function positiveInteger(field: string, value: unknown, { min = 1, max = 1_000_000 } = {}): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(field, value, `must be an integer between ${min} and ${max}`);
  }
  return value;
}

export function resolveWorkerConfig<State>(options: WorkerOptions<State>): WorkerConfig {
  if (!options || typeof options !== "object") throw new ValidationError("options", options, "must be an object");
  checkKnownOptions(options, WORKER_OPTION_NAMES, "createWorker");
  const schema = validateSchemaName(options.schema ?? process.env.GRAPHILE_WORKER_SCHEMA ?? WORKER_DEFAULTS.schema);
  const poolSize = options.pool?.options.max ?? 10;
  if (options.pool && !options.listenConnectionString && poolSize < 2) {
    // LISTEN keeps one connection of a given pool for itself: with one, no claim could ever run.
    throw new ValidationError(
      "pool",
      `max ${poolSize}`,
      "a worker needs a pool of at least 2 connections, or a listenConnectionString",
    );
  }
  const claimMode = claimModeOption(options.claimMode);
  const maxConnections = options.pool?.options.max ?? options.maxPoolSize ?? 10;
  if (claimMode === "transaction" && maxConnections < 3) {
    // The batch's transaction holds one connection while its record is committed on another (LISTEN may hold a third).
    throw new ValidationError(
      options.pool ? "pool" : "maxPoolSize",
      `max ${maxConnections}`,
      'claimMode "transaction" needs a pool of at least 3 connections',
    );
  }
  const concurrency = positiveInteger("concurrency", options.concurrency ?? WORKER_DEFAULTS.concurrency, { max: 10_000 });
  const pollInterval = positiveInteger("pollInterval", options.pollInterval ?? WORKER_DEFAULTS.pollInterval, {
    min: 10,
    max: 24 * 3_600_000,
  });
  const shutdownTimeoutMs = positiveInteger("shutdownTimeoutMs", options.shutdownTimeoutMs ?? WORKER_DEFAULTS.shutdownTimeoutMs, {
    min: 0,
    max: 24 * 3_600_000,
  });
  let forbiddenFlags: ForbiddenFlags | null = null;
  if (options.forbiddenFlags != null) {
    if (typeof options.forbiddenFlags === "function") forbiddenFlags = options.forbiddenFlags;
    else forbiddenFlags = validateFlags(options.forbiddenFlags, "forbiddenFlags");
  }
  const localQueueOptions =
    options.localQueue === false
      ? { size: 0 }
      : (nestedOptions("localQueue", options.localQueue, LOCAL_QUEUE_OPTION_NAMES) ?? {});
  const size = positiveInteger("localQueue.size", localQueueOptions.size ?? WORKER_DEFAULTS.localQueueSize, {
    min: 0,
    max: 100_000,
  });
  const lookaheadMs = positiveInteger(
    "localQueue.lookaheadMs",
    localQueueOptions.lookaheadMs ?? WORKER_DEFAULTS.localQueueLookaheadMs,
    {
      min: 0,
      max: 60_000,
    },
  );
  const ttlMs = positiveInteger("localQueue.ttlMs", localQueueOptions.ttlMs ?? WORKER_DEFAULTS.localQueueTtlMs, {
    min: 10,
    max: 24 * 3_600_000,
  });
  const batch = nestedOptions("completionBatch", options.completionBatch, COMPLETION_BATCH_OPTION_NAMES) ?? {};
  const flusher: FlusherConfig = {
    ...FLUSHER_DEFAULTS,
    maxBatchSize: positiveInteger("completionBatch.maxBatchSize", batch.maxBatchSize ?? FLUSHER_DEFAULTS.maxBatchSize),
    delayMs: positiveInteger("completionBatch.delayMs", batch.delayMs ?? FLUSHER_DEFAULTS.delayMs, { min: 0, max: 60_000 }),
  };
  const workerId = options.workerId ?? `worker-${randomBytes(9).toString("hex")}`;
  if (typeof workerId !== "string" || workerId.length === 0 || workerId.length > 128) {
    throw new ValidationError("workerId", workerId, "must be a string of 1 to 128 characters");
  }
  validateStoredText("workerId", workerId);
  // Recovery's own values are validated by resolveRecoveryConfig; its option names here.
  if (options.recovery !== null && typeof options.recovery === "object") {
    checkKnownOptions(options.recovery, RECOVERY_OPTION_NAMES, "recovery", "recovery.");
  }
  return {
    schema,
    concurrency,
    pollInterval,
    forbiddenFlags,
    localQueue: { size, lookaheadMs, ttlMs },
    flusher,
    listener: LISTENER_DEFAULTS,
    shutdownTimeoutMs,
    handleSignals: booleanOption("handleSignals", options.handleSignals, true),
    migrate: booleanOption("migrate", options.migrate, true),
    logger: options.logger ?? createConsoleLogger(),
    workerId,
    recovery: resolveRecoveryConfig(options.recovery),
    hooks: validatePlugins(options.hooks),
    crontab: options.crontab === undefined ? [] : resolveCrontab(options.crontab),
    clock: clockOption(options.clock),
    claimMode,
    transactionClaim: transactionClaimOption(options.transactionClaim, maxConnections),
  };
}
