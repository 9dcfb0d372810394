/**
 * The common body of every benchmark worker process: reads its configuration,
 * lets the system-specific file prepare a worker, reports `ready`, starts it on
 * `go`, counts executed jobs, samples RSS, and on `stop` stops the worker and
 * reports the totals. Each `bench/workers/<system>.ts` only supplies `prepare`.
 */
import {
  PROGRESS_INTERVAL_MS,
  RSS_SAMPLE_INTERVAL_MS,
  isParentMessage,
  preciseNow,
  workerConfigFromEnv,
  type BenchPayload,
  type ChildMessage,
  type WorkerConfig,
} from "./protocol.js";

/** A system's worker, prepared (connected) but not yet processing. */
export interface PreparedWorker {
  /** Begin processing jobs; may resolve at once or when the worker is running. */
  start(): Promise<void>;
  /** Stop gracefully (finish in-flight jobs, release connections). */
  stop(): Promise<void>;
}

export interface WorkerProcessContext {
  config: WorkerConfig;
  /**
   * Call this first thing in the task body of every job: it counts the job and,
   * in latency mode, reports the job's start time to the parent.
   */
  jobStarted(payload: unknown): void;
}

function send(message: ChildMessage): void {
  if (!process.send) throw new Error("worker process must be started with an IPC channel");
  process.send(message);
}

function seqOf(payload: unknown): number | undefined {
  if (typeof payload !== "object" || payload === null) return undefined;
  const seq = (payload as BenchPayload).seq;
  return typeof seq === "number" ? seq : undefined;
}

function fail(error: unknown): never {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  try {
    send({ type: "failed", message });
  } catch {
    // no channel: the exit code is all the parent gets
  }
  console.error(message);
  process.exit(1);
}

/** Run this process as a benchmark worker of one system. Never returns. */
export async function runWorkerProcess(prepare: (context: WorkerProcessContext) => Promise<PreparedWorker>): Promise<void> {
  process.on("uncaughtException", fail);
  process.on("unhandledRejection", fail);
  const config = workerConfigFromEnv(process.env);
  let processed = 0;
  let reported = 0;
  let peakRss = 0;
  let firstJobAt: number | null = null;
  let sampling = false;
  let cpuAtGo: NodeJS.CpuUsage | undefined;
  const context: WorkerProcessContext = {
    config,
    jobStarted(payload) {
      if (processed === 0) firstJobAt = preciseNow();
      processed += 1;
      if (config.mode === "latency") {
        const seq = seqOf(payload);
        if (seq !== undefined) send({ type: "started", seq, at: preciseNow() });
      }
    },
  };

  const worker = await prepare(context).catch(fail);
  const sampleRss = () => {
    if (sampling) peakRss = Math.max(peakRss, process.memoryUsage.rss());
  };
  const rssTimer = setInterval(sampleRss, RSS_SAMPLE_INTERVAL_MS);
  const progressTimer = setInterval(() => {
    if (processed !== reported) {
      reported = processed;
      send({ type: "progress", processed });
    }
  }, PROGRESS_INTERVAL_MS);

  let stopping = false;
  process.on("message", (message: unknown) => {
    if (!isParentMessage(message)) return;
    if (message.type === "go") {
      sampling = true;
      cpuAtGo = process.cpuUsage();
      sampleRss();
      worker.start().catch(fail);
      return;
    }
    if (stopping) return;
    stopping = true;
    void (async () => {
      sampleRss();
      await worker.stop();
      sampleRss();
      clearInterval(rssTimer);
      clearInterval(progressTimer);
      const cpu = process.cpuUsage(cpuAtGo);
      const cpuMicros = cpuAtGo ? cpu.user + cpu.system : 0;
      const report: ChildMessage = { type: "stopped", processed, peakRssBytes: peakRss, firstJobAt, cpuMicros };
      // Disconnect only once the report is written, so the parent sees it before the exit.
      process.send?.(report, undefined, undefined, () => {
        process.disconnect();
        // Libraries may hold timers after stopping; the report is sent, so leave.
        setTimeout(() => process.exit(0), 100).unref();
      });
    })().catch(fail);
  });
  // The parent went away without asking us to stop: do not linger.
  process.on("disconnect", () => {
    if (!stopping) process.exit(1);
  });
  send({ type: "ready", rssBytes: process.memoryUsage.rss() });
}
