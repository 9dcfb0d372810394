/** The claim sends task identifiers as one text[] literal built once (parameterText): it must survive any identifier. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parameterText } from "../../src/driver/parameter-text.js";
import { createMigratedDatabase, testWorker, waitForEvent } from "../support/fixtures.js";

const db = await createMigratedDatabase("claim_parameters");
const awkward = ['say "hi"', "back\\slash", "comma,brace{}", "NULL", " spaced ", "ünïcode ✓", "", 'a\\"b'];

test("the task identifiers' literal (parameterText) reads back as the same text[] in PostgreSQL", async () => {
  const { rows } = await db.pool.query<{ value: string[] }>("select $1::text[] as value", [parameterText(awkward)]);
  assert.deepEqual(rows[0]!.value, awkward);
  const { rows: empty } = await db.pool.query<{ value: string[] }>("select $1::text[] as value", [parameterText([])]);
  assert.deepEqual(empty[0]!.value, []);
});

test("a worker claims jobs of tasks whose identifiers need quoting", async () => {
  const identifiers = awkward.filter((identifier) => identifier !== "");
  const ran: string[] = [];
  const tasks = Object.fromEntries(identifiers.map((identifier) => [identifier, async () => void ran.push(identifier)]));
  for (const identifier of identifiers) await db.utils.addJob(identifier, {});
  const worker = await testWorker(db, { tasks });
  const done = waitForEvent(worker, "job:complete", () => ran.length === identifiers.length);
  await worker.start();
  try {
    await done;
    assert.deepEqual([...ran].sort(), [...identifiers].sort());
  } finally {
    await worker.stop();
  }
});
