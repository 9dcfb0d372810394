/** inClaimOrder: the transaction claim's jobs start in claim order (priority, run_at, id) whatever order they came in. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { inClaimOrder, type TxClaimTuple } from "../../src/sql/transaction-claim.js";

function tuple(id: string, priority: number, runAtMs: number): TxClaimTuple {
  return [id, {}, priority, 0, 25, null, null, 0, null, runAtMs, 0, 0, 1];
}

test("jobs already in claim order are returned as they are (same array, no sort)", () => {
  const jobs = [tuple("9", -1, 5), tuple("10", 0, 1), tuple("2", 0, 2), tuple("3", 0, 2), tuple("1", 4, 0)];
  const copy = [...jobs];
  assert.equal(inClaimOrder(jobs), jobs);
  assert.deepEqual(jobs, copy);
});

test("jobs out of order are sorted by priority, then run_at, then id as a number (10 after 9)", () => {
  const jobs = [tuple("10", 0, 7), tuple("9", 0, 7), tuple("5", 1, 0), tuple("7", 0, 3), tuple("100", -2, 9)];
  assert.deepEqual(
    inClaimOrder(jobs).map((job) => job[0]),
    ["100", "7", "9", "10", "5"],
  );
});
