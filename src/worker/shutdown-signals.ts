/**
 * SIGINT/SIGTERM handling for a worker that owns its process: the first signal
 * stops gracefully (finish running jobs up to the shutdown timeout), a second
 * one forces (abort running jobs now, release locks), a third exits at once.
 */
import type { Logger } from "../logger/logger.js";

interface Stoppable {
  readonly workerId: string;
  stop(options?: { timeoutMs?: number }): Promise<void>;
  abortRunningJobs(): void;
}

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

export function handleShutdownSignals(worker: Stoppable, logger: Logger): () => void {
  let received = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    received++;
    if (received === 1) {
      logger.info(`Received ${signal}: stopping worker ${worker.workerId} gracefully (send again to force)`);
      void worker.stop();
    } else if (received === 2) {
      logger.warn(`Received ${signal} again: aborting running jobs and releasing locks`);
      void worker.stop({ timeoutMs: 0 });
      worker.abortRunningJobs();
    } else {
      logger.error(`Received ${signal} a third time: exiting immediately`);
      process.exit(1);
    }
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  return () => {
    for (const signal of SIGNALS) process.off(signal, onSignal);
  };
}

