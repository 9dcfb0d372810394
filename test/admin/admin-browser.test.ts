/**
 * The admin UI in a real headless Chromium: every page loads without a CSP
 * violation, the charts draw, filters work, each action goes through its
 * confirmation page and changes the database, and the guards hold (read-only,
 * CSRF, cross-origin, authentication). Skipped, saying so, without Chromium.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { adminFixture, jobRow, type AdminFixture } from "./admin-fixture.js";
import { CHROMIUM_SKIP_REASON, findChromium, launchChromium } from "./chromium.js";
import type { AdminServer } from "../../src/admin/index.js";

const executable = findChromium();
if (!executable) console.log(`# admin browser tests skipped: ${CHROMIUM_SKIP_REASON}`);
const skip = executable ? false : CHROMIUM_SKIP_REASON;

let browser!: Browser;
let fx!: AdminFixture;
let server!: AdminServer;

// Set up at the top level (not in before()), so the fixture's after() hooks belong to the file.
if (executable) {
  fx = await adminFixture("admin_browser");
  server = await fx.start();
  browser = await launchChromium(executable);
  after(() => browser.close());
}

/** A new page that fails the test on any console error (a CSP violation is one). */
async function newPage(): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("response", (response) => {
    if (response.status() >= 400) errors.push(`${response.status()} ${response.url()}`);
  });
  return { page, errors };
}

