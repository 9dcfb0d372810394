/** The rate-limited log of throwing hooks: one line per plugin and hook per window, then a count of the rest. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { HOOK_ERROR_LOG_INTERVAL_MS } from "../../src/config/defaults.js";
import { HookErrorLog } from "../../src/hooks/hook-error-log.js";
import { silentLogger } from "../../src/logger/logger.js";

test("one line per plugin and hook per window; the next line counts those left out", () => {
  const lines: string[] = [];
  let now = 1_000;
  const log = new HookErrorLog({ ...silentLogger, error: (m: string) => void lines.push(m) }, 10_000, () => now);
  for (let i = 0; i < 5; i += 1) log.report("audit", "onJobStart", new Error(`boom ${i}`));
  log.report("audit", "onJobComplete", "string thrown");
  log.report("other", "onJobStart", new Error("other boom"));
  assert.deepEqual(lines, [
    'Hook onJobStart of plugin "audit" threw: boom 0',
    'Hook onJobComplete of plugin "audit" threw: string thrown',
    'Hook onJobStart of plugin "other" threw: other boom',
  ]);
  now += 9_999;
  log.report("audit", "onJobStart", new Error("still in window"));
  assert.equal(lines.length, 3);
  now += 1;
  log.report("audit", "onJobStart", new Error("next window"));
  assert.equal(
    lines[3],
    'Hook onJobStart of plugin "audit" threw: next window (5 more failure(s) of this hook were not logged in the last 10000ms)',
  );
});

test("a logger that throws does not escape", () => {
  const log = new HookErrorLog({
    ...silentLogger,
    error: () => {
      throw new Error("logger down");
    },
  });
  assert.doesNotThrow(() => log.report("p", "onJobStart", new Error("x")));
  assert.ok(HOOK_ERROR_LOG_INTERVAL_MS >= 1000);
});
