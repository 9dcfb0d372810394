/**
 * ctx.progress: throttled writes (a burst of calls makes few writes, the last
 * value is always stored), read through utils.getJobProgress and the CLI's
 * `show`; bad values are refused; a run that lost its lock writes nothing.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { PROGRESS_WRITE_INTERVAL_MS } from "../../src/config/defaults.js";
import { ValidationError } from "../../src/errors/errors.js";
import { defineTask } from "../../src/tasks/task.js";
import { spawnCli } from "../cli/spawn-cli.js";
import { createMigratedDatabase, deferred, resetJobs, testWorker, waitUntil } from "../support/fixtures.js";
import { stillHeld } from "../support/held-jobs.js";

const db = await createMigratedDatabase("results_progress");
const { utils, pool } = db;
const cli = (...args: string[]) => spawnCli(args, { databaseUrl: db.connectionString, timeoutMs: 120_000 });

before(async () => {
  // Count every write to the progress table (a test-only trigger).
  await pool.query(`
    create table public.progress_writes (job_id bigint, progress text);
    create function public.count_progress_write() returns trigger as $$
    begin insert into public.progress_writes values (new.job_id, new.progress::text); return new; end; $$ language plpgsql;
    create trigger count_writes after insert or update on graphile_worker._private_job_progress
      for each row execute procedure public.count_progress_write();`);
});

async function writes(jobId: string): Promise<string[]> {
  const { rows } = await pool.query("select progress from public.progress_writes where job_id = $1", [jobId]);
  return rows.map((row: { progress: string }) => row.progress);
}

describe("progress", () => {
  test("a burst of 1000 ctx.progress calls makes few writes; the last value is stored", async () => {
    await resetJobs(pool);
    let startedAt = 0;
    let endedAt = 0;
    const busy = defineTask({
      identifier: "busy",
      run: async (_payload, ctx) => {
        startedAt = performance.now();
        for (let i = 1; i <= 1000; i++) {
          ctx.progress(i / 10);
          if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
        ctx.progress({ step: "done", percent: 100 });
        endedAt = performance.now();
      },
    });
    const worker = await testWorker(db, { tasks: [busy], pollInterval: 60_000 });
    await worker.start();
    try {
      const job = await utils.addJob(busy, {});
      await waitUntil(
        "the job is done",
        async () => (await pool.query("select 1 from graphile_worker._private_jobs")).rowCount === 0,
      );
      const written = await writes(job.id);
      // One write per window at most (the run spans endedAt - startedAt), plus the final one.
      const allowed = Math.ceil((endedAt - startedAt) / PROGRESS_WRITE_INTERVAL_MS) + 2;
      assert.ok(written.length >= 1 && written.length <= allowed, `${written.length} writes, at most ${allowed}`);
      assert.equal(written.at(-1), JSON.stringify({ step: "done", percent: 100 }), "the last value is written");
      const progress = await utils.getJobProgress(job.id);
      assert.deepEqual(progress?.progress, { step: "done", percent: 100 });
      assert.ok(progress?.updatedAt instanceof Date);
    } finally {
      await worker.stop();
    }
  });

  test("readable while the job runs: getJobProgress and the CLI's show", async () => {
    await resetJobs(pool);
    const release = deferred();
    const halfway = defineTask({
      identifier: "halfway",
      run: async (_payload, ctx) => {
        ctx.progress(50);
        await release.promise;
      },
    });
    // Transaction claim: the batch stays open while the job runs (no conversion at 1 s).
    const worker = await testWorker(db, { tasks: [halfway], pollInterval: 60_000, transactionClaim: { maxHoldMs: 60_000 } });
    await worker.start();
    try {
      const job = await utils.addJob(halfway, {});
      await waitUntil("progress 50 is stored", async () => (await utils.getJobProgress(job.id))?.progress === 50);
      assert.deepEqual(await stillHeld(pool, [job.id]), [job.id], "stored while the job is held (lock, or open batch)");
      assert.deepEqual(await utils.getJobResult(job.id), { state: "running" });
      const [text, json] = await Promise.all([cli("show", job.id), cli("show", job.id, "--json")]);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^progress\s+50 \(/m);
      assert.equal(JSON.parse(json.stdout).progress, 50);
      assert.equal(await utils.getJobProgress("999999"), null);
    } finally {
      release.resolve();
      await worker.stop();
    }
  });

  test("bad values throw a ValidationError in the task; nothing is written", async () => {
    await resetJobs(pool);
    const seen = deferred<unknown[]>();
    const bad = defineTask({
      identifier: "bad_progress",
      run: async (_payload, ctx) => {
        const errors: unknown[] = [];
        for (const value of [101, -1, Number.NaN, undefined, () => 1, 10n]) {
          try {
            ctx.progress(value);
          } catch (error) {
            errors.push(error);
          }
        }
        seen.resolve(errors);
      },
    });
    const worker = await testWorker(db, { tasks: [bad], pollInterval: 60_000 });
    await worker.start();
    try {
      const job = await utils.addJob(bad, {});
      const errors = await seen.promise;
      assert.equal(errors.length, 6);
      for (const error of errors) assert.ok(error instanceof ValidationError && error.field === "progress", String(error));
      await waitUntil(
        "the job is done",
        async () => (await pool.query("select 1 from graphile_worker._private_jobs")).rowCount === 0,
      );
      assert.deepEqual(await writes(job.id), []);
    } finally {
      await worker.stop();
    }
  });

  test("a run that lost its lock writes no progress", async () => {
    await resetJobs(pool);
    const release = deferred();
    const began = deferred();
    const lost = defineTask({
      identifier: "lost_lock",
      run: async (_payload, ctx) => {
        began.resolve();
        await release.promise;
        ctx.progress(99);
      },
    });
    const worker = await testWorker(db, { tasks: [lost], pollInterval: 60_000 });
    await worker.start();
    try {
      const job = await utils.addJob(lost, {});
      await began.promise;
      await pool.query("update graphile_worker._private_jobs set locked_by = 'other-worker' where id = $1", [job.id]);
      release.resolve();
      await waitUntil("the run's result is refused", async () => {
        const { rows } = await pool.query("select locked_by from graphile_worker._private_jobs where id = $1", [job.id]);
        return rows[0]?.locked_by === "other-worker" && worker.runningJobs.length === 0;
      });
      assert.equal(await utils.getJobProgress(job.id), null);
    } finally {
      release.resolve();
      await worker.stop();
    }
  });
});
