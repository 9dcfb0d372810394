/**
 * `npm test`: runs every test file under test/ with node's test runner, in
 * parallel processes. Uses DATABASE_URL when set; otherwise starts one embedded
 * PostgreSQL for the whole run. Each test file creates its own database.
 *
 * Usage: npm test [-- file-or-dir ...]
 */
import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "../tools/embedded-database.js";

function collectTestFiles(target: string): string[] {
  const stat = statSync(target);
  if (stat.isFile()) return [target];
  return readdirSync(target)
    .sort()
    .flatMap((entry) => {
      const full = path.join(target, entry);
      if (statSync(full).isDirectory()) return entry === "support" ? [] : collectTestFiles(full);
      return entry.endsWith(".test.ts") ? [full] : [];
    });
}

const targets = process.argv.slice(2);
const files = (targets.length > 0 ? targets : ["test"]).flatMap(collectTestFiles);

let embedded: EmbeddedDatabase | undefined;
const env = { ...process.env };
if (!env.DATABASE_URL) {
  embedded = await startEmbeddedDatabase({
    dataDir: `.data/test-${process.pid}`,
    persistent: false,
    postgresFlags: ["-c", "max_connections=400", "-c", "fsync=off", "-c", "synchronous_commit=off"],
  });
  env.DATABASE_URL = embedded.connectionString;
  console.log(`Started embedded PostgreSQL on port ${embedded.port}`);
}

const concurrency = Math.max(2, Math.min(4, availableParallelism() * 2));
const child = spawn(
  process.execPath,
  ["--import", "tsx", "--test", "--test-reporter=spec", `--test-concurrency=${concurrency}`, ...files],
  { stdio: "inherit", env },
);
const stopEmbedded = async () => {
  if (embedded) await embedded.stop().catch((error) => console.error("stopping embedded PostgreSQL:", error));
};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => child.kill(signal));
}
const code: number = await new Promise((resolve) => child.on("exit", (c, s) => resolve(c ?? (s ? 1 : 0))));
await stopEmbedded();
process.exit(code);
