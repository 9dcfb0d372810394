/**
 * Thrown by a command that a process signal stopped, once it has cleaned up:
 * `runCli` turns it into exit code 128 + the signal's number, and main.ts ends
 * the process by that very signal (as graphile-worker's CLI does).
 */
import { constants } from "node:os";

export class StoppedBySignal extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`stopped by ${signal}`);
    this.name = "StoppedBySignal";
  }

  /** The shell's exit code for a process killed by the signal. */
  get exitCode(): number {
    return 128 + (constants.signals[this.signal] ?? 0);
  }
}
