/**
 * The classic claim and the transaction claim's records (migration 32): jobs
 * named by a record are never taken by a classic claim. A live batch holds
 * them locked anyway; a dead batch's jobs (its transaction gone, its record
 * left) must have their attempt counted first, so the classic claim leaves
 * them until the count has run (then the record is gone and they are
 * claimable again, one attempt higher).
 *
 * The records are read after the claim holds its candidates' row locks, in a
 * snapshot taken then (migration 34), not in the statement's own: a batch can
 * record, run and die while a classic claim runs, and its record is honoured.
 *
 * With no transaction-mode worker left to count (the mode switched off after a
 * crash), a classic worker's recovery sweep counts the dead batch, so its jobs
 * are not left alone for ever.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase, countRows, testWorker, waitUntil } from "../support/fixtures.js";
import { queryableFromPg } from "../../src/driver/pg-driver.js";
import { ClaimJobsStatement } from "../../src/sql/claim-jobs.js";
import { TxClaimStatements } from "../../src/sql/transaction-claim.js";
import { defineTask } from "../../src/tasks/task.js";
import { insertBatchRecord } from "./tx-child.js";

const db = await createMigratedDatabase("classic_skips_tx_records");
const queryable = queryableFromPg(db.pool);

test("a classic claim leaves the jobs of a dead batch's record until the count ran, then takes them counted", async () => {
  const added = await db.utils.addJobs(Array.from({ length: 5 }, (_, i) => ({ identifier: "t", payload: { i } })));
  const ids = added.map((job) => job.id);
  // A batch that died after recording two of the jobs: its record stays, its advisory lock is free.
  await insertBatchRecord(db.pool, "dead-worker", [ids[0]!, ids[1]!]);
  const claim = new ClaimJobsStatement(queryable, "graphile_worker", 10);
  const params = { taskIdentifiers: "{t}", count: 10, forbiddenFlags: null, results: undefined };

  const first = await claim.run({ ...params, workerId: "classic-1" });
  assert.deepEqual(first.map((row) => row.id).sort(), [ids[2], ids[3], ids[4]].sort(), "the recorded jobs were left");
  const { rows: left } = await db.pool.query<{ id: string; attempts: number; locked_by: string | null }>(
    "select id::text, attempts, locked_by from graphile_worker._private_jobs where id = any($1::bigint[]) order by id",
    [[ids[0], ids[1]]],
  );
  assert.deepEqual(
    left.map((row) => [row.attempts, row.locked_by]),
    [
      [0, null],
      [0, null],
    ],
    "untouched: not locked, no attempt",
  );

  const counted = await new TxClaimStatements("graphile_worker", 10).countCrashes(queryable);
  assert.deepEqual(counted, { batches: 1, jobs: 2 });

  const second = await claim.run({ ...params, workerId: "classic-2" });
  assert.deepEqual(second.map((row) => row.id).sort(), [ids[0], ids[1]].sort(), "claimable once counted");
  assert.deepEqual(
    second.map((row) => row.attempts),
    [2, 2],
    "the dead batch's attempt and this claim's are both counted",
  );
});

test("a record committed while a classic claim runs, after it locked its candidates, is honoured", async () => {
  await db.pool.query("delete from graphile_worker._private_jobs");
  const added = await db.utils.addJobs(Array.from({ length: 3 }, (_, i) => ({ identifier: "t", payload: { i } })));
  const ids = added.map((job) => job.id);
  const holder = await db.pool.connect();
  const claim = new ClaimJobsStatement(queryableFromPg(db.pool), "graphile_worker", 10);
  let claiming: Promise<{ id: string }[]> | undefined;
  try {
    // Nobody can read the records until the holder commits: the claim's record check waits there.
    const holderPid = (await holder.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid;
    await holder.query("begin");
    await holder.query("lock table graphile_worker._private_tx_claims in access exclusive mode");
    claiming = claim.run({ taskIdentifiers: "{t}", count: 10, forbiddenFlags: null, results: undefined, workerId: "classic" });
    // Only the record check reads that table: a claim waiting on the holder has locked its candidates already. (Not
    // probed with a row-locking query while the claim runs: its SKIP LOCKED scan would pass over rows the probe holds.)
    await waitUntil(
      "the claim waits to read the records",
      async () =>
        (
          await db.pool.query<{ n: number }>(
            "select count(*)::int as n from pg_stat_activity where $1::int = any(pg_blocking_pids(pid))",
            [holderPid],
          )
        ).rows[0]!.n >= 1,
    );
    const { rows: free } = await db.pool.query<{ n: number }>(
      `select count(*)::int as n from (select id from graphile_worker._private_jobs where id = any($1::bigint[])
         for update skip locked) x`,
      [ids],
    );
    assert.equal(free[0]!.n, 0, "while it waits, the claim holds every candidate's row lock");
    // A batch that (in a real race) recorded two of these jobs, ran them and died after the claim's snapshot was taken.
    await insertBatchRecord(holder, "dead-worker", [ids[0]!, ids[1]!], { bounds: true });
    await holder.query("commit");
    const claimed = await claiming;
    assert.deepEqual(
      claimed.map((row) => row.id),
      [ids[2]],
      "the two recorded jobs were left for the count",
    );
    const { rows } = await db.pool.query<{ attempts: number; locked_by: string | null }>(
      "select attempts, locked_by from graphile_worker._private_jobs where id = any($1::bigint[]) order by id",
      [[ids[0], ids[1]]],
    );
    assert.deepEqual(rows, [
      { attempts: 0, locked_by: null },
      { attempts: 0, locked_by: null },
    ]);
  } finally {
    await holder.query("rollback").catch(() => undefined);
    holder.release();
    await claiming?.catch(() => undefined);
  }
});

test("with only classic workers left, a worker's recovery sweep counts a dead batch and its jobs run, one attempt higher", async () => {
  await db.pool.query("delete from graphile_worker._private_jobs");
  const added = await db.utils.addJobs(Array.from({ length: 3 }, (_, i) => ({ identifier: "after_crash", payload: { i } })));
  const ids = added.map((job) => job.id);
  await insertBatchRecord(db.pool, "dead-tx-worker", [ids[0]!, ids[1]!]);
  const seen = new Map<string, { attempts: number; lastError: string | null }>();
  const worker = await testWorker(db, {
    claimMode: "classic",
    pollInterval: 100,
    tasks: {
      after_crash: (_payload, ctx) => {
        seen.set(ctx.job.id, { attempts: ctx.job.attempts, lastError: ctx.job.lastError });
      },
    },
  });
  await worker.start();
  try {
    await waitUntil("every job ran", () => seen.size === 3, 30_000);
  } finally {
    await worker.stop();
  }
  assert.equal(await countRows(db.pool, "_private_tx_claims"), 0, "the dead batch's record was counted");
  assert.equal(await countRows(db.pool, "_private_jobs"), 0, "every job completed");
  for (const id of [ids[0], ids[1]]) {
    assert.equal(seen.get(id!)?.attempts, 2, `job ${id}: the crashed attempt was counted before this run`);
    assert.match(seen.get(id!)?.lastError ?? "", /dead-tx-worker crashed/);
  }
  assert.equal(seen.get(ids[2]!)?.attempts, 1, "a job no batch named runs at its first attempt");
});

test("the limited claim takes a dead batch's job only once the batch is counted (migration 35)", async () => {
  await db.pool.query("delete from graphile_worker._private_jobs");
  await db.pool.query("delete from graphile_worker._private_tx_claims");
  // A task a transaction-mode worker ran without limits; this worker gives it a per-key limit (a rolling deploy).
  const added = await db.utils.addJobs(
    Array.from({ length: 2 }, (_, i) => ({ identifier: "limited_after_crash", payload: { i }, concurrencyKey: `k${i}` })),
  );
  const ids = added.map((job) => job.id);
  await insertBatchRecord(db.pool, "dead-tx-worker", [ids[0]!]);
  const seen = new Map<string, number>();
  const worker = await testWorker(db, {
    claimMode: "classic",
    pollInterval: 100,
    // No sweep: only the limited claim's own check can count the dead batch here.
    recovery: false,
    tasks: [
      defineTask({
        identifier: "limited_after_crash",
        concurrency: { perKey: 1 },
        run: (_payload, ctx) => {
          seen.set(ctx.job.id, ctx.job.attempts);
        },
      }),
    ],
  });
  await worker.start();
  try {
    await waitUntil("both jobs ran", () => seen.size === 2, 30_000);
  } finally {
    await worker.stop();
  }
  assert.equal(seen.get(ids[0]!), 2, "the dead batch's attempt was counted before this run");
  assert.equal(seen.get(ids[1]!), 1);
  assert.equal(await countRows(db.pool, "_private_tx_claims"), 0);
});
