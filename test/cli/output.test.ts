/**
 * The CLI's output formatters, in process: durations and relative times,
 * aligned tables, label/value lines, and progress (written only to a terminal,
 * checked with a fake stream).
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { formatDuration, relativeTime } from "../../src/cli/output/relative-time.js";
import { cell, formatFields, formatTable } from "../../src/cli/output/table.js";
import { createProgress, inSlices, type ProgressStream } from "../../src/cli/output/progress.js";

describe("relative times", () => {
  test("durations in their largest whole unit, rounded down", () => {
    assert.equal(formatDuration(0), "0s");
    assert.equal(formatDuration(999), "0s");
    assert.equal(formatDuration(45_000), "45s");
    assert.equal(formatDuration(59_999), "59s");
    assert.equal(formatDuration(3 * 60_000 + 59_000), "3m");
    assert.equal(formatDuration(59 * 60_000 + 59_999), "59m");
    assert.equal(formatDuration(2 * 3_600_000), "2h");
    assert.equal(formatDuration(4 * 86_400_000 + 3_600_000), "4d");
    assert.equal(formatDuration(-5_000), "0s");
  });

  test("moments before and after now", () => {
    const now = new Date("2026-12-02T12:00:00Z");
    assert.equal(relativeTime(new Date("2026-12-02T11:57:00Z"), now), "3m ago");
    assert.equal(relativeTime(new Date("2026-12-02T14:00:30Z"), now), "in 2h");
    assert.equal(relativeTime(new Date("2026-12-02T12:00:00.500Z"), now), "now");
    assert.equal(relativeTime(new Date("2026-11-25T12:00:00Z"), now), "7d ago");
    assert.equal(relativeTime(null, now), "-");
  });
});

describe("tables", () => {
  test("columns padded to the widest cell, numbers right-aligned, no trailing spaces", () => {
    const text = formatTable(
      [{ header: "ID", align: "right" }, { header: "TASK" }, { header: "NOTE" }],
      [
        ["7", "send_email", "-"],
        ["1042", "report", "long note"],
      ],
    );
    assert.deepEqual(text.split("\n"), ["  ID  TASK        NOTE", "   7  send_email  -", "1042  report      long note"]);
    for (const line of text.split("\n")) assert.equal(line, line.trimEnd());
  });

  test("an empty table is its header", () => {
    assert.equal(formatTable([{ header: "QUEUE" }, { header: "WAITING", align: "right" }], []), "QUEUE  WAITING");
  });

  test("cells are one line, cut with an ellipsis at maxWidth", () => {
    assert.equal(cell("a\nb\tc\r\nd"), "a b c d");
    assert.equal(cell("Error: boom\n    at run (task.js:3)"), "Error: boom at run (task.js:3)");
    assert.equal(cell("abcdefghij", 5), "abcd…");
    assert.equal(cell("abcde", 5), "abcde");
    const text = formatTable([{ header: "ERROR", maxWidth: 6 }, { header: "X" }], [["line one\nline two", "1"]]);
    assert.deepEqual(text.split("\n"), ["ERROR   X", "line …  1"]);
  });

  test("characters beyond the BMP count as one column", () => {
    assert.deepEqual(formatTable([{ header: "A" }, { header: "B" }], [["😀", "x"]]).split("\n"), ["A  B", "😀  x"]);
  });

  test("label/value lines align the values", () => {
    assert.equal(
      formatFields([
        ["id", "1"],
        ["locked by", "w"],
        ["key", ""],
      ]),
      "id         1\nlocked by  w\nkey",
    );
  });
});

function fakeStream(isTTY: boolean): ProgressStream & { written: string[] } {
  const written: string[] = [];
  return { isTTY, written, write: (text: string) => written.push(text) };
}

describe("progress", () => {
  test("on a terminal: one line rewritten in place, erased at the end", () => {
    const stream = fakeStream(true);
    const progress = createProgress("Completing jobs", stream);
    progress.update(0, 2500);
    progress.update(1000, 2500, "(slice 2)");
    progress.done();
    assert.deepEqual(stream.written, [
      "\r\u001b[2KCompleting jobs: 0/2500",
      "\r\u001b[2KCompleting jobs: 1000/2500 (slice 2)",
      "\r\u001b[2K",
    ]);
  });

  test("not a terminal (a pipe or file): nothing at all", () => {
    for (const stream of [fakeStream(false), { write: fakeStream(false).write, written: [] as string[] }]) {
      const progress = createProgress("Migrating", stream);
      progress.update(1, 24);
      progress.done();
      assert.deepEqual(stream.written, []);
    }
  });

  test("done() erases only what was shown", () => {
    const stream = fakeStream(true);
    createProgress("Cleaning up", stream).done();
    assert.deepEqual(stream.written, []);
  });

  test("inSlices: every slice in order, progress between slices, erased even on error", async () => {
    const stream = fakeStream(true);
    const slices: number[][] = [];
    const items = Array.from({ length: 7 }, (_, i) => i);
    const results = await inSlices(items, 3, createProgress("Work", stream), async (slice) => {
      slices.push([...slice]);
      return slice.map((n) => n * 10);
    });
    assert.deepEqual(slices, [[0, 1, 2], [3, 4, 5], [6]]);
    assert.deepEqual(results, [0, 10, 20, 30, 40, 50, 60]);
    assert.deepEqual(stream.written, ["\r\u001b[2KWork: 0/7", "\r\u001b[2KWork: 3/7", "\r\u001b[2KWork: 6/7", "\r\u001b[2K"]);

    const failing = fakeStream(true);
    await assert.rejects(
      inSlices(items, 3, createProgress("Work", failing), async () => {
        throw new Error("database went away");
      }),
      /database went away/,
    );
    assert.equal(failing.written.at(-1), "\r\u001b[2K");
  });

  test("inSlices: one slice shows no progress", async () => {
    const stream = fakeStream(true);
    assert.deepEqual(await inSlices([1, 2], 3, createProgress("Work", stream), async (s) => [...s]), [1, 2]);
    assert.deepEqual(stream.written, []);
  });
});
