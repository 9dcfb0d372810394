/**
 * Error text PostgreSQL refuses (U+0000, lone surrogates) must not stall the
 * worker: the failed job gets a readable last_error, the good jobs finished
 * in the same batches complete exactly once, and the worker keeps claiming.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase, waitUntil, testWorker } from "../support/fixtures.js";

const db = await createMigratedDatabase("unstorable_error_text");
const { utils, pool } = db;

const GOOD_JOBS = 500;

test(
  "a failure whose text holds U+0000 and a lone surrogate: 500 good jobs complete once, the bad one fails readably",
  { timeout: 60_000 },
  async () => {
    const runs = new Map<string, number>();
    const count = (id: string) => runs.set(id, (runs.get(id) ?? 0) + 1);
    const specs = Array.from({ length: GOOD_JOBS + 1 }, (_, i) =>
      i === GOOD_JOBS / 2 ? { identifier: "bad", payload: {}, maxAttempts: 1 } : { identifier: "good", payload: { i } },
    );
    const added = await utils.addJobs(specs);
    const badId = added[GOOD_JOBS / 2]!.id;
    const worker = await testWorker(db, {
      concurrency: 10,
      tasks: {
        good: async (_payload, ctx) => void count(ctx.job.id),
        bad: async (_payload, ctx) => {
          count(ctx.job.id);
          // U+0000 (e.g. from binary data) and a string cut inside an emoji (a lone high surrogate).
          throw new Error(`bad \u0000 bytes ${"😀".slice(0, 1)} end`);
        },
        after: async (_payload, ctx) => void count(ctx.job.id),
      },
    });
    await worker.start();
    try {
      const failed = await waitUntil(
        "every good job is done and the bad one is failed",
        async () => {
          const { rows } = await pool.query<{ id: string; last_error: string | null; locked_by: string | null }>(
            "select id::text as id, last_error, locked_by from graphile_worker._private_jobs",
          );
          return rows.length === 1 && rows[0]!.id === badId && rows[0]!.locked_by === null ? rows[0] : null;
        },
        30_000,
      );
      assert.equal(failed.last_error, "bad \ufffd bytes \ufffd end");
      // The worker still claims: a job added now runs.
      const later = await utils.addJob("after", {});
      await waitUntil("the later job ran", async () => {
        const { rows } = await pool.query("select 1 from graphile_worker._private_jobs where id = $1", [later.id]);
        return rows.length === 0;
      });
      assert.equal(runs.get(later.id), 1);
    } finally {
      await worker.stop();
    }
    const { rows } = await pool.query<{ attempts: number; max_attempts: number; is_available: boolean }>(
      "select attempts, max_attempts, is_available from graphile_worker._private_jobs where id = $1",
      [badId],
    );
    assert.deepEqual(rows, [{ attempts: 1, max_attempts: 1, is_available: false }], "the bad job is permanently failed");
    const good = added.filter((job) => job.id !== badId);
    assert.deepEqual(
      good.filter((job) => runs.get(job.id) !== 1).map((job) => [job.id, runs.get(job.id)]),
      [],
      "every good job ran exactly once",
    );
    assert.equal(runs.get(badId), 1);
  },
);
