/**
 * The runner's result sink in transaction claim mode: a result of a job held
 * by a transaction-claim batch goes to that batch (written by its commit),
 * every other result to the classic completer.
 */
import type { JobResult } from "../../completion/job-result.js";
import type { ResultSink } from "../../completion/job-completer.js";
import type { TransactionLane } from "./transaction-lane.js";

export class TransactionResultRouter implements ResultSink {
  lane: TransactionLane | undefined;

  constructor(private readonly classic: ResultSink) {}

  add(result: JobResult): void {
    const batch = this.lane?.batchOf(result.jobId);
    if (batch) batch.add(result);
    else this.classic.add(result);
    this.lane?.slotFreed();
  }
}
