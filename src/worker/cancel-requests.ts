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

export class CancelRequests {
  constructor(
    private readonly db: Queryable,
    private readonly schema: string,
    /** The runner (a getter: it is built after this). */
    private readonly runner: () => CancellableRuns,
    private readonly logger: Logger,
  ) {}

  /** A JOB_CANCEL_CHANNEL notification. */
  heard(payload: string | undefined): void {
    const notice = parseCancelNotice(payload);
    if (notice) this.runner().cancel(notice.ids, notice.reason);
  }

  /** After a LISTEN (re)connect: abort running jobs whose cancel request may have been missed. */
  async recheck(): Promise<void> {
    if (this.runner().running.size === 0) return;
    try {
      const open = await openCancelRequests(this.db, { schema: this.schema, jobIds: [...this.runner().running.keys()] });
      for (const { id, reason } of open) this.runner().cancel([id], reason);
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
