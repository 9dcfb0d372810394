/**
 * Latency scenario: with the worker processes idle (LISTENing), add one job at
 * a time and measure from just before the add call to the moment the task
 * starts in a worker process (both sides read the same machine clock,
 * `performance.timeOrigin + performance.now()`).
 */
import type { BenchSystem } from "../systems/system.js";
import { preciseNow } from "../workers/protocol.js";
import { LATENCY_GAP_MS, LATENCY_WARMUP_MS, WORKER_PROCESSES } from "../workload.js";
import { sleep } from "./sleep.js";
import { summarize, type Summary } from "./stats.js";

/** A sample that has not started after this long fails the scenario. */
const SAMPLE_TIMEOUT_MS = 30_000;

export interface LatencyResult extends Summary {
  /** How long the add call itself took (insert, commit, reply), ms: the rest is notify -> claim -> start. */
  addCall: Summary;
}

export async function measureLatency(system: BenchSystem, samples: number): Promise<LatencyResult> {
  await system.clearJobs();
  const workers = await system.startWorkers("latency", WORKER_PROCESSES);
  const latencies: number[] = [];
  const addCalls: number[] = [];
  try {
    const waiting = new Map<number, (at: number) => void>();
    workers.onStarted((seq, at) => {
      waiting.get(seq)?.(at);
      waiting.delete(seq);
    });
    workers.go();
    await sleep(LATENCY_WARMUP_MS);
    for (let seq = 0; seq < samples; seq += 1) {
      await sleep(LATENCY_GAP_MS);
      const started = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${system.name}: latency sample ${seq} did not start in ${SAMPLE_TIMEOUT_MS} ms`)),
          SAMPLE_TIMEOUT_MS,
        );
        waiting.set(seq, (at) => {
          clearTimeout(timer);
          resolve(at);
        });
      });
      const addedAt = preciseNow();
      await system.addOne({ seq });
      addCalls.push(preciseNow() - addedAt);
      latencies.push((await started) - addedAt);
    }
  } catch (error) {
    workers.kill();
    throw error;
  }
  await workers.stop();
  return { ...summarize(latencies), addCall: summarize(addCalls) };
}
