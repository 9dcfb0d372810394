/**
 * addJobs stores every payload exactly as addJob does. PostgreSQL's `json`
 * type keeps `\u0000` and lone surrogate escapes (addJob, like graphile-worker's,
 * stores them), but reading them out of the bulk path's JSON array refused the
 * whole batch (22P05 / 22P02) on each of its paths: plain insert, add_jobs
 * (replace, preserve_run_at) and add_job (unsafe_dedupe).
 */
import { test, describe, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { createMigratedDatabase } from "../support/fixtures.js";
import type { BulkJob } from "../../src/client/worker-utils.js";
import type { JobKeyMode } from "../../src/jobs/job.js";

const db = await createMigratedDatabase("payload_parity");
const { utils, pool } = db;

const payloads: Array<[string, unknown]> = [
  ["U+0000 in a string", { text: "before\u0000after" }],
  ["U+0000 in a key", { "k\u0000": 1 }],
  ["a lone high surrogate", { text: "cut \ud83d" }],
  ["a lone low surrogate", ["\ude00 cut"]],
  ["other control characters", { text: "\u0001\u001f\t\n" }],
  ["a literal backslash-u", { text: "\\u0000 is six characters" }],
  ["an emoji (a valid pair)", { text: "\ud83d\ude00" }],
];

/** The stored payload (as PostgreSQL's text) of each job, in id order. */
async function storedPayloads(): Promise<string[]> {
  const { rows } = await pool.query<{ payload: string }>(
    "select payload::text as payload from graphile_worker._private_jobs order by id",
  );
  return rows.map((row) => row.payload);
}

describe("a payload addJob stores, addJobs stores identically", () => {
  beforeEach(() => pool.query("delete from graphile_worker._private_jobs"));

  const modes: Array<[string, Partial<BulkJob>]> = [
    ["without a key", {}],
    ...(["replace", "preserve_run_at", "unsafe_dedupe"] as JobKeyMode[]).map((mode): [string, Partial<BulkJob>] => [
      `jobKeyMode ${mode}`,
      { jobKeyMode: mode },
    ]),
  ];
  for (const [name, payload] of payloads) {
    for (const [modeName, mode] of modes) {
      test(`${name}, ${modeName}`, async () => {
        const keyed = mode.jobKeyMode !== undefined;
        const single = await utils.addJob("parity", payload, keyed ? { jobKey: "single", jobKeyMode: mode.jobKeyMode } : {});
        const [bulk] = await utils.addJobs([
          { identifier: "parity", payload, ...(keyed ? { jobKey: "bulk", ...mode } : {}) },
          { identifier: "parity", payload: { other: "job in the same batch" } },
        ]);
        const stored = await storedPayloads();
        assert.equal(stored.length, 3);
        const [fromAddJob, fromAddJobs] = [stored[0], stored.find((text, index) => index > 0 && !text.includes("same batch"))];
        assert.equal(fromAddJobs, fromAddJob, "the same text in the payload column");
        assert.deepEqual(bulk!.payload, single.payload, "the same payload on the returned job");
        assert.deepEqual(bulk!.payload, JSON.parse(JSON.stringify(payload)), "the payload as given");
      });
    }
  }
});
