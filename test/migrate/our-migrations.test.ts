/**
 * The objects of our own migrations: 21 (add_jobs safe against the job-key
 * race) and 22 (worker heartbeats and dead-worker recovery).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { Logger, runMigrations as runReferenceMigrations } from "graphile-worker";
import { PgDriver } from "../../src/driver/pg-driver.js";
import { silentLogger } from "../../src/logger/logger.js";
import { runMigrations } from "../../src/migrate/migrate.js";
import { createTestDatabase } from "../support/database.js";

const db = await createTestDatabase("migrate_ours");
const driver = new PgDriver({ connectionString: db.connectionString });
after(() => driver.close());

const S = "graphile_worker";

before(async () => {
  await runMigrations({ driver, logger: silentLogger });
});

async function sql<Row = Record<string, unknown>>(text: string, values?: unknown[]): Promise<Row[]> {
  return (await driver.query<Row>(text, values)).rows;
}

async function openClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: db.connectionString });
  await client.connect();
  after(() => client.end().catch(() => undefined));
  return client;
}

/** Resolve once backend `pid` is waiting on a lock held by backend `holderPid`. */
async function blockedBy(pid: number, holderPid: number): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const [row] = await sql<{ blocked: boolean }>("select $2::int = any(pg_blocking_pids($1)) as blocked", [pid, holderPid]);
    if (row?.blocked) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`backend ${pid} never blocked on ${holderPid}`);
}

async function resetTables(): Promise<void> {
  await sql(`delete from ${S}._private_jobs; delete from ${S}._private_job_queues; delete from ${S}._private_workers`);
}

test("worker_heartbeat upserts the worker row; metadata is kept unless a new one is given", async () => {
  await resetTables();
  await sql(`select ${S}.worker_heartbeat('w1', '{"host":"a"}'::jsonb)`);
  await sql(`select ${S}.worker_heartbeat('w2')`);
  const [first] = await sql<{ started_at: Date; last_heartbeat_at: Date; metadata: unknown }>(
    `select started_at, last_heartbeat_at, metadata from ${S}._private_workers where worker_id = 'w1'`,
  );
  assert.deepEqual(first!.metadata, { host: "a" });
  assert.equal(first!.started_at.getTime(), first!.last_heartbeat_at.getTime());

  await sql(`update ${S}._private_workers set last_heartbeat_at = now() - interval '1 hour' where worker_id = 'w1'`);
  await sql(`select ${S}.worker_heartbeat('w1')`);
  const [second] = await sql<{ started_at: Date; last_heartbeat_at: Date; metadata: unknown; fresh: boolean }>(
    `select started_at, last_heartbeat_at, metadata, last_heartbeat_at > now() - interval '1 minute' as fresh
     from ${S}._private_workers where worker_id = 'w1'`,
  );
  assert.equal(second!.fresh, true);
  assert.deepEqual(second!.metadata, { host: "a" }, "null metadata keeps the stored one");
  assert.equal(second!.started_at.getTime(), first!.started_at.getTime(), "started_at never changes");

  await sql(`select ${S}.worker_heartbeat('w1', '{"host":"b"}'::jsonb)`);
  assert.deepEqual(await sql(`select metadata from ${S}._private_workers where worker_id = 'w1'`), [{ metadata: { host: "b" } }]);

  await sql(`select ${S}.worker_deregister('w1')`);
  assert.deepEqual(await sql(`select worker_id from ${S}._private_workers order by 1`), [{ worker_id: "w2" }]);
});

test("list_stale_workers returns workers whose last heartbeat is older than the threshold", async () => {
  await resetTables();
  for (const id of ["w-fresh", "w-old-b", "w-old-a"]) await sql(`select ${S}.worker_heartbeat($1)`, [id]);
  await sql(`update ${S}._private_workers set last_heartbeat_at = now() - interval '2 minutes' where worker_id like 'w-old%'`);
  assert.deepEqual(await sql(`select * from ${S}.list_stale_workers(interval '1 minute')`), [
    { worker_id: "w-old-a" },
    { worker_id: "w-old-b" },
  ]);
  assert.deepEqual(await sql(`select * from ${S}.list_stale_workers(interval '1 hour')`), []);
});

