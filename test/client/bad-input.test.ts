/**
 * Bad input: every invalid value is refused with a typed ValidationError that
 * names the field and the value, before anything is written to the database.
 */
import { test, describe, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase, allJobs, countRows } from "../support/fixtures.js";
import { ValidationError } from "../../src/errors/errors.js";
import { createWorkerUtils, type BulkJob } from "../../src/client/worker-utils.js";
import type { Driver } from "../../src/driver/driver.js";
import type { JobSpec } from "../../src/jobs/job.js";
import { resolveWorkerConfig, type WorkerOptions } from "../../src/worker/worker-config.js";
import { silentLogger } from "../../src/logger/logger.js";

const db = await createMigratedDatabase("bad_input");
const { utils, pool } = db;

async function reset() {
  await pool.query("delete from graphile_worker._private_jobs");
  await pool.query("delete from graphile_worker._private_job_queues");
  await pool.query("delete from graphile_worker._private_tasks");
}

async function assertNothingWritten() {
  assert.equal(await countRows(pool, "_private_jobs"), 0, "no job written");
  assert.equal(await countRows(pool, "_private_tasks"), 0, "no task identifier written");
  assert.equal(await countRows(pool, "_private_job_queues"), 0, "no queue written");
}

/**
 * The text an error message uses for `value`. Long strings are shortened by
 * `describeValue` to their first 60 characters plus the length, so for those
 * we look for that prefix and the length.
 */
function mentions(value: unknown): string[] {
  if (typeof value === "string") {
    return value.length > 60
      ? [JSON.stringify(value.slice(0, 60)).slice(0, -1), `(${value.length} chars)`]
      : [JSON.stringify(value)];
  }
  if (typeof value === "bigint") return [`${value}n`];
  if (value instanceof Date) return ["Invalid Date"];
  return [String(value)];
}

/** Assert `promise` rejects with a ValidationError for `field` whose message mentions each of `texts`. */
async function assertValidationError(promise: Promise<unknown>, field: string, texts: string[]) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
    assert.equal(error.field, field);
    for (const text of texts)
      assert.ok(error.message.includes(text), `message ${JSON.stringify(error.message)} should contain ${text}`);
    assert.ok(!error.message.includes("\n"), `message ${JSON.stringify(error.message)} should be one line`);
    return true;
  });
}

const long = (prefix: string, length: number) => prefix + "x".repeat(length - prefix.length);

interface BadJob {
  name: string;
  identifier?: unknown;
  payload?: unknown;
  spec?: Record<string, unknown>;
  field: string;
  /** Texts the message must contain (default: the value's rendering). */
  texts?: string[];
  value?: unknown;
}

const circular: Record<string, unknown> = { name: "loop" };
circular.self = circular;

const badJobs: BadJob[] = [
  { name: "empty identifier", identifier: "", field: "taskIdentifier", value: "" },
  { name: "129-char identifier", identifier: long("ident-", 129), field: "taskIdentifier", value: long("ident-", 129) },
  { name: "empty queue name", spec: { queueName: "" }, field: "queueName", value: "" },
  { name: "129-char queue name", spec: { queueName: long("queue-", 129) }, field: "queueName", value: long("queue-", 129) },
  { name: "empty job key", spec: { jobKey: "" }, field: "jobKey", value: "" },
  { name: "513-char job key", spec: { jobKey: long("key-", 513) }, field: "jobKey", value: long("key-", 513) },
  { name: "maxAttempts 0", spec: { maxAttempts: 0 }, field: "maxAttempts", value: 0 },
  { name: "maxAttempts 1.5", spec: { maxAttempts: 1.5 }, field: "maxAttempts", value: 1.5 },
  { name: "maxAttempts 40000", spec: { maxAttempts: 40_000 }, field: "maxAttempts", value: 40_000 },
  { name: "priority 32768", spec: { priority: 32_768 }, field: "priority", value: 32_768 },
  { name: "priority -32769", spec: { priority: -32_769 }, field: "priority", value: -32_769 },
  { name: "priority 1.5", spec: { priority: 1.5 }, field: "priority", value: 1.5 },
  { name: "unknown jobKeyMode", spec: { jobKey: "k", jobKeyMode: "upsert" }, field: "jobKeyMode", value: "upsert" },
  { name: "BigInt payload", payload: 10n, field: "payload", texts: ["10n", "BigInt"] },
  { name: "payload containing a BigInt", payload: { amount: 10n }, field: "payload", texts: ["BigInt"] },
  { name: "circular payload", payload: circular, field: "payload", texts: ["circular"] },
  { name: "function payload", payload: () => 1, field: "payload", texts: ["[function]"] },
  { name: "invalid Date runAt", spec: { runAt: new Date("not a date") }, field: "runAt", texts: ["Invalid Date"] },
  { name: "string runAt", spec: { runAt: "2030-01-01" }, field: "runAt", value: "2030-01-01" },
  { name: "flags not an array", spec: { flags: "a,b" }, field: "flags", value: "a,b" },
  { name: "flags containing an empty string", spec: { flags: ["ok", ""] }, field: "flags", value: "" },
  { name: "unknown JobSpec field", spec: { queue: "typo-of-queueName" }, field: "spec", value: "queue" },
  // Text PostgreSQL cannot store as given: U+0000 is refused by the server, a lone surrogate silently becomes U+FFFD.
  ...textCases("identifier", "taskIdentifier", (text) => ({ identifier: text })),
  ...textCases("queue name", "queueName", (text) => ({ spec: { queueName: text } })),
  ...textCases("job key", "jobKey", (text) => ({ spec: { jobKey: text } })),
  ...textCases("flag", "flags", (text) => ({ spec: { flags: ["ok", text] } })),
  // Outside years 0001-9999: what addJob's pg parameter and addJobs' JSON would store differently, or not at all.
  ...[
    new Date("+010000-01-01T00:00:00.000Z"),
    new Date("9999-12-31T23:59:59.999Z").getTime() + 1,
    new Date("-000001-06-01T00:00:00.000Z"),
    new Date("0000-12-31T23:59:59.999Z"),
    new Date(-8.64e15),
    new Date(8.64e15),
  ].map((at) => {
    const runAt = new Date(at);
    return { name: `runAt ${runAt.toISOString()}`, spec: { runAt }, field: "runAt", texts: [runAt.toISOString(), "0001-01-01"] };
  }),
];

