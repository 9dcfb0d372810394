import type { Logger, LogLevel, LogMeta } from "../../../src/logger/logger.js";

export interface CapturedLog {
  level: LogLevel;
  message: string;
  meta?: LogMeta;
}

/** A logger that records every message, for assertions. */
export function createCapturingLogger(): Logger & { entries: CapturedLog[]; at(level: LogLevel): string[] } {
  const entries: CapturedLog[] = [];
  const write = (level: LogLevel) => (message: string, meta?: LogMeta) => {
    entries.push({ level, message, meta });
  };
  return {
    entries,
    at: (level) => entries.filter((entry) => entry.level === level).map((entry) => entry.message),
    error: write("error"),
    warn: write("warn"),
    info: write("info"),
    debug: write("debug"),
  };
}
