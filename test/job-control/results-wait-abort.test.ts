/**
 * waitForResult and an abort that lands while the result is being read (after
 * LISTEN is in place, before the wait sleeps): the wait rejects with the
 * signal's reason instead of sleeping forever. The read itself aborts the
 * signal here, so the race is hit every run.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { WorkerUtils } from "../../src/client/worker-utils.js";
import type { Driver } from "../../src/driver/driver.js";
import { PgDriver } from "../../src/driver/pg-driver.js";
import { silentLogger } from "../../src/logger/logger.js";
import { createMigratedDatabase } from "../support/fixtures.js";

const db = await createMigratedDatabase("results_wait_abort");

test("an abort during the result read rejects the wait with the signal's reason", async () => {
  const controller = new AbortController();
  const reason = new Error("gave up mid-read");
  const pg = new PgDriver({ connectionString: db.connectionString });
  // Every query goes to the real driver; the result read (it joins _private_job_results) first aborts the signal.
  const driver = new Proxy(pg, {
    get(target, property, receiver) {
      if (property !== "query") return Reflect.get(target, property, receiver) as unknown;
      return (text: string, values?: readonly unknown[]) => {
        if (text.includes("_private_job_results") && !controller.signal.aborted) controller.abort(reason);
        return target.query(text, values);
      };
    },
  }) as Driver;
  const utils = new WorkerUtils({ driver, logger: silentLogger });
  try {
    const job = await utils.addJob("never_runs", {}, { runAt: new Date(Date.now() + 3_600_000) });
    await assert.rejects(utils.waitForResult(job.id, { signal: controller.signal }), (error: unknown) => error === reason);
  } finally {
    await utils.release();
    await pg.close();
  }
});
