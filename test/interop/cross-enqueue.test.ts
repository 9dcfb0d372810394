/**
 * Jobs cross over: added by graphile-worker 0.18 (its WorkerUtils, quickAddJob,
 * SQL add_job) and run by our worker, and added by us and run by
 * graphile-worker's runner, with identical payloads and job options.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { quickAddJob, type Job as ReferenceJob } from "graphile-worker";
import { type Job } from "../../src/index.js";
import { Collector, referenceSilentLogger, startReferenceRunner, waitUntil, within, openSharedDatabase } from "./support.js";
import { testWorker } from "../support/fixtures.js";

const TEST_TIMEOUT = { timeout: 30_000 };
const schema = "graphile_worker";
const { db, ours, theirs } = await openSharedDatabase("interop_cross_enqueue", schema);

/** Payloads that exercise JSON: unicode, escapes, numbers at the edges, nesting, null, empty containers. */
const PAYLOADS = [
  { text: 'héllo ✓ 🚀 "quoted" \\ back\nslash\ttab', n: 1.5, max: Number.MAX_SAFE_INTEGER, neg: -42, tiny: 1e-7 },
  { nested: { list: [1, "two", { three: null }, [], {}], flag: true, off: false }, empty: "" },
  {},
  { date: new Date("2024-02-29T12:34:56.789Z").toISOString(), unicodeKey: { ключ: "значение" } },
];

async function jobCount(): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(`select count(*)::int as n from "${schema}"._private_jobs`);
  return rows[0]!.n;
}

test(
  "jobs added by graphile-worker's addJob, quickAddJob and SQL add_job run on our worker with identical payloads",
  TEST_TIMEOUT,
  async () => {
    const expected: unknown[] = [];
    for (const [i, payload] of PAYLOADS.entries()) {
      const tagged = { ...payload, via: "makeWorkerUtils", i };
      await theirs.addJob("echo", tagged);
      expected.push(tagged);
    }
    for (const [i, payload] of PAYLOADS.entries()) {
      const tagged = { ...payload, via: "quickAddJob", i };
      await quickAddJob({ connectionString: db.connectionString, schema, logger: referenceSilentLogger }, "echo", tagged);
      expected.push(tagged);
    }
    for (const [i, payload] of PAYLOADS.entries()) {
      const tagged = { ...payload, via: "sql", i };
      await db.pool.query(`select "${schema}".add_job('echo', $1::json)`, [JSON.stringify(tagged)]);
      expected.push(tagged);
    }
    // With options: our worker sees them on ctx.job.
    await theirs.addJob(
      "echo",
      { via: "spec" },
      { queueName: "q_spec", priority: 3, maxAttempts: 7, jobKey: "spec-key", flags: ["a", "b"] },
    );

    const seen: Array<{ payload: unknown; job: Job }> = [];
    const worker = await testWorker(db, {
      schema,
      tasks: { echo: async (payload, ctx) => void seen.push({ payload, job: ctx.job }) },
    });
    await within(worker.runOnce(), "our worker drains the queue");
    assert.equal(seen.length, expected.length + 1);
    assert.deepEqual(
      seen
        .filter((entry) => (entry.payload as { via: string }).via !== "spec")
        .map((entry) => entry.payload)
        .sort(byTag),
      [...expected].sort(byTag),
    );
    const spec = seen.find((entry) => (entry.payload as { via: string }).via === "spec")!;
    assert.equal(spec.job.taskIdentifier, "echo");
    assert.equal(spec.job.queueName, "q_spec");
    assert.equal(spec.job.priority, 3);
    assert.equal(spec.job.maxAttempts, 7);
    assert.equal(spec.job.attempts, 1);
    assert.equal(spec.job.key, "spec-key");
    assert.deepEqual(spec.job.flags, { a: true, b: true });
    assert.equal(await jobCount(), 0);
  },
);

test("jobs added by our addJob and addJobs run on graphile-worker's runner with identical payloads", TEST_TIMEOUT, async () => {
  const expected: unknown[] = [];
  for (const [i, payload] of PAYLOADS.entries()) {
    const tagged = { ...payload, via: "addJob", i };
    await ours.addJob("echo", tagged);
    expected.push(tagged);
  }
  const bulk = PAYLOADS.map((payload, i) => ({ ...payload, via: "addJobs", i }));
  // Unkeyed jobs take our bulk INSERT path, keyed ones graphile-worker's add_jobs.
  await ours.addJobs(bulk.map((payload, i) => ({ identifier: "echo", payload, ...(i % 2 ? { jobKey: `bulk-${i}` } : {}) })));
  expected.push(...bulk);
  await ours.addJob(
    "echo",
    { via: "spec" },
    { queueName: "q_spec", priority: 3, maxAttempts: 7, jobKey: "spec-key", flags: ["a", "b"] },
  );

  const seen = new Collector<{ payload: unknown; job: ReferenceJob }>();
  const runner = await startReferenceRunner(db.connectionString, schema, {
    echo: async (payload, helpers) => seen.push({ payload, job: helpers.job }),
  });
  try {
    await seen.waitFor(expected.length + 1, "graphile-worker runs our jobs");
    // A task's return is seen before graphile-worker's completion of its job is committed:
    // wait for the table to empty while the runner still runs, rather than race its stop.
    await waitUntil("graphile-worker completes every job", async () => (await jobCount()) === 0);
  } finally {
    await within(runner.stop(), "graphile-worker's runner stops");
  }
  assert.deepEqual(
    seen.items
      .filter((entry) => (entry.payload as { via: string }).via !== "spec")
      .map((entry) => entry.payload)
      .sort(byTag),
    [...expected].sort(byTag),
  );
  const spec = seen.items.find((entry) => (entry.payload as { via: string }).via === "spec")!;
  assert.equal(spec.job.task_identifier, "echo");
  assert.equal(spec.job.priority, 3);
  assert.equal(spec.job.max_attempts, 7);
  assert.equal(spec.job.attempts, 1);
  assert.equal(spec.job.key, "spec-key");
  assert.deepEqual(spec.job.flags, { a: true, b: true });
  const { rows } = await db.pool.query<{ queue_name: string }>(
    `select queue_name from "${schema}"._private_job_queues where id = $1`,
    [spec.job.job_queue_id],
  );
  assert.equal(rows[0]?.queue_name, "q_spec");
  assert.equal(await jobCount(), 0);
});

