/**
 * Writes a batch of results with the finish statement, in one round-trip. If
 * PostgreSQL refuses its data (see `isRefusedData`), the same statement would
 * fail forever and hold up every other result: the batch is halved until the
 * entries at fault are alone, and those are written in a safe form.
 */
import type { Logger } from "../logger/logger.js";
import type { FinishJobsStatements } from "../sql/finish-jobs.js";
import { isRefusedData } from "../sql/sql-state.js";
import { finishParams, refusedErrorText, type Fenced, type JobResult } from "./job-result.js";

/** Reports a written batch: `appliedIds` were applied, the others refused. */
export type Settle = (batch: readonly JobResult[], appliedIds: ReadonlySet<string>) => void;

export class ResultWriter {
  constructor(
    private readonly statements: FinishJobsStatements,
    private readonly workerId: string,
    private readonly logger: Logger,
    private readonly settle: Settle,
  ) {}

  /**
   * Write `batch` (results of `fenced` jobs carry their claim's locked_at).
   * Written results leave `unwritten` and are settled; errors other than a
   * refusal of the data are thrown (what is left stays in `unwritten`).
   */
  async writeIsolating(batch: readonly JobResult[], fenced: Fenced, unwritten: Set<JobResult>): Promise<void> {
    try {
      await this.writeOnce(batch, fenced, unwritten);
    } catch (error) {
      if (!isRefusedData(error)) throw error;
      if (batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        await this.writeIsolating(batch.slice(0, half), fenced, unwritten);
        await this.writeIsolating(batch.slice(half), fenced, unwritten);
        return;
      }
      await this.writeInSafeForm(batch[0]!, fenced, unwritten, error);
    }
  }

  private async writeOnce(batch: readonly JobResult[], fenced: Fenced, unwritten: Set<JobResult>): Promise<void> {
    const rows = await this.statements.finish({ workerId: this.workerId, results: finishParams(batch, fenced) });
    for (const result of batch) unwritten.delete(result);
    this.settle(batch, new Set(rows.map((row) => String(row.id))));
  }

  /**
   * One result PostgreSQL refused: a failure is recorded with a fixed message
   * instead of its own (which is logged). If even that is refused, or it is a
   * completion (nothing of it comes from task code), it is given up and logged:
   * the job stays locked until this worker stops or is recovered, and every
   * other result goes on.
   */
  private async writeInSafeForm(result: JobResult, fenced: Fenced, unwritten: Set<JobResult>, refusal: unknown): Promise<void> {
    const code = String((refusal as { code?: unknown }).code);
    if (result.failure) {
      this.logger.error(
        `PostgreSQL refused the error text of job ${result.jobId} (SQLSTATE ${code}: ${(refusal as Error).message}); ` +
          "recording a placeholder message instead",
        { jobId: result.jobId, refusedText: result.failure.message },
      );
      // The batch items the task left (replacementPayload) may be what was refused: keep the job's payload.
      const { replacementPayload: _refusedItems, ...failure } = result.failure;
      result.failure = { ...failure, message: refusedErrorText(code) };
      try {
        await this.writeOnce([result], fenced, unwritten);
        return;
      } catch (error) {
        if (!isRefusedData(error)) throw error;
        refusal = error;
      }
    }
    this.logger.error(
      `PostgreSQL refused the result of job ${result.jobId}; giving it up (the job stays locked by this worker)`,
      {
        jobId: result.jobId,
        error: (refusal as Error).message,
      },
    );
    unwritten.delete(result);
    this.settle([result], new Set());
  }
}
