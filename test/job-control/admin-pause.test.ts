/**
 * Pause and resume in the admin UI: the Queues page shows the state and offers
 * Pause / Resume (a real Chromium clicks them; skipped, saying so, without
 * one), the JSON API changes the database, bad input and read-only mode are
 * refused with nothing written.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { AdminClient, adminFixture } from "../admin/admin-fixture.js";
import { CHROMIUM_SKIP_REASON, findChromium, launchChromium } from "../admin/chromium.js";
import { waitUntil } from "../support/fixtures.js";

const fx = await adminFixture("job_control_admin_pause");

async function pauses(): Promise<string[]> {
  return (await fx.utils.listPauses()).map((p) => `${p.kind}:${p.name}`);
}

test("the JSON API pauses and resumes a queue or a task; bad input is a 400 and nothing is written", async () => {
  const server = await fx.start();
  const client = await new AdminClient(server.url).init();
  const paused = await client.post("api/pause", { queue: "images" });
  assert.equal(paused.status, 200, await paused.clone().text());
  assert.deepEqual(await pauses(), ["queue:images"]);
  assert.match(await (await client.get("queues")).text(), /state-paused/);
  assert.deepEqual(
    ((await (await client.get("api/pauses")).json()) as { name: string }[]).map((p) => p.name),
    ["images"],
  );

  for (const body of [{}, { queue: "images", task: "x" }, { task: "" }, { task: "x".repeat(129) }, { queue: "a\u0000b" }]) {
    assert.equal((await client.post("api/pause", body)).status, 400, JSON.stringify(body));
  }
  assert.deepEqual(await pauses(), ["queue:images"]);

  assert.equal((await client.post("api/pause", { task: "send_email" })).status, 200);
  assert.deepEqual(await pauses(), ["queue:images", "task:send_email"]);
  assert.equal((await client.post("api/resume", { queue: "images" })).status, 200);
  assert.equal((await client.post("api/resume", { task: "send_email" })).status, 200);
  assert.deepEqual(await pauses(), []);
});

test("read-only mode shows the state but no buttons, and refuses pause and resume with 403", async () => {
  await fx.utils.pauseQueue("images");
  try {
    const server = await fx.start({ readOnly: true });
    const client = await new AdminClient(server.url).init();
    const page = await (await client.get("queues")).text();
    assert.match(page, /state-paused/);
    assert.doesNotMatch(page, /api\/(pause|resume)/);
    assert.equal((await client.post("api/pause", { task: "send_email" })).status, 403);
    assert.equal((await client.post("api/resume", { queue: "images" })).status, 403);
    assert.deepEqual(await pauses(), ["queue:images"]);
  } finally {
    await fx.utils.resumeQueue("images");
  }
});

const executable = findChromium();
if (!executable) console.log(`# admin pause browser test skipped: ${CHROMIUM_SKIP_REASON}`);

test(
  "in Chromium: Pause on a queue row, Pause task by name, Resume from the paused list",
  { skip: executable ? false : CHROMIUM_SKIP_REASON },
  async () => {
    const server = await fx.start();
    const browser = await launchChromium(executable!);
    after(() => browser.close());
    const page = await (await browser.newContext()).newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    await page.goto(`${server.url}queues`);
    await page.locator('tr[data-queue="images"] button.pause').click();
    await page.waitForURL(/\/queues/);
    await waitUntil("the queue is paused", async () => (await pauses()).includes("queue:images"));
    await page.locator('tr[data-queue="images"] .state-paused').waitFor();

    await page.locator('form.pause-task input[name="task"]').fill("call_webhook");
    await page.locator("#pause-task").click();
    await page.locator('tr[data-paused="task:call_webhook"]').waitFor();
    assert.deepEqual(await pauses(), ["queue:images", "task:call_webhook"]);

    await page.locator('tr[data-paused="task:call_webhook"] button.resume').click();
    await page.locator('tr[data-paused="task:call_webhook"]').waitFor({ state: "detached" });
    await page.locator('tr[data-queue="images"] button.resume').click();
    await page.locator('tr[data-queue="images"] button.pause').waitFor();
    assert.deepEqual(await pauses(), []);
    assert.deepEqual(errors, []);
  },
);
