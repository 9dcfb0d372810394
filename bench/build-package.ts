/**
 * Compile the package (src -> dist) before a benchmark, so worker processes run
 * the JavaScript users run (as graphile-worker and pg-boss do), not TypeScript
 * transformed on the fly.
 */
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

export function buildPackage(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", path.join(root, "tsconfig.build.json")], { cwd: root, stdio: "inherit" });
}
