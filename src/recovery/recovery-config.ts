/**
 * Recovery options (heartbeat + sweeper): the one place where their defaults
 * and bounds live and where they are validated (errors name the bad field and
 * value). Recovery is on by default: without it a crashed worker's jobs stay
 * locked for good. Its cost is one heartbeat statement per worker per
 * `heartbeatIntervalMs` and one sweep transaction per `sweepIntervalMs`.
 */
import { ValidationError } from "../errors/errors.js";

/** Options for crash recovery (`createWorker({ recovery })`). */
export interface RecoveryOptions {
  /** Heartbeat and sweep for dead workers (default true; `recovery: false` is short for `{ enabled: false }`). */
  enabled?: boolean;
  /** Record that this worker is alive this often (ms; default 30 000). */
  heartbeatIntervalMs?: number;
  /** Look for dead workers this often (ms; default 60 000). */
  sweepIntervalMs?: number;
  /** A worker whose last heartbeat is older than this is dead (ms; default 300 000; must exceed heartbeatIntervalMs). */
  sweepThresholdMs?: number;
  /** Recovered jobs become runnable again no earlier than this from now (ms; default 30 000; 0 allowed). */
  recoveryDelayMs?: number;
  /**
   * Locks held by workers with no heartbeat row (graphile-worker Node workers,
   * or ours running without recovery) count as orphaned only when older than
   * this (ms; default 4 hours, graphile-worker's own lock timeout).
   */
  nodeWorkerThresholdMs?: number;
}

/** Recovery options with every default filled in. */
export interface RecoveryConfig {
  enabled: boolean;
  heartbeatIntervalMs: number;
  sweepIntervalMs: number;
  sweepThresholdMs: number;
  recoveryDelayMs: number;
  nodeWorkerThresholdMs: number;
}

export const RECOVERY_DEFAULTS: RecoveryConfig = {
  enabled: true,
  heartbeatIntervalMs: 30_000,
  sweepIntervalMs: 60_000,
  sweepThresholdMs: 300_000,
  recoveryDelayMs: 30_000,
  nodeWorkerThresholdMs: 4 * 3_600_000,
};

type DurationField = Exclude<keyof RecoveryConfig, "enabled">;

const HOUR_MS = 3_600_000;

/**
 * Bounds (ms) of every duration. The upper bounds keep each value far below
 * what a timer (2^31 - 1 ms) or PostgreSQL's `bigint * interval` can take, and
 * beyond them a value is surely a mistake (a heartbeat every few days would
 * make every worker look dead between beats).
 */
export const RECOVERY_LIMITS: Readonly<Record<DurationField, { min: number; max: number }>> = {
  heartbeatIntervalMs: { min: 1, max: HOUR_MS },
  sweepIntervalMs: { min: 1, max: 24 * HOUR_MS },
  sweepThresholdMs: { min: 1, max: 7 * 24 * HOUR_MS },
  recoveryDelayMs: { min: 0, max: 7 * 24 * HOUR_MS },
  nodeWorkerThresholdMs: { min: 1, max: 7 * 24 * HOUR_MS },
};

function milliseconds(field: DurationField, value: unknown): number {
  const { min, max } = RECOVERY_LIMITS[field];
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(`recovery.${field}`, value, `must be an integer number of milliseconds between ${min} and ${max}`);
  }
  return value;
}

/** Fill in defaults and validate; throws `ValidationError` naming e.g. `recovery.sweepThresholdMs`. */
export function resolveRecoveryConfig(options: RecoveryOptions | false | undefined): RecoveryConfig {
  if (options === undefined) return { ...RECOVERY_DEFAULTS };
  if (options === false) return { ...RECOVERY_DEFAULTS, enabled: false };
  if (options === null || typeof options !== "object") {
    throw new ValidationError("recovery", options, "must be an object or false");
  }
  const enabled = options.enabled ?? RECOVERY_DEFAULTS.enabled;
  if (typeof enabled !== "boolean") throw new ValidationError("recovery.enabled", enabled, "must be a boolean");
  const config: RecoveryConfig = {
    enabled,
    heartbeatIntervalMs: milliseconds(
      "heartbeatIntervalMs",
      options.heartbeatIntervalMs ?? RECOVERY_DEFAULTS.heartbeatIntervalMs,
    ),
    sweepIntervalMs: milliseconds("sweepIntervalMs", options.sweepIntervalMs ?? RECOVERY_DEFAULTS.sweepIntervalMs),
    sweepThresholdMs: milliseconds("sweepThresholdMs", options.sweepThresholdMs ?? RECOVERY_DEFAULTS.sweepThresholdMs),
    recoveryDelayMs: milliseconds("recoveryDelayMs", options.recoveryDelayMs ?? RECOVERY_DEFAULTS.recoveryDelayMs),
    nodeWorkerThresholdMs: milliseconds(
      "nodeWorkerThresholdMs",
      options.nodeWorkerThresholdMs ?? RECOVERY_DEFAULTS.nodeWorkerThresholdMs,
    ),
  };
  if (config.sweepThresholdMs <= config.heartbeatIntervalMs) {
    throw new ValidationError(
      "recovery.sweepThresholdMs",
      config.sweepThresholdMs,
      `must exceed recovery.heartbeatIntervalMs (${config.heartbeatIntervalMs}), or live workers would be recovered between heartbeats`,
    );
  }
  return config;
}
