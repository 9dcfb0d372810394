/** A worker's lifecycle state, and the options of `stop()`. */
export type WorkerState = "created" | "running" | "stopping" | "stopped";

export interface StopOptions {
  /** Override the configured shutdown timeout (ms). */
  timeoutMs?: number;
  /** The process signal that asked for this stop (recorded as `stopSignal`). */
  signal?: NodeJS.Signals;
}
