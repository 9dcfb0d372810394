import { test } from "node:test";
import assert from "node:assert/strict";
import { RECOVERY_DEFAULTS, RECOVERY_LIMITS, resolveRecoveryConfig } from "../../src/recovery/recovery-config.js";
import { ValidationError } from "../../src/errors/errors.js";
import { resolveWorkerConfig } from "../../src/worker/worker-config.js";

function rejects(options: object, field: string) {
  assert.throws(
    () => resolveRecoveryConfig(options),
    (error: unknown) => error instanceof ValidationError && error.field === field && error.message.includes(field),
  );
}

test("defaults: on, heartbeat 30s, sweep 60s, threshold 5 min, delay 30s, 4 hours for Node workers", () => {
  assert.deepEqual(resolveRecoveryConfig(undefined), RECOVERY_DEFAULTS);
  assert.deepEqual(resolveRecoveryConfig({}), RECOVERY_DEFAULTS);
  assert.deepEqual(resolveRecoveryConfig({ enabled: true }), RECOVERY_DEFAULTS);
  assert.deepEqual(RECOVERY_DEFAULTS, {
    enabled: true,
    heartbeatIntervalMs: 30_000,
    sweepIntervalMs: 60_000,
    sweepThresholdMs: 300_000,
    recoveryDelayMs: 30_000,
    nodeWorkerThresholdMs: 4 * 3_600_000,
  });
});

test("given values are kept; recoveryDelayMs may be 0", () => {
  const config = resolveRecoveryConfig({
    enabled: true,
    heartbeatIntervalMs: 200,
    sweepIntervalMs: 200,
    sweepThresholdMs: 1000,
    recoveryDelayMs: 0,
    nodeWorkerThresholdMs: 60_000,
  });
  assert.deepEqual(config, {
    enabled: true,
    heartbeatIntervalMs: 200,
    sweepIntervalMs: 200,
    sweepThresholdMs: 1000,
    recoveryDelayMs: 0,
    nodeWorkerThresholdMs: 60_000,
  });
});

test("bad values give a ValidationError naming the field", () => {
  rejects({ heartbeatIntervalMs: 0 }, "recovery.heartbeatIntervalMs");
  rejects({ heartbeatIntervalMs: 1.5 }, "recovery.heartbeatIntervalMs");
  rejects({ sweepIntervalMs: -1 }, "recovery.sweepIntervalMs");
  rejects({ sweepIntervalMs: "60000" }, "recovery.sweepIntervalMs");
  rejects({ recoveryDelayMs: -5 }, "recovery.recoveryDelayMs");
  rejects({ nodeWorkerThresholdMs: 0 }, "recovery.nodeWorkerThresholdMs");
  rejects({ enabled: "yes" }, "recovery.enabled");
  assert.throws(
    () => resolveRecoveryConfig(42 as never),
    (e: unknown) => e instanceof ValidationError && e.field === "recovery",
  );
  assert.throws(
    () => resolveRecoveryConfig(true as never),
    (e: unknown) => e instanceof ValidationError && e.field === "recovery",
  );
});

test("every duration has an upper bound (a ValidationError naming the field, not a timer or bigint overflow)", () => {
  rejects({ heartbeatIntervalMs: RECOVERY_LIMITS.heartbeatIntervalMs.max + 1 }, "recovery.heartbeatIntervalMs");
  rejects({ sweepIntervalMs: RECOVERY_LIMITS.sweepIntervalMs.max + 1 }, "recovery.sweepIntervalMs");
  rejects({ sweepThresholdMs: 1e20 }, "recovery.sweepThresholdMs");
  rejects({ recoveryDelayMs: RECOVERY_LIMITS.recoveryDelayMs.max + 1 }, "recovery.recoveryDelayMs");
  rejects({ nodeWorkerThresholdMs: Number.MAX_SAFE_INTEGER }, "recovery.nodeWorkerThresholdMs");
  rejects({ sweepIntervalMs: Infinity }, "recovery.sweepIntervalMs");
  for (const limit of Object.values(RECOVERY_LIMITS)) assert.ok(limit.max < 2 ** 31, "below the largest timer delay");
  const largest = resolveRecoveryConfig({
    heartbeatIntervalMs: RECOVERY_LIMITS.heartbeatIntervalMs.max,
    sweepIntervalMs: RECOVERY_LIMITS.sweepIntervalMs.max,
    sweepThresholdMs: RECOVERY_LIMITS.sweepThresholdMs.max,
    recoveryDelayMs: RECOVERY_LIMITS.recoveryDelayMs.max,
    nodeWorkerThresholdMs: RECOVERY_LIMITS.nodeWorkerThresholdMs.max,
  });
  assert.equal(largest.sweepThresholdMs, RECOVERY_LIMITS.sweepThresholdMs.max, "the bounds themselves are allowed");
});

test("recovery: false and { enabled: false } turn it off", () => {
  assert.deepEqual(resolveRecoveryConfig(false), { ...RECOVERY_DEFAULTS, enabled: false });
  assert.deepEqual(resolveRecoveryConfig({ enabled: false }), { ...RECOVERY_DEFAULTS, enabled: false });
});

test("sweepThresholdMs must exceed heartbeatIntervalMs", () => {
  rejects({ heartbeatIntervalMs: 1000, sweepThresholdMs: 1000 }, "recovery.sweepThresholdMs");
  rejects({ heartbeatIntervalMs: 60_000 * 10 }, "recovery.sweepThresholdMs");
  assert.equal(resolveRecoveryConfig({ heartbeatIntervalMs: 1000, sweepThresholdMs: 1001 }).sweepThresholdMs, 1001);
});

test("worker options resolve recovery through the same validation", () => {
  const base = { connectionString: "postgres://unused", tasks: {} };
  assert.equal(resolveWorkerConfig(base).recovery.enabled, true, "on by default");
  assert.equal(resolveWorkerConfig({ ...base, recovery: false }).recovery.enabled, false);
  assert.equal(resolveWorkerConfig({ ...base, recovery: { enabled: false } }).recovery.enabled, false);
  assert.equal(resolveWorkerConfig({ ...base, recovery: { enabled: true } }).recovery.sweepThresholdMs, 300_000);
  assert.throws(
    () => resolveWorkerConfig({ ...base, recovery: { enabled: true, heartbeatIntervalMs: 500, sweepThresholdMs: 100 } }),
    (e: unknown) => e instanceof ValidationError && e.field === "recovery.sweepThresholdMs",
  );
});
