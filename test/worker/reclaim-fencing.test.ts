/**
 * The mechanism behind same-worker fencing, without a database: a claim that
 * returns a job this worker still knows marks it, and only marked jobs'
 * results carry the claim's locked_at; results wait for a running claim, and
 * a write beside a slow claim checks every locked_at. (test/recovery/fencing.test.ts
 * checks the outcome in PostgreSQL.)
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Queryable, QueryResult } from "../../src/driver/driver.js";
import { silentLogger } from "../../src/logger/logger.js";
import { claimJobsSql } from "../../src/sql/claim-jobs.js";
import { finishJobsSql, FinishJobsStatements } from "../../src/sql/finish-jobs.js";
import { JobClaimer } from "../../src/worker/job-claimer.js";
import { JobCompleter, SLOW_CLAIM_MS, type FlushOutcome } from "../../src/completion/job-completer.js";

const SCHEMA = "graphile_worker";
const CLAIM_SQL = claimJobsSql(SCHEMA, 500);
const PLAIN_CLAIM_SQL = claimJobsSql(SCHEMA, 500, { carry: false });
const FINISH_SQL = finishJobsSql(SCHEMA);

function claimRow(id: string, lockedAtMs: number) {
  return {
    id,
    payload: {},
    priority: 0,
    attempts: 2,
    max_attempts: 25,
    last_error: null,
    key: null,
    revision: 0,
    flags: null,
    run_at_ms: lockedAtMs,
    created_at_ms: lockedAtMs,
    updated_at_ms: lockedAtMs,
    locked_at_ms: lockedAtMs,
    task_identifier: "t",
    queue_name: null,
    finished_id: null,
  };
}

/**
 * A Queryable that records statements (with the time each was sent) and
 * answers claims with `claimRows` (a claim can be held open). `nextFinish`
 * resolves when a finish statement arrives, so tests wait on it, not on timers.
 */
class FakeDatabase implements Queryable {
  readonly statements: Array<{ kind: "claim" | "finish"; values: readonly unknown[]; at: number }> = [];
  claimRows: ReturnType<typeof claimRow>[] = [];
  claimGate: Promise<void> = Promise.resolve();
  private finishWaiters: Array<() => void> = [];

  nextFinish(): Promise<void> {
    return new Promise((resolve) => this.finishWaiters.push(resolve));
  }

  async query<Row>(text: string, values: readonly unknown[] = []): Promise<QueryResult<Row>> {
    if (text === CLAIM_SQL || text === PLAIN_CLAIM_SQL) {
      this.statements.push({ kind: "claim", values, at: performance.now() });
      await this.claimGate;
      const rows = this.claimRows;
      this.claimRows = [];
      return { rows: rows as Row[], rowCount: rows.length };
    }
    if (text === FINISH_SQL.finish) {
      this.statements.push({ kind: "finish", values, at: performance.now() });
      for (const resolve of this.finishWaiters.splice(0)) resolve();
      const ids = String(values[0]).replace(/[{}]/g, "").split(",").filter(Boolean);
      return { rows: ids.map((id) => ({ id, outcome: "completed" })) as Row[], rowCount: ids.length };
    }
    throw new Error(`unexpected statement: ${text.slice(0, 60)}`);
  }
}

function setup(delayMs = 60_000) {
  const db = new FakeDatabase();
  const outcomes: FlushOutcome[] = [];
  const flusher = new JobCompleter(
    new FinishJobsStatements(db, SCHEMA),
    "worker-1",
    { maxBatchSize: 100, delayMs, retryDelayMs: 10, maxRetryDelayMs: 10 },
    silentLogger,
    (outcome) => outcomes.push(outcome),
  );
  const claimer = new JobClaimer(db, SCHEMA, "worker-1", ["t"], null, 500);
  return { db, flusher, claimer, outcomes };
}

