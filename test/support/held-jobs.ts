/**
 * "One job runs, others are claimed by the same worker but not started": the
 * state the cancel and pause tests of held jobs need, in either claim mode
 * (test/claim-modes/both-modes.test.ts runs them in both).
 *
 * - classic: the worker's local queue holds them (their row's `locked_by`);
 * - transaction: the open batch holds them (its `_private_tx_claims` record).
 *   A batch takes more jobs than free slots only at a recent completion rate:
 *   a round whose batch held too few is run to the end, and the next round
 *   comes after a burst of quick jobs.
 *
 * The task's runs each wait for their own release.
 */
import type pg from "pg";
import type { WorkerUtils } from "../../src/client/worker-utils.js";
import { defineTask } from "../../src/tasks/task.js";
import type { Worker } from "../../src/worker/worker.js";
import { waitUntil } from "./fixtures.js";

export class GatedTask {
  /** Ids in the order their runs started. */
  readonly started: string[] = [];
  /** Ids whose runs ended. */
  readonly ran: string[] = [];
  private readonly gates = new Map<string, () => void>();
  private readonly released = new Set<string>();
  private allReleased = false;

  constructor(readonly identifier: string) {}

  readonly task = () =>
    defineTask({
      identifier: this.identifier,
      run: async (payload, ctx) => {
        const id = ctx.job.id;
        this.started.push(id);
        const quick = (payload as { quick?: boolean } | null)?.quick === true;
        if (!quick && !this.allReleased && !this.released.has(id)) {
          await new Promise<void>((resolve) => this.gates.set(id, resolve));
        }
        this.ran.push(id);
      },
    });

  release(id: string): void {
    this.released.add(id);
    this.gates.get(id)?.();
  }

  releaseAll(): void {
    this.allReleased = true;
    for (const open of this.gates.values()) open();
  }
}

export interface HeldJobs {
  /** The job running (waiting for its release). */
  running: string;
  /** Jobs claimed by the worker behind it, not started. */
  held: string[];
}

/** Ids among `ids` the worker holds without running them (see the file's comment). */
async function heldAmong(pool: pg.Pool, worker: Worker, running: string, ids: readonly string[]): Promise<string[]> {
  const { rows } =
    process.env.TEST_CLAIM_MODE === "transaction"
      ? await pool.query<{ id: string }>(
          `select unnest(job_ids)::text as id from graphile_worker._private_tx_claims where job_ids @> array[$1::bigint]`,
          [running],
        )
      : await pool.query<{ id: string }>(
          `select id::text from graphile_worker._private_jobs where id = any($1::bigint[]) and locked_by = $2`,
          [ids, worker.workerId],
        );
  const runs = new Set(worker.runningJobs.map((job) => job.id));
  return rows.map((row) => row.id).filter((id) => ids.includes(id) && !runs.has(id));
}

/**
 * Add rounds of `1 + count` jobs of `gated`'s task (`worker` runs with concurrency 1) until one runs while
 * `count` others of its round are held behind it. A round that fails is run to the end; the next one starts
 * with a burst of quick jobs (payload `quick`), so a batch has a completion rate to size itself by.
 */
export async function holdBehindOne(
  utils: WorkerUtils,
  pool: pg.Pool,
  worker: Worker,
  gated: GatedTask,
  count: number,
): Promise<HeldJobs> {
  const classic = process.env.TEST_CLAIM_MODE !== "transaction";
  for (let round = 1; round <= 20; round++) {
    if (round > 1) {
      const quick = await utils.addJobs(
        Array.from({ length: 8 * (count + 1) }, (_, n) => ({ identifier: gated.identifier, payload: { quick: true, n } })),
      );
      await waitUntil(`the quick jobs before round ${round} ran`, () => quick.every((job) => gated.ran.includes(job.id)));
    }
    const jobs = await utils.addJobs(
      Array.from({ length: count + 1 }, (_, n) => ({ identifier: gated.identifier, payload: { round, n } })),
    );
    const ids = jobs.map((job) => job.id);
    const running = await waitUntil(`a job of round ${round} started`, () => gated.started.find((id) => ids.includes(id)));
    // Classic: the local queue may still be claiming the rest; wait for it (it takes all of them at once).
    const held = classic
      ? await waitUntil("the others are held", async () => {
          const found = await heldAmong(pool, worker, running, ids);
          return found.length >= count ? found : undefined;
        })
      : await heldAmong(pool, worker, running, ids);
    if (held.length >= count) {
      if (round > 1) console.log(`# ${count} job(s) held behind a running one at round ${round}`);
      return { running, held };
    }
    for (const id of ids) gated.release(id);
    await waitUntil(`round ${round} ran`, () => ids.every((id) => gated.ran.includes(id)));
  }
  throw new Error(`No batch held ${count} job(s) behind a running one in 20 rounds`);
}

/**
 * Ids among `ids` still held by a worker: locked in their row (classic), or, in the transaction mode, also named
 * by a batch's record. (In that mode the classic claim runs too when the lane comes back short, and may take
 * a job without a named queue.)
 */
export async function stillHeld(pool: pg.Pool, ids: readonly string[]): Promise<string[]> {
  const byBatch =
    process.env.TEST_CLAIM_MODE === "transaction"
      ? `or exists (select from graphile_worker._private_tx_claims c where c.job_ids @> array[j.id])`
      : "";
  const { rows } = await pool.query<{ id: string }>(
    `select j.id::text from graphile_worker._private_jobs j
     where j.id = any($1::bigint[]) and (j.locked_at is not null ${byBatch}) order by j.id`,
    [ids],
  );
  return rows.map((row) => row.id);
}