/** U+0000 and lone surrogates (high, low, reversed pair) in a text field. */
function textCases(label: string, field: string, place: (text: string) => Partial<BadJob>): BadJob[] {
  return [
    ["U+0000", "nul\u0000here", "U+0000"],
    ["a lone high surrogate", "cut\ud83d", "lone surrogate"],
    ["a lone low surrogate", "\ude00cut", "lone surrogate"],
    ["a reversed surrogate pair", "x\ude00\ud83dy", "lone surrogate"],
  ].map(([what, text, reason]) => ({
    name: `${what} in a ${label}`,
    field,
    texts: [JSON.stringify(text), reason],
    ...place(text),
  }));
}

describe("addJob refuses bad input and writes nothing", () => {
  beforeEach(reset);
  for (const bad of badJobs) {
    test(bad.name, async () => {
      const identifier = "identifier" in bad ? bad.identifier : "t";
      const payload = "payload" in bad ? bad.payload : {};
      await assertValidationError(
        utils.addJob(identifier as string, payload, (bad.spec ?? {}) as JobSpec),
        bad.field,
        bad.texts ?? mentions(bad.value),
      );
      await assertNothingWritten();
    });
  }
});

describe("addJobs refuses a batch with one bad job and writes nothing from it", () => {
  beforeEach(reset);
  for (const bad of badJobs) {
    test(bad.name, async () => {
      const identifier = "identifier" in bad ? bad.identifier : "t";
      const payload = "payload" in bad ? bad.payload : {};
      const batch = [
        { identifier: "good", payload: { n: 1 }, queueName: "good_queue" },
        { identifier: "good", payload: { n: 2 }, jobKey: "good-key", jobKeyMode: "preserve_run_at" },
        { identifier, payload, ...bad.spec },
        { identifier: "good", payload: { n: 3 }, jobKey: "other-key", jobKeyMode: "unsafe_dedupe" },
      ] as BulkJob[];
      await assertValidationError(utils.addJobs(batch), `jobs[2].${bad.field}`, bad.texts ?? mentions(bad.value));
      await assertNothingWritten();
    });
  }

  test("a job key twice in one batch is a ValidationError naming the second one; nothing is written", async () => {
    await assertValidationError(
      utils.addJobs([
        { identifier: "plain", queueName: "plain_queue" },
        { identifier: "keyed", jobKey: "twice" },
        { identifier: "keyed", jobKey: "twice" },
      ]),
      "jobs[2].jobKey",
      ['"twice"', "jobs[1]"],
    );
    await assertNothingWritten();
  });

  test("a batch that is not an array, or holds a non-object", async () => {
    await assertValidationError(utils.addJobs("nope" as never), "jobs", ['"nope"']);
    await assertValidationError(utils.addJobs([{ identifier: "good" }, null as never]), "jobs[1]", ["null"]);
    await assertNothingWritten();
  });
});

