/**
 * The claim must stay cheap when many jobs wait in the table: the queue-head
 * check reads a queue's first entry in jobs_queue_head_index (migration 23),
 * not every available job. Measured in pages the statement touches, which is
 * deterministic (a timing would not be).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { claimJobsSql } from "../../src/sql/claim-jobs.js";
import { createMigratedDatabase } from "../support/fixtures.js";

const db = await createMigratedDatabase("claim_plan");

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  "Shared Hit Blocks"?: number;
  "Shared Read Blocks"?: number;
  Plans?: PlanNode[];
}

function* nodes(node: PlanNode): Generator<PlanNode> {
  yield node;
  for (const child of node.Plans ?? []) yield* nodes(child);
}

test("with 100k future jobs present, claiming queue heads of 10 queues touches few pages", { timeout: 60_000 }, async () => {
  await db.utils.addJobs(Array.from({ length: 10 }, (_, i) => ({ identifier: "t", queueName: `q${i}` })));
  await db.pool.query(`insert into graphile_worker._private_jobs (task_id, payload, run_at)
    select (select id from graphile_worker._private_tasks where identifier = 't'), '{}', now() + interval '1 year'
    from generate_series(1, 100000)`);
  await db.pool.query(`insert into graphile_worker._private_jobs (task_id, payload, job_queue_id)
    select t.id, '{}', q.id from graphile_worker._private_tasks t, graphile_worker._private_job_queues q, generate_series(1, 20)
    where t.identifier = 't'`);
  await db.pool.query("vacuum analyze graphile_worker._private_jobs");

  const client = await db.pool.connect();
  try {
    await client.query("set plan_cache_mode = force_generic_plan");
    await client.query(
      `prepare claim(text[], int, text[], text, bigint[], bigint[], jsonb, jsonb, jsonb) as ${claimJobsSql("graphile_worker", 500)}`,
    );
    await client.query("begin");
    const { rows } = await client.query(
      "explain (analyze, buffers, format json) execute claim('{t}', 100, null, 'w', '{}', '{}', '{}', '{}', '{}')",
    );
    await client.query("rollback");
    const plan = (rows[0]["QUERY PLAN"] as Array<{ Plan: PlanNode }>)[0]!.Plan;
    const all = [...nodes(plan)];
    assert.ok(
      all.some((node) => node["Index Name"] === "jobs_queue_head_index"),
      "the head check uses jobs_queue_head_index",
    );
    const pages = (plan["Shared Hit Blocks"] ?? 0) + (plan["Shared Read Blocks"] ?? 0);
    // The whole main index alone is several hundred pages: reading it per queue would be thousands.
    assert.ok(pages < 1000, `the claim touched ${pages} pages`);
  } finally {
    await client.query("deallocate all").catch(() => undefined);
    client.release();
  }
  const { rows: claimed } = await db.pool.query(
    "select count(*)::int as n from graphile_worker._private_jobs where locked_at is not null",
  );
  assert.equal(claimed[0].n, 0, "the explained claim was rolled back");
});

test(
  "on a table of runnable jobs the generic claim plan reads the main index, even when index pages look dear, and claims exactly the count asked",
  { timeout: 60_000 },
  async () => {
    await db.pool.query("delete from graphile_worker._private_jobs");
    await db.pool.query(`insert into graphile_worker._private_jobs (task_id, payload)
    select (select id from graphile_worker._private_tasks where identifier = 't'), '{}' from generate_series(1, 30000)`);
    await db.pool.query("vacuum analyze graphile_worker._private_jobs");
    const client = await db.pool.connect();
    try {
      await client.query("set plan_cache_mode = force_generic_plan");
      // As on a table whose indexes bloated after a burst of jobs: random reads look expensive. Planning
      // `limit $2` for a tenth of the table would then pick a sequential scan and a sort of every job.
      await client.query("set random_page_cost = 100");
      await client.query(
        `prepare claim2(text[], int, text[], text, bigint[], bigint[], jsonb, jsonb, jsonb) as ${claimJobsSql("graphile_worker", 500)}`,
      );
      await client.query("begin");
      const { rows } = await client.query(
        "explain (analyze, format json) execute claim2('{t}', 300, null, 'w', '{}', '{}', '{}', '{}', '{}')",
      );
      await client.query("rollback");
      const all = [...nodes((rows[0]["QUERY PLAN"] as Array<{ Plan: PlanNode }>)[0]!.Plan)];
      assert.ok(
        all.some((node) => node["Index Name"] === "jobs_main_index"),
        "candidates come from jobs_main_index",
      );
      assert.ok(
        !all.some(
          (node) =>
            node["Node Type"] === "Seq Scan" && (node as { "Relation Name"?: string })["Relation Name"] === "_private_jobs",
        ),
        "no sequential scan of the jobs table",
      );
      const { rows: claimed } = await client.query("execute claim2('{t}', 37, null, 'w', '{}', '{}', '{}', '{}', '{}')");
      assert.equal(claimed.length, 37);
    } finally {
      await client.query("deallocate all").catch(() => undefined);
      await client.query("reset random_page_cost").catch(() => undefined);
      client.release();
    }
    const { rows: locked } = await db.pool.query(
      "select count(*)::int as n from graphile_worker._private_jobs where locked_by = 'w'",
    );
    assert.equal(locked[0].n, 37, "exactly the jobs asked for were claimed");
  },
);

test(
  "with 100k future jobs and fewer runnable jobs than asked, the candidate scan stops at now() in every priority",
  { timeout: 60_000 },
  async () => {
    await db.pool.query("delete from graphile_worker._private_jobs");
    // Future rows at two priorities, runnable jobs at three (one priority has only runnable jobs).
    await db.pool.query(`insert into graphile_worker._private_jobs (task_id, payload, priority, run_at)
      select (select id from graphile_worker._private_tasks where identifier = 't'), '{}', i % 2, now() + interval '1 year'
      from generate_series(1, 100000) i`);
    await db.pool.query(`insert into graphile_worker._private_jobs (task_id, payload, priority, run_at)
      select (select id from graphile_worker._private_tasks where identifier = 't'), json_build_object('i', i), p, now() - i * interval '1 second'
      from generate_series(1, 5) i, (values (-3), (0), (1)) v(p)`);
    await db.pool.query("vacuum analyze graphile_worker._private_jobs");
    const client = await db.pool.connect();
    try {
      await client.query("set plan_cache_mode = force_generic_plan");
      await client.query(
        `prepare claim3(text[], int, text[], text, bigint[], bigint[], jsonb, jsonb, jsonb) as ${claimJobsSql("graphile_worker", 500)}`,
      );
      await client.query("begin");
      const { rows } = await client.query(
        "explain (analyze, buffers, format json) execute claim3('{t}', 500, null, 'w', '{}', '{}', '{}', '{}', '{}')",
      );
      await client.query("rollback");
      const all = [...nodes((rows[0]["QUERY PLAN"] as Array<{ Plan: PlanNode }>)[0]!.Plan)];
      const mainScans = all.filter((node) => node["Node Type"] === "Index Scan" && node["Index Name"] === "jobs_main_index");
      assert.ok(mainScans.length > 0, "candidates come from jobs_main_index");
      const pages = mainScans.reduce(
        (sum, node) => sum + (node["Shared Hit Blocks"] ?? 0) + (node["Shared Read Blocks"] ?? 0),
        0,
      );
      // Reading through the 100k future entries would be hundreds of pages.
      assert.ok(pages < 50, `the candidate scans touched ${pages} pages`);
      // The first 7 in priority then run_at order: the 5 jobs of priority -3, then the 2 earliest of priority 0.
      const { rows: claimed } = await client.query<{ priority: number; payload: { i: number } }>(
        "execute claim3('{t}', 7, null, 'w', '{}', '{}', '{}', '{}', '{}')",
      );
      const taken = claimed.map((row) => `${row.priority}/${row.payload.i}`).sort();
      assert.deepEqual(taken, ["-3/1", "-3/2", "-3/3", "-3/4", "-3/5", "0/4", "0/5"]);
    } finally {
      await client.query("deallocate all").catch(() => undefined);
      client.release();
    }
  },
);

test(
  "on a small, never analysed table the claim keeps its generic plan (no planning per claim), with and without carried results",
  { timeout: 60_000 },
  async () => {
    const fresh = await createMigratedDatabase("claim_plan_fresh");
    await fresh.utils.addJob("t", {});
    const client = await fresh.pool.connect();
    const statements = [
      { name: "claim_carry", text: claimJobsSql("graphile_worker", 500), rest: ", '{}', '{}', '{}', '{}', '{}'" },
      { name: "claim_plain", text: claimJobsSql("graphile_worker", 500, { carry: false }), rest: "" },
    ];
    try {
      for (const statement of statements) {
        const types = statement.rest
          ? "text[], int, text[], text, bigint[], bigint[], jsonb, jsonb, jsonb"
          : "text[], int, text[], text";
        await client.query(`prepare ${statement.name}(${types}) as ${statement.text}`);
        // PostgreSQL plans the first 5 executions for their values, then keeps the generic plan
        // only if a custom one does not look cheaper. Each claim is rolled back: the job stays.
        for (let call = 0; call < 12; call += 1) {
          await client.query("begin");
          const { rows } = await client.query(`execute ${statement.name}('{t}', 10, null, 'w'${statement.rest})`);
          await client.query("rollback");
          assert.equal(rows.length, 1, statement.name);
        }
        const { rows } = await client.query<{ generic_plans: string; custom_plans: string }>(
          "select generic_plans::text, custom_plans::text from pg_prepared_statements where name = $1",
          [statement.name],
        );
        assert.deepEqual(rows[0], { generic_plans: "7", custom_plans: "5" }, statement.name);
      }
    } finally {
      await client.query("deallocate all").catch(() => undefined);
      client.release();
    }
  },
);
