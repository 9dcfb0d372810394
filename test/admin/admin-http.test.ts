/**
 * The admin UI over plain HTTP (no browser): the JSON API, the security
 * headers, authentication, CSRF, the same-origin check, read-only mode, and
 * every mutation endpoint with the database change it makes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Hono } from "hono";
import { createAdminHandler } from "../../src/admin/index.js";
import { silentLogger } from "../../src/logger/logger.js";
import { ValidationError } from "../../src/errors/errors.js";
import { AdminClient, adminFixture, jobRow } from "./admin-fixture.js";

const fx = await adminFixture("admin_http");

test("pages and API answer with the security headers", async () => {
  const server = await fx.start();
  for (const path of [
    "",
    "jobs",
    `jobs/${fx.ids.ready}`,
    "queues",
    "workers",
    "cron",
    "maintenance",
    "api/stats",
    "assets/admin.js",
  ]) {
    const response = await fetch(server.url + path);
    assert.equal(response.status, 200, path);
    const csp = response.headers.get("content-security-policy") ?? "";
    assert.match(csp, /script-src 'self'/, path);
    assert.doesNotMatch(csp, /unsafe-inline/, path);
    assert.match(csp, /frame-ancestors 'none'/, path);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff", path);
    assert.equal(response.headers.get("referrer-policy"), "same-origin", path);
    const body = await response.text();
    if (path !== "assets/admin.js" && !path.startsWith("api")) assert.doesNotMatch(body, /<script>|<script [^>]*>[^<]/, path);
  }
});

test("the Jobs page counts without a scan: the state's last sampled count, the planner's estimate", async () => {
  const server = await fx.start();
  const failed = await (await fetch(`${server.url}jobs?state=failed`)).text();
  assert.match(failed, /1 failed jobs at the last count/);
  await fx.db.pool.query("analyze graphile_worker._private_jobs");
  const all = await (await fetch(`${server.url}jobs`)).text();
  assert.match(all, /about \d+ jobs in all/);
});

test("the JSON API: stats, jobs with filters and keyset paging, one job, queues, workers, crontabs", async () => {
  const server = await fx.start();
  const client = await new AdminClient(server.url).init();
  const stats = (await (await client.get("api/stats")).json()) as { byState: Record<string, number> };
  assert.deepEqual(stats.byState, { ready: 2, scheduled: 1, locked: 1, failed: 1, "permanently-failed": 1 });
  const page1 = (await (await client.get("api/jobs?limit=2")).json()) as { jobs: { id: string }[]; nextAfter: string };
  assert.equal(page1.jobs.length, 2);
  const page2 = (await (await client.get(`api/jobs?limit=2&after=${page1.nextAfter}`)).json()) as { jobs: { id: string }[] };
  assert.ok(BigInt(page2.jobs[0]!.id) > BigInt(page1.nextAfter));
  const failed = (await (await client.get("api/jobs?state=failed")).json()) as { jobs: { id: string; lastError: string }[] };
  assert.deepEqual(
    failed.jobs.map((j) => j.id),
    [fx.ids.failed],
  );
  const images = (await (await client.get("api/jobs?queue=images&order=newest")).json()) as { jobs: { id: string }[] };
  assert.deepEqual(
    images.jobs.map((j) => j.id),
    [fx.ids.queued, fx.ids.locked],
  );
  const byKey = (await (await client.get("api/jobs?key=ready-key")).json()) as { jobs: { id: string }[] };
  assert.deepEqual(
    byKey.jobs.map((j) => j.id),
    [fx.ids.ready],
  );
  const job = (await (await client.get(`api/jobs/${fx.ids.failed}`)).json()) as { lastError: string; state: string };
  assert.equal(job.state, "failed");
  assert.match(job.lastError, /boom/);
  assert.equal((await client.get("api/jobs/999999")).status, 404);
  assert.equal((await client.get("api/jobs/abc")).status, 400);
  assert.equal((await client.get("api/jobs?state=nope")).status, 400);
  const queues = (await (await client.get("api/queues")).json()) as { queues: { queueName: string; lockedBy: string }[] };
  assert.equal(queues.queues[0]!.queueName, "images");
  assert.equal(queues.queues[0]!.lockedBy, "dead-worker");
  const workers = (await (await client.get("api/workers")).json()) as {
    workers: { workerId: string; stale: boolean; jobsLocked: number }[];
  };
  const dead = workers.workers.find((w) => w.workerId === "dead-worker")!;
  assert.equal(dead.stale, true);
  assert.equal(dead.jobsLocked, 1);
  const crontabs = (await (await client.get("api/crontabs")).json()) as { crontabs: { identifier: string }[] };
  assert.deepEqual(
    crontabs.crontabs.map((c) => c.identifier),
    ["daily-report"],
  );
  const timeseries = (await (await client.get("api/timeseries")).json()) as { samples: unknown[] };
  assert.ok(Array.isArray(timeseries.samples));
});

test("a mutation without the CSRF token, or with another cookie's token, is refused and changes nothing", async () => {
  const server = await fx.start();
  const client = await new AdminClient(server.url).init();
  const other = await new AdminClient(server.url).init();
  let response = await client.post(`api/jobs/${fx.ids.ready}/complete`, {}, { csrf: false });
  assert.equal(response.status, 403);
  assert.match(await response.text(), /CSRF/);
  response = await client.post(`api/jobs/${fx.ids.ready}/complete`, {}, { headers: { "x-csrf-token": other.token } });
  assert.equal(response.status, 403);
  response = await fetch(`${server.url}api/jobs/${fx.ids.ready}/complete`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-csrf-token": client.token },
    body: "{}",
  });
  assert.equal(response.status, 403, "the token alone (no cookie) is not enough");
  assert.ok(await jobRow(fx.db, fx.ids.ready), "the job is still there");
});

test("a mutation body over 1 MiB is refused unread", async () => {
  const server = await fx.start();
  const client = await new AdminClient(server.url).init();
  const response = await client.post(`api/jobs/${fx.ids.ready}/fail`, { reason: "x".repeat(1_100_000) });
  assert.equal(response.status, 413);
  assert.equal((await jobRow(fx.db, fx.ids.ready))!.last_error, null);
});

test("a cross-origin mutation is refused even with a valid token", async () => {
  const server = await fx.start();
  const client = await new AdminClient(server.url).init();
  for (const headers of <Record<string, string>[]>[
    { origin: "https://evil.example" },
    { "sec-fetch-site": "cross-site" },
    { "sec-fetch-site": "same-site" },
  ]) {
    const response = await client.post(`api/jobs/${fx.ids.ready}/delete`, {}, { headers });
    assert.equal(response.status, 403, JSON.stringify(headers));
    assert.match(await response.text(), /cross-origin/);
  }
  assert.ok(await jobRow(fx.db, fx.ids.ready));
  const sameOrigin = await client.post(
    `api/jobs/${fx.ids.scheduled}/run-now`,
    {},
    {
      headers: { origin: server.url.replace(/\/$/, ""), "sec-fetch-site": "same-origin" },
    },
  );
  assert.equal(sameOrigin.status, 200);
});

test("read-only mode hides mutations and refuses each with 403", async () => {
  const server = await fx.start({ readOnly: true });
  const client = await new AdminClient(server.url).init();
  const jobPage = await (await client.get(`jobs/${fx.ids.ready}`)).text();
  assert.doesNotMatch(jobPage, /confirm\/(complete|fail|delete|run-now|reschedule)/);
  assert.match(jobPage, /read-only/);
  const jobsPage = await (await client.get("jobs")).text();
  assert.doesNotMatch(jobsPage, /bulk-form|remove-by-key/);
  assert.equal((await client.get(`jobs/${fx.ids.ready}/confirm/complete`)).status, 403);
  for (const path of [
    `api/jobs/${fx.ids.ready}/complete`,
    `api/jobs/${fx.ids.ready}/fail`,
    `api/jobs/${fx.ids.ready}/delete`,
    `api/jobs/${fx.ids.ready}/run-now`,
    `api/jobs/${fx.ids.ready}/reschedule`,
    "api/jobs/bulk/delete",
    "api/jobs/remove-by-key",
    "api/maintenance/cleanup",
    "api/maintenance/force-unlock",
    "api/maintenance/sweep",
  ]) {
    const response = await client.post(path, { reason: "x", key: "ready-key", runAt: new Date().toISOString() });
    assert.equal(response.status, 403, path);
  }
  assert.ok(await jobRow(fx.db, fx.ids.ready));
});

test("basic auth: required, and checked for user and password", async () => {
  const server = await fx.start({ auth: { mode: "basic", user: "admin", password: "s3cret-pass" } });
  const anonymous = await fetch(server.url);
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.headers.get("www-authenticate") ?? "", /^Basic/);
  const basic = (user: string, password: string) => ({
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
  });
  assert.equal((await fetch(server.url, { headers: basic("admin", "wrong") })).status, 401);
  assert.equal((await fetch(server.url, { headers: basic("root", "s3cret-pass") })).status, 401);
  assert.equal((await fetch(`${server.url}api/stats`, { headers: basic("admin", "s3cret-pass") })).status, 200);
  const client = await new AdminClient(server.url, basic("admin", "s3cret-pass")).init();
  assert.equal((await client.post(`api/jobs/${fx.ids.scheduled}/run-now`)).status, 200);
  const unauthenticated = await fetch(`${server.url}api/jobs/${fx.ids.ready}/delete`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie: client.cookie, "x-csrf-token": client.token },
    body: "{}",
  });
  assert.equal(unauthenticated.status, 401);
  assert.ok(await jobRow(fx.db, fx.ids.ready));
});

test("bearer auth: required, and the token checked", async () => {
  const server = await fx.start({ auth: { mode: "bearer", token: "tok-0123456789" } });
  assert.equal((await fetch(`${server.url}api/stats`)).status, 401);
  assert.equal((await fetch(`${server.url}api/stats`, { headers: { authorization: "Bearer tok-wrong" } })).status, 401);
  assert.equal((await fetch(`${server.url}api/stats`, { headers: { authorization: "Bearer tok-0123456789" } })).status, 200);
});

test("every job action through the API changes the database", async () => {
  const f = await adminFixture("admin_http_actions");
  const server = await f.start();
  const client = await new AdminClient(server.url).init();
  const ok = async (path: string, body: object = {}) => {
    const response = await client.post(path, body);
    assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
    return (await response.json()) as { changed?: string[] };
  };
  // run now: the scheduled job becomes due; the permanently failed one gets its attempts back
  await ok(`api/jobs/${f.ids.scheduled}/run-now`);
  assert.ok((await jobRow(f.db, f.ids.scheduled))!.run_at.getTime() <= Date.now() + 1000);
  await ok(`api/jobs/${f.ids.permanentlyFailed}/run-now`);
  assert.equal((await jobRow(f.db, f.ids.permanentlyFailed))!.attempts, 0);
  // reschedule
  const runAt = new Date(Date.now() + 7 * 86_400_000);
  await ok(`api/jobs/${f.ids.failed}/reschedule`, { runAt: runAt.toISOString() });
  assert.equal((await jobRow(f.db, f.ids.failed))!.run_at.getTime(), runAt.getTime());
  assert.equal((await client.post(`api/jobs/${f.ids.failed}/reschedule`, { runAt: "soon" })).status, 400);
  // permanently fail with a reason (a reason is required)
  assert.equal((await client.post(`api/jobs/${f.ids.failed}/fail`, {})).status, 400);
  await ok(`api/jobs/${f.ids.failed}/fail`, { reason: "bad payload" });
  const failed = (await jobRow(f.db, f.ids.failed))!;
  assert.equal(failed.last_error, "bad payload");
  assert.equal(failed.attempts, failed.max_attempts);
  // complete and delete
  await ok(`api/jobs/${f.ids.scheduled}/complete`);
  assert.equal(await jobRow(f.db, f.ids.scheduled), undefined);
  await ok(`api/jobs/${f.ids.failed}/delete`);
  assert.equal(await jobRow(f.db, f.ids.failed), undefined);
  // a locked job is left to its worker
  const locked = await ok(`api/jobs/${f.ids.locked}/delete`);
  assert.deepEqual(locked.changed, []);
  assert.ok(await jobRow(f.db, f.ids.locked));
  // remove by key
  await ok("api/jobs/remove-by-key", { key: "ready-key" });
  assert.equal(await jobRow(f.db, f.ids.ready), undefined);
  assert.equal((await client.post("api/jobs/remove-by-key", { key: "ready-key" })).status, 400);
  // bulk on a filter, and on ids
  await f.utils.addJobs([1, 2, 3].map((n) => ({ identifier: "bulk_task", payload: { n } })));
  const bulk = await ok("api/jobs/bulk/fail", { task: "bulk_task", reason: "bulk" });
  assert.equal(bulk.changed?.length, 3);
  const { rows } = await f.db.pool.query(
    "select count(*)::int as n from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = 'bulk_task' and last_error = 'bulk'",
  );
  assert.equal(rows[0].n, 3);
  await ok("api/jobs/bulk/delete", { ids: bulk.changed });
  const left = await f.db.pool.query(
    "select count(*)::int as n from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = 'bulk_task'",
  );
  assert.equal(left.rows[0].n, 0);
  assert.equal((await client.post("api/jobs/bulk/explode", {})).status, 400);
  // Ids given but none usable, or a repeated filter field: refused, never widened to the whole table.
  const before = (await f.db.pool.query("select count(*)::int as n from graphile_worker._private_jobs")).rows[0].n as number;
  for (const body of [{ ids: [] }, { ids: [{}] }, { ids: "" }, { task: ["a", "a"] }]) {
    assert.equal((await client.post("api/jobs/bulk/delete", body)).status, 400, JSON.stringify(body));
  }
  assert.equal((await f.db.pool.query("select count(*)::int as n from graphile_worker._private_jobs")).rows[0].n, before);
});

test("maintenance through the API: force-unlock, sweep, cleanup", async () => {
  const f = await adminFixture("admin_http_maintenance");
  const server = await f.start();
  const client = await new AdminClient(server.url).init();
  const sweep = await client.post("api/maintenance/sweep");
  assert.equal(sweep.status, 200);
  assert.deepEqual(((await sweep.json()) as { recoveredWorkerIds: string[] }).recoveredWorkerIds, ["dead-worker"]);
  assert.equal((await jobRow(f.db, f.ids.locked))!.locked_by, null);
  await f.db.pool.query("update graphile_worker._private_jobs set locked_at = now(), locked_by = 'w9' where id = $1", [
    f.ids.queued,
  ]);
  assert.equal((await client.post("api/maintenance/force-unlock", { workerIds: "w9" })).status, 200);
  assert.equal((await jobRow(f.db, f.ids.queued))!.locked_by, null);
  const cleanup = await client.post("api/maintenance/cleanup", { tasks: ["DELETE_PERMAFAILED_JOBS"] });
  assert.equal(cleanup.status, 200);
  assert.equal(((await cleanup.json()) as { deletedJobs: number }).deletedJobs, 1);
  assert.equal(await jobRow(f.db, f.ids.permanentlyFailed), undefined);
  assert.equal((await client.post("api/maintenance/cleanup", { tasks: ["NOPE"] })).status, 400);
});

test("mounts under a base path in node:http (Express-style originalUrl too) and in Hono via fetch", async () => {
  const handler = createAdminHandler({ connectionString: fx.db.connectionString, basePath: "/admin", logger: silentLogger });
  const server = createServer((req, res) => {
    if (req.url?.startsWith("/admin")) return handler(req, res);
    if (req.url?.startsWith("/express/admin")) {
      // What Express does for app.use("/admin", handler) under a router at /express.
      (req as typeof req & { originalUrl: string }).originalUrl = req.url.slice("/express".length);
      req.url = req.url.slice("/express/admin".length) || "/";
      return handler(req, res);
    }
    res.statusCode = 404;
    res.end("app");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const page = await fetch(`${base}/admin/jobs`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /href="\/admin\/assets\/admin.css"/);
    assert.equal((await fetch(`${base}/express/admin/api/stats`)).status, 200);
    assert.equal((await fetch(`${base}/other`)).status, 404);
    const app = new Hono();
    app.all("/admin/*", (c) => handler.fetch(c.req.raw));
    const viaHono = await app.request("http://localhost/admin/api/stats");
    assert.equal(viaHono.status, 200);
    assert.ok(((await viaHono.json()) as { byState: object }).byState);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await handler.close();
  }
});

test("job data is escaped in pages, and a form post only redirects within the UI", async () => {
  const f = await adminFixture("admin_http_escape");
  const server = await f.start();
  const evil = await f.utils.addJob("<img src=x onerror=alert(1)>", { html: "<script>alert(1)</script>" }, { jobKey: '"><b>k' });
  const page = await (await fetch(`${server.url}jobs/${evil.id}`)).text();
  assert.doesNotMatch(page, /<script>alert|<img src=x|"><b>/);
  assert.match(page, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  const list = await (await fetch(`${server.url}jobs`)).text();
  assert.doesNotMatch(list, /<img src=x/);
  const client = await new AdminClient(server.url).init();
  for (const target of ["//evil.example/", "https://evil.example/", "/\\evil.example"]) {
    const response = await fetch(`${server.url}api/jobs/${f.ids.scheduled}/run-now`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: client.cookie },
      body: new URLSearchParams({ _csrf: client.token, _return: target }).toString(),
    });
    assert.equal(response.status, 303, target);
    assert.equal(response.headers.get("location"), "/", target);
  }
});

test("bad options are refused naming the option, without echoing secrets", () => {
  assert.throws(() => createAdminHandler({ basePath: "admin" }), /basePath/);
  assert.throws(() => createAdminHandler({ readOnyl: true } as never), /readOnyl.*readOnly/);
  assert.throws(
    () => createAdminHandler({ auth: { mode: "basic", user: "u", password: "" } }),
    (error: Error) => /auth.password/.test(error.message) && !error.message.includes("u:"),
  );
  assert.throws(
    () => createAdminHandler({ csrfSecret: "short-secret" }),
    (error: Error) => /csrfSecret/.test(error.message) && !error.message.includes("short-secret"),
  );
});

test("auth none answers loopback host names only (DNS rebinding); allowedHosts widens it", async () => {
  const handler = createAdminHandler({ utils: fx.utils, logger: silentLogger });
  const open = createAdminHandler({ utils: fx.utils, logger: silentLogger, allowedHosts: ["admin.example.com"] });
  try {
    for (const host of ["127.0.0.1:5959", "localhost:5959", "[::1]:5959"]) {
      const response = await handler.fetch(new Request("http://127.0.0.1/api/stats", { headers: { host } }));
      assert.equal(response.status, 200, host);
    }
    const rebound = await handler.fetch(
      new Request("http://evil.example:5959/api/stats", { headers: { host: "evil.example:5959" } }),
    );
    assert.equal(rebound.status, 403);
    assert.equal((await open.fetch(new Request("http://admin.example.com/api/stats"))).status, 200);
    assert.equal((await open.fetch(new Request("http://evil.example/api/stats"))).status, 403);
    assert.throws(() => createAdminHandler({ utils: fx.utils, allowedHosts: [] }), ValidationError);
  } finally {
    await handler.close();
    await open.close();
  }
});
