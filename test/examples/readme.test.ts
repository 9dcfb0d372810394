/**
 * The README's ```ts snippets run as written, on a fresh database, the way a
 * new user runs them: each in its own process, with `graphile-worker-ts`
 * pointed at src/ and a few lines appended that wait for the work the snippet
 * asked for and then stop what it started.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createTestDatabase } from "../support/database.js";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SCRATCH = path.join(REPO_ROOT, ".data", `readme-${process.pid}`);
mkdirSync(SCRATCH, { recursive: true });
after(() => rmSync(SCRATCH, { recursive: true, force: true }));

/** The ```ts blocks of README.md, in order. */
export function readmeSnippets(): string[] {
  const readme = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
  return [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

function runScript(source: string, databaseUrl: string): Promise<{ code: number | null; output: string }> {
  const file = path.join(SCRATCH, `snippet-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(file, source);
  const child = spawn(process.execPath, ["--import", "tsx", file], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return new Promise((resolve) =>
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}

const SRC_INDEX = path.join(REPO_ROOT, "src", "index.ts");

test("README has the Use example", () => {
  assert.ok(readmeSnippets().some((s) => s.includes("createWorker(")));
});

test("the README's Use example works as written on a fresh database", async () => {
  const db = await createTestDatabase("readme_use");
  const snippet = readmeSnippets().find((s) => s.includes("createWorker("));
  assert.ok(snippet);
  const source =
    snippet.replaceAll(`from "graphile-worker-ts"`, `from ${JSON.stringify(SRC_INDEX)}`) +
    `
// Appended by the test: wait until the job ran, then stop.
{
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  for (;;) {
    const completed = new Promise((resolve) => worker.events.once("job:complete", resolve));
    const { rows } = await client.query("select count(*)::int as n from graphile_worker._private_jobs");
    if (rows[0].n === 0) break;
    await completed;
  }
  await client.end();
  await worker.stop();
  await running;
  await utils.release();
}
`;
  const { code, output } = await runScript(source, db.connectionString);
  assert.equal(code, 0, output);
  assert.match(output, /sending Hi to ada@example.com \(attempt 1\)/);
  const { rows } = await db.pool.query("select count(*)::int as n from graphile_worker._private_jobs");
  assert.equal(rows[0].n, 0, "the job ran and was completed");
});