test("list_orphan_locked_workers finds long-held locks of workers without a heartbeat row", async () => {
  await resetTables();
  await sql(`select ${S}.worker_heartbeat('ours-1')`);
  await sql(`select ${S}.add_job('t', '{}', queue_name => 'q' || n) from generate_series(1, 5) as n`);
  const lock = (n: number, worker: string, age: string) =>
    sql(
      `update ${S}._private_jobs set locked_by = $1, locked_at = now() - $2::interval
       where job_queue_id = (select id from ${S}._private_job_queues where queue_name = $3)`,
      [worker, age, `q${n}`],
    );
  await lock(1, "node-old", "5 hours");
  await lock(2, "node-old", "6 hours");
  await lock(3, "node-recent", "1 hour");
  await lock(4, "ours-1", "5 hours");
  await sql(
    `update ${S}._private_job_queues set locked_by = 'node-queue-only', locked_at = now() - interval '5 hours' where queue_name = 'q5'`,
  );

  assert.deepEqual(await sql(`select * from ${S}.list_orphan_locked_workers(interval '4 hours')`), [
    { worker_id: "node-old" },
    { worker_id: "node-queue-only" },
  ]);
  assert.deepEqual(
    (await sql<{ worker_id: string }>(`select * from ${S}.list_orphan_locked_workers(interval '30 minutes')`)).map(
      (r) => r.worker_id,
    ),
    ["node-old", "node-queue-only", "node-recent"],
  );
});

test("recover_dead_worker_jobs unlocks the dead workers' jobs and queues, delays them and reports them", async () => {
  await resetTables();
  const [a] = await sql<{ id: string }>(`select id from ${S}.add_job('t', '{}', queue_name => 'qa')`);
  const [b] = await sql<{ id: string }>(`select id from ${S}.add_job('t', '{}', run_at => '2100-01-01Z')`);
  const [c] = await sql<{ id: string }>(`select id from ${S}.add_job('t', '{}', queue_name => 'qc')`);
  await sql(`update ${S}._private_jobs set locked_by = 'dead', locked_at = now(), attempts = 1 where id = any($1::bigint[])`, [
    [a!.id, b!.id],
  ]);
  await sql(`update ${S}._private_jobs set locked_by = 'alive', locked_at = now(), attempts = 1 where id = $1`, [c!.id]);
  await sql(`update ${S}._private_job_queues set locked_by = 'dead', locked_at = now() where queue_name = 'qa'`);
  await sql(`update ${S}._private_job_queues set locked_by = 'alive', locked_at = now() where queue_name = 'qc'`);

  const notifications: string[] = [];
  let resolveNotified!: () => void;
  const notified = new Promise<void>((resolve) => (resolveNotified = resolve));
  const subscription = await driver.listen(["jobs:insert"], (n) => {
    notifications.push(n.payload ?? "");
    resolveNotified();
  });
  try {
    const recovered = await sql(`select * from ${S}.recover_dead_worker_jobs(array['dead'], interval '30 seconds')`);
    assert.deepEqual(recovered, [
      { job_id: a!.id, worker_id: "dead" },
      { job_id: b!.id, worker_id: "dead" },
    ]);
    await notified;
  } finally {
    await subscription.close();
  }
  assert.equal(JSON.parse(notifications[0]!).count, 2);

  const jobs = await sql<{
    id: string;
    locked_by: string | null;
    attempts: number;
    delayed: boolean;
    far: boolean;
    is_available: boolean;
  }>(
    `select id, locked_by, attempts, is_available,
            run_at >= now() + interval '29 seconds' as delayed, run_at = '2100-01-01Z' as far
     from ${S}._private_jobs order by id`,
  );
  assert.deepEqual(jobs, [
    { id: a!.id, locked_by: null, attempts: 1, is_available: true, delayed: true, far: false },
    { id: b!.id, locked_by: null, attempts: 1, is_available: true, delayed: true, far: true },
    { id: c!.id, locked_by: "alive", attempts: 1, is_available: false, delayed: false, far: false },
  ]);
  assert.deepEqual(await sql(`select queue_name, locked_by from ${S}._private_job_queues order by queue_name`), [
    { queue_name: "qa", locked_by: null },
    { queue_name: "qc", locked_by: "alive" },
  ]);
  assert.deepEqual(await sql(`select * from ${S}.recover_dead_worker_jobs(array['dead'])`), [], "nothing left to recover");
});

