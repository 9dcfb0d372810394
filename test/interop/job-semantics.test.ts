/**
 * The same job semantics on both sides of one database: job keys and their
 * modes applied by graphile-worker 0.18 then by us (and the other way round),
 * priority order, forbidden flags, future run_at, max_attempts and the failure
 * backoff, and the last_error each side writes for the same thrown value.
 */
import { beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import type { TaskSpec } from "graphile-worker";
import { type JobSpec } from "../../src/index.js";
import { waitUntilNoJobLocked, testWorker } from "../support/fixtures.js";
import { runReferenceOnce, within, openSharedDatabase } from "./support.js";
import { THROWN_CASES } from "../worker/fixtures/thrown-values.js";

const TEST_TIMEOUT = { timeout: 30_000 };
const schema = "graphile_worker";
const { db, ours, theirs } = await openSharedDatabase("interop_job_semantics", schema);

beforeEach(async () => {
  await db.pool.query(`delete from "${schema}"._private_jobs`);
  await db.pool.query(`delete from "${schema}"._private_job_queues`);
});

type Side = "theirs" | "ours";
const SIDES: readonly Side[] = ["theirs", "ours"];
type Handler = (payload: unknown) => Promise<void>;

/** Add a job with graphile-worker's WorkerUtils or ours, the same spec. */
async function addWith(side: Side, identifier: string, payload: unknown, spec: JobSpec = {}): Promise<void> {
  if (side === "theirs") await theirs.addJob(identifier, payload, spec as TaskSpec);
  else await ours.addJob(identifier, payload, spec);
}

/** Run every runnable job once with graphile-worker's runOnce or our worker's runOnce (one at a time). */
async function runOnceWith(side: Side, tasks: Record<string, Handler>, forbiddenFlags?: string[]): Promise<void> {
  if (side === "theirs") {
    await runReferenceOnce(
      db.connectionString,
      schema,
      Object.fromEntries(Object.entries(tasks).map(([name, run]) => [name, (payload: unknown) => run(payload)])),
      forbiddenFlags ? { forbiddenFlags } : {},
    );
    await waitUntilNoJobLocked(db.pool, schema);
  } else {
    const worker = await testWorker(db, {
      schema,
      concurrency: 1,
      tasks,
      ...(forbiddenFlags ? { forbiddenFlags } : {}),
    });
    await within(worker.runOnce(), "our runOnce");
  }
}

interface KeyedRow {
  payload: unknown;
  run_at: Date;
  attempts: number;
  max_attempts: number;
  priority: number;
  has_key: boolean;
  locked: boolean;
  revision: number;
}

async function rowsOfTask(identifier: string): Promise<KeyedRow[]> {
  const { rows } = await db.pool.query<KeyedRow>(
    `select j.payload, j.run_at, j.attempts, j.max_attempts, j.priority, j.key is not null as has_key,
       j.locked_by is not null as locked, j.revision
     from "${schema}"._private_jobs j join "${schema}"._private_tasks t on t.id = j.task_id
     where t.identifier = $1 order by j.id`,
    [identifier],
  );
  return rows;
}

test(
  "job key modes give the same rows whichever side adds first and second, also while the job is locked",
  TEST_TIMEOUT,
  async () => {
    const t1 = new Date(Date.now() + 3_600_000);
    const t2 = new Date(Date.now() + 7_200_000);
    const modes = ["replace", "preserve_run_at", "unsafe_dedupe"] as const;
    const outcomes = new Map<string, KeyedRow[]>();
    let n = 0;
    for (const mode of modes) {
      for (const locked of [false, true]) {
        for (const first of SIDES) {
          for (const second of SIDES) {
            const identifier = `keyed_${n++}`;
            const key = `key-${identifier}`;
            await addWith(first, identifier, { v: 1 }, { jobKey: key, runAt: t1, priority: 1, maxAttempts: 5 });
            if (locked) {
              await db.pool.query(
                `update "${schema}"._private_jobs set locked_at = now(), locked_by = 'elsewhere', attempts = 1 where key = $1`,
                [key],
              );
            }
            await addWith(
              second,
              identifier,
              { v: 2 },
              { jobKey: key, jobKeyMode: mode, runAt: t2, priority: 2, maxAttempts: 6 },
            );
            const rows = await rowsOfTask(identifier);
            const label = `${mode}${locked ? " (locked)" : ""}`;
            const seen = outcomes.get(label);
            if (seen) assert.deepEqual(rows, seen, `${label}: ${first} then ${second}`);
            else outcomes.set(label, rows);
          }
        }
      }
    }
    // And they are what graphile-worker documents.
    const current = (label: string) => outcomes.get(label)!.filter((row) => row.has_key);
    assert.deepEqual(
      current("replace").map((r) => [r.payload, r.run_at.getTime(), r.priority, r.max_attempts]),
      [[{ v: 2 }, t2.getTime(), 2, 6]],
    );
    assert.deepEqual(
      current("preserve_run_at").map((r) => [r.payload, r.run_at.getTime(), r.priority]),
      [[{ v: 2 }, t1.getTime(), 2]],
    );
    assert.deepEqual(
      current("unsafe_dedupe").map((r) => [r.payload, r.run_at.getTime(), r.priority]),
      [[{ v: 1 }, t1.getTime(), 1]],
    );
    assert.equal(outcomes.get("unsafe_dedupe (locked)")!.length, 1, "unsafe_dedupe keeps the locked job and adds none");
    const lockedReplace = outcomes.get("replace (locked)")!;
    assert.equal(lockedReplace.length, 2, "replace on a locked job: the running one loses its key, a new one is added");
    assert.deepEqual(
      lockedReplace.map((r) => [r.has_key, r.locked, r.payload]),
      [
        [false, true, { v: 1 }],
        [true, false, { v: 2 }],
      ],
    );
    assert.equal(lockedReplace[0]!.attempts, lockedReplace[0]!.max_attempts, "the retired job will not run again");
  },
);

test("both sides run jobs in priority order, whoever added them", TEST_TIMEOUT, async () => {
  const priorities = [5, -3, 0, 10, -10, 2, 7, -1];
  for (const side of SIDES) {
    for (const [i, priority] of priorities.entries()) await addWith(SIDES[i % 2]!, "ordered", { priority }, { priority });
    const order: number[] = [];
    await runOnceWith(side, { ordered: async (payload) => void order.push((payload as { priority: number }).priority) });
    assert.deepEqual(
      order,
      [...priorities].sort((a, b) => a - b),
      `${side} runs by priority`,
    );
  }
});

test("forbidden flags, future run_at and exhausted attempts: both sides refuse the same jobs", TEST_TIMEOUT, async () => {
  const cases: Array<{ tag: string; spec: JobSpec; runnable: boolean }> = [
    { tag: "plain", spec: {}, runnable: true },
    { tag: "flag-z", spec: { flags: ["z"] }, runnable: true },
    { tag: "flag-x", spec: { flags: ["x"] }, runnable: false },
    { tag: "flag-y", spec: { flags: ["y"] }, runnable: false },
    { tag: "flag-x-z", spec: { flags: ["z", "x"] }, runnable: false },
    { tag: "future", spec: { runAt: new Date(Date.now() + 3_600_000) }, runnable: false },
    { tag: "past", spec: { runAt: new Date(Date.now() - 3_600_000) }, runnable: true },
    { tag: "exhausted", spec: { jobKey: "exhausted", maxAttempts: 2 }, runnable: false },
  ];
  const results: Record<string, string[]> = {};
  for (const side of SIDES) {
    await db.pool.query(`delete from "${schema}"._private_jobs`);
    for (const [i, { tag, spec }] of cases.entries()) await addWith(SIDES[i % 2]!, "flagged", { tag }, spec);
    await db.pool.query(`update "${schema}"._private_jobs set attempts = max_attempts where key = 'exhausted'`);
    const ran: string[] = [];
    await runOnceWith(side, { flagged: async (payload) => void ran.push((payload as { tag: string }).tag) }, ["x", "y"]);
    results[side] = ran.sort();
    const { rows } = await db.pool.query<{ tag: string }>(
      `select payload->>'tag' as tag from "${schema}"._private_jobs order by 1`,
    );
    assert.deepEqual(
      rows.map((row) => row.tag),
      cases
        .filter((c) => !c.runnable)
        .map((c) => c.tag)
        .sort(),
      `${side} left the refused jobs untouched`,
    );
  }
  assert.deepEqual(
    results.theirs,
    cases
      .filter((c) => c.runnable)
      .map((c) => c.tag)
      .sort(),
  );
  assert.deepEqual(results.ours, results.theirs);
});

test(
  "a failing task: attempts, last_error, exp(attempts) backoff and max_attempts are the same on both sides",
  TEST_TIMEOUT,
  async () => {
    interface Attempt {
      attempts: number;
      available: boolean;
      hasError: boolean;
      backoffOk: boolean;
    }
    const results: Record<string, Attempt[]> = {};
    for (const side of SIDES) {
      const identifier = `failing_${side}`;
      await addWith(side === "ours" ? "theirs" : "ours", identifier, { side }, { maxAttempts: 2 });
      const attempts: Attempt[] = [];
      for (let attempt = 1; attempt <= 3; attempt++) {
        const { rows: before } = await db.pool.query<{ now: Date }>("select clock_timestamp() as now");
        await runOnceWith(side, { [identifier]: async () => Promise.reject(new Error(`kaboom on ${side}`)) });
        const { rows: after } = await db.pool.query<{ now: Date }>("select clock_timestamp() as now");
        const { rows } = await db.pool.query<{
          attempts: number;
          is_available: boolean;
          last_error: string | null;
          run_at: Date;
        }>(
          `select j.attempts, j.is_available, j.last_error, j.run_at from "${schema}"._private_jobs j
         join "${schema}"._private_tasks t on t.id = j.task_id where t.identifier = $1`,
          [identifier],
        );
        const row = rows[0]!;
        // run_at = greatest(now(), run_at) + exp(least(attempts, 10)) seconds, now() taken during the run.
        const backoffMs = Math.exp(Math.min(row.attempts, 10)) * 1000;
        const earliest = before[0]!.now.getTime() + backoffMs - 5;
        const latest = after[0]!.now.getTime() + backoffMs + 5;
        attempts.push({
          attempts: row.attempts,
          available: row.is_available,
          // The message only, exactly as graphile-worker writes it.
          hasError: row.last_error === `kaboom on ${side}`,
          backoffOk: row.run_at.getTime() >= earliest && row.run_at.getTime() <= latest,
        });
        if (attempt < 3) assert.ok(attempts.at(-1)!.backoffOk, `${side} attempt ${attempt}: run_at ${row.run_at.toISOString()}`);
        // Make it runnable again now, keeping attempts.
        await db.pool.query(
          `update "${schema}"._private_jobs j set run_at = now() from "${schema}"._private_tasks t
         where t.id = j.task_id and t.identifier = $1`,
          [identifier],
        );
      }
      results[side] = attempts;
    }
    const expected: Attempt[] = [
      { attempts: 1, available: true, hasError: true, backoffOk: true },
      { attempts: 2, available: false, hasError: true, backoffOk: true },
      // A third runOnce finds nothing to run: the job stays permanently failed (run_at was moved by us).
      { attempts: 2, available: false, hasError: true, backoffOk: false },
    ];
    assert.deepEqual(results.theirs, expected);
    assert.deepEqual(results.ours, expected);
  },
);

test("the same thrown values leave the same last_error on both sides", TEST_TIMEOUT, async () => {
  // Only the values graphile-worker survives (see the fixture); the others are checked on our side in test/worker.
  const cases = THROWN_CASES.filter((c) => c.reference);
  const written: Record<Side, Array<[string, string | null]>> = { theirs: [], ours: [] };
  for (const side of SIDES) {
    await db.pool.query(`delete from "${schema}"._private_jobs`);
    const tasks: Record<string, Handler> = {};
    for (const [i, c] of cases.entries()) {
      tasks[`throws_${i}`] = async () => {
        throw c.value();
      };
      await addWith(side, `throws_${i}`, {}, { maxAttempts: 1 });
    }
    await runOnceWith(side, tasks);
    const { rows } = await db.pool.query<{ identifier: string; last_error: string | null }>(
      `select t.identifier, j.last_error from "${schema}"._private_jobs j
       join "${schema}"._private_tasks t on t.id = j.task_id order by j.id`,
    );
    written[side] = rows.map((row) => [cases[Number(row.identifier.slice("throws_".length))]!.name, row.last_error]);
  }
  const expected = cases.map((c): [string, string | null] => [c.name, c.lastError]);
  assert.deepEqual(written.theirs, expected, "graphile-worker writes what the fixture expects");
  assert.deepEqual(written.ours, written.theirs);
});
