/** Installed package versions (for labelling results). */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

function versionOf(manifestPath: string): string {
  const manifest: unknown = require(manifestPath);
  const version = typeof manifest === "object" && manifest !== null ? (manifest as { version?: unknown }).version : undefined;
  return typeof version === "string" ? version : "?";
}

/** Version of an installed npm package, e.g. `packageVersion("pg-boss")`. */
export function packageVersion(name: string): string {
  return versionOf(`${name}/package.json`);
}

/** Version of this repository's package. */
export function projectVersion(): string {
  return versionOf("../../package.json");
}
