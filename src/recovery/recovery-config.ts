/**
 * Recovery options (heartbeat + sweeper): the one place where their defaults
 * live and where they are validated (errors name the bad field and value).
 */
import { ValidationError } from "../errors/errors.js";

/** Options for crash recovery (`createWorker({ recovery })`). */
export interface RecoveryOptions {
  /** Heartbeat and sweep for dead workers (default false). */
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
  enabled: false,
  heartbeatIntervalMs: 30_000,
  sweepIntervalMs: 60_000,
  sweepThresholdMs: 300_000,
  recoveryDelayMs: 30_000,
  nodeWorkerThresholdMs: 4 * 3_600_000,
};

const MAX_MS = 7 * 24 * 3_600_000;

function milliseconds(field: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > MAX_MS) {
    throw new ValidationError(`recovery.${field}`, value, `must be an integer number of milliseconds between ${min} and ${MAX_MS}`);
  }
  return value;
}

/** Fill in defaults and validate; throws `ValidationError` naming e.g. `recovery.sweepThresholdMs`. */
export function resolveRecoveryConfig(options: RecoveryOptions | undefined): RecoveryConfig {
  if (options === undefined) return { ...RECOVERY_DEFAULTS };
  if (options === null || typeof options !== "object") {
    throw new ValidationError("recovery", options, "must be an object");
  }
  const enabled = options.enabled ?? RECOVERY_DEFAULTS.enabled;
  if (typeof enabled !== "boolean") throw new ValidationError("recovery.enabled", enabled, "must be a boolean");
  const config: RecoveryConfig = {
    enabled,
    heartbeatIntervalMs: milliseconds("heartbeatIntervalMs", options.heartbeatIntervalMs ?? RECOVERY_DEFAULTS.heartbeatIntervalMs, 1),
    sweepIntervalMs: milliseconds("sweepIntervalMs", options.sweepIntervalMs ?? RECOVERY_DEFAULTS.sweepIntervalMs, 1),
    sweepThresholdMs: milliseconds("sweepThresholdMs", options.sweepThresholdMs ?? RECOVERY_DEFAULTS.sweepThresholdMs, 1),
    recoveryDelayMs: milliseconds("recoveryDelayMs", options.recoveryDelayMs ?? RECOVERY_DEFAULTS.recoveryDelayMs, 0),
    nodeWorkerThresholdMs: milliseconds(
      "nodeWorkerThresholdMs",
      options.nodeWorkerThresholdMs ?? RECOVERY_DEFAULTS.nodeWorkerThresholdMs,
      1,
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
