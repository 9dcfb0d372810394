/**
 * The structure rules of docs/architecture.md, checked on the source tree:
 * no import cycles between modules (src, bench, tools), and no source file
 * over 400 lines. Imports are read from the text (`import`/`export … from`,
 * static relative specifiers only), which is all this code base uses.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const MAX_LINES = 400;

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((entry) => {
    const full = path.join(directory, entry);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return full.endsWith(".ts") ? [full] : [];
  });
}

const files = ["src", "bench", "tools"].flatMap((folder) => sourceFiles(path.join(root, folder)));

/** Relative imports of a file, resolved to the .ts files they name (type-only imports included). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [...text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+"(\.{1,2}\/[^"]+)"/gms)].map((m) => m[1]!);
  return specifiers.map((specifier) => path.resolve(path.dirname(file), specifier.replace(/\.js$/, ".ts")));
}

test("no import cycles in src, bench and tools", () => {
  const graph = new Map(files.map((file) => [file, importsOf(file).filter((target) => target !== file)]));
  const state = new Map<string, "open" | "done">();
  const cycles: string[] = [];
  const visit = (file: string, trail: string[]) => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "open") {
      cycles.push([...trail.slice(trail.indexOf(file)), file].map((f) => path.relative(root, f)).join(" -> "));
      return;
    }
    state.set(file, "open");
    for (const target of graph.get(file) ?? []) visit(target, [...trail, file]);
    state.set(file, "done");
  };
  for (const file of files) visit(file, []);
  assert.deepEqual(cycles, []);
});

test(`no source file over ${MAX_LINES} lines`, () => {
  const long = files
    .map((file) => ({ file: path.relative(root, file), lines: readFileSync(file, "utf8").split("\n").length }))
    .filter((entry) => entry.lines > MAX_LINES);
  assert.deepEqual(long, []);
});
