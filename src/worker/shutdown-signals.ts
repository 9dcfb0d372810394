/**
 * SIGINT/SIGTERM handling for a worker that owns its process: the first signal
 * stops gracefully (finish running jobs up to the shutdown timeout), a second
 * one forces (abort running jobs now, release locks), a third exits at once,
 * by that signal.
 *
 * The worker records the signal that stopped it (`stopSignal`). It does not
 * end the process itself: a library user's process may have more to shut
 * down. The CLI, which owns its process, re-raises the signal once the worker
 * has stopped (`exitBySignal`), as graphile-worker does: a task that ignores
 * `ctx.signal` and keeps the event loop busy cannot keep the process alive.
 */
import { constants } from "node:os";
import type { Logger } from "../logger/logger.js";

interface Stoppable {
  readonly workerId: string;
  stop(options?: { timeoutMs?: number; signal?: NodeJS.Signals }): Promise<void>;
  abortRunningJobs(): void;
}

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

export function handleShutdownSignals(worker: Stoppable, logger: Logger): () => void {
  let received = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    received++;
    if (received === 1) {
      logger.info(`Received ${signal}: stopping worker ${worker.workerId} gracefully (send again to force)`);
      void worker.stop({ signal });
    } else if (received === 2) {
      logger.warn(`Received ${signal} again: aborting running jobs and releasing locks`);
      void worker.stop({ timeoutMs: 0, signal });
      worker.abortRunningJobs();
    } else {
      logger.error(`Received ${signal} a third time: exiting immediately`);
      exitBySignal(signal);
    }
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  return () => {
    for (const signal of SIGNALS) process.off(signal, onSignal);
  };
}

/**
 * End this process by `signal`, so its parent sees it killed by that signal
 * (as graphile-worker's CLI does): the listeners of that signal are removed and
 * the signal is sent again, now with its default action. The kernel may hand
 * it to another thread a moment later, so this does not exit at once; should
 * the process still live after a second (a listener added meanwhile), it exits
 * with 128 + the signal's number, the shell's convention for "killed by".
 */
export function exitBySignal(signal: NodeJS.Signals): void {
  process.removeAllListeners(signal);
  setTimeout(() => process.exit(128 + (constants.signals[signal] ?? 0)), 1000);
  process.kill(process.pid, signal);
}
