/**
 * The Overview's sampler: counts by state from the read model, throughput
 * from the jobs table's cumulative deletes and inserts (PostgreSQL's
 * statistics, which other sessions flush within about a second: the test
 * polls them rather than waiting a fixed time), and a ring buffer that keeps
 * the newest samples in order.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createWorkerUtils } from "../../src/index.js";
import { silentLogger } from "../../src/logger/logger.js";
import { StatsSampler } from "../../src/admin/stats-sampler.js";
import { createTestDatabase } from "../support/database.js";

const db = await createTestDatabase("admin_sampler");
const utils = await createWorkerUtils({ connectionString: db.connectionString, logger: silentLogger });
await utils.migrate();
db.onTeardown(() => utils.release());

/** Another session's statistics arrive after its transaction, within about a second: poll (30 s at most). */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test("throughput comes from the table's deletes and inserts between two samples", async () => {
  const sampler = new StatsSampler(utils.read, 1000, 3_600_000, silentLogger);
  const start = await utils.read.activity();
  const jobs = await utils.addJobs([1, 2, 3, 4].map((n) => ({ identifier: "sampled", payload: { n } })));
  await until("the inserts reach pg_stat_user_tables", async () => (await utils.read.activity()).inserted >= start.inserted + 4);
  const before = await utils.read.activity();
  const first = await sampler.sample();
  assert.equal(first.completedPerMinute, null);
  assert.equal(first.byState.ready, 4);
  await utils.completeJobs(jobs.slice(0, 3).map((j) => j.id));
  await until("the deletes reach pg_stat_user_tables", async () => (await utils.read.activity()).deleted >= before.deleted + 3);
  const second = await sampler.sample();
  assert.equal(second.byState.ready, 1);
  assert.ok(second.completedPerMinute! > 0, JSON.stringify(second));
  assert.equal(second.addedPerMinute, 0);
  assert.deepEqual(
    sampler.samples().map((s) => s.at),
    [first.at, second.at],
  );
  assert.equal((await sampler.latest()).byState.ready, 1);
});

test("the ring buffer keeps the newest samples, oldest first", async () => {
  const sampler = new StatsSampler(utils.read, 1000, 3000, silentLogger);
  const taken: number[] = [];
  for (let i = 0; i < 5; i += 1) taken.push((await sampler.sample()).at);
  assert.deepEqual(
    sampler.samples().map((s) => s.at),
    taken.slice(-3),
  );
});
