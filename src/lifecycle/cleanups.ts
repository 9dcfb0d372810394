/**
 * Undo steps registered while starting (signal handlers, rejection tracking,
 * telemetry), run at stop. Each runs on its own: one that throws is logged and
 * the others still run, so a stop always reaches its end.
 */
import type { Logger } from "../logger/logger.js";

export function runCleanups(cleanups: Array<() => void>, logger: Logger): void {
  for (const cleanup of cleanups.splice(0)) {
    try {
      cleanup();
    } catch (error) {
      try {
        logger.error(`A shutdown step failed: ${error instanceof Error ? error.message : String(error)}`);
      } catch {
        // the logger itself threw: nothing left to tell
      }
    }
  }
}
