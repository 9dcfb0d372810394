/**
 * Defence in depth behind the sanitised error text: if PostgreSQL refuses the
 * data of a result write (SQLSTATE class 22), the flusher must not retry the
 * same statement forever. The entries at fault are isolated and written in a
 * safe form, every other result of the batch is written, and a claim that
 * carried the refused results claims all the same. Results are given to the
 * flusher raw here (as if sanitising had missed something), on both drivers.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase, resetJobs } from "../support/fixtures.js";
import type { Driver } from "../../src/driver/driver.js";
import { PgDriver } from "../../src/driver/pg-driver.js";
import { createPostgresJsDriver } from "../../src/driver/postgres-driver.js";
import type { Logger } from "../../src/logger/logger.js";
import { FinishJobsStatements } from "../../src/sql/finish-jobs.js";
import { JobClaimer } from "../../src/worker/job-claimer.js";
import { refusedErrorText, type JobResult } from "../../src/completion/job-result.js";
import { JobCompleter, type FlushOutcome } from "../../src/completion/job-completer.js";

const db = await createMigratedDatabase("refused_results");
const { utils, pool } = db;
const SCHEMA = "graphile_worker";
const WORKER = "refusal-test-worker";

/** `promise`, or a rejection naming `label` after 20s (the old code retried forever). */
function within<T>(promise: Promise<T>, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`Timed out: ${label}`)), 20_000)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** `locked` jobs locked by WORKER (attempt 1 running), then `free` runnable ones; returns their ids. */
async function jobs(locked: number, free: number): Promise<{ locked: string[]; free: string[] }> {
  await resetJobs(pool);
  const added = await utils.addJobs(Array.from({ length: locked + free }, (_, i) => ({ identifier: "t", payload: { i } })));
  const ids = added.map((job) => job.id);
  await pool.query(
    `update ${SCHEMA}._private_jobs set locked_by = $1, locked_at = now(), attempts = 1 where id = any($2::bigint[])`,
    [WORKER, ids.slice(0, locked)],
  );
  return { locked: ids.slice(0, locked), free: ids.slice(locked) };
}

function recordingLogger(lines: string[]): Logger {
  const record = (message: string) => void lines.push(message);
  return { error: record, warn: record, info: () => undefined, debug: () => undefined };
}

function flusherOn(driver: Driver, outcomes: FlushOutcome[], logLines: string[]): JobCompleter {
  const config = { maxBatchSize: 1000, delayMs: 60_000, retryDelayMs: 10, maxRetryDelayMs: 10 };
  return new JobCompleter(new FinishJobsStatements(driver, SCHEMA), WORKER, config, recordingLogger(logLines), (o) =>
    outcomes.push(o),
  );
}

const failureOf = (jobId: string, message: string): JobResult => ({
  jobId,
  queued: false,
  failure: { message, permanent: false },
});

async function remaining(): Promise<
  Array<{ id: string; last_error: string | null; locked_by: string | null; attempts: number }>
> {
  const { rows } = await pool.query(
    `select id::text as id, last_error, locked_by, attempts from ${SCHEMA}._private_jobs order by id`,
  );
  return rows;
}

const drivers: Array<{ name: string; create: () => Driver }> = [
  { name: "pg", create: () => new PgDriver({ connectionString: db.connectionString }) },
  { name: "postgres", create: () => createPostgresJsDriver(db.connectionString) },
];

for (const { name, create } of drivers) {
  describe(`refused result data (${name} driver)`, () => {
    const driver = create();
    after(() => driver.close());

    test("a batch with two refused failures: the bad entries get a placeholder, 298 others are written", async () => {
      const { locked } = await jobs(300, 0);
      const [nul, lone] = [locked[100]!, locked[201]!];
      const outcomes: FlushOutcome[] = [];
      const logLines: string[] = [];
      const flusher = flusherOn(driver, outcomes, logLines);
      for (const id of locked) {
        if (id === nul) flusher.add(failureOf(id, "nul \u0000 byte"));
        else if (id === lone) flusher.add(failureOf(id, "lone \ud800 surrogate"));
        else flusher.add({ jobId: id, queued: false });
      }
      await within(flusher.flush(), "the flusher wrote every result");
      assert.deepEqual(await remaining(), [
        { id: nul, last_error: refusedErrorText("22P05"), locked_by: null, attempts: 1 },
        { id: lone, last_error: refusedErrorText("22P02"), locked_by: null, attempts: 1 },
      ]);
      assert.equal(outcomes.flatMap((o) => o.applied).length, 300);
      assert.equal(outcomes.flatMap((o) => o.rejected).length, 0);
      assert.equal(flusher.unwrittenJobIds().size, 0);
      for (const id of [nul, lone]) {
        assert.ok(
          logLines.some((line) => line.includes(`error text of job ${id}`)),
          `the refusal of job ${id} is logged:\n${logLines.join("\n")}`,
        );
      }
    });

    test("a claim carrying a refused result still claims, and the carried results are written", async () => {
      const { locked, free } = await jobs(100, 20);
      const bad = locked[42]!;
      const outcomes: FlushOutcome[] = [];
      const flusher = flusherOn(driver, outcomes, []);
      for (const id of locked) flusher.add(id === bad ? failureOf(id, "\u0000") : { jobId: id, queued: false });
      const claimer = new JobClaimer(driver, SCHEMA, WORKER, ["t"], null, 50);
      const claimed = await within(
        flusher.claimWith(
          (results) => claimer.claim(50, results),
          () => new Set(),
        ),
        "the claim",
      );
      assert.deepEqual(claimed.jobs.map((job) => job.id).sort(), [...free].sort());
      assert.equal(flusher.unwrittenJobIds().size, 0, "nothing left to write");
      assert.equal(outcomes.flatMap((o) => o.applied).length, 100);
      const rows = await remaining();
      assert.deepEqual(
        rows.filter((row) => !free.includes(row.id)),
        [{ id: bad, last_error: refusedErrorText("22P05"), locked_by: null, attempts: 1 }],
      );
      assert.ok(rows.filter((row) => free.includes(row.id)).every((row) => row.locked_by === WORKER));
    });
  });
}
