/**
 * `--tasks file.ts` from a CLI running as plain JavaScript (the installed
 * package, or `node bin/…` after a build): Node 20 cannot import TypeScript by
 * itself, so we register tsx's ESM loader when tsx can be found, from this
 * package or from the current directory (the user's project).
 */
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

const TYPESCRIPT_EXTENSION = /\.[cm]?tsx?$/i;

export function isTypeScriptModule(modulePath: string): boolean {
  return TYPESCRIPT_EXTENSION.test(modulePath);
}

/** What to do when no loader is available (the error names it exactly). */
export const TYPESCRIPT_LOADER_HINT =
  "TypeScript task modules need tsx: install it (npm install --save-dev tsx) and run again, " +
  "or run the CLI as `node --import tsx …`, or compile the tasks to JavaScript";

interface TsxEsmApi {
  register: () => unknown;
}

async function importTsxApi(): Promise<TsxEsmApi | undefined> {
  const specifier = "tsx/esm/api";
  const candidates: Array<() => Promise<unknown>> = [() => import(specifier), () => import(tsxApiFromCwd())];
  for (const load of candidates) {
    try {
      const api = (await load()) as Partial<TsxEsmApi>;
      if (typeof api.register === "function") return api as TsxEsmApi;
    } catch {
      // Not found this way: try the next.
    }
  }
  return undefined;
}

/**
 * tsx's ESM API as installed in the current directory's project. require.resolve
 * would pick the CommonJS build, which cannot register the ESM loader, so the
 * ESM entry is read from tsx's package.json exports.
 */
function tsxApiFromCwd(): string {
  const require = createRequire(path.join(process.cwd(), "noop.js"));
  const manifestPath = require.resolve("tsx/package.json");
  const manifest = require(manifestPath) as { exports?: Record<string, { import?: { default?: string } } | string> };
  const entry = manifest.exports?.["./esm/api"];
  const relative = typeof entry === "object" ? entry.import?.default : undefined;
  if (!relative) throw new Error("tsx has no ESM API entry");
  return pathToFileURL(path.join(path.dirname(manifestPath), relative)).href;
}

let registered: Promise<boolean> | undefined;

/** Register tsx's loader once; false when tsx cannot be found. */
export function registerTypeScriptLoader(): Promise<boolean> {
  registered ??= importTsxApi().then((api) => {
    if (!api) return false;
    api.register();
    return true;
  });
  return registered;
}
