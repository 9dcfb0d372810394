/** Installed package versions (for labelling results). */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

function versionOf(manifestPath: string): string {
  try {
    const manifest: unknown = JSON.parse(readFileSync(manifestPath, "utf8"));
    const version = typeof manifest === "object" && manifest !== null ? (manifest as { version?: unknown }).version : undefined;
    return typeof version === "string" ? version : "?";
  } catch {
    return "?";
  }
}

/** Version of an installed npm package, e.g. `packageVersion("pg-boss")` (read from node_modules). */
export function packageVersion(name: string): string {
  return versionOf(path.join(REPO_ROOT, "node_modules", name, "package.json"));
}

/** Version of this repository's package. */
export function projectVersion(): string {
  return versionOf(path.join(REPO_ROOT, "package.json"));
}