describe("job ids", () => {
  test("non-numeric, zero, negative and fractional ids are ValidationErrors naming the id", async () => {
    await reset();
    const job = await utils.addJob("t", {});
    for (const bad of ["abc", "0", "-1", 1.5, "1e3", ""] as const) {
      await assertValidationError(utils.completeJobs([job.id, bad]), "ids", mentions(bad));
      await assertValidationError(utils.permanentlyFailJobs([job.id, bad], "x"), "ids", mentions(bad));
      await assertValidationError(utils.rescheduleJobs([job.id, bad], { priority: 1 }), "ids", mentions(bad));
    }
    await assertValidationError(utils.completeJobs("1" as never), "ids", ['"1"']);
    const [row] = await allJobs(pool);
    assert.equal(row.id, job.id);
    assert.equal(row.attempts, 0);
    assert.equal(row.priority, 0);
  });

  test("an id beyond bigint is a ValidationError, not a database error", async () => {
    await assertValidationError(utils.completeJobs(["9223372036854775808"]), "ids", ['"9223372036854775808"']);
  });

  test("a Number id above Number.MAX_SAFE_INTEGER is refused (it cannot name the intended job)", async () => {
    await assertValidationError(utils.completeJobs([2 ** 53 + 2]), "ids", [String(2 ** 53 + 2)]);
  });
});

describe("limits are inclusive", () => {
  test("128-char identifier and queue, 512-char key, smallint extremes are accepted", async () => {
    await reset();
    const identifier = long("ident-", 128);
    const queueName = long("queue-", 128);
    const jobKey = long("key-", 512);
    await utils.addJob(identifier, {}, { queueName, jobKey, maxAttempts: 32_767, priority: -32_768 });
    await utils.addJob("t", {}, { maxAttempts: 1, priority: 32_767 });
    const rows = await allJobs(pool);
    assert.equal(rows.length, 2);
    assert.equal(rows[0].task_identifier, identifier);
    assert.equal(rows[0].queue_name, queueName);
    assert.equal(rows[0].key, jobKey);
    assert.equal(rows[0].max_attempts, 32_767);
    assert.equal(rows[0].priority, -32_768);
    assert.equal(rows[1].max_attempts, 1);
    assert.equal(rows[1].priority, 32_767);
  });
});

describe("createWorkerUtils refuses invalid schema names before connecting", () => {
  /** A driver that fails the test if anything touches it. */
  function untouchableDriver(calls: string[]): Driver {
    const record = (name: string) => () => {
      calls.push(name);
      throw new Error(`driver.${name} must not be called`);
    };
    return {
      name: "untouchable",
      query: record("query"),
      withConnection: record("withConnection"),
      transaction: record("transaction"),
      listen: record("listen"),
      close: record("close"),
    } as unknown as Driver;
  }

  for (const schema of ["", "1abc", "a-b", long("s", 64), 'x"; drop table y; --']) {
    test(`schema ${JSON.stringify(schema.length > 20 ? `${schema.slice(0, 20)}…` : schema)}`, async () => {
      const calls: string[] = [];
      await assertValidationError(
        createWorkerUtils({ schema, driver: untouchableDriver(calls), logger: silentLogger }),
        "schema",
        mentions(schema),
      );
      // Also with a connection string to a port nobody listens on: still a ValidationError, not a connection error.
      await assertValidationError(
        createWorkerUtils({ schema, connectionString: "postgres://nobody@127.0.0.1:1/none", logger: silentLogger }),
        "schema",
        mentions(schema),
      );
      assert.deepEqual(calls, []);
    });
  }

  test("a 63-char schema name is accepted", async () => {
    const own = await createWorkerUtils({ schema: long("s", 63), connectionString: db.connectionString, logger: silentLogger });
    await own.release();
  });
});

describe("worker config validation names the field", () => {
  const base: WorkerOptions = { tasks: {}, connectionString: "postgres://unused@127.0.0.1:1/none", logger: silentLogger };
  const cases: Array<[string, Partial<WorkerOptions>, string, string]> = [
    ["concurrency 0", { concurrency: 0 }, "concurrency", "0"],
    ["concurrency 2.5", { concurrency: 2.5 }, "concurrency", "2.5"],
    ['pollInterval "x"', { pollInterval: "x" as never }, "pollInterval", '"x"'],
    ["localQueue.size -1", { localQueue: { size: -1 } }, "localQueue.size", "-1"],
    ["schema a-b", { schema: "a-b" }, "schema", '"a-b"'],
    ["forbiddenFlags with an empty flag", { forbiddenFlags: ["ok", ""] }, "forbiddenFlags", '""'],
  ];
  for (const [name, options, field, text] of cases) {
    test(name, () => {
      assert.throws(
        () => resolveWorkerConfig({ ...base, ...options } as WorkerOptions),
        (error: unknown) => {
          assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
          assert.equal(error.field, field);
          assert.ok(error.message.includes(text), `message ${JSON.stringify(error.message)} should contain ${text}`);
          return true;
        },
      );
    });
  }

  test("valid options resolve with defaults filled in", () => {
    const config = resolveWorkerConfig({ ...base, concurrency: 3 });
    assert.equal(config.concurrency, 3);
    assert.equal(config.schema, "graphile_worker");
    assert.ok(config.localQueue.size >= 0);
  });
});
