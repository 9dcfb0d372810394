/**
 * `stats`, `queues` and `workers` as child processes against a real database:
 * counts by state, task and queue; queue locks and waiting jobs with paging;
 * workers' heartbeat age, staleness and locked jobs. Table and JSON both.
 */
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase } from "../support/fixtures.js";
import { lines, spawnCli } from "./spawn-cli.js";

const db = await createMigratedDatabase("cli_overview");
const { utils, pool, connectionString } = db;
/** Generous: on a loaded machine a child process takes seconds just to start. */
const cli = (...args: string[]) => spawnCli(args, { databaseUrl: connectionString, timeoutMs: 180_000 });

async function json<T>(...args: string[]): Promise<T> {
  const result = await cli(...args, "--json");
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, "");
  return JSON.parse(result.stdout) as T;
}

const HOUR = 3_600_000;

before(async () => {
  // mail: 2 ready, 1 locked by worker-stale (the queue too); reports: 1 scheduled, 1 failed; no queue: 1 permanently failed.
  await utils.addJob("email", { n: 1 }, { queueName: "mail", runAt: new Date(Date.now() - 2 * HOUR) });
  await utils.addJob("email", { n: 2 }, { queueName: "mail" });
  const locked = await utils.addJob("email", { n: 3 }, { queueName: "mail" });
  await utils.addJob("report", {}, { queueName: "reports", runAt: new Date(Date.now() + HOUR) });
  const failed = await utils.addJob("report", {}, { queueName: "reports" });
  const permanent = await utils.addJob("resize", {}, { maxAttempts: 2 });
  const lockedElsewhere = await utils.addJob("resize", {});
  await pool.query(
    `update graphile_worker._private_jobs
        set locked_at = now(), locked_by = case when id = $1 then 'worker-stale' else 'worker-fresh' end, attempts = 1
      where id = any($2::bigint[])`,
    [locked.id, [locked.id, lockedElsewhere.id]],
  );
  await pool.query(
    "update graphile_worker._private_job_queues set locked_at = now() - interval '3 hours', locked_by = 'worker-stale' where queue_name = 'mail'",
  );
  await pool.query(
    "update graphile_worker._private_jobs set attempts = 1, last_error = 'boom', run_at = now() + interval '1 hour' where id = $1",
    [failed.id],
  );
  await pool.query("update graphile_worker._private_jobs set attempts = 2, last_error = 'gave up' where id = $1", [permanent.id]);
  await pool.query(
    `insert into graphile_worker._private_workers (worker_id, started_at, last_heartbeat_at) values
       ('worker-fresh', now() - interval '2 hours', now()),
       ('worker-stale', now() - interval '3 hours', now() - interval '1 hour')`,
  );
  // Queues for paging, with no jobs.
  for (const name of ["zz-a", "zz-b", "zz-c"]) {
    await pool.query("insert into graphile_worker._private_job_queues (queue_name) values ($1)", [name]);
  }
});

interface Stats {
  byState: Record<string, number>;
  byTask: Record<string, number>;
  byQueue: Record<string, number>;
  oldestReadyAgeMs: number | null;
  estimated: boolean;
  total: number;
}

describe("stats", { concurrency: 4 }, () => {
  test("--json: byState, byTask, byQueue, the oldest ready job's age, the total", async () => {
    const stats = await json<Stats>("stats");
    assert.deepEqual(stats.byState, { ready: 2, scheduled: 1, locked: 2, failed: 1, "permanently-failed": 1 });
    assert.deepEqual(stats.byTask, { email: 3, report: 2, resize: 2 });
    assert.deepEqual(stats.byQueue, { mail: 3, reports: 2 });
    assert.equal(stats.total, 7);
    assert.equal(stats.estimated, false);
    assert.deepEqual((await json<Stats>("stats", "--exact")).byState, stats.byState);
    // The oldest ready job's run_at is two hours back.
    assert.ok(stats.oldestReadyAgeMs !== null && stats.oldestReadyAgeMs >= 2 * HOUR, String(stats.oldestReadyAgeMs));
    assert.ok(stats.oldestReadyAgeMs < 3 * HOUR);
  });

  test("the table: states with a total, the oldest ready job, tasks and queues largest first", async () => {
    const result = await cli("stats");
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(lines(result.stdout), [
      "STATE               JOBS",
      "ready                  2",
      "scheduled              1",
      "locked                 2",
      "failed                 1",
      "permanently-failed     1",
      "total                  7",
      "",
      "Oldest ready job: waiting 2h",
      "",
      "TASK    JOBS",
      "email      3",
      "report     2",
      "resize     2",
      "",
      "QUEUE    JOBS",
      "mail        3",
      "reports     2",
    ]);
  });
});

