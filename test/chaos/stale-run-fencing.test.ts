/**
 * Chaos (end to end, 2 workers, several jobs): worker A's runs are recovered
 * while they run (what a sweeper does to a worker it judged dead) and worker B
 * re-claims and runs the jobs. A's stale runs then finish — some before B's
 * run, some after, some by failing — and every one of their results must be
 * refused: each job is completed by B's run only, and its row is deleted
 * exactly once. (test/recovery/fencing.test.ts covers the single-job cases.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createWorker, type Worker } from "../../src/worker/worker.js";
import { silentLogger } from "../../src/logger/logger.js";
import { countEvents, deferred } from "../support/fixtures.js";
import { saveRuns, startPrivateDatabase, within, type Run } from "./support.js";

const JOBS = 6;
/** n of the jobs whose stale run ends after B completed them (the others: before). */
const STALE_AFTER_COMPLETION = [1, 2, 3];
/** n of the jobs whose stale run fails instead of succeeding. */
const STALE_FAILS = [3, 6];

const db = await startPrivateDatabase("fencing");

test(
  "results of recovered runs are refused; each job is completed once, by the run that re-claimed it",
  { timeout: 60_000 },
  async (t) => {
    await db.pool
      .query(`create table deletions (job_id bigint not null, deleted_at timestamptz not null default clock_timestamp());
    create function record_deletion() returns trigger language plpgsql as $$
      begin insert into deletions (job_id) values (old.id); return old; end $$;
    create trigger record_deletion after delete on graphile_worker._private_jobs
      for each row execute function record_deletion();`);

    const gate = (label: string) => Array.from({ length: JOBS + 1 }, () => ({ started: deferred(), finish: deferred(), label }));
    const gates = { a: gate("A"), b: gate("B") };
    const runs: Run[] = [];
    const task =
      (side: "a" | "b") => async (payload: unknown, ctx: { job: { id: string; attempts: number }; workerId: string }) => {
        const n = (payload as { n: number }).n;
        const startedAt = new Date();
        gates[side][n]!.started.resolve();
        // Ignores ctx.signal on purpose: a stale run that does not notice it lost its lock.
        await gates[side][n]!.finish.promise;
        runs.push({ n, jobId: ctx.job.id, worker: ctx.workerId, attempt: ctx.job.attempts, startedAt, finishedAt: new Date() });
        if (side === "a" && STALE_FAILS.includes(n)) throw new Error("stale run failed late");
      };
    const options = {
      connectionString: db.connectionString,
      logger: silentLogger,
      handleSignals: false,
      migrate: false,
      pollInterval: 200,
    };
    // A may claim only in its first claim, so after the recovery the jobs go to B.
    let claims = 0;
    const a = await createWorker({
      ...options,
      concurrency: JOBS,
      forbiddenFlags: () => (claims++ === 0 ? null : ["fenced"]),
      tasks: { work: task("a") },
    });
    const b = await createWorker({ ...options, concurrency: JOBS, tasks: { work: task("b") } });
    const outcomes = (w: Worker) => {
      const seen = new Map<string, string>();
      w.events.on("job:complete", (e) => seen.set(e.jobId, e.outcome));
      return seen;
    };
    const aOutcomes = outcomes(a);
    const bOutcomes = outcomes(b);
    const jobs = await db.utils.addJobs(
      Array.from({ length: JOBS }, (_, i) => ({ identifier: "work", payload: { n: i + 1 }, flags: ["fenced"] })),
    );
    const idOf = (n: number) => jobs[n - 1]!.id;
    const ns = Array.from({ length: JOBS }, (_, i) => i + 1);
    const release = (side: "a" | "b", list: number[]) => list.forEach((n) => gates[side][n]!.finish.resolve());

    await a.start();
    try {
      await within(Promise.all(ns.map((n) => gates.a[n]!.started.promise)), "A runs every job");
      const { rows: recovered } = await db.pool.query(
        "select job_id::text as id from graphile_worker.recover_dead_worker_jobs(array[$1::text], '0 seconds') order by job_id",
        [a.workerId],
      );
      assert.deepEqual(
        recovered.map((r) => r.id),
        ns.map(idOf),
        "the recovery released all of A's jobs",
      );
      await b.start();
      await within(Promise.all(ns.map((n) => gates.b[n]!.started.promise)), "B re-claims and runs every job");

      // Jobs 1-3: B completes first, then A's stale run ends (the row is already gone).
      const late = STALE_AFTER_COMPLETION;
      let done = countEvents(b, "job:complete", late.length);
      release("b", late);
      await done;
      done = countEvents(a, "job:complete", late.length);
      release("a", late);
      await done;

      // Jobs 4-6: A's stale run ends while B's run still holds the job.
      const early = ns.filter((n) => !late.includes(n));
      done = countEvents(a, "job:complete", early.length);
      release("a", early);
      await done;
      const { rows: held } = await db.pool.query(
        "select id::text as id, locked_by, attempts, last_error from graphile_worker._private_jobs order by id",
      );
      assert.deepEqual(
        held,
        early.map((n) => ({ id: idOf(n), locked_by: b.workerId, attempts: 2, last_error: null })),
        "the stale results (completions and failures) changed nothing: B's runs still hold their jobs",
      );
      done = countEvents(b, "job:complete", early.length);
      release("b", early);
      await done;
    } finally {
      release("a", ns);
      release("b", ns);
      await within(Promise.all([a.stop({ timeoutMs: 5000 }), b.stop({ timeoutMs: 5000 })]), "the workers stop", 20_000);
    }

    assert.deepEqual(
      [...aOutcomes.values()],
      ns.map(() => "rejected"),
      "every stale result was refused",
    );
    assert.deepEqual(
      ns.map((n) => bOutcomes.get(idOf(n))),
      ns.map(() => "completed"),
      "B completed every job",
    );
    await saveRuns(db, runs);
    const { rows: perJob } = await db.pool.query(
      `select r.n, array_agg(r.worker || '#' || r.attempt order by r.attempt) as runs,
       (select count(*)::int from deletions d where d.job_id = r.job_id) as deletions
     from runs r group by r.n, r.job_id order by r.n`,
    );
    assert.deepEqual(
      perJob,
      ns.map((n) => ({ n, runs: [`${a.workerId}#1`, `${b.workerId}#2`], deletions: 1 })),
      "both runs of each job happened; its row was deleted exactly once",
    );
    const { rows: left } = await db.pool.query("select count(*)::int as n from graphile_worker._private_jobs");
    assert.equal(left[0].n, 0, "every job completed");
    t.diagnostic(
      `${JOBS} jobs recovered from A mid-run and re-run by B; ${JOBS} stale results refused (${STALE_FAILS.length} failures)`,
    );
  },
);
