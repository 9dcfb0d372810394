/**
 * `npm start` (examples/demo.ts) with its embedded PostgreSQL: `--keep-running`
 * prints the database's URL, and Ctrl-C ends it cleanly. Ctrl-C in a terminal
 * goes to the whole foreground process group, so the test starts the demo in a
 * group of its own and sends SIGINT to that group, as the terminal does.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "../cli/spawn-cli.js";

const dataDir = path.join(".data", `demo-test-${process.pid}`);
after(() => rmSync(path.join(REPO_ROOT, dataDir), { recursive: true, force: true }));

test("npm start -- --keep-running prints the database URL and stops cleanly on Ctrl-C", async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, DEMO_DATA_DIR: dataDir, DEMO_ADMIN_PORT: "0" };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, ["--import", "tsx", "examples/demo.ts", "--keep-running"], {
    cwd: REPO_ROOT,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let afterSignal = "";
  let signalled = false;
  const ready = new Promise<void>((resolve) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (signalled) afterSignal += chunk;
      if (output.includes("Ctrl+C to stop.")) resolve();
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const killer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 120_000);
  await Promise.race([ready, exited]);
  assert.match(output, /Worker keeps running on postgres:\/\/\S+:\d+\//, output);
  const adminUrl = /Admin UI: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1];
  assert.ok(adminUrl, output);
  assert.equal((await fetch(`${adminUrl}api/stats`)).status, 200);
  signalled = true;
  process.kill(-child.pid!, "SIGINT");
  const code = await exited;
  clearTimeout(killer);
  assert.equal(code, 0, output);
  assert.match(afterSignal, /Stopped\./);
  // No error line at all. An "idle connection error: terminating connection" line used to appear
  // at load: pg's pool.end() resolves before its sockets have closed, so the database stopping
  // right after reached them. A closing driver no longer reports those (src/driver/pg-driver.ts).
  assert.doesNotMatch(afterSignal, /error|terminating connection|shutting down|Could not/i, afterSignal);
});
