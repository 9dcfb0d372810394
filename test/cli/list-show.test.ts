/**
 * `list` and `show` as child processes against a real database: jobs seeded in
 * every state, each filter, keyset paging in both orders, the table and the
 * JSON shape, an unknown id, and bad arguments (exit 2, nothing written).
 */
import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase } from "../support/fixtures.js";
import { lines, spawnCli } from "./spawn-cli.js";

const db = await createMigratedDatabase("cli_list_show");
const { utils, pool, connectionString } = db;
/** Generous: on a loaded machine a child process takes seconds just to start. */
const cli = (...args: string[]) => spawnCli(args, { databaseUrl: connectionString, timeoutMs: 180_000 });

const ids: Record<string, string> = {};
const pageIds: string[] = [];
const HOUR = 3_600_000;

/** The contract's `list --json` fields (DESIGN.md section 4), then the other stored ones. */
const JSON_KEYS = [
  "id",
  "taskIdentifier",
  "queueName",
  "payload",
  "runAt",
  "attempts",
  "maxAttempts",
  "lastError",
  "key",
  "lockedBy",
  "priority",
  "flags",
  "state",
  "lockedAt",
  "createdAt",
  "updatedAt",
  "revision",
];

interface JobJson {
  id: string;
  taskIdentifier: string;
  state: string;
  payload: unknown;
  [key: string]: unknown;
}

async function listJson(...args: string[]): Promise<JobJson[]> {
  const result = await cli("list", "--json", ...args);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, "");
  return JSON.parse(result.stdout) as JobJson[];
}

const idsOf = (jobs: JobJson[]) => jobs.map((j) => j.id);

/** Every column of every job, to check that no command wrote anything. */
async function snapshot(): Promise<unknown[]> {
  const { rows } = await pool.query("select * from graphile_worker._private_jobs order by id");
  return rows;
}

before(async () => {
  ids.ready = (await utils.addJob("email", { to: "a" }, { queueName: "mail", priority: 1 })).id;
  ids.ready2 = (await utils.addJob("email", { to: "c", nested: { list: [1, 2] } }, { flags: ["vip"] })).id;
  ids.scheduled = (await utils.addJob("email", { to: "b" }, { runAt: new Date(Date.now() + HOUR), jobKey: "later" })).id;
  ids.locked = (await utils.addJob("report", { n: 1 }, { queueName: "mail" })).id;
  ids.failed = (await utils.addJob("report", { n: 2 }, { maxAttempts: 5 })).id;
  ids.permanent = (await utils.addJob("resize", { n: 3 }, { maxAttempts: 3 })).id;
  // As a worker's claim: the job and its queue locked, one attempt used.
  await pool.query(
    "update graphile_worker._private_jobs set locked_at = now(), locked_by = 'worker-a', attempts = 1 where id = $1",
    [ids.locked],
  );
  await pool.query("update graphile_worker._private_job_queues set locked_at = now(), locked_by = 'worker-a'");
  // As a failed run waiting for its retry: attempts > 0 and < max_attempts.
  await pool.query(
    "update graphile_worker._private_jobs set attempts = 2, last_error = E'Error: boom\\n    at run (task.js:3)', run_at = now() + interval '1 hour' where id = $1",
    [ids.failed],
  );
  // Permanently failed: attempts >= max_attempts.
  await pool.query("update graphile_worker._private_jobs set attempts = 3, last_error = 'gave up' where id = $1", [
    ids.permanent,
  ]);
  for (let n = 0; n < 12; n++) pageIds.push((await utils.addJob("page", { n })).id);
});

