/**
 * A pluggable logger. Pass your own (pino, winston, console wrappers) to
 * `createWorker`/`createWorkerUtils`; the default writes to the console.
 */
export type LogLevel = "error" | "warn" | "info" | "debug";

export interface LogMeta {
  [key: string]: unknown;
}

export interface Logger {
  error(message: string, meta?: LogMeta): void;
  warn(message: string, meta?: LogMeta): void;
  info(message: string, meta?: LogMeta): void;
  debug(message: string, meta?: LogMeta): void;
}

const LEVEL_ORDER: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** Console logger; level from `GRAPHILE_WORKER_LOG_LEVEL` (default `info`). */
export function createConsoleLogger(
  level: LogLevel = (process.env.GRAPHILE_WORKER_LOG_LEVEL as LogLevel | undefined) ?? "info",
  scope = "graphile-worker-ts",
): Logger {
  const threshold = LEVEL_ORDER[level] ?? LEVEL_ORDER.info;
  const write = (at: LogLevel) => (message: string, meta?: LogMeta) => {
    if (LEVEL_ORDER[at] > threshold) return;
    const line = `[${scope}] ${at.toUpperCase()}: ${message}`;
    const stream = at === "error" || at === "warn" ? console.error : console.log;
    if (meta && Object.keys(meta).length > 0) stream(line, meta);
    else stream(line);
  };
  return { error: write("error"), warn: write("warn"), info: write("info"), debug: write("debug") };
}

/** A logger that discards everything (tests, benchmarks). */
export const silentLogger: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
};
