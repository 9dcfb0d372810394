/**
 * What hooks cost per job: drains N trivial jobs with one in-process worker,
 * alternating variants, and prints the median wall time and worker-process
 * CPU time per job of each.
 *
 *   DATABASE_URL=postgres://… npx tsx bench/hooks-cost.ts [--jobs 5000] [--repeats 5]
 *     [--src /path/to/other/checkout/src]   also drain with that checkout's worker (no hooks): "before"
 *     [--variants none,before]              only these (a second copy of the worker code in one
 *                                           process costs it a few µs/job: compare "none" and
 *                                           "before" in separate processes)
 *
 * Variants: `none` (no plugin, no listener), `observer` (one plugin observing
 * every event), `interceptors` (one plugin with beforeJobRun + afterJobRun
 * that both continue), and `before` with --src; their order rotates each
 * round. Each drain uses a fresh schema. Wall time includes PostgreSQL; CPU
 * time is this process's only (the worker runs in it).
 */
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import path from "node:path";
import pg from "pg";
import type { WorkerPlugin } from "../src/hooks/plugin.js";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "5000" },
    repeats: { type: "string", default: "5" },
    src: { type: "string" },
    variants: { type: "string" },
  },
});
const jobs = Number(values.jobs);
const repeats = Number(values.repeats);
const connectionString = process.env.DATABASE_URL;
if (!connectionString) throw new Error("Set DATABASE_URL");

interface WorkerModule {
  createWorker(options: Record<string, unknown>): Promise<{ runOnce(): Promise<void> }>;
}
const silent = { error() {}, warn() {}, info() {}, debug() {} };

let heard = 0;
const count = () => void heard++;
const observer: WorkerPlugin = {
  name: "observe-everything",
  onWorkerStart: count,
  onWorkerShutdown: count,
  onWorkerRecovered: count,
  onJobFetch: count,
  onJobStart: count,
  onJobComplete: count,
  onJobFail: count,
  onJobPermanentlyFail: count,
  onJobInterrupted: count,
  onLocalQueue: count,
  onJobsAdded: count,
  onCronTick: count,
  onCronJobScheduled: count,
};
const interceptors: WorkerPlugin = {
  name: "intercept",
  beforeJobRun: () => ({ action: "continue" }),
  afterJobRun: () => undefined,
};

const ours = (await import("../src/worker/worker.js")) as unknown as WorkerModule;
const variants: Array<{ name: string; module: WorkerModule; hooks?: WorkerPlugin[] }> = [
  { name: "none", module: ours },
  { name: "observer", module: ours, hooks: [observer] },
  { name: "interceptors", module: ours, hooks: [interceptors] },
];
if (values.src) {
  const file = pathToFileURL(path.resolve(values.src, "worker/worker.ts")).href;
  variants.push({ name: "before", module: (await import(file)) as WorkerModule });
}

if (values.variants) {
  const wanted = new Set(values.variants.split(","));
  variants.splice(0, variants.length, ...variants.filter((v) => wanted.has(v.name)));
  if (variants.length === 0) throw new Error(`no such variants: ${values.variants}`);
}

const pool = new pg.Pool({ connectionString, max: 2 });
let run = 0;

async function drainOnce(variant: (typeof variants)[number]): Promise<{ wallUs: number; cpuUs: number }> {
  const schema = `bench_hooks_${process.pid}_${run++}`;
  const worker = await variant.module.createWorker({
    connectionString,
    schema,
    logger: silent,
    handleSignals: false,
    concurrency: 10,
    tasks: { noop: async () => undefined },
    ...(variant.hooks ? { hooks: variant.hooks } : {}),
  });
  await pool.query(
    `select "${schema}".add_jobs(array(select row('noop', '{}'::json, null, null, null, null, null, null)::"${schema}".job_spec from generate_series(1, $1::int)))`,
    [jobs],
  );
  const cpu = process.cpuUsage();
  const start = performance.now();
  await worker.runOnce();
  const wallUs = ((performance.now() - start) * 1000) / jobs;
  const used = process.cpuUsage(cpu);
  const { rows } = await pool.query(`select count(*)::int as n from "${schema}"._private_jobs`);
  if (rows[0].n !== 0) throw new Error(`${variant.name}: ${rows[0].n} jobs left`);
  await pool.query(`drop schema "${schema}" cascade`);
  return { wallUs, cpuUs: (used.user + used.system) / jobs };
}

const samples = new Map(variants.map((v) => [v.name, [] as Array<{ wallUs: number; cpuUs: number }>]));
for (const variant of variants) await drainOnce(variant); // warm-up: each variant's modules JIT-compiled, connections open
for (let r = 0; r < repeats; r += 1) {
  // Rotated each round, so no variant always runs first or last.
  for (let i = 0; i < variants.length; i += 1) {
    const variant = variants[(i + r) % variants.length]!;
    samples.get(variant.name)!.push(await drainOnce(variant));
  }
}
await pool.end();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`${jobs} jobs per drain, ${repeats} drains per variant (median), concurrency 10`);
console.log("variant        wall µs/job   worker CPU µs/job");
for (const [name, list] of samples) {
  const wall = median(list.map((s) => s.wallUs))
    .toFixed(1)
    .padStart(11);
  const cpu = median(list.map((s) => s.cpuUs))
    .toFixed(1)
    .padStart(19);
  console.log(`${name.padEnd(14)} ${wall} ${cpu}`);
}
if (samples.has("observer") && heard === 0) throw new Error("the observer heard nothing");
