/**
 * `--tasks file.ts` when the CLI runs as plain JavaScript (installed, or built):
 * Node 20 cannot import TypeScript itself, so the loader registers tsx when it
 * can find it, and otherwise says exactly what to do. The loader is compiled to
 * JavaScript outside the repository and run in a fresh node without tsx.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { REPO_ROOT } from "./spawn-cli.js";

const buildDir = mkdtempSync(path.join(tmpdir(), "gwts-load-tasks-"));
after(() => rmSync(buildDir, { recursive: true, force: true }));

function run(command: string, args: readonly string[], cwd: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, output })));
}

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const built = await run(
  process.execPath,
  [
    tsc,
    "src/cli/load-tasks.ts",
    "--outDir",
    buildDir,
    "--rootDir",
    ".",
    "--module",
    "nodenext",
    "--moduleResolution",
    "nodenext",
    "--target",
    "es2022",
    "--skipLibCheck",
    "--strict",
  ],
  REPO_ROOT,
);
writeFileSync(path.join(buildDir, "package.json"), JSON.stringify({ type: "module" }));
const loader = path.join(buildDir, "src", "cli", "load-tasks.js");

function loadTasksIn(cwd: string, modulePath: string) {
  const script = `import(${JSON.stringify(loader)}).then((m) => m.loadTasks(${JSON.stringify(modulePath)}))
    .then((tasks) => console.log("loaded " + (Array.isArray(tasks) ? tasks.map((t) => t.identifier) : Object.keys(tasks)).join(",")), (e) => { console.log(e.message); process.exit(2); })`;
  return run(process.execPath, ["-e", script], cwd);
}

test("the loader compiles to JavaScript", () => {
  assert.equal(built.code, 0, built.output);
});

test("a .ts tasks module loads through tsx when the project has it", async () => {
  const { code, output } = await loadTasksIn(REPO_ROOT, "test/cli/fixtures/array-tasks.ts");
  assert.equal(code, 0, output);
  assert.match(output, /^loaded \w+/);
});

/** Node 22.18+ and 24 strip types by themselves; Node 20 cannot import TypeScript at all. */
const nodeStripsTypes = Boolean((process.features as { typescript?: unknown }).typescript);

test("without tsx, the error says exactly what to do (Node 20), or Node strips the types itself (22.18+, 24)", async () => {
  const tasksFile = path.join(buildDir, "tasks.ts");
  writeFileSync(tasksFile, `const tasks: Record<string, () => void> = { hello: () => undefined };\nexport default tasks;\n`);
  const { code, output } = await loadTasksIn(buildDir, tasksFile);
  if (nodeStripsTypes) {
    assert.equal(code, 0, output);
    assert.match(output, /^loaded hello/);
    return;
  }
  assert.equal(code, 2, output);
  assert.equal(output.trim().split("\n").length, 1, output);
  assert.match(
    output,
    /--tasks: cannot load ".*tasks\.ts": TypeScript task modules need tsx: install it \(npm install --save-dev tsx\)/,
  );
});
