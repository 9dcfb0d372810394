/**
 * The worker's side of `cancelJobs`: a notice on JOB_CANCEL_CHANNEL aborts the
 * runs it names; after a LISTEN (re)connect the open requests of the running
 * jobs are looked up (a notice may have been missed); and the outcome of a
 * cancelled run is recorded once it settled.
 */
import type { Queryable } from "../driver/driver.js";
import type { Logger } from "../logger/logger.js";
import { openCancelRequests, parseCancelNotice, recordCancelledRun } from "../sql/job-cancellations.js";

/** What this needs of the job runner. */
export interface CancellableRuns {
  readonly running: ReadonlyMap<string, unknown>;
  cancel(ids: readonly string[], reason: string | null): string[];
}

/** Jobs held but not started elsewhere than the runner (a transaction-claim batch's, held-job-control.ts). */
export interface HeldCancellable {
  cancel(ids: readonly string[], reason: string | null): void;
  heldIds(): string[];
}

export class CancelRequests {
  constructor(
    private readonly db: Queryable,
    private readonly schema: string,
    /** The runner (a getter: it is built after this). */
    private readonly runner: () => CancellableRuns,
    private readonly logger: Logger,
    /** The transaction claim's held jobs, in that mode. */
    private readonly held?: HeldCancellable,
  ) {}

  /** A JOB_CANCEL_CHANNEL notification. */
  heard(payload: string | undefined): void {
    const notice = parseCancelNotice(payload);
    if (notice) this.deliver(notice.ids, notice.reason);
  }

  /** The runner first: it notes the ids it does not run, so a held job started now settles as cancelled. */
  private deliver(ids: readonly string[], reason: string | null): void {
    this.runner().cancel(ids, reason);
    this.held?.cancel(ids, reason);
  }

  /** After a LISTEN (re)connect: abort running (or held) jobs whose cancel request may have been missed. */
  async recheck(): Promise<void> {
    const jobIds = [...this.runner().running.keys(), ...(this.held?.heldIds() ?? [])];
    if (jobIds.length === 0) return;
    try {
      const open = await openCancelRequests(this.db, { schema: this.schema, jobIds });
      for (const { id, reason } of open) this.deliver([id], reason);
    } catch (error) {
      this.logger.warn(`Could not look up cancel requests of running jobs: ${(error as Error).message}`);
    }
  }

  /** Record how a cancelled run ended (the job itself is removed by the completer). */
  async recordOutcome(jobId: string, outcome: "aborted" | "finished"): Promise<void> {
    try {
      await recordCancelledRun(this.db, { schema: this.schema, jobId, outcome });
    } catch (error) {
      this.logger.warn(`Could not record the outcome of cancelled job ${jobId}: ${(error as Error).message}`);
    }
  }
}