describe("list", { concurrency: 4 }, () => {
  test("--json: every job, the contract's fields in a fixed order, with its state", async () => {
    const jobs = await listJson("--limit", "1000");
    assert.deepEqual(idsOf(jobs), [...Object.values(ids), ...pageIds]);
    for (const job of jobs) assert.deepEqual(Object.keys(job), JSON_KEYS);
    const byId = new Map(jobs.map((j) => [j.id, j]));
    assert.equal(byId.get(ids.ready)!.state, "ready");
    assert.equal(byId.get(ids.scheduled)!.state, "scheduled");
    assert.equal(byId.get(ids.locked)!.state, "locked");
    assert.equal(byId.get(ids.failed)!.state, "failed");
    assert.equal(byId.get(ids.permanent)!.state, "permanently-failed");
    assert.deepEqual(byId.get(ids.ready)!, {
      ...byId.get(ids.ready)!,
      taskIdentifier: "email",
      queueName: "mail",
      payload: { to: "a" },
      attempts: 0,
      maxAttempts: 25,
      lastError: null,
      key: null,
      lockedBy: null,
      priority: 1,
      flags: null,
    });
    assert.equal(byId.get(ids.locked)!.lockedBy, "worker-a");
    assert.equal(byId.get(ids.scheduled)!.key, "later");
    assert.deepEqual(byId.get(ids.ready2)!.flags, { vip: true });
    assert.match(String(byId.get(ids.ready)!.runAt), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  test("--state: each state selects exactly its jobs", async () => {
    const expected: Record<string, string[]> = {
      ready: [ids.ready, ids.ready2, ...pageIds],
      scheduled: [ids.scheduled],
      locked: [ids.locked],
      failed: [ids.failed],
      "permanently-failed": [ids.permanent],
    };
    await Promise.all(
      Object.entries(expected).map(async ([state, want]) => {
        const jobs = await listJson("--state", state, "--limit", "1000");
        assert.deepEqual(idsOf(jobs), want, state);
        for (const job of jobs) assert.equal(job.state, state);
      }),
    );
  });

  test("--task, --queue, --key and combinations; an unknown name matches nothing", async () => {
    const [report, mail, keyed, mailEmail, failedReport, unknown] = await Promise.all([
      listJson("--task", "report"),
      listJson("--queue", "mail"),
      listJson("--key", "later"),
      listJson("--queue", "mail", "--task", "email"),
      listJson("--task", "report", "--state", "failed"),
      listJson("--task", "no_such_task"),
    ]);
    assert.deepEqual(idsOf(report), [ids.locked, ids.failed]);
    assert.deepEqual(idsOf(mail), [ids.ready, ids.locked]);
    assert.deepEqual(idsOf(keyed), [ids.scheduled]);
    assert.deepEqual(idsOf(mailEmail), [ids.ready]);
    assert.deepEqual(idsOf(failedReport), [ids.failed]);
    assert.deepEqual(unknown, []);
  });

  test("paging: --limit and --after walk every job once, oldest first", async () => {
    const first = await listJson("--task", "page", "--limit", "5");
    const second = await listJson("--task", "page", "--limit", "5", "--after", first.at(-1)!.id);
    const third = await listJson("--task", "page", "--limit", "5", "--after", second.at(-1)!.id);
    assert.deepEqual([first.length, second.length, third.length], [5, 5, 2]);
    assert.deepEqual(idsOf([...first, ...second, ...third]), pageIds);
    assert.deepEqual(await listJson("--task", "page", "--after", third.at(-1)!.id), []);
  });

  test("paging newest first: --newest and --order newest", async () => {
    const reversed = [...pageIds].reverse();
    const first = await listJson("--task", "page", "--limit", "4", "--newest");
    assert.deepEqual(idsOf(first), reversed.slice(0, 4));
    const second = await listJson("--task", "page", "--limit", "4", "--order", "newest", "--after", first.at(-1)!.id);
    assert.deepEqual(idsOf(second), reversed.slice(4, 8));
  });

  test("the table: a header, one aligned row per job, relative times, the next page", async () => {
    const result = await cli("list", "--limit", "6");
    assert.equal(result.code, 0, result.stderr);
    const [header, ...rows] = lines(result.stdout);
    assert.match(header!, /^\s*ID\s+TASK\s+QUEUE\s+STATE\s+RUN AT\s+ATTEMPTS\s+PRIORITY\s+KEY\s+LOCKED BY\s+LAST ERROR$/);
    assert.equal(rows.at(-1), `Next page: --after ${ids.permanent}`);
    assert.equal(rows.at(-2), "");
    const jobRows = rows.slice(0, -2);
    assert.equal(jobRows.length, 6);
    // Aligned: every row has its STATE column where the header has it.
    const stateColumn = header!.indexOf("STATE");
    const row = (id: string) => jobRows.find((r) => r.trimStart().startsWith(`${id} `))!;
    for (const line of jobRows) assert.match(line.slice(stateColumn), /^(ready|scheduled|locked|failed|permanently-failed) /);
    assert.match(row(ids.scheduled), /scheduled\s+in \d+m\s+0\/25\s+0\s+later\s+-\s+-$/);
    assert.match(row(ids.ready), /email\s+mail\s+ready\s+(now|\d+[sm] ago)\s+0\/25\s+1\s/);
    assert.match(row(ids.locked), /locked\s.*\s1\/25\s.*worker-a/);
    // A multi-line error stays on its row.
    assert.match(row(ids.failed), /failed\s+in \d+m\s+2\/5\s/);
    assert.match(row(ids.failed), /Error: boom at run \(task\.js:3\)$/);
    assert.match(row(ids.permanent), /permanently-failed\s.*\s3\/3\s.*gave up$/);
  });

  test("the table when nothing matches", async () => {
    const result = await cli("list", "--state", "locked", "--task", "email");
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "No jobs match\n");
  });
});

describe("show", { concurrency: 4 }, () => {
  test("every field, the payload pretty-printed, the whole last error", async () => {
    const result = await cli("show", ids.failed);
    assert.equal(result.code, 0, result.stderr);
    const text = result.stdout;
    for (const pattern of [
      new RegExp(`^id\\s+${ids.failed}$`, "m"),
      /^task\s+report$/m,
      /^queue\s+-$/m,
      /^state\s+failed$/m,
      /^run at\s+\d{4}-\d{2}-\d{2}T[\d:.]+Z \(in \d+m\)$/m,
      /^attempts\s+2 of 5$/m,
      /^priority\s+0$/m,
      /^key\s+-$/m,
      /^flags\s+-$/m,
      /^locked by\s+-$/m,
      /^locked at\s+-$/m,
      /^created at\s+\d{4}-.*\((now|\d+[sm] ago)\)$/m,
      /^updated at\s+\d{4}-/m,
      /^revision\s+0$/m,
    ]) {
      assert.match(text, pattern);
    }
    assert.ok(text.includes('payload:\n  {\n    "n": 2\n  }\n'), text);
    assert.ok(text.endsWith("last error:\n  Error: boom\n      at run (task.js:3)\n"), text);
  });

  test("a locked job with flags and a nested payload", async () => {
    const [locked, flagged] = await Promise.all([cli("show", ids.locked), cli("show", ids.ready2)]);
    assert.match(locked.stdout, /^locked by\s+worker-a$/m);
    assert.match(locked.stdout, /^locked at\s+\d{4}-.*\((now|\d+[sm] ago)\)$/m);
    assert.match(flagged.stdout, /^flags\s+vip$/m);
    assert.ok(flagged.stdout.includes('    "nested": {\n      "list": [\n        1,\n        2\n      ]\n    }'), flagged.stdout);
  });

  test("--json: the same object as list --json", async () => {
    const [shown, listed] = await Promise.all([cli("show", ids.scheduled, "--json"), listJson("--key", "later")]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.deepEqual(JSON.parse(shown.stdout), listed[0]);
  });

  test("an unknown id: one line, exit 1, nothing on stdout", async () => {
    for (const args of [
      ["show", "999999"],
      ["show", "999999", "--json"],
    ]) {
      const result = await cli(...args);
      assert.equal(result.code, 1);
      assert.equal(result.stdout, "");
      assert.deepEqual(lines(result.stderr), ["graphile-worker-ts: no job with id 999999"]);
    }
  });
});

describe("bad arguments: one line naming the argument, exit 2, nothing written", { concurrency: 4 }, () => {
  const cases: [string[], string][] = [
    [["list", "--state", "nope"], "--state"],
    [["list", "--limit", "0"], "--limit"],
    [["list", "--limit", "1001"], "--limit"],
    [["list", "--limit", "ten"], "--limit"],
    [["list", "--after", "abc"], "--after"],
    [["list", "--after", "-1"], "--after"],
    [["list", "--order", "sideways"], "--order"],
    [["list", "--newest", "--order", "oldest"], "--newest"],
    [["list", "--task", ""], "--task"],
    [["show", "abc"], "<id>"],
    [["show", "0"], "<id>"],
    [["show", "99999999999999999999"], "<id>"],
    [["show"], "id"],
  ];
  for (const [args, argument] of cases) {
    test(args.join(" "), async () => {
      const before = await snapshot();
      const result = await cli(...args);
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stdout, "");
      const errors = lines(result.stderr);
      assert.equal(errors.length, 1, result.stderr);
      assert.ok(errors[0]!.startsWith("graphile-worker-ts: ") && errors[0]!.includes(argument), errors[0]);
      assert.deepEqual(await snapshot(), before);
    });
  }
});
