/**
 * Reading job results and progress (`utils.getJobResult`, `waitForResult`,
 * `getJobProgress`): see docs/job-control.md, "Results and progress".
 */
import { checkKnownOptions, optionNames } from "../config/known-options.js";
import type { Queryable } from "../driver/driver.js";
import { ResultTimeoutError, ValidationError } from "../errors/errors.js";
import type { Driver } from "../driver/driver.js";
import { ResultStatements } from "../sql/result-statements.js";
import { ResultListener } from "./result-listener.js";
import { validateJobIds } from "./id-validation.js";

export type JobResultState = "pending" | "running" | "completed" | "failed" | "cancelled" | "unknown";

/** What is known of a job's outcome. `result`: a completed keepResult job's return value; `error`: why it failed or was cancelled. */
export interface JobResultInfo {
  state: JobResultState;
  result?: unknown;
  error?: string;
}

export interface WaitForResultOptions {
  /** Give up after this long (ms) with a ResultTimeoutError; default: wait until `signal` aborts. */
  timeoutMs?: number;
  /** Stop waiting (rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** A job's last `ctx.progress()` value. */
export interface JobProgressInfo {
  progress: unknown;
  updatedAt: Date;
}

const WAIT_OPTION_NAMES = optionNames({ timeoutMs: true, signal: true } satisfies Record<keyof WaitForResultOptions, true>);

/** States after which nothing more will happen to the job's result. */
export function isFinalState(state: JobResultState): boolean {
  return state !== "pending" && state !== "running";
}

export function validateJobId(id: unknown): string {
  return validateJobIds([id], "id")[0]!;
}

export async function readJobResult(db: Queryable, statements: ResultStatements, id: string): Promise<JobResultInfo> {
  const row = await statements.jobResult(db, { id });
  if (row.job_exists) {
    // A cancelled run that settled: its worker deletes the job with its next batch of results.
    if (row.cancel_settled) return cancelledResult(row.cancel_reason);
    if (row.locked) return { state: "running" };
    if (!row.exhausted) return { state: "pending" };
    const error = row.result_state === "failed" && row.error !== null ? row.error : row.last_error;
    return error === null ? { state: "failed" } : { state: "failed", error };
  }
  if (row.result_state === "completed") return { state: "completed", result: row.result };
  if (row.result_state !== null)
    return row.error === null ? { state: row.result_state } : { state: row.result_state, error: row.error };
  // Gone, with no kept result, after cancelJobs: cancelled (its reason as the error).
  if (row.cancelled) return cancelledResult(row.cancel_reason);
  return { state: "unknown" };
}

function cancelledResult(reason: string | null): JobResultInfo {
  return reason === null ? { state: "cancelled" } : { state: "cancelled", error: reason };
}

function validateWaitOptions(options: WaitForResultOptions): void {
  if (options === null || typeof options !== "object") throw new ValidationError("options", options, "must be an object");
  checkKnownOptions(options, WAIT_OPTION_NAMES, "waitForResult");
  const { timeoutMs, signal } = options;
  if (timeoutMs !== undefined && (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs) || timeoutMs < 0)) {
    throw new ValidationError("timeoutMs", timeoutMs, "must be a number of milliseconds >= 0");
  }
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw new ValidationError("signal", signal, "must be an AbortSignal");
}

/**
 * Resolve with the job's result once it is final (completed, failed,
 * cancelled, or unknown: no job and no kept result). Registers with the
 * shared LISTEN (`listener`) before the first read, so a result stored at any
 * moment wakes it; between notifications it sends no query.
 */
export async function waitForJobResult(
  db: Queryable,
  listener: ResultListener,
  statements: ResultStatements,
  id: string,
  options: WaitForResultOptions,
): Promise<JobResultInfo> {
  validateWaitOptions(options);
  const { timeoutMs, signal } = options;
  signal?.throwIfAborted();
  const deadline = timeoutMs === undefined ? undefined : performance.now() + timeoutMs;
  let notified = false;
  let wakeWaiting: (() => void) | undefined;
  const wake = () => {
    notified = true;
    wakeWaiting?.();
  };
  listener.add(id, wake);
  try {
    for (;;) {
      await listener.listening();
      notified = false;
      const info = await readJobResult(db, statements, id);
      if (isFinalState(info.state)) return info;
      if (notified) continue;
      const left = deadline === undefined ? undefined : deadline - performance.now();
      if (left !== undefined && left <= 0) throw new ResultTimeoutError(id, timeoutMs!, info.state);
      // Aborted while the result was read: the abort listener added below would never fire.
      signal?.throwIfAborted();
      let timer: NodeJS.Timeout | undefined;
      let onAbort: (() => void) | undefined;
      const outcome = await new Promise<"notified" | "timeout" | "aborted">((resolve) => {
        if (left !== undefined) timer = setTimeout(() => resolve("timeout"), left);
        onAbort = () => resolve("aborted");
        signal?.addEventListener("abort", onAbort, { once: true });
        wakeWaiting = () => resolve("notified");
        if (notified) resolve("notified");
      }).finally(() => {
        wakeWaiting = undefined;
        clearTimeout(timer);
        if (onAbort) signal?.removeEventListener("abort", onAbort);
      });
      if (outcome === "aborted") throw signal!.reason;
      if (outcome === "timeout") {
        const last = await readJobResult(db, statements, id);
        if (isFinalState(last.state)) return last;
        throw new ResultTimeoutError(id, timeoutMs!, last.state);
      }
    }
  } finally {
    await listener.remove(id, wake).catch(() => undefined);
  }
}

/** What WorkerUtils' result methods use: the statements and the shared LISTEN (made on the first wait). */
export class JobResultReader {
  readonly statements: ResultStatements;
  private listener: ResultListener | undefined;

  constructor(
    private readonly driver: Driver,
    schema: string,
  ) {
    this.statements = new ResultStatements(schema);
  }

  get(db: Queryable, id: unknown): Promise<JobResultInfo> {
    return readJobResult(db, this.statements, validateJobId(id));
  }

  wait(id: unknown, options: WaitForResultOptions): Promise<JobResultInfo> {
    const jobId = validateJobId(id);
    this.listener ??= new ResultListener(this.driver);
    return waitForJobResult(this.driver, this.listener, this.statements, jobId, options);
  }

  async progress(db: Queryable, id: unknown): Promise<JobProgressInfo | null> {
    return (await this.statements.progress(db, { id: validateJobId(id) })) ?? null;
  }
}
