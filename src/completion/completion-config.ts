/** How the completer batches and retries result writes (`completionBatch` sets the first two). */
export interface FlusherConfig {
  /** Most results written in one statement. */
  maxBatchSize: number;
  /** How long a result may wait for others before a write starts (ms). */
  delayMs: number;
  /** First retry delay after a failed write (ms); doubles up to `maxRetryDelayMs`. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
}

export const FLUSHER_DEFAULTS: FlusherConfig = {
  maxBatchSize: 1000,
  delayMs: 1,
  retryDelayMs: 100,
  maxRetryDelayMs: 5000,
};
