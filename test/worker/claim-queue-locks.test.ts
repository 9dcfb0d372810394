/**
 * Which queue rows the claim locks (issue 19): only the queues of the first
 * `maxClaim` runnable jobs, not every available queue, so a claim beside it
 * still finds the other queues; a queue that is locked does not hide the
 * queues behind it; and jobs outside queues never run the queue part at all.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { claimJobsSql } from "../../src/sql/claim-jobs.js";
import { createMigratedDatabase } from "../support/fixtures.js";

const db = await createMigratedDatabase("claim_queue_locks");
const PARAMS_TYPES = "text[], int, text[], text, bigint[], bigint[], jsonb, jsonb, jsonb";

interface PlanNode {
  "Node Type": string;
  "CTE Name"?: string;
  "Subplan Name"?: string;
  "Actual Loops"?: number;
  Plans?: PlanNode[];
}

function* nodes(node: PlanNode): Generator<PlanNode> {
  yield node;
  for (const child of node.Plans ?? []) yield* nodes(child);
}

/** Run `fn` on one connection with the claim prepared as `claim` (maxClaim 50). */
async function withClaim<T>(fn: (client: import("pg").PoolClient) => Promise<T>): Promise<T> {
  const client = await db.pool.connect();
  try {
    await client.query(`prepare claim(${PARAMS_TYPES}) as ${claimJobsSql("graphile_worker", 50)}`);
    return await fn(client);
  } finally {
    await client.query("rollback").catch(() => undefined);
    await client.query("deallocate all").catch(() => undefined);
    client.release();
  }
}

test("a claim locks the queues of the jobs it reads, not every available queue", async () => {
  await db.pool.query("delete from graphile_worker._private_jobs");
  await db.utils.addJobs(Array.from({ length: 400 }, (_, i) => ({ identifier: "t", queueName: `many_${i}` })));
  await withClaim(async (claimer) => {
    await claimer.query("begin");
    const { rows } = await claimer.query("execute claim('{t}', 10, null, 'w1', '{}', '{}', '{}', '{}', '{}')");
    assert.equal(rows.length, 10, "ten queue heads claimed");
    // While the claim's transaction is open, another session can lock every queue it did not read.
    const other = await db.pool.connect();
    try {
      await other.query("begin");
      const { rows: free } = await other.query<{ n: number }>(
        `select count(*)::int as n from (
           select id from graphile_worker._private_job_queues where queue_name like 'many_%' for update skip locked) q`,
      );
      // maxClaim 50: the claim read (and locked) the queues of the first 50 jobs, 10 of them now taken.
      assert.equal(free[0]!.n, 400 - 50, "350 queues beyond the claim's first 50 jobs stay free");
      await other.query("rollback");
    } finally {
      other.release();
    }
    await claimer.query("rollback");
  });
});

test("a locked queue with many jobs does not hide the queues and jobs behind it", async () => {
  await db.pool.query("delete from graphile_worker._private_jobs");
  await db.utils.addJobs(Array.from({ length: 120 }, (_, n) => ({ identifier: "t", queueName: "big", payload: { n } })));
  // The big queue's head is running elsewhere: its queue is locked.
  await db.pool.query(
    `update graphile_worker._private_job_queues set locked_at = now(), locked_by = 'elsewhere' where queue_name = 'big'`,
  );
  const [small] = await db.utils.addJobs([{ identifier: "t", queueName: "small" }]);
  const [free] = await db.utils.addJobs([{ identifier: "t" }]);
  await withClaim(async (claimer) => {
    const { rows } = await claimer.query<{ id: string }>("execute claim('{t}', 10, null, 'w1', '{}', '{}', '{}', '{}', '{}')");
    assert.deepEqual(rows.map((row) => row.id).sort(), [small!.id, free!.id].sort());
  });
  await db.pool.query(`update graphile_worker._private_job_queues set locked_at = null, locked_by = null`);
});

test("jobs outside queues: the claim never runs its queue part", async () => {
  await db.pool.query("delete from graphile_worker._private_jobs");
  await db.utils.addJobs(Array.from({ length: 30 }, () => ({ identifier: "t" })));
  await withClaim(async (claimer) => {
    await claimer.query("begin");
    const { rows } = await claimer.query(
      "explain (analyze, format json) execute claim('{t}', 20, null, 'w1', '{}', '{}', '{}', '{}', '{}')",
    );
    const plan = (rows[0]["QUERY PLAN"] as Array<{ Plan: PlanNode }>)[0]!.Plan;
    const queueLocks = [...nodes(plan)].find((node) => node["Subplan Name"] === "CTE queue_locks");
    assert.ok(queueLocks, "the plan has the queue_locks CTE");
    assert.equal(queueLocks["Actual Loops"] ?? 0, 0, "queue_locks never ran");
    const claimed = [...nodes(plan)].find((node) => node["Subplan Name"] === "CTE claimed");
    assert.equal(claimed?.["Actual Loops"], 1, "the claim itself ran");
  });
});
