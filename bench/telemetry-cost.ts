/**
 * What OpenTelemetry costs per job. Each mode runs in its own process (the
 * global providers can be registered once per process):
 *
 * - `off`: @opentelemetry/api installed, no provider registered (the default);
 * - `context-only`: only the AsyncLocalStorage context manager registered
 *   (what the application pays for context propagation, with our telemetry off);
 * - `tracing`: a BasicTracerProvider, BatchSpanProcessor (as in production) and an exporter that drops every span (the SDK's
 *   work without any export cost), and an AsyncLocalStorage context manager;
 * - `tracing+metrics`: the same plus a MeterProvider with a reader never collected.
 *
 * Two measurements per mode:
 * 1. in-process, no database: the per-job telemetry work of the worker (take
 *    `_trace`, start the run span, run inside its context, end it, metrics)
 *    and of one `addJob` enqueue span, in µs per job;
 * 2. a drain of `--jobs` no-op jobs by one worker (concurrency 10), in jobs/s
 *    (noisy on a shared machine: compare medians).
 *
 *   DATABASE_URL=postgres://… npx tsx bench/telemetry-cost.ts [--jobs 20000] [--repeats 3]
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { context, metrics, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { WorkerUtils } from "../src/client/worker-utils.js";
import type { Job } from "../src/jobs/job.js";
import { silentLogger } from "../src/logger/logger.js";
import { EnqueueTracing } from "../src/telemetry/enqueue-tracing.js";
import { loadOpenTelemetryApi } from "../src/telemetry/opentelemetry-api.js";
import { takeTraceField, traceFieldOf } from "../src/telemetry/trace-field.js";
import { createWorkerTelemetry } from "../src/telemetry/worker-telemetry.js";
import { createWorker } from "../src/worker/worker.js";

const MODES = ["off", "context-only", "tracing", "tracing+metrics"] as const;
type Mode = (typeof MODES)[number];

const { values } = parseArgs({
  options: { mode: { type: "string" }, jobs: { type: "string", default: "20000" }, repeats: { type: "string", default: "3" } },
});
const jobCount = Number(values.jobs);
const repeats = Number(values.repeats);

class DroppingExporter implements SpanExporter {
  export(_spans: unknown, done: (result: { code: 0 }) => void): void {
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}
class IdleReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function sampleJob(id: number, traceField: unknown): Job {
  const now = new Date();
  return {
    id: String(id),
    taskIdentifier: "noop",
    queueName: null,
    payload: traceField === undefined ? { n: id } : { n: id, _trace: traceField },
    priority: 0,
    runAt: now,
    attempts: 1,
    maxAttempts: 25,
    lastError: null,
    createdAt: now,
    updatedAt: now,
    key: null,
    lockedAt: now,
    lockedBy: "w",
    revision: 0,
    flags: null,
  };
}

/** µs per job of the worker's telemetry work and of an enqueue span, without a database. */
async function inProcess(mode: Mode): Promise<{ runUs: number; enqueueUs: number }> {
  const api = (await loadOpenTelemetryApi())!;
  const telemetry = await createWorkerTelemetry("bench", { runningJobs: () => 0, localQueueSize: () => 0 });
  const field = traceFieldOf({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", traceFlags: 1 });
  const n = 200_000;
  const traced = mode === "tracing" || mode === "tracing+metrics";
  const runOnce = (i: number) => {
    const job = sampleJob(i, traced ? field : undefined);
    const taken = takeTraceField(job);
    if (telemetry) {
      const run = telemetry.startJob(job, taken);
      run?.within(() => undefined);
      run?.end(null, false);
    }
  };
  for (let i = 0; i < 20_000; i++) runOnce(i); // warm-up
  const baselineStart = performance.now();
  for (let i = 0; i < n; i++) sampleJob(i, traced ? field : undefined);
  const baseline = performance.now() - baselineStart;
  const start = performance.now();
  for (let i = 0; i < n; i++) runOnce(i);
  const runUs = ((performance.now() - start - baseline) * 1000) / n;
  let enqueueUs = 0;
  if (mode === "tracing" || mode === "tracing+metrics") {
    const tracing = new EnqueueTracing(api);
    const m = 50_000;
    const insert = async (payloads: unknown[]) => payloads;
    for (let i = 0; i < 5_000; i++) await tracing.trace([{ identifier: "noop", payload: { i } }], false, insert, () => ["1"]);
    const t0 = performance.now();
    for (let i = 0; i < m; i++) await tracing.trace([{ identifier: "noop", payload: { i } }], false, insert, () => ["1"]);
    const t1 = performance.now();
    for (let i = 0; i < m; i++) await insert([{ i }]);
    enqueueUs = ((t1 - t0 - (performance.now() - t1)) * 1000) / m;
  }
  return { runUs, enqueueUs };
}

async function drain(connectionString: string): Promise<number> {
  const utils = new WorkerUtils({ connectionString, logger: silentLogger });
  const rates: number[] = [];
  try {
    await utils.migrate();
    for (let r = 0; r < repeats; r++) {
      for (let added = 0; added < jobCount; added += 5000) {
        await utils.addJobs(
          Array.from({ length: Math.min(5000, jobCount - added) }, (_, i) => ({ identifier: "noop", payload: { i } })),
        );
      }
      await utils.driver.query("vacuum analyze graphile_worker._private_jobs");
      const worker = await createWorker({
        connectionString,
        tasks: { noop: async () => undefined },
        concurrency: 10,
        logger: silentLogger,
        handleSignals: false,
        migrate: false,
      });
      const start = performance.now();
      await worker.runOnce();
      rates.push(jobCount / ((performance.now() - start) / 1000));
    }
  } finally {
    await utils.release();
  }
  return median(rates);
}

async function child(mode: Mode): Promise<void> {
  if (mode !== "off") context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  if (mode === "tracing" || mode === "tracing+metrics") {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(new DroppingExporter())] }));
  }
  if (mode === "tracing+metrics") metrics.setGlobalMeterProvider(new MeterProvider({ readers: [new IdleReader()] }));
  const cost = await inProcess(mode);
  const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  const name = `bench_telemetry_${randomBytes(4).toString("hex")}`;
  await admin.query(`create database ${name}`);
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${name}`;
  const rate = await drain(url.toString()).finally(async () => {
    await admin.query(`drop database ${name} with (force)`);
    await admin.end();
  });
  console.log(JSON.stringify({ mode, ...cost, drainJobsPerSecond: Math.round(rate) }));
}

if (values.mode) {
  await child(values.mode as Mode);
} else {
  if (!process.env.DATABASE_URL) throw new Error("set DATABASE_URL");
  const script = fileURLToPath(import.meta.url);
  type Result = { runUs: number; enqueueUs: number; drainJobsPerSecond: number };
  const results = new Map<Mode, Result[]>(MODES.map((m) => [m, []]));
  // Modes alternate within each round, so a change in the machine's load hits all of them alike.
  for (let round = 0; round < repeats; round++) {
    for (const mode of MODES) {
      const result = spawnSync(
        process.execPath,
        ["--import", "tsx", script, "--mode", mode, "--jobs", `${jobCount}`, "--repeats", "1"],
        {
          encoding: "utf8",
          env: process.env,
        },
      );
      const line = result.stdout.trim().split("\n").at(-1) ?? "";
      if (result.status !== 0 || !line.startsWith("{")) {
        console.error(result.stderr);
        process.exit(1);
      }
      results.get(mode)!.push(JSON.parse(line) as Result);
    }
  }
  console.log(`telemetry cost: ${jobCount} jobs per drain, medians of ${repeats} rounds; ${new Date().toISOString()}`);
  console.log("mode             run µs/job  enqueue µs/call  drain jobs/s (each round)");
  for (const [mode, rs] of results) {
    const drains = rs.map((r) => r.drainJobsPerSecond);
    console.log(
      `${mode.padEnd(16)} ${median(rs.map((r) => r.runUs))
        .toFixed(2)
        .padStart(11)}  ${median(rs.map((r) => r.enqueueUs))
        .toFixed(2)
        .padStart(15)}  ${String(median(drains)).padStart(12)} (${drains.join(", ")})`,
    );
  }
}
