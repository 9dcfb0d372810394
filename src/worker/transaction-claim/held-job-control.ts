/**
 * Cancel and pause of jobs a transaction-claim batch holds but has not started
 * (docs/claim-modes.md), so both behave as for jobs held in the classic local
 * queue:
 *
 * - Cancel: `cancelJobs` answers `requested` for a job a live batch holds (it
 *   does not wait for the batch's row lock) and notifies. The runner notes the
 *   request; here the job is taken out of the batch and started at once, so it
 *   settles as cancelled without running: the batch's commit deletes it and the
 *   outcome `aborted` is recorded, as for a classic held job. A request heard
 *   while or just after the batch left the job unstarted (its commit unlocked
 *   it) is sent again: the job is then waiting, and `cancelJobs` removes it.
 * - Pause: the batch's jobs of the paused task are dropped before they start
 *   and taken out of its crash record (a crash of the batch then counts no
 *   attempt for them). The commit leaves them unchanged; `jobs:released`
 *   (reason `pause`) is emitted once it committed.
 */
import type { Queryable } from "../../driver/driver.js";
import type { Job } from "../../jobs/job.js";
import type { Logger } from "../../logger/logger.js";
import { cancelJobsStatement } from "../../sql/job-cancellations.js";
import { dropFromTxClaimRecord } from "../../sql/tx-claim-held.js";
import type { TransactionBatch } from "./transaction-batch.js";

export interface HeldJobControlDeps {
  db: Queryable;
  schema: string;
  logger: Logger;
  /** The batches whose transaction is open (one today; more if batches come to overlap). */
  openBatches(): readonly TransactionBatch[];
  /** Start a job in the runner (one with a noted cancel request settles at once). */
  start(job: Job): void;
  /** Jobs dropped for a pause are unlocked: the batch committed. */
  onReleased(jobIds: string[]): void;
}

export class HeldJobControl {
  /** Jobs the last ended batch never started: unlocked by its commit, unchanged. */
  private recentlyReleased = new Set<string>();
  /** Jobs dropped for a pause, per open batch. */
  private readonly dropped = new Map<TransactionBatch, string[]>();
  /** Cancel requests for jobs of a batch that was finishing when they came (id -> reason). */
  private readonly late = new Map<string, string | null>();
  /** Pauses heard since the last batch opened. */
  private pauses: Array<(job: Job) => boolean> = [];

  constructor(private readonly deps: HeldJobControlDeps) {}

  /** A cancel request for `ids` (the runner has noted those it does not run). */
  cancel(ids: readonly string[], reason: string | null): void {
    const batches = this.deps.openBatches();
    const again: string[] = [];
    for (const id of ids) {
      const batch = batches.find((b) => b.jobs.has(id));
      const job = batch?.takePendingById(id);
      if (job) this.deps.start(job);
      // Its batch is finishing: whether it leaves the job unstarted is known at its end.
      else if (batch) this.late.set(id, reason);
      else if (this.recentlyReleased.has(id)) again.push(id);
    }
    if (again.length > 0) this.cancelAgain(again, reason);
  }

  /** The job's batch released it unstarted after the request was made: it is waiting now, so cancelJobs removes it. */
  private cancelAgain(ids: string[], reason: string | null): void {
    for (const id of ids) this.recentlyReleased.delete(id);
    cancelJobsStatement(this.deps.db, { schema: this.deps.schema, ids, reason }).catch((error: Error) =>
      this.deps.logger.warn(`Could not cancel jobs ${ids.join(", ")} again after their batch released them: ${error.message}`),
    );
  }

  /** Ids the open batches hold and have not started (a cancel request may have been missed for them). */
  heldIds(): string[] {
    return this.deps.openBatches().flatMap((batch) => batch.pendingIds());
  }

  /**
   * A task or queue was paused: drop the open batch's jobs of it not started yet. Returns how many. The next
   * batch is looked at too when it opens: its claim may have been under way when the pause was committed.
   */
  giveBack(match: (job: Job) => boolean): number {
    this.pauses.push(match);
    return this.deps.openBatches().reduce((count, batch) => count + this.drop(batch, match), 0);
  }

  /** A batch opened (before its first job starts). */
  batchOpened(batch: TransactionBatch): void {
    const pauses = this.pauses;
    this.pauses = [];
    for (const match of pauses) this.drop(batch, match);
  }

  private drop(batch: TransactionBatch, match: (job: Job) => boolean): number {
    const jobs = batch.dropPendingWhere(match);
    if (jobs.length === 0) return 0;
    const jobIds = jobs.map((job) => job.id);
    this.dropped.set(batch, [...(this.dropped.get(batch) ?? []), ...jobIds]);
    this.deps.logger.debug(`Transaction claim: ${jobIds.length} job(s) of a paused task dropped from batch ${batch.id}`);
    dropFromTxClaimRecord(this.deps.db, { schema: this.deps.schema, batchId: batch.id, jobIds }).catch((error: Error) =>
      this.deps.logger.warn(`Could not take paused jobs out of batch ${batch.id}'s record: ${error.message}`),
    );
    return jobIds.length;
  }

  /** The lane's batch ended. */
  batchEnded(batch: TransactionBatch, committed: boolean): void {
    const dropped = this.dropped.get(batch);
    this.dropped.delete(batch);
    // The last ended batch's only: a request for one of them comes within a notification's delay.
    this.recentlyReleased = new Set(committed ? batch.released : []);
    if (committed && dropped) this.deps.onReleased(dropped);
    for (const [id, reason] of this.late) {
      if (batch.jobs.has(id)) this.late.delete(id);
      if (batch.jobs.has(id) && this.recentlyReleased.has(id)) this.cancelAgain([id], reason);
    }
  }
}
