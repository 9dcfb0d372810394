/**
 * A result write that committed but whose reply was lost: the retry finds the
 * job gone and cannot apply the completion again. It must be reported
 * completed (the job is done), not refused; a completion whose job is still
 * there (someone else holds it now) is refused as before. Without a database:
 * a fake answers the statements.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Queryable, QueryResult } from "../../src/driver/driver.js";
import { silentLogger } from "../../src/logger/logger.js";
import { finishJobsSql, FinishJobsStatements } from "../../src/sql/finish-jobs.js";
import { JobCompleter, type FlushOutcome } from "../../src/completion/job-completer.js";

const SQL = finishJobsSql("graphile_worker");

/** Jobs that exist; the first finish statement applies its completions, then loses its reply. */
class FakeDatabase implements Queryable {
  readonly jobs: Set<string>;
  finishCalls = 0;
  existingCalls = 0;

  constructor(ids: string[]) {
    this.jobs = new Set(ids);
  }

  async query<Row>(text: string, values: readonly unknown[] = []): Promise<QueryResult<Row>> {
    const ids = String(values[0]).replace(/[{}]/g, "").split(",").filter(Boolean);
    if (text === SQL.finish) {
      this.finishCalls += 1;
      const applied = ids.filter((id) => this.jobs.delete(id));
      if (this.finishCalls === 1) throw new Error("Connection terminated unexpectedly"); // committed, reply lost
      return { rows: applied.map((id) => ({ id, outcome: "completed" })) as Row[], rowCount: applied.length };
    }
    if (text === SQL.existing) {
      this.existingCalls += 1;
      const rows = ids.filter((id) => this.jobs.has(id)).map((id) => ({ id }));
      return { rows: rows as Row[], rowCount: rows.length };
    }
    throw new Error(`unexpected statement: ${text.slice(0, 60)}`);
  }
}

function flusherOn(db: FakeDatabase, outcomes: FlushOutcome[]) {
  return new JobCompleter(
    new FinishJobsStatements(db, "graphile_worker"),
    "worker-1",
    { maxBatchSize: 100, delayMs: 1, retryDelayMs: 5, maxRetryDelayMs: 5 },
    silentLogger,
    (outcome) => outcomes.push(outcome),
  );
}

const applied = (outcomes: FlushOutcome[]) => outcomes.flatMap((o) => o.applied.map((r) => r.jobId)).sort();
const rejected = (outcomes: FlushOutcome[]) => outcomes.flatMap((o) => o.rejected.map((r) => r.jobId)).sort();

test("a completion written by a write whose reply was lost is reported completed after the retry", async () => {
  const db = new FakeDatabase(["1", "2"]);
  const outcomes: FlushOutcome[] = [];
  const flusher = flusherOn(db, outcomes);
  flusher.add({ jobId: "1", queued: false });
  flusher.add({ jobId: "2", queued: false });
  await flusher.flush();
  assert.equal(db.finishCalls, 2, "written, failed, retried");
  assert.equal(db.existingCalls, 1, "the retry looked the unapplied completions up");
  assert.deepEqual(applied(outcomes), ["1", "2"]);
  assert.deepEqual(rejected(outcomes), []);
});

test("a completion whose job is still there after a lost reply is refused, like every other", async () => {
  const db = new FakeDatabase(["3"]);
  // Job 4 is held by someone else: the first write does not apply it, and it still exists afterwards.
  const outcomes: FlushOutcome[] = [];
  const flusher = flusherOn(db, outcomes);
  const original = db.query.bind(db);
  db.query = async <Row>(text: string, values: readonly unknown[] = []) => {
    if (text === SQL.existing) return { rows: [{ id: "4" }] as Row[], rowCount: 1 };
    return original<Row>(text, values);
  };
  flusher.add({ jobId: "3", queued: false });
  flusher.add({ jobId: "4", queued: false });
  await flusher.flush();
  assert.deepEqual(applied(outcomes), ["3"]);
  assert.deepEqual(rejected(outcomes), ["4"]);
});

test("without a failed write nothing is looked up: a refused completion is refused at once", async () => {
  const db = new FakeDatabase([]);
  db.finishCalls = 1; // the next finish statement answers normally
  const outcomes: FlushOutcome[] = [];
  const flusher = flusherOn(db, outcomes);
  flusher.add({ jobId: "5", queued: false });
  await flusher.flush();
  assert.equal(db.existingCalls, 0);
  assert.deepEqual(rejected(outcomes), ["5"]);
});
