/** The admin UI's job page shows the job's last ctx.progress value. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { adminFixture } from "../admin/admin-fixture.js";

const fx = await adminFixture("results_admin");

test("the job page shows progress: a number as a percentage, JSON as JSON, none as a dash", async () => {
  const server = await fx.start();
  // Progress rows as a worker writes them (ctx.progress is covered by results-progress.test.ts).
  await fx.db.pool.query(
    `insert into graphile_worker._private_job_progress (job_id, progress) values ($1, '42.5'), ($2, '{"step":"<upload>"}')`,
    [fx.ids.locked, fx.ids.ready],
  );
  const page = async (id: string) => {
    const response = await fetch(`${server.url}jobs/${id}`);
    assert.equal(response.status, 200);
    return response.text();
  };
  const [locked, ready, failed] = await Promise.all([page(fx.ids.locked), page(fx.ids.ready), page(fx.ids.failed)]);
  assert.match(locked, /<dt>Progress<\/dt>\s*<dd><span id="progress"\s*>42.5%<\/span/);
  assert.match(ready, /<span id="progress"\s*>\{&quot;step&quot;:&quot;&lt;upload&gt;&quot;\}<\/span/);
  assert.match(failed, /<dt>Progress<\/dt>\s*<dd>—<\/dd>/);
});
