/**
 * `runUntilIdle(options)`: run a worker until no job of its tasks is runnable
 * and none is in flight, then resolve with what ran and how each run ended.
 *
 * Each pass is a worker's `runOnce()` (src/worker/run-once.ts): it stops on
 * database state — a claim begun after the last claim or result write found
 * nothing — never on a timer. With `futureJobs` or `retries` at `run`, jobs
 * waiting for a later `run_at` are made due before the first pass and after
 * each one (src/testing/due-jobs.ts), and another pass runs, until a pass
 * leaves none to make due.
 */
import { CONNECTION_OPTION_NAMES } from "../config/known-options.js";
import { resolveDriver } from "../driver/connect.js";
import type { Driver } from "../driver/driver.js";
import { runMigrations } from "../migrate/migrate.js";
import { ReadModel } from "../read-model/read-model.js";
import { normalizeTaskList } from "../tasks/task.js";
import { createWorker } from "../worker/worker.js";
import { resolveWorkerConfig, type WorkerOptions } from "../worker/worker-config.js";
import { makeJobsDue } from "./due-jobs.js";
import { readMatchingJobs } from "./get-jobs.js";
import { JobRunRecorder } from "./job-runs.js";
import { RunUntilIdleLimitError } from "./run-until-idle-error.js";
import { resolveRunUntilIdleOptions, type RunUntilIdleOptions } from "./run-until-idle-options.js";
import { summarizeRuns, type RunUntilIdleResult } from "./run-until-idle-result.js";

/** The worker options without their connection fields (each pass gets the one shared driver). */
function withoutConnection<State>(
  options: WorkerOptions<State>,
): Omit<WorkerOptions<State>, keyof typeof CONNECTION_OPTION_NAMES> {
  const rest: Record<string, unknown> = { ...options };
  for (const name of Object.keys(CONNECTION_OPTION_NAMES)) delete rest[name];
  return rest as Omit<WorkerOptions<State>, keyof typeof CONNECTION_OPTION_NAMES>;
}

async function runPass<State>(options: WorkerOptions<State>, recorder: JobRunRecorder): Promise<void> {
  const worker = await createWorker<State>(options);
  const stopListening = recorder.listen(worker.events);
  try {
    await worker.runOnce();
  } finally {
    stopListening();
  }
}

/**
 * Run the given tasks' jobs until none is runnable, then resolve with every
 * run (`runs`, `completed`, `failed`, `permanentlyFailed`) and the jobs left
 * (`remaining`). Takes a worker's options (connection, schema, tasks, state,
 * hooks…) with test defaults (concurrency 1, silent, no signal handlers, no
 * recovery), plus `futureJobs`, `retries` and `maxPasses`. Bad options are a
 * ValidationError naming the field, before anything is written.
 */
export async function runUntilIdle<State = unknown>(options: RunUntilIdleOptions<State>): Promise<RunUntilIdleResult> {
  const resolved = resolveRunUntilIdleOptions(options);
  const config = resolveWorkerConfig(resolved.worker);
  const taskIdentifiers = [...normalizeTaskList(resolved.worker.tasks).keys()];
  const { driver, owned } = resolveDriver(resolved.worker, config.logger);
  const recorder = new JobRunRecorder();
  const passOptions: WorkerOptions<State> = { ...withoutConnection(resolved.worker), driver, migrate: false };
  const choice = { scheduled: resolved.futureJobs === "run", retries: resolved.retries === "run" };
  const makeDue = () => makeJobsDue(driver, config.schema, taskIdentifiers, choice);
  try {
    if (config.migrate) await runMigrations({ driver, schema: config.schema, logger: config.logger });
    await makeDue();
    let passes = 0;
    for (;;) {
      passes += 1;
      await runPass(passOptions, recorder);
      if ((await makeDue()) === 0) break;
      if (passes >= resolved.maxPasses) {
        throw new RunUntilIdleLimitError(passes, await summarize(driver, config.schema, taskIdentifiers, recorder, passes));
      }
    }
    return await summarize(driver, config.schema, taskIdentifiers, recorder, passes);
  } finally {
    if (owned) await driver.close();
  }
}

async function summarize(
  driver: Driver,
  schema: string,
  taskIdentifiers: readonly string[],
  recorder: JobRunRecorder,
  passes: number,
): Promise<RunUntilIdleResult> {
  const read = new ReadModel(driver, schema);
  const remaining = [];
  for (const taskIdentifier of taskIdentifiers) {
    remaining.push(...(await readMatchingJobs(read, { taskIdentifier, hasPayload: false })));
  }
  remaining.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  return summarizeRuns(recorder.runs, remaining, passes);
}