test("the same job added by graphile-worker and by us is stored identically", TEST_TIMEOUT, async () => {
  const runAt = new Date(Date.now() + 3_600_000);
  const spec = { queueName: "q_rows", runAt, priority: -5, maxAttempts: 3, flags: ["x"] };
  const payload = { same: ["row", 1, null] };
  const a = await theirs.addJob("stored", payload, { ...spec, jobKey: "row-theirs" });
  const b = await ours.addJob("stored", payload, { ...spec, jobKey: "row-ours" });
  const { rows } = await db.pool.query(
    `select id::text, key, task_id, job_queue_id, payload::text as payload, priority, run_at, attempts, max_attempts,
       last_error, locked_at, locked_by, revision, flags, is_available
     from "${schema}"._private_jobs where id = any($1::bigint[]) order by key desc`,
    [[a.id, b.id]],
  );
  assert.equal(rows.length, 2);
  const strip = ({ id: _id, key: _key, ...rest }: Record<string, unknown>) => rest;
  assert.deepEqual(strip(rows[1]), strip(rows[0]), "graphile-worker's row and ours differ only in id and key");
  assert.equal(rows[0].payload, JSON.stringify(payload));
  assert.equal((rows[0].run_at as Date).getTime(), runAt.getTime());
  await ours.completeJobs([a.id, b.id]);
  assert.equal(await jobCount(), 0);
});

function byTag(a: unknown, b: unknown): number {
  const key = (value: unknown) => `${(value as { via: string }).via}:${(value as { i?: number }).i ?? ""}`;
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

/** Resolve once a connection opened since `since` is idle after LISTENing on jobs:insert (graphile-worker's listener). */
async function referenceIsListening(since: Date): Promise<void> {
  await waitUntil("graphile-worker listens on jobs:insert", async () => {
    const { rows } = await db.pool.query(
      `select 1 from pg_stat_activity
       where datname = current_database() and backend_start >= $1 and query like '%LISTEN "jobs:insert"%' and state = 'idle'`,
      [since],
    );
    return rows.length > 0;
  });
}

test("jobs:insert wakes the other side at once: no polling needed in either direction", TEST_TIMEOUT, async () => {
  const POLL_NEVER = 600_000;
  // graphile-worker's runner woken by our bulk addJobs (one INSERT, one notification with the count).
  const theirsRan = new Collector<number>();
  const { rows: clock } = await db.pool.query<{ now: Date }>("select clock_timestamp() as now");
  const runner = await startReferenceRunner(
    db.connectionString,
    schema,
    { wake: async (payload) => theirsRan.push((payload as { n: number }).n) },
    {
      pollInterval: POLL_NEVER,
    },
  );
  try {
    await referenceIsListening(clock[0]!.now);
    // Let its start-up fetch find the queue empty first.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await ours.addJobs([1, 2, 3, 4, 5].map((n) => ({ identifier: "wake", payload: { n } })));
    assert.deepEqual((await theirsRan.waitFor(5, "graphile-worker woken by our notification", 10_000)).sort(), [1, 2, 3, 4, 5]);
  } finally {
    await within(runner.stop(), "graphile-worker's runner stops");
  }

  // Our worker woken by graphile-worker's addJob.
  const oursRan = new Collector<number>();
  const worker = await testWorker(db, {
    schema,
    pollInterval: POLL_NEVER,
    tasks: { wake: async (payload) => oursRan.push((payload as { n: number }).n) },
  });
  const listening = new Promise<void>((resolve) => worker.events.once("listen:connect", () => resolve()));
  await worker.start();
  try {
    await within(listening, "our worker listens");
    await new Promise((resolve) => setTimeout(resolve, 200));
    await theirs.addJob("wake", { n: 6 });
    await theirs.addJobs([{ identifier: "wake", payload: { n: 7 } }]);
    assert.deepEqual((await oursRan.waitFor(2, "our worker woken by graphile-worker's notification", 10_000)).sort(), [6, 7]);
  } finally {
    await worker.stop();
  }
  assert.equal(await jobCount(), 0);
});
