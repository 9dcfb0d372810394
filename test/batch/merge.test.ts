/**
 * Batch jobs: an array payload added with a job key in `replace` or
 * `preserve_run_at` mode is appended to the waiting job's array (the SQL
 * functions do it; checked through addJob, addJobs and SQL). A non-array on
 * either side replaces the payload; `unsafe_dedupe` keeps the first payload.
 */
import { test, describe, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase, allJobs, resetJobs } from "../support/fixtures.js";
import { defineBatchTask } from "../../src/tasks/batch-task.js";

const db = await createMigratedDatabase("batch_merge");
const { utils, pool } = db;

const sendAll = defineBatchTask<{ to: string }>({ identifier: "send_all", run: (items) => items.map(() => undefined) });

async function onlyJob() {
  const jobs = await allJobs(pool);
  assert.equal(jobs.length, 1, `expected one job, found ${jobs.length}`);
  return jobs[0]!;
}

describe("batch payloads merge under a job key", () => {
  beforeEach(() => resetJobs(pool));

  test("addJob, replace mode (the default): arrays are concatenated, run_at replaced", async () => {
    const later = new Date(Date.now() + 3_600_000);
    const first = await utils.addJob(sendAll, [{ to: "a" }], { jobKey: "k" });
    const second = await utils.addJob(sendAll, [{ to: "b" }, { to: "c" }], { jobKey: "k", runAt: later });
    assert.equal(second.id, first.id);
    const row = await onlyJob();
    assert.deepEqual(row.payload, [{ to: "a" }, { to: "b" }, { to: "c" }]);
    assert.equal(row.run_at.getTime(), later.getTime());
    assert.equal(row.revision, 1);
  });

  test("addJob, preserve_run_at mode: arrays are concatenated, run_at kept", async () => {
    const soon = new Date(Date.now() + 60_000);
    await utils.addJob("send_all", [1], { jobKey: "k", jobKeyMode: "preserve_run_at", runAt: soon });
    await utils.addJob("send_all", [2], { jobKey: "k", jobKeyMode: "preserve_run_at", runAt: new Date(Date.now() + 3_600_000) });
    await utils.addJob("send_all", [3, 4], { jobKey: "k", jobKeyMode: "preserve_run_at" });
    const row = await onlyJob();
    assert.deepEqual(row.payload, [1, 2, 3, 4]);
    assert.equal(row.run_at.getTime(), soon.getTime());
  });

  test("addJob, unsafe_dedupe mode: the first payload stays", async () => {
    await utils.addJob("send_all", [1], { jobKey: "k", jobKeyMode: "unsafe_dedupe" });
    await utils.addJob("send_all", [2], { jobKey: "k", jobKeyMode: "unsafe_dedupe" });
    assert.deepEqual((await onlyJob()).payload, [1]);
  });

  test("a non-array payload on either side replaces instead of merging", async () => {
    await utils.addJob("send_all", [1], { jobKey: "k" });
    await utils.addJob("send_all", { single: true }, { jobKey: "k" });
    assert.deepEqual((await onlyJob()).payload, { single: true });
    await utils.addJob("send_all", [2], { jobKey: "k" });
    assert.deepEqual((await onlyJob()).payload, [2]);
  });

  test("addJobs: keyed arrays merge into the waiting job, in order", async () => {
    await utils.addJob(sendAll, [{ to: "a" }], { jobKey: "k" });
    await utils.addJobs([
      { identifier: sendAll, payload: [{ to: "b" }], jobKey: "k" },
      { identifier: "send_all", payload: [{ to: "x" }], jobKey: "other" },
    ]);
    await utils.addJobs([{ identifier: sendAll, payload: [{ to: "c" }], jobKey: "k", jobKeyMode: "preserve_run_at" }]);
    const rows = await allJobs(pool);
    assert.deepEqual(
      rows.map((r) => [r.key, r.payload]),
      [
        ["k", [{ to: "a" }, { to: "b" }, { to: "c" }]],
        ["other", [{ to: "x" }]],
      ],
    );
  });

  test("SQL add_job and add_jobs merge the same way", async () => {
    await pool.query(`select graphile_worker.add_job('send_all', '[1, 2]'::json, job_key => 'k')`);
    await pool.query(
      `select graphile_worker.add_job('send_all', '[3]'::json, job_key => 'k', job_key_mode => 'preserve_run_at')`,
    );
    await pool.query(`select graphile_worker.add_jobs(array[
      row('send_all', '[4]'::json, null, null, null, 'k', null, null)::graphile_worker.job_spec])`);
    assert.deepEqual((await onlyJob()).payload, [1, 2, 3, 4]);
  });

  test("a locked (running) job is not merged into: the new items wait in a new job once it finishes", async () => {
    const job = await utils.addJob("send_all", [1], { jobKey: "k" });
    await pool.query("update graphile_worker._private_jobs set locked_at = now(), locked_by = 'someone' where id = $1", [job.id]);
    await utils.addJob("send_all", [2], { jobKey: "k" });
    const rows = await allJobs(pool);
    assert.deepEqual(
      rows.map((r) => [r.key, r.payload]),
      [
        [null, [1]],
        ["k", [2]],
      ],
    );
  });
});
