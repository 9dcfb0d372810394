/**
 * Finding and launching the machine's Chromium for the browser tests:
 * `CHROMIUM_PATH`, else `chromium` (or `chromium-browser`) on the PATH. When
 * none is found the tests are skipped, saying so (`.ci/run` installs Debian's
 * `chromium` package when it is missing).
 */
import { accessSync, constants } from "node:fs";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";

export function findChromium(): string | undefined {
  const given = process.env.CHROMIUM_PATH;
  if (given) return given;
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    for (const name of ["chromium", "chromium-browser"]) {
      const candidate = path.join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

export const CHROMIUM_SKIP_REASON =
  "no Chromium found: set CHROMIUM_PATH or install the chromium package (apt-get install chromium)";

export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, args: ["--no-sandbox", "--disable-gpu", "--headless=new"] });
}