/** Poll the database until `check` holds (or fail after 10 s). */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test("every page loads, with no console error or CSP violation", { skip }, async () => {
  const { page, errors } = await newPage();
  const pages: [string, string][] = [
    ["", "Overview"],
    ["jobs", "Jobs"],
    [`jobs/${fx.ids.failed}`, `Job ${fx.ids.failed}`],
    ["queues", "Queues"],
    ["workers", "Workers"],
    ["cron", "Cron"],
    ["maintenance", "Maintenance"],
  ];
  for (const [path, title] of pages) {
    const response = await page.goto(server.url + path);
    assert.equal(response?.status(), 200, path);
    assert.equal(await page.locator("h1").textContent(), title);
  }
  await page.goto(`${server.url}jobs/${fx.ids.failed}`);
  assert.match((await page.locator("#last-error").textContent()) ?? "", /boom: webhook timed out/);
  assert.match((await page.locator("#payload").textContent()) ?? "", /example\.com/);
  await page.goto(`${server.url}workers`);
  assert.match((await page.locator("table.workers").textContent()) ?? "", /dead-worker[\s\S]*stale/);
  await page.goto(`${server.url}cron`);
  assert.match((await page.locator("table.cron").textContent()) ?? "", /daily-report/);
  await page.goto(`${server.url}queues`);
  assert.match((await page.locator("table.queues").textContent()) ?? "", /images[\s\S]*dead-worker/);
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("the overview draws its charts and live counts from the API", { skip }, async () => {
  const { page, errors } = await newPage();
  await page.goto(server.url);
  // Attached, not visible: a flat line has an empty bounding box.
  await page.locator("#chart-depth svg path[data-series='ready']").waitFor({ state: "attached" });
  await page.locator("#chart-throughput svg").waitFor();
  // Live: a job added now shows up in the counts without a reload.
  const before = Number((await page.locator('.count[data-state="scheduled"]').textContent())?.replace(/,/g, ""));
  await fx.utils.addJob("live_task", {}, { runAt: new Date(Date.now() + 3_600_000) });
  await page.waitForFunction(
    (n) => Number(document.querySelector('.count[data-state="scheduled"]')?.textContent?.replace(/,/g, "")) === n,
    before + 1,
  );
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("filters and search on the Jobs page", { skip }, async () => {
  const { page } = await newPage();
  await page.goto(`${server.url}jobs`);
  await page.selectOption("select[name=state]", "permanently-failed");
  await page.click("form.filters button[type=submit]");
  await page.waitForURL(/state=permanently-failed/);
  const ids = await page.locator("table.jobs tbody tr td:nth-child(2)").allTextContents();
  assert.deepEqual(ids, [fx.ids.permanentlyFailed]);
  await page.goto(`${server.url}jobs`);
  await page.fill("input[name=queue]", "images");
  await page.click("form.filters button[type=submit]");
  await page.waitForURL(/queue=images/);
  assert.deepEqual(await page.locator("table.jobs tbody tr td:nth-child(2)").allTextContents(), [fx.ids.locked, fx.ids.queued]);
  await page.goto(`${server.url}jobs`);
  await page.fill("input[name=q]", fx.ids.failed);
  await page.click("form.filters button[type=submit]");
  await page.waitForURL(new RegExp(`/jobs/${fx.ids.failed}$`));
  await page.goto(`${server.url}jobs`);
  await page.fill("input[name=q]", "no-such-key");
  await page.click("form.filters button[type=submit]");
  await page.locator("#no-jobs").waitFor();
  await page.context().close();
});

/** Open the job, click the action, confirm (filling `fill` first), and wait for the notice. */
async function act(page: Page, id: string, action: string, fill?: Record<string, string>): Promise<string> {
  await page.goto(`${server.url}jobs/${id}`);
  await page.click(`a.action-${action}`);
  await page.waitForURL(new RegExp(`/jobs/${id}/confirm/${action}$`));
  for (const [name, value] of Object.entries(fill ?? {})) await page.fill(`input[name=${name}]`, value);
  await page.click("#confirm");
  await page.locator(".notice").waitFor();
  return (await page.locator(".notice").textContent()) ?? "";
}

test("each job action goes through its confirmation and changes the database", { skip }, async () => {
  const { page, errors } = await newPage();
  const [toComplete, toDelete] = await fx.utils.addJobs([
    { identifier: "browser_task", payload: { n: 1 } },
    { identifier: "browser_task", payload: { n: 2 } },
  ]);
  // Cancel changes nothing.
  await page.goto(`${server.url}jobs/${toComplete!.id}/confirm/complete`);
  await page.click("#cancel");
  assert.ok(await jobRow(fx.db, toComplete!.id));

  assert.match(await act(page, fx.ids.scheduled, "run-now"), /Run now: job/);
  await until("run now", async () => (await jobRow(fx.db, fx.ids.scheduled))!.run_at.getTime() <= Date.now());

  const runAt = new Date(Date.now() + 2 * 86_400_000);
  await act(page, fx.ids.queued, "reschedule", { runAt: runAt.toISOString() });
  await until("reschedule", async () => (await jobRow(fx.db, fx.ids.queued))!.run_at.getTime() === runAt.getTime());

  await act(page, fx.ids.failed, "fail", { reason: "failed in the browser" });
  await until("fail", async () => (await jobRow(fx.db, fx.ids.failed))!.last_error === "failed in the browser");

  await act(page, toComplete!.id, "complete");
  await until("complete", async () => (await jobRow(fx.db, toComplete!.id)) === undefined);

  await act(page, toDelete!.id, "delete");
  await until("delete", async () => (await jobRow(fx.db, toDelete!.id)) === undefined);

  // Remove by key, from the Jobs page.
  await page.goto(`${server.url}jobs`);
  await page.fill("input[name=key]", "ready-key");
  await page.click("form.inline button[type=submit]");
  await page.click("#confirm");
  await page.locator(".notice").waitFor();
  await until("remove by key", async () => (await jobRow(fx.db, fx.ids.ready)) === undefined);
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("a bulk action on checked rows of a filter", { skip }, async () => {
  const { page } = await newPage();
  const jobs = await fx.utils.addJobs([1, 2, 3].map((n) => ({ identifier: "bulk_browser", payload: { n } })));
  await page.goto(`${server.url}jobs?task=bulk_browser`);
  await page.check("#check-all");
  await page.selectOption("select[name=action]", "fail");
  await page.click("#bulk-form button[type=submit]");
  await page.fill("input[name=reason]", "bulk from the browser");
  await page.click("#confirm");
  await page.locator(".notice").waitFor();
  for (const job of jobs) {
    await until(`bulk fail of ${job.id}`, async () => (await jobRow(fx.db, job.id))!.last_error === "bulk from the browser");
  }
  await page.context().close();
});

test("maintenance: sweep stale workers from the UI", { skip }, async () => {
  const { page } = await newPage();
  await page.goto(`${server.url}maintenance`);
  await page.click("form[action$='/maintenance/sweep'] button");
  await page.click("#confirm");
  assert.match((await page.locator(".notice").textContent()) ?? "", /recovered 1 jobs from 1 workers/);
  await until("sweep", async () => (await jobRow(fx.db, fx.ids.locked))!.locked_by === null);
  await page.context().close();
});

test("read-only: no action in the UI, and a forced confirmation page is refused", { skip }, async () => {
  const readOnly = await fx.start({ readOnly: true });
  const { page } = await newPage();
  await page.goto(`${readOnly.url}jobs/${fx.ids.permanentlyFailed}`);
  assert.equal(await page.locator("section.actions").count(), 0);
  const response = await page.goto(`${readOnly.url}jobs/${fx.ids.permanentlyFailed}/confirm/delete`);
  assert.equal(response?.status(), 403);
  const status = await page.evaluate(async (id) => {
    const token = document.querySelector('meta[name="csrf-token"]')!.getAttribute("content")!;
    const r = await fetch(`api/jobs/${id}/delete`.replace(/^/, location.pathname.replace(/jobs\/.*$/, "")), {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": token },
      body: "{}",
    });
    return r.status;
  }, fx.ids.permanentlyFailed);
  assert.equal(status, 403);
  assert.ok(await jobRow(fx.db, fx.ids.permanentlyFailed));
  await page.context().close();
});

test("a POST without the CSRF token is refused", { skip }, async () => {
  const { page } = await newPage();
  await page.goto(`${server.url}jobs/${fx.ids.permanentlyFailed}`);
  const status = await page.evaluate(async (id) => {
    const r = await fetch(`../api/jobs/${id}/delete`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    return r.status;
  }, fx.ids.permanentlyFailed);
  assert.equal(status, 403);
  assert.ok(await jobRow(fx.db, fx.ids.permanentlyFailed));
  await page.context().close();
});

test("a form posted from another origin is refused, even with a leaked token", { skip }, async () => {
  const { page } = await newPage();
  await page.goto(`${server.url}jobs/${fx.ids.permanentlyFailed}`);
  const token = await page.locator('meta[name="csrf-token"]').getAttribute("content");
  const target = `${server.url}api/jobs/${fx.ids.permanentlyFailed}/delete`;
  const evil: Server = createServer((_req, res) => {
    res.setHeader("content-type", "text/html");
    res.end(
      `<form method="post" action="${target}"><input type="hidden" name="_csrf" value="${token}"><button id="go">go</button></form>`,
    );
  });
  await new Promise<void>((resolve) => evil.listen(0, "127.0.0.1", resolve));
  try {
    await page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
    const [response] = await Promise.all([page.waitForResponse(target), page.click("#go")]);
    assert.equal(response.status(), 403);
    assert.ok(await jobRow(fx.db, fx.ids.permanentlyFailed));
  } finally {
    evil.closeAllConnections();
    await new Promise<void>((resolve) => evil.close(() => resolve()));
    await page.context().close();
  }
});

test("authentication is required when configured", { skip }, async () => {
  const secured = await fx.start({ auth: { mode: "basic", user: "ops", password: "browser-pass" } });
  const anonymous = await browser.newContext();
  // Chromium answers a 401 with a Basic challenge and no credentials by failing the navigation.
  await assert.rejects((await anonymous.newPage()).goto(secured.url), /ERR_INVALID_AUTH_CREDENTIALS/);
  assert.equal((await anonymous.request.get(`${secured.url}api/stats`)).status(), 401);
  await anonymous.close();
  const authed = await browser.newContext({ httpCredentials: { username: "ops", password: "browser-pass" } });
  const page = await authed.newPage();
  const ok = await page.goto(`${secured.url}jobs`);
  assert.equal(ok?.status(), 200);
  assert.equal(await page.locator("h1").textContent(), "Jobs");
  await authed.close();
});
