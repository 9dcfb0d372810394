/** epochMs (timestamps read as numbers) must give exactly the Date node-postgres parses from the text. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { epochMs, epochMsBigint } from "../../src/sql/epoch-ms.js";
import { createTestDatabase } from "../support/database.js";

const db = await createTestDatabase("epoch_ms");

test("epochMs equals node-postgres' Date for 20,000 timestamps with every kind of microsecond part", async () => {
  // Random microseconds, plus whole milliseconds (x.123000) and the edges of a millisecond (x.000999, x.999999).
  const { rows } = await db.pool.query<{ ts: Date; ms: number }>(`
    with t as (
      select timestamptz '2026-01-01 00:00:00+00' + (floor(random() * 1e14) || ' microseconds')::interval as ts
      from generate_series(1, 17000)
      union all
      select timestamptz '2026-01-01 00:00:00+00' + (n || ' milliseconds')::interval + (e || ' microseconds')::interval
      from generate_series(1, 1000) as n, unnest(array[0, 999, 1]) as e
    )
    select ts, ${epochMs("ts")} as ms from t`);
  assert.equal(rows.length, 20_000);
  const mismatches = rows.filter((row) => typeof row.ms !== "number" || new Date(row.ms).getTime() !== row.ts.getTime());
  assert.deepEqual(mismatches.slice(0, 5), []);
});

test("epochMsBigint printed as text reads back (JSON.parse) as the same number as epochMs, before 1970 too", async () => {
  const { rows } = await db.pool.query<{ ms: number; text: string }>(`
    with t as (
      select timestamptz '1969-12-31 23:59:59.999999+00' + (n * 7919 || ' microseconds')::interval as ts
      from generate_series(-2000, 2000) as n
      union all
      select timestamptz '2026-01-01 00:00:00+00' + (floor(random() * 1e14) || ' microseconds')::interval
      from generate_series(1, 5000)
    )
    select ${epochMs("ts")} as ms, ${epochMsBigint("ts")}::text as text from t`);
  assert.equal(rows.length, 9_001);
  const mismatches = rows.filter((row) => JSON.parse(row.text) !== row.ms);
  assert.deepEqual(mismatches.slice(0, 5), []);
});
