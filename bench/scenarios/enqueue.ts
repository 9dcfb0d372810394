/**
 * Enqueue scenario: time adding jobs through the system's bulk API into an
 * empty queue, with no worker running.
 */
import type { BenchSystem } from "../systems/system.js";

export interface EnqueueResult {
  jobs: number;
  seconds: number;
  jobsPerSecond: number;
}

export async function measureEnqueue(system: BenchSystem, jobs: number): Promise<EnqueueResult> {
  await system.clearJobs();
  const started = performance.now();
  await system.bulkEnqueue(jobs);
  const seconds = (performance.now() - started) / 1000;
  const stored = await system.countRemaining();
  if (stored !== jobs) throw new Error(`${system.name}: enqueued ${jobs} jobs but ${stored} are in the queue`);
  await system.clearJobs();
  return { jobs, seconds, jobsPerSecond: jobs / seconds };
}