test("a job claimed again while still known is fenced: its results carry locked_at, others do not", async () => {
  const { db, flusher, claimer } = setup();
  const firstClaim = new Date("2026-01-01T00:00:00.000Z");
  const secondClaim = Date.parse("2026-01-01T00:00:05.000Z");

  // Job 7 is still running from an earlier claim when the claim returns it again; job 8 is new.
  db.claimRows = [claimRow("7", secondClaim), claimRow("8", secondClaim)];
  const { jobs } = await flusher.claimWith(
    (results) => claimer.claim(10, results),
    () => new Set(["7"]),
  );
  assert.deepEqual(
    jobs.map((job) => job.id),
    ["7", "8"],
  );

  flusher.add({ jobId: "7", queued: false, lockedAt: firstClaim }); // the stale run's result
  flusher.add({ jobId: "8", queued: false, lockedAt: new Date(secondClaim) });
  await flusher.flush();

  const finish = db.statements.filter((s) => s.kind === "finish");
  assert.equal(finish.length, 1);
  const [completed, workerId, , , lockedAt] = finish[0]!.values;
  assert.equal(completed, "{7,8}");
  assert.equal(workerId, "worker-1");
  assert.deepEqual(JSON.parse(String(lockedAt)), { "7": firstClaim.getTime() }, "only the fenced job carries locked_at");
});

test("no job is fenced when the claim returns only unknown jobs", async () => {
  const { db, flusher, claimer } = setup();
  db.claimRows = [claimRow("9", Date.now())];
  await flusher.claimWith(
    (results) => claimer.claim(10, results),
    () => new Set(["1", "2"]),
  );
  flusher.add({ jobId: "9", queued: false, lockedAt: new Date() });
  await flusher.flush();
  const finish = db.statements.find((s) => s.kind === "finish");
  assert.equal(finish?.values[4], "{}");
});

test("results wait for a running claim; beside a slow claim they are written with every locked_at checked", async () => {
  const { db, flusher, claimer, outcomes } = setup(1);
  let openGate!: () => void;
  db.claimGate = new Promise((resolve) => (openGate = resolve));
  // Taken before the claim starts: the flusher times the claim from a moment no earlier than this.
  const claimCalledAt = performance.now();
  const claiming = flusher.claimWith(
    (results) => claimer.claim(10, results),
    () => new Set(),
  );
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(
    db.statements.map((s) => s.kind),
    ["claim"],
  );

  const lockedAt = new Date("2026-01-01T00:00:00.000Z");
  const written = db.nextFinish();
  flusher.add({ jobId: "3", queued: false, lockedAt });
  // The claim stays open until the write has happened: the write must go out beside it.
  await written;
  const finish = db.statements[1];
  assert.deepEqual(
    db.statements.map((s) => s.kind),
    ["claim", "finish"],
  );
  // However late a loaded machine runs the timers, the write never starts before the claim has run SLOW_CLAIM_MS.
  const waited = finish!.at - claimCalledAt;
  assert.ok(waited >= SLOW_CLAIM_MS, `the write waited for the claim (${waited.toFixed(1)}ms)`);
  assert.deepEqual(JSON.parse(String(finish!.values[4])), { "3": lockedAt.getTime() }, "every locked_at is checked");

  openGate();
  await claiming;
  await flusher.flush();
  assert.deepEqual(
    outcomes.flatMap((o) => o.applied.map((r) => r.jobId)),
    ["3"],
  );
});

test("a claim waits for the write in progress", async () => {
  const { db, flusher, claimer } = setup();
  flusher.add({ jobId: "4", queued: false, lockedAt: new Date() });
  const flushed = flusher.flush(); // starts the write now
  const claimed = flusher.claimWith(
    (results) => claimer.claim(10, results),
    () => new Set(),
  );
  await Promise.all([flushed, claimed]);
  assert.deepEqual(
    db.statements.map((s) => s.kind),
    ["finish", "claim"],
  );
});
