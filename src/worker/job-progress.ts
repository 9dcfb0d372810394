/**
 * `ctx.progress(value)` of one run: validates the value and writes it to
 * `_private_job_progress`, throttled to one write per PROGRESS_WRITE_INTERVAL_MS
 * (the last value of a burst is written when the window ends). Made on the
 * first call only: a task that never reports progress costs nothing. The run's
 * result waits for `flush`, so the final value is stored while the job is
 * still locked (a write only lands while this worker holds the job: fencing).
 */
import { MAX_PROGRESS_JSON_LENGTH, PROGRESS_WRITE_INTERVAL_MS } from "../config/defaults.js";
import type { Queryable } from "../driver/driver.js";
import { ValidationError } from "../errors/errors.js";
import type { Logger } from "../logger/logger.js";
import type { ResultStatements } from "../sql/result-statements.js";

/** What a run's progress writes need from its worker. */
export interface ProgressTarget {
  db: Queryable;
  statements: ResultStatements;
  workerId: string;
  logger: Logger;
  /** Writes done (tests and metrics look at it). */
  writes: number;
}

/** A progress value as JSON text; a ValidationError naming `progress` when it is not acceptable. */
export function progressText(value: unknown): string {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0 || value > 100) {
      throw new ValidationError("progress", value, "a number must be from 0 to 100 (or pass a JSON object)");
    }
    return String(value);
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new ValidationError("progress", value, `must be JSON-serialisable (${(error as Error).message})`);
  }
  if (text === undefined) throw new ValidationError("progress", value, "must be a number from 0 to 100 or a JSON value");
  if (text.length > MAX_PROGRESS_JSON_LENGTH) {
    throw new ValidationError(
      "progress",
      `${text.slice(0, 40)}…`,
      `is ${text.length} characters of JSON; at most ${MAX_PROGRESS_JSON_LENGTH}`,
    );
  }
  return text;
}

export class JobProgress {
  /** The newest value not written yet. */
  private unwritten: string | undefined;
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastWriteAt = -Infinity;

  constructor(
    private readonly jobId: string,
    private readonly target: ProgressTarget,
  ) {}

  report(value: unknown): void {
    this.unwritten = progressText(value);
    this.schedule();
  }

  /** True while a value is unwritten or being written. */
  get busy(): boolean {
    return this.unwritten !== undefined || this.writing !== undefined;
  }

  /** Write the last value now (and wait for a write in flight); never rejects. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.writing || this.unwritten !== undefined) {
      if (!this.writing) this.startWrite();
      await this.writing;
    }
  }

  private schedule(): void {
    if (this.writing || this.timer) return;
    const wait = this.lastWriteAt + PROGRESS_WRITE_INTERVAL_MS - performance.now();
    if (wait <= 0) return this.startWrite();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.startWrite();
    }, wait);
  }

  private startWrite(): void {
    const text = this.unwritten;
    if (text === undefined || this.writing) return;
    this.unwritten = undefined;
    this.lastWriteAt = performance.now();
    const { target } = this;
    this.target.writes++;
    this.writing = target.statements
      .writeProgress(target.db, { id: this.jobId, workerId: target.workerId, progress: text })
      .then(
        () => undefined,
        (error: unknown) => target.logger.warn(`Could not store the progress of job ${this.jobId}: ${(error as Error).message}`),
      )
      .finally(() => {
        this.writing = undefined;
        if (this.unwritten !== undefined && !this.timer) this.schedule();
      });
  }
}
