/**
 * The crontab grammar (graphile-worker 0.18's, plus `tz=`), and each bad input
 * refused with a CrontabError naming file, line and field.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { CrontabError } from "../../src/errors/errors.js";
import { parseCrontab, resolveCrontab } from "../../src/cron/resolve-items.js";
import { cron } from "../../src/cron/cron-item.js";
import { defineTask } from "../../src/tasks/task.js";

test("fields: *, lists, ranges, steps; 7 is Sunday", () => {
  const [item] = parseCrontab("*/15 1,3-5 1-3,31 */6 5-7 report");
  assert.deepEqual(item!.schedule.minutes, [0, 15, 30, 45]);
  assert.deepEqual(item!.schedule.hours, [1, 3, 4, 5]);
  assert.deepEqual(item!.schedule.dates, [1, 2, 3, 31]);
  assert.deepEqual(item!.schedule.months, [1, 7]);
  assert.deepEqual(item!.schedule.dows, [0, 5, 6]);
  assert.equal(item!.task, "report");
  assert.equal(item!.identifier, "report", "the identifier defaults to the task identifier");
  assert.equal(item!.timeZone, "UTC");
  assert.equal(item!.backfillMs, 0);
  assert.deepEqual(item!.payload, {});
});

test("day of month and day of week both restricted: either matches (Vixie cron)", () => {
  const [item] = parseCrontab("0 0 13 * 5 friday13");
  const at = (date: number, dow: number) => item!.schedule.matches({ minute: 0, hour: 0, date, month: 1, dow });
  assert.equal(at(13, 1), true);
  assert.equal(at(2, 5), true);
  assert.equal(at(2, 1), false);
  const [onlyDow] = parseCrontab("0 0 * * 1 monday");
  assert.equal(onlyDow!.schedule.matches({ minute: 0, hour: 0, date: 2, month: 1, dow: 1 }), true);
  assert.equal(onlyDow!.schedule.matches({ minute: 0, hour: 0, date: 2, month: 1, dow: 2 }), false);
});

test("comments, blank lines, CRLF, options and JSON5 payload", () => {
  const text = [
    "# a comment",
    "",
    "   ",
    "0 4 * * * report ?id=daily&fill=1w2d3h4m5s&max=3&queue=reports&jobKey=k1&priority=-2&tz=Europe/Berlin {kind: 'daily', n: 1,}",
    "\t# indented comment",
    "30 2 * * * other:task/x-y {a: [1, 2]}\r",
    "* * * * * keyed ?jobKey=k2&jobKeyMode=preserve_run_at",
  ].join("\r\n");
  const items = parseCrontab(text);
  assert.equal(items.length, 3);
  const [a, b, c] = items;
  assert.equal(a!.identifier, "daily");
  assert.equal(a!.backfillMs, ((7 * 24 + 2 * 24 + 3) * 60 + 4) * 60_000 + 5000);
  assert.equal(a!.maxAttempts, 3);
  assert.equal(a!.queueName, "reports");
  assert.equal(a!.jobKey, "k1");
  assert.equal(a!.jobKeyMode, "replace", "jobKey without jobKeyMode means replace");
  assert.equal(a!.priority, -2);
  assert.equal(a!.timeZone, "Europe/Berlin");
  assert.deepEqual(a!.payload, { kind: "daily", n: 1 });
  assert.equal(b!.task, "other:task/x-y");
  assert.deepEqual(b!.payload, { a: [1, 2] });
  assert.equal(c!.jobKeyMode, "preserve_run_at");
});

function refused(text: string, line: number, field: string, file = "crontab"): void {
  assert.throws(
    () => parseCrontab(text, file),
    (error: unknown) => {
      assert.ok(error instanceof CrontabError, String(error));
      assert.equal(error.file, file);
      assert.equal(error.line, line);
      assert.equal(error.field, field);
      assert.ok(error.message.startsWith(`${file}:${line}: invalid ${field}`), error.message);
      return true;
    },
  );
}

