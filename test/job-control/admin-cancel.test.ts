/**
 * The admin UI's Cancel action: on a waiting job it removes the job and
 * records the cancellation; on a locked one it records a request (the job is
 * left to its worker). The job page offers it with a reason field.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { AdminClient, adminFixture, jobRow } from "../admin/admin-fixture.js";

const fx = await adminFixture("job_control_admin");

async function cancellation(id: string) {
  const { rows } = await fx.db.pool.query(
    `select reason, state, outcome from graphile_worker._private_job_cancellations where job_id = $1`,
    [id],
  );
  return rows[0] as { reason: string | null; state: string; outcome: string | null } | undefined;
}

test("admin Cancel removes a waiting job, requests a running one, and refuses a bad reason", async () => {
  const server = await fx.start();
  const client = await new AdminClient(server.url).init();
  const jobPage = await (await client.get(`jobs/${fx.ids.scheduled}`)).text();
  assert.match(jobPage, /confirm\/cancel/);
  const confirm = await (await client.get(`jobs/${fx.ids.scheduled}/confirm/cancel`)).text();
  assert.match(confirm, /name="reason"/);

  const bad = await client.post(`api/jobs/${fx.ids.scheduled}/cancel`, { reason: "a\u0000b" });
  assert.equal(bad.status, 400);
  assert.ok(await jobRow(fx.db, fx.ids.scheduled), "nothing written on a bad reason");

  const waiting = await client.post(`api/jobs/${fx.ids.scheduled}/cancel`, { reason: "from the UI" });
  assert.equal(waiting.status, 200, await waiting.clone().text());
  assert.equal(await jobRow(fx.db, fx.ids.scheduled), undefined);
  assert.deepEqual(await cancellation(fx.ids.scheduled), { reason: "from the UI", state: "cancelled", outcome: "removed" });

  const running = await client.post(`api/jobs/${fx.ids.locked}/cancel`, {});
  assert.equal(running.status, 200);
  assert.ok(await jobRow(fx.db, fx.ids.locked), "a locked job is left to its worker");
  assert.deepEqual(await cancellation(fx.ids.locked), { reason: null, state: "requested", outcome: null });
});
