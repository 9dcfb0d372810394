/**
 * A pluggable logger. Pass your own (pino, winston, console wrappers) to
 * `createWorker`/`createWorkerUtils`; the default writes to the console.
 */
import { ValidationError } from "../errors/errors.js";

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
export const LOG_LEVELS = Object.keys(LEVEL_ORDER) as LogLevel[];

/**
 * The level `GRAPHILE_WORKER_LOG_LEVEL` asks for (default `info`). A value that
 * is not a level is refused rather than silently read as `info`.
 */
export function logLevelFromEnvironment(): LogLevel {
  const value = process.env.GRAPHILE_WORKER_LOG_LEVEL;
  if (value === undefined || value === "") return "info";
  if (!(LOG_LEVELS as string[]).includes(value)) {
    throw new ValidationError("GRAPHILE_WORKER_LOG_LEVEL", value, `must be one of ${LOG_LEVELS.join(", ")}`);
  }
  return value as LogLevel;
}

/** `text`: one readable line per message; `json`: one JSON object per line, for log shippers. */
export type LogFormat = "text" | "json";
export const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];

/** Meta as ` key=value` pairs (strings quoted only when they hold spaces or quotes). */
function formatMeta(meta: LogMeta | undefined): string {
  if (!meta) return "";
  return Object.entries(meta)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => {
      const text = typeof value === "string" ? value : JSON.stringify(value);
      return ` ${key}=${typeof value === "string" && /[\s"=]/.test(value) ? JSON.stringify(value) : text}`;
    })
    .join("");
}

/**
 * Console logger; level from `GRAPHILE_WORKER_LOG_LEVEL` (default `info`). Every
 * line starts with its time (ISO 8601, UTC), so an operator can line it up with
 * the database's log; meta (e.g. a job's `jobId` and `task`) follows the message.
 */
export function createConsoleLogger(
  level: LogLevel = logLevelFromEnvironment(),
  scope = "graphile-worker-ts",
  format: LogFormat = "text",
): Logger {
  if (!(LOG_LEVELS as string[]).includes(level)) {
    throw new ValidationError("level", level, `must be one of ${LOG_LEVELS.join(", ")}`);
  }
  if (!LOG_FORMATS.includes(format)) throw new ValidationError("format", format, `must be one of ${LOG_FORMATS.join(", ")}`);
  const threshold = LEVEL_ORDER[level];
  const write = (at: LogLevel) => (message: string, meta?: LogMeta) => {
    if (LEVEL_ORDER[at] > threshold) return;
    const time = new Date().toISOString();
    const line =
      format === "json"
        ? JSON.stringify({ time, level: at, scope, message, ...meta })
        : `${time} [${scope}] ${at.toUpperCase()}: ${message}${formatMeta(meta)}`;
    const stream = at === "error" || at === "warn" ? console.error : console.log;
    stream(line);
  };
  const logger = { error: write("error"), warn: write("warn"), info: write("info"), debug: write("debug") };
  if (threshold < LEVEL_ORDER.debug) debugDisabled.add(logger);
  return logger;
}

/** Loggers known to drop debug lines: per-job debug lines are then not even built (the hot path). */
const debugDisabled = new WeakSet<Logger>();

/** False for a console logger below `debug` and the silent logger; true for any other logger. */
export function writesDebug(logger: Logger): boolean {
  return !debugDisabled.has(logger);
}

/** A logger that discards everything (tests, benchmarks). */
export const silentLogger: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
};
debugDisabled.add(silentLogger);