interface Queue {
  queueName: string;
  lockedBy: string | null;
  lockedAt: string | null;
  waiting: number;
}

describe("queues", { concurrency: 4 }, () => {
  test("--json: name, lock holder, lock time, waiting jobs (not locked, not permanently failed)", async () => {
    const queues = await json<Queue[]>("queues");
    assert.deepEqual(
      queues.map((q) => [q.queueName, q.lockedBy, q.waiting]),
      [
        ["mail", "worker-stale", 2],
        ["reports", null, 2],
        ["zz-a", null, 0],
        ["zz-b", null, 0],
        ["zz-c", null, 0],
      ],
    );
    assert.ok(Date.now() - Date.parse(queues[0]!.lockedAt!) >= 3 * HOUR);
    assert.equal(queues[1]!.lockedAt, null);
  });

  test("paging by name with --limit and --after", async () => {
    const first = await json<Queue[]>("queues", "--limit", "2");
    const second = await json<Queue[]>("queues", "--limit", "2", "--after", first.at(-1)!.queueName);
    assert.deepEqual(
      [...first, ...second].map((q) => q.queueName),
      ["mail", "reports", "zz-a", "zz-b"],
    );
  });

  test("the table: aligned columns, paused or active, relative lock time, next page", async () => {
    await utils.pauseQueue("reports");
    try {
      const result = await cli("queues", "--limit", "3");
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(lines(result.stdout), [
        "QUEUE    STATE   LOCKED BY     LOCKED SINCE  WAITING",
        "mail     active  worker-stale  3h ago              2",
        "reports  paused  -             -                   2",
        "zz-a     active  -             -                   0",
        "",
        "Next page: --after zz-a",
      ]);
    } finally {
      await utils.resumeQueue("reports");
    }
  });
});

interface WorkerJson {
  workerId: string;
  heartbeatAgeMs: number;
  stale: boolean;
  jobsLocked: number;
  startedAt: string;
  lastHeartbeatAt: string;
}

describe("workers", { concurrency: 4 }, () => {
  test("--json: heartbeat age, stale after the sweep threshold (5 minutes), jobs locked", async () => {
    const workers = await json<WorkerJson[]>("workers");
    assert.deepEqual(
      workers.map((w) => [w.workerId, w.stale, w.jobsLocked]),
      [
        ["worker-stale", true, 1],
        ["worker-fresh", false, 1],
      ],
    );
    assert.ok(workers[0]!.heartbeatAgeMs >= HOUR);
    assert.ok(workers[1]!.heartbeatAgeMs < HOUR);
  });

  test("--stale-after decides which heartbeats are stale", async () => {
    const workers = await json<WorkerJson[]>("workers", "--stale-after", String(2 * HOUR));
    assert.deepEqual(
      workers.map((w) => w.stale),
      [false, false],
    );
  });

  test("the table", async () => {
    const result = await cli("workers");
    assert.equal(result.code, 0, result.stderr);
    const [header, stale, fresh] = lines(result.stdout);
    assert.equal(header, "WORKER        STARTED  HEARTBEAT  STATUS  JOBS LOCKED");
    assert.equal(stale, "worker-stale  3h ago   1h ago     stale             1");
    assert.match(fresh!, /^worker-fresh\s+2h ago\s+\d+[sm] ago\s+ok\s+1$/);
  });
});

describe("bad arguments: one line, exit 2", { concurrency: 4 }, () => {
  for (const [args, argument] of [
    [["queues", "--limit", "0"], "--limit"],
    [["queues", "--after", ""], "--after"],
    [["workers", "--stale-after", "-5"], "--stale-after"],
    [["stats", "--json", "--nope"], "--nope"],
  ] as const) {
    test(args.join(" "), async () => {
      const result = await cli(...args);
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stdout, "");
      const errors = lines(result.stderr);
      assert.equal(errors.length, 1);
      assert.ok(errors[0]!.includes(argument), errors[0]);
    });
  }
});
