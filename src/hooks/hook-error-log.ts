/**
 * Logs hooks that threw, rate-limited: at most one line per plugin and hook in
 * each window (`HOOK_ERROR_LOG_INTERVAL_MS`), the next line saying how many
 * were left out meanwhile. An observer broken on every job would otherwise
 * write a line per job and drown the log (and cost more than the job).
 */
import { HOOK_ERROR_LOG_INTERVAL_MS } from "../config/defaults.js";
import type { Logger } from "../logger/logger.js";

interface Window {
  /** When the last line for this plugin and hook was written. */
  loggedAt: number;
  /** Throws since then that were not logged. */
  suppressed: number;
}

export class HookErrorLog {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = HOOK_ERROR_LOG_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** A hook threw (or its promise rejected): log it unless this plugin and hook were logged within the window. */
  report(plugin: string, hook: string, error: unknown): void {
    const key = `${plugin}\u0000${hook}`;
    const now = this.now();
    const window = this.windows.get(key);
    if (window && now - window.loggedAt < this.intervalMs) {
      window.suppressed += 1;
      return;
    }
    const suppressed = window?.suppressed ?? 0;
    this.windows.set(key, { loggedAt: now, suppressed: 0 });
    const message = error instanceof Error ? error.message : String(error);
    const more =
      suppressed > 0 ? ` (${suppressed} more failure(s) of this hook were not logged in the last ${this.intervalMs}ms)` : "";
    try {
      this.logger.error(`Hook ${hook} of plugin ${JSON.stringify(plugin)} threw: ${message}${more}`, { plugin, hook });
    } catch {
      // the logger itself throws: nothing left to tell
    }
  }
}
