/**
 * Unknown options: a misspelt option name, or a value of the wrong shape, is a
 * ValidationError naming the option (with the closest known name), raised
 * before any connection is opened; it is never ignored in favour of a default.
 * (cleanup's options: test/utils/cleanup.test.ts.)
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { ValidationError } from "../../src/errors/errors.js";
import { silentLogger } from "../../src/logger/logger.js";
import { createWorkerUtils, type WorkerUtilsOptions } from "../../src/client/worker-utils.js";
import { createWorker } from "../../src/worker/worker.js";
import type { WorkerOptions } from "../../src/worker/worker-config.js";
import { closestName } from "../../src/config/known-options.js";

/** Nobody listens here: every connection attempt would fail with a connection error, not a ValidationError. */
const NOWHERE = "postgres://nobody@127.0.0.1:1/none";

function isValidationError(field: string, texts: string[]) {
  return (error: unknown) => {
    assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
    assert.equal(error.field, field);
    for (const text of texts) assert.ok(error.message.includes(text), `${JSON.stringify(error.message)} should contain ${text}`);
    return true;
  };
}

describe("createWorker", () => {
  const base: WorkerOptions = {
    tasks: { t: async () => undefined },
    connectionString: NOWHERE,
    logger: silentLogger,
    handleSignals: false,
  };
  const cases: Array<[string, Record<string, unknown>, string, string[]]> = [
    ["concurency (misspelt)", { concurency: 5 }, "concurency", ['did you mean "concurrency"']],
    ["pollinterval (wrong case)", { pollinterval: 100 }, "pollinterval", ['did you mean "pollInterval"']],
    ["noHandleSignals (graphile-worker's name)", { noHandleSignals: true }, "noHandleSignals", ["unknown createWorker option"]],
    ["localQueue.sise", { localQueue: { sise: 10 } }, "localQueue.sise", ['did you mean "size"']],
    [
      "completionBatch.maxBatch",
      { completionBatch: { maxBatch: 10 } },
      "completionBatch.maxBatch",
      ['did you mean "maxBatchSize"'],
    ],
    ["recovery.enabeld", { recovery: { enabeld: true } }, "recovery.enabeld", ['did you mean "enabled"']],
    ["forbiddenFlags as a string", { forbiddenFlags: "a" }, "forbiddenFlags", ['"a"', "array"]],
    ["localQueue as a number", { localQueue: 5 }, "localQueue", ["must be an object"]],
    ["completionBatch as an array", { completionBatch: [] }, "completionBatch", ["must be an object"]],
    ['handleSignals "false"', { handleSignals: "false" }, "handleSignals", ['"false"', "true or false"]],
    ['migrate "no"', { migrate: "no" }, "migrate", ['"no"', "true or false"]],
  ];
  for (const [name, options, field, texts] of cases) {
    test(name, async () => {
      await assert.rejects(createWorker({ ...base, ...options } as WorkerOptions), isValidationError(field, texts));
    });
  }

  test("every known option name is accepted (connection options included)", async () => {
    // Never started: nothing connects (the pool and the listener connect on first use).
    const worker = await createWorker({
      ...base,
      schema: "graphile_worker",
      concurrency: 2,
      pollInterval: 1000,
      forbiddenFlags: ["x"],
      localQueue: { size: 1, lookaheadMs: 10, ttlMs: 1000 },
      completionBatch: { maxBatchSize: 10, delayMs: 1 },
      shutdownTimeoutMs: 1000,
      migrate: false,
      state: { any: "thing" },
      workerId: "known-options",
      recovery: { enabled: false },
      maxPoolSize: 2,
      preparedStatements: true,
      listenConnectionString: NOWHERE,
    });
    assert.equal(worker.workerId, "known-options");
  });
});

describe("createWorkerUtils", () => {
  const cases: Array<[string, Record<string, unknown>, string, string[]]> = [
    [
      "connectionstring (wrong case)",
      { connectionString: undefined, connectionstring: NOWHERE },
      "connectionstring",
      ['"connectionString"'],
    ],
    ["a worker option", { concurrency: 5 }, "concurrency", ["unknown createWorkerUtils option"]],
    ["maxPoolsize", { maxPoolsize: 2 }, "maxPoolsize", ['did you mean "maxPoolSize"']],
  ];
  for (const [name, options, field, texts] of cases) {
    test(name, async () => {
      await assert.rejects(
        createWorkerUtils({ connectionString: NOWHERE, logger: silentLogger, ...options } as WorkerUtilsOptions),
        isValidationError(field, texts),
      );
    });
  }

  test("the known options are accepted", async () => {
    const utils = await createWorkerUtils({ connectionString: NOWHERE, schema: "s", logger: silentLogger, maxPoolSize: 1 });
    await utils.release();
  });
});

describe("closest known name", () => {
  const known = new Set(["concurrency", "pollInterval", "schema", "tasks"]);
  test("suggests a near name, and none for an unrelated one", () => {
    assert.equal(closestName("concurency", known), "concurrency");
    assert.equal(closestName("POLLINTERVAL", known), "pollInterval");
    assert.equal(closestName("task", known), "tasks");
    assert.equal(closestName("somethingElse", known), undefined);
  });
});