test("delete_stale_workers deletes the given workers and returns how many", async () => {
  await resetTables();
  for (const id of ["x1", "x2", "x3"]) await sql(`select ${S}.worker_heartbeat($1)`, [id]);
  assert.deepEqual(await sql(`select ${S}.delete_stale_workers(array['x1', 'x3', 'unknown']) as n`), [{ n: 2 }]);
  assert.deepEqual(await sql(`select ${S}.delete_stale_workers(array[]::text[]) as n`), [{ n: 0 }]);
  assert.deepEqual(await sql(`select worker_id from ${S}._private_workers`), [{ worker_id: "x2" }]);
});

/**
 * The job-key race: a worker claims the keyed job while add_job replaces it.
 * The claim is still uncommitted when add_job starts; with graphile-worker
 * 0.18's add_jobs the upsert then waits, finds the job locked and schedules
 * nothing. With migration 21 add_jobs waits up front, sees the claim, retires
 * the running job and schedules a new one.
 */
async function raceAddJobAgainstClaim(schema: string): Promise<{ id: string | null; key: string | null }> {
  const quoted = `"${schema}"`;
  await sql(`delete from ${quoted}._private_jobs`);
  const [original] = await sql<{ id: string }>(`select id from ${quoted}.add_job('t', '{"v":1}', job_key => 'race')`);
  const worker = await openClient();
  const caller = await openClient();
  const callerPid = (await caller.query("select pg_backend_pid() as pid")).rows[0].pid as number;
  const workerPid = (await worker.query("select pg_backend_pid() as pid")).rows[0].pid as number;
  await worker.query("begin");
  await worker.query(
    `update ${quoted}._private_jobs set locked_at = now(), locked_by = 'w', attempts = attempts + 1 where id = $1`,
    [original!.id],
  );
  const added = caller.query(`select id, key from ${quoted}.add_job('t', '{"v":2}', job_key => 'race')`);
  await blockedBy(callerPid, workerPid);
  await worker.query("commit");
  const { rows } = await added;
  return rows[0];
}

test("migration 21: add_job replacing a key while a worker claims it still schedules the job", async () => {
  const result = await raceAddJobAgainstClaim(S);
  assert.ok(result.id !== null, "a job was scheduled");
  assert.equal(result.key, "race");
  const jobs = await sql(`select key, locked_by, payload::text, attempts, max_attempts from ${S}._private_jobs order by id`);
  assert.deepEqual(jobs, [
    { key: null, locked_by: "w", payload: '{"v":1}', attempts: 25, max_attempts: 25 },
    { key: "race", locked_by: null, payload: '{"v":2}', attempts: 0, max_attempts: 25 },
  ]);
});

test("migration 21 is needed: graphile-worker 0.18's add_jobs loses the job in the same race", async () => {
  await runReferenceMigrations({
    connectionString: db.connectionString,
    schema: "reference",
    logger: new Logger(() => () => undefined),
  });
  const result = await raceAddJobAgainstClaim("reference");
  assert.equal(result.id, null, "nothing scheduled without migration 21");
});

test("migration 21: concurrent add_jobs on the same key wait on the job-key advisory lock", async () => {
  await resetTables();
  const first = await openClient();
  const second = await openClient();
  const firstPid = (await first.query("select pg_backend_pid() as pid")).rows[0].pid as number;
  const secondPid = (await second.query("select pg_backend_pid() as pid")).rows[0].pid as number;
  await first.query("begin");
  await first.query(`select ${S}.add_job('t', '{"n":1}', job_key => 'shared')`);
  const pending = second.query(`select revision, payload::text from ${S}.add_job('t', '{"n":2}', job_key => 'shared')`);
  await blockedBy(secondPid, firstPid);
  const [waiting] = await sql<{ locktype: string }>(`select locktype from pg_locks where pid = $1 and not granted`, [secondPid]);
  assert.equal(waiting!.locktype, "advisory");
  await first.query("commit");
  assert.deepEqual((await pending).rows, [{ revision: 1, payload: '{"n":2}' }]);
});
