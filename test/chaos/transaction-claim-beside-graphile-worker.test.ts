/**
 * A graphile-worker 0.18 runner (the npm package) beside a worker in the
 * transaction claim mode, on one schema and one task (docs/claim-modes.md).
 * Jobs held by an open batch are skipped by graphile-worker's claim
 * (`SKIP LOCKED`), jobs still running at `maxHoldMs` are converted to a
 * classic lock in the same transaction, and jobs a batch did not start are
 * released unchanged: no job may run twice, none may be lost.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Logger } from "../../src/logger/logger.js";
import { silentLogger } from "../../src/logger/logger.js";
import { jobsLeft } from "./support.js";
import { openSharedDatabase, startOurWorker, startReferenceRunner, waitUntil, within } from "../interop/support.js";

const schema = "graphile_worker";
const { db, ours, theirs } = await openSharedDatabase("tx_claim_beside_gw", schema);

const SHORT = 4000;
const LONG = 20;
const ADDED_LATER = 1000;

test("graphile-worker 0.18 beside a transaction-mode worker: every job runs exactly once", { timeout: 90_000 }, async (t) => {
  const runs = new Map<string, string[]>();
  const record = (side: string, id: string) => runs.set(id, [...(runs.get(id) ?? []), side]);
  // Long jobs outlast the hold bound (200 ms): our batches convert them to a classic lock while they run.
  const work = (side: string) => async (payload: unknown, helpers: { job: { id: string | number } }) => {
    if ((payload as { long?: boolean }).long) await new Promise((resolve) => setTimeout(resolve, 600));
    record(side, String(helpers.job.id));
  };
  const specs = Array.from({ length: SHORT + LONG }, (_, i) => ({
    identifier: "work",
    payload: i % (SHORT / LONG) === 0 ? { n: i, long: true } : { n: i },
  }));
  for (let i = 0; i < specs.length; i += 2000) await ours.addJobs(specs.slice(i, i + 2000));

  let conversions = 0;
  const logger: Logger = {
    ...silentLogger,
    debug: (message: string) => {
      if (message.includes("converted to a classic lock")) conversions++;
    },
  };
  const worker = await startOurWorker(db.connectionString, schema, {
    tasks: { work: work("ours") },
    concurrency: 10,
    claimMode: "transaction",
    transactionClaim: { maxHoldMs: 200 },
    logger,
  });
  const runner = await startReferenceRunner(
    db.connectionString,
    schema,
    { work: work("graphile-worker") },
    { concurrency: 4, pollInterval: 50 },
  );
  try {
    // More jobs arrive while both drain, from both sides.
    for (let i = 0; i < ADDED_LATER; i += 100) {
      const later = Array.from({ length: 100 }, (_, k) => ({ n: SHORT + LONG + i + k }));
      if ((i / 100) % 2 === 0) await ours.addJobs(later.map((payload) => ({ identifier: "work", payload })));
      else for (const payload of later) await theirs.addJob("work", payload);
    }
    await waitUntil("every job is completed", async () => (await jobsLeft(db)) === 0, 75_000);
  } finally {
    await within(Promise.all([worker.stop({ timeoutMs: 5000 }), runner.stop()]), "both stop", 20_000);
  }

  const total = SHORT + LONG + ADDED_LATER;
  const twice = [...runs].filter(([, sides]) => sides.length > 1).map(([id, sides]) => `${id}: ${sides.join(", ")}`);
  assert.deepEqual(twice, [], "no job ran twice");
  assert.equal(runs.size, total, "every job ran (none lost)");
  const bySide = (side: string) => [...runs.values()].filter((sides) => sides[0] === side).length;
  assert.ok(bySide("ours") > 0 && bySide("graphile-worker") > 0, "both sides ran jobs");
  assert.ok(conversions > 0, "some batches converted their long jobs to a classic lock");
  const { rows } = await db.pool.query(`select count(*)::int as n from "${schema}"._private_tx_claims`);
  assert.equal(rows[0].n, 0, "no batch record left");
  t.diagnostic(
    `${total} jobs: ${bySide("ours")} ran on ours (transaction claim), ${bySide("graphile-worker")} on graphile-worker 0.18; ` +
      `${conversions} batch(es) converted long jobs`,
  );
});