test("out-of-range and malformed fields name the field", () => {
  refused("61 * * * * t", 1, "minute");
  refused("# c\n0 24 * * * t", 2, "hour");
  refused("0 0 0 * * t", 1, "dayOfMonth");
  refused("0 0 32 * * t", 1, "dayOfMonth");
  refused("0 0 * 13 * t", 1, "month");
  refused("0 0 * * 8 t", 1, "dayOfWeek");
  refused("5-1 * * * * t", 1, "minute");
  refused("*/0 * * * * t", 1, "minute");
  refused("1/2 * * * * t", 1, "minute");
  refused("a * * * * t", 1, "minute");
  refused("* * * *", 1, "line");
  refused("* * * * * 9task", 1, "task");
});

test("options: unknown, bad values, repeated", () => {
  refused("* * * * * t ?bogus=1", 1, "option");
  refused("* * * * * t ?fill=1y", 1, "fill");
  refused("* * * * * t ?max=x", 1, "max");
  refused("* * * * * t ?max=0", 1, "max");
  refused("* * * * * t ?queue=a%20b", 1, "queue");
  refused("* * * * * t ?jobKeyMode=unsafe_dedupe", 1, "jobKeyMode");
  refused("* * * * * t ?priority=1.5", 1, "priority");
  refused("* * * * * t ?id=1x", 1, "id");
  refused("* * * * * t ?id=a&id=b", 1, "id");
});

test("payload that is not JSON5, or not an object", () => {
  refused("* * * * * t {a: }", 1, "payload");
  refused("* * * * * t [1]", 1, "payload");
  refused("* * * * * t ?id=x {a:1", 1, "payload");
});

test("unknown time zone", () => {
  refused("* * * * * t ?tz=Mars/Olympus", 1, "tz", "/etc/crontab");
});

test("two items with one identifier (explicit or derived)", () => {
  refused("* * * * * t\n\n0 * * * * t", 3, "id");
  refused("* * * * * a ?id=x\n0 * * * * b ?id=x", 2, "id");
  assert.equal(parseCrontab("* * * * * t\n0 * * * * t ?id=t2").length, 2);
});

test("typed items: builder and plain objects resolve to the same items as text", () => {
  const report = defineTask<{ kind: string }>({ identifier: "report", run: () => undefined });
  const fromText = parseCrontab("0 4 * * * report ?id=daily&fill=1h&tz=Europe/Berlin {kind: 'daily'}");
  const built = resolveCrontab([
    cron("0 4 * * *").task(report).payload({ kind: "daily" }).timeZone("Europe/Berlin").backfill("1h").id("daily"),
  ]);
  const plain = resolveCrontab([
    {
      schedule: "0 4 * * *",
      task: report,
      payload: { kind: "daily" },
      timeZone: "Europe/Berlin",
      backfill: 3_600_000,
      identifier: "daily",
    },
  ]);
  for (const items of [built, plain]) {
    assert.deepEqual(
      { ...items[0]!, schedule: items[0]!.schedule.pattern },
      { ...fromText[0]!, schedule: fromText[0]!.schedule.pattern },
    );
  }
});

test("typed items: bad values name the item number and field", () => {
  const check = (run: () => unknown, line: number, field: string) =>
    assert.throws(
      run,
      (e: unknown) => e instanceof CrontabError && e.file === "crontab items" && e.line === line && e.field === field,
    );
  check(() => resolveCrontab([cron("* * * * *").task("a"), cron("61 * * * *").task("b")]), 2, "minute");
  check(() => resolveCrontab([cron("* * * * *").task("a").timeZone("Nowhere/Zone")]), 1, "tz");
  check(() => resolveCrontab([cron("* * * * *").task("a"), cron("0 * * * *").task("a")]), 2, "id");
  check(() => resolveCrontab([cron("* * * * *") as never]), 1, "task");
  check(() => resolveCrontab([cron("* * * * *").task("a").backfill("soon")]), 1, "fill");
  check(() => resolveCrontab([{ schedule: "* * * * *", task: "a", bogus: 1 } as never]), 1, "bogus");
});
