/**
 * Bad input to the job operations and to a worker's id: text PostgreSQL
 * cannot store as given (U+0000, lone surrogates) and run_at values outside
 * years 0001-9999 are ValidationErrors naming the field, and nothing changes
 * in the database.
 */
import { test, describe, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase, allJobs, type JobRowView } from "../support/fixtures.js";
import { ValidationError } from "../../src/errors/errors.js";
import { silentLogger } from "../../src/logger/logger.js";
import { resolveWorkerConfig } from "../../src/worker/worker-config.js";
import type { RescheduleOptions } from "../../src/client/worker-utils.js";

const db = await createMigratedDatabase("bad_input_operations");
const { utils, pool } = db;

/** U+0000 and lone surrogates: each must be refused wherever text reaches PostgreSQL. */
const BAD_TEXTS: Array<[string, string, string]> = [
  ["U+0000", "a\u0000b", "U+0000"],
  ["a lone high surrogate", "cut\ud83d", "lone surrogate"],
  ["a lone low surrogate", "\ude00cut", "lone surrogate"],
];

const BAD_RUN_ATS = [
  new Date("+010000-01-01T00:00:00.000Z"),
  new Date("-000100-01-01T00:00:00.000Z"),
  new Date(-8.64e15),
  new Date(Number.NaN),
];

function isValidationError(field: string, texts: string[]) {
  return (error: unknown) => {
    assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
    assert.equal(error.field, field);
    for (const text of texts) assert.ok(error.message.includes(text), `${JSON.stringify(error.message)} should contain ${text}`);
    return true;
  };
}

let job: JobRowView;
let before: JobRowView[];

beforeEach(async () => {
  await pool.query("delete from graphile_worker._private_jobs");
  await utils.addJob("t", {}, { jobKey: "the-key", maxAttempts: 3 });
  // Locked by a worker, so force-unlock has something it could wrongly change.
  await pool.query("update graphile_worker._private_jobs set locked_at = now(), locked_by = 'w1'");
  before = await allJobs(pool);
  job = before[0]!;
});

async function assertUnchanged() {
  assert.deepEqual(await allJobs(pool), before, "the job is unchanged");
}

describe("permanentlyFailJobs reason", () => {
  for (const [name, reason, text] of BAD_TEXTS) {
    test(name, async () => {
      await assert.rejects(
        utils.permanentlyFailJobs([job.id], reason),
        isValidationError("reason", [JSON.stringify(reason), text]),
      );
      await assertUnchanged();
    });
  }
});

describe("forceUnlockWorkers ids", () => {
  for (const [name, workerId, text] of BAD_TEXTS) {
    test(name, async () => {
      await assert.rejects(
        utils.forceUnlockWorkers(["w1", workerId]),
        isValidationError("workerIds", [JSON.stringify(workerId), text]),
      );
      await assertUnchanged();
    });
  }
});

describe("removeJob key", () => {
  for (const [name, key, text] of BAD_TEXTS) {
    test(name, async () => {
      await assert.rejects(utils.removeJob(key), isValidationError("jobKey", [JSON.stringify(key), text]));
      await assertUnchanged();
    });
  }
});

describe("rescheduleJobs", () => {
  for (const runAt of BAD_RUN_ATS) {
    const label = Number.isNaN(runAt.getTime()) ? "Invalid Date" : runAt.toISOString();
    test(`runAt ${label}`, async () => {
      await pool.query("update graphile_worker._private_jobs set locked_at = null, locked_by = null");
      before = await allJobs(pool);
      await assert.rejects(utils.rescheduleJobs([job.id], { runAt }), isValidationError("runAt", [label]));
      await assertUnchanged();
    });
  }

  test("a misspelt change is a ValidationError naming it, not a no-op", async () => {
    await pool.query("update graphile_worker._private_jobs set locked_at = null, locked_by = null");
    before = await allJobs(pool);
    const changes = { run_at: new Date(), priority: 5 } as RescheduleOptions;
    await assert.rejects(utils.rescheduleJobs([job.id], changes), isValidationError("run_at", ['did you mean "runAt"']));
    await assertUnchanged();
  });
});

describe("createWorker workerId and forbiddenFlags", () => {
  for (const [name, text, reason] of BAD_TEXTS) {
    test(`${name} in workerId`, () => {
      assert.throws(
        () => resolveWorkerConfig({ tasks: {}, logger: silentLogger, workerId: text }),
        isValidationError("workerId", [JSON.stringify(text), reason]),
      );
    });
    test(`${name} in a forbidden flag`, () => {
      assert.throws(
        () => resolveWorkerConfig({ tasks: {}, logger: silentLogger, forbiddenFlags: ["ok", text] }),
        isValidationError("forbiddenFlags", [JSON.stringify(text), reason]),
      );
    });
  }
});
