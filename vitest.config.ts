/**
 * vitest runs only the vitest examples (examples/testing/*.vitest.ts): the
 * project's own suite is node:test (`npm test`, test/run.ts). Its cache goes
 * to .data/ (node_modules may be shared between checkouts); run it with
 * `--configLoader runner` so loading this file writes nothing under
 * node_modules either.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  cacheDir: ".data/vitest",
  test: {
    include: ["examples/testing/**/*.vitest.ts"],
  },
});
