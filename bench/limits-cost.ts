/**
 * What per-key limits cost (issue 18). Two measurements, each drain on a fresh
 * schema, variants alternated round by round (the machine is shared: compare
 * figures of one run only):
 *
 * 1. `plain`: tasks without limits, N no-op jobs drained by one in-process
 *    worker (concurrency 10) with `runOnce`: this checkout (`current`) against
 *    another checkout's worker (`before`, with --src), which also migrates its
 *    own schema (so without migrations 28-30). Wall and worker CPU per job.
 * 2. `enqueue`: `utils.addJobs` of N jobs without keys (10,000 per call) into
 *    a fresh schema, this checkout against `--src` (the new partial index's
 *    predicate is checked on every insert).
 * 3. `keys`: K keys with J jobs each of a task with `concurrency: { perKey }`,
 *    drained by 2 in-process workers of concurrency 10 until the table is
 *    empty; and the same jobs without limits (`keys-unlimited`) for scale.
 *
 *   DATABASE_URL=postgres://… npx tsx bench/limits-cost.ts [--jobs 5000] [--repeats 5]
 *     [--src /path/to/other/checkout/src] [--keys 1000] [--per-key-jobs 20] [--per-key 5]
 *     [--only plain|enqueue|keys]
 */
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import path from "node:path";
import pg from "pg";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "5000" },
    repeats: { type: "string", default: "5" },
    src: { type: "string" },
    keys: { type: "string", default: "1000" },
    "per-key-jobs": { type: "string", default: "20" },
    "per-key": { type: "string", default: "5" },
    only: { type: "string" },
  },
});
const jobs = Number(values.jobs);
const repeats = Number(values.repeats);
const keyCount = Number(values.keys);
const perKeyJobs = Number(values["per-key-jobs"]);
const perKey = Number(values["per-key"]);
const connectionString = process.env.DATABASE_URL;
if (!connectionString) throw new Error("Set DATABASE_URL");

interface BenchWorker {
  runOnce(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
interface WorkerModule {
  createWorker(options: Record<string, unknown>): Promise<BenchWorker>;
}
interface TaskModule {
  defineTask(definition: Record<string, unknown>): unknown;
}
const silent = { error() {}, warn() {}, info() {}, debug() {} };
const ours = (await import("../src/worker/worker.js")) as unknown as WorkerModule;
const { defineTask } = (await import("../src/tasks/task.js")) as unknown as TaskModule;
interface UtilsModule {
  createWorkerUtils(options: Record<string, unknown>): Promise<{
    migrate(): Promise<unknown>;
    addJobs(jobs: Array<{ identifier: string; payload: unknown }>): Promise<unknown>;
    release(): Promise<void>;
  }>;
}
const oursUtils = (await import("../src/client/worker-utils.js")) as unknown as UtilsModule;
const beforeUtils = values.src
  ? ((await import(pathToFileURL(path.resolve(values.src, "client/worker-utils.ts")).href)) as UtilsModule)
  : undefined;
const before = values.src
  ? ((await import(pathToFileURL(path.resolve(values.src, "worker/worker.ts")).href)) as WorkerModule)
  : undefined;

const pool = new pg.Pool({ connectionString, max: 2 });
let run = 0;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function plainDrain(module: WorkerModule): Promise<{ wallUs: number; cpuUs: number }> {
  const schema = `bench_limits_${process.pid}_${run++}`;
  const worker = await module.createWorker({
    connectionString,
    schema,
    logger: silent,
    handleSignals: false,
    concurrency: 10,
    tasks: { noop: async () => undefined },
  });
  await pool.query(
    `select "${schema}".add_jobs(array(select row('noop', '{}'::json, null, null, null, null, null, null)::"${schema}".job_spec from generate_series(1, $1::int)))`,
    [jobs],
  );
  await pool.query(`vacuum analyze "${schema}"._private_jobs`);
  const cpu = process.cpuUsage();
  const start = performance.now();
  await worker.runOnce();
  const wallUs = ((performance.now() - start) * 1000) / jobs;
  const used = process.cpuUsage(cpu);
  const { rows } = await pool.query(`select count(*)::int as n from "${schema}"._private_jobs`);
  if (rows[0].n !== 0) throw new Error(`${rows[0].n} jobs left`);
  await pool.query(`drop schema "${schema}" cascade`);
  return { wallUs, cpuUs: (used.user + used.system) / jobs };
}

async function keyedDrain(limited: boolean): Promise<number> {
  const schema = `bench_limits_${process.pid}_${run++}`;
  const task = defineTask({
    identifier: "keyed",
    ...(limited ? { concurrency: { perKey } } : {}),
    run: async () => undefined,
  });
  const workers: BenchWorker[] = [];
  for (let i = 0; i < 2; i++) {
    workers.push(
      await ours.createWorker({
        connectionString,
        schema,
        logger: silent,
        handleSignals: false,
        concurrency: 10,
        pollInterval: 20,
        tasks: [task],
      }),
    );
  }
  await pool.query(
    `select "${schema}".add_jobs(array(
       select row('keyed', '{}'::json, null, null, null, null, null, array['gwts:ck=key-' || (n % $2::int)])::"${schema}".job_spec
       from generate_series(1, $1::int) n))`,
    [keyCount * perKeyJobs, keyCount],
  );
  await pool.query(`vacuum analyze "${schema}"._private_jobs`);
  const start = performance.now();
  await Promise.all(workers.map((w) => w.start()));
  for (;;) {
    const { rows } = await pool.query(`select count(*)::int as n from "${schema}"._private_jobs`);
    if (rows[0].n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(workers.map((w) => w.stop()));
  await pool.query(`drop schema "${schema}" cascade`);
  return (keyCount * perKeyJobs) / seconds;
}

const load = (await import("node:os")).loadavg().map((x) => x.toFixed(2));
console.log(`limits-cost ${new Date().toISOString()} load ${load.join(" ")}`);

if (values.only === undefined || values.only === "plain") {
  const variants: Array<[string, WorkerModule]> = [["current", ours]];
  if (before) variants.push(["before", before]);
  const samples = new Map(variants.map(([name]) => [name, [] as Array<{ wallUs: number; cpuUs: number }>]));
  for (const [, module] of variants) await plainDrain(module); // warm-up
  for (let r = 0; r < repeats; r++) {
    for (let i = 0; i < variants.length; i++) {
      const [name, module] = variants[(i + r) % variants.length]!;
      samples.get(name)!.push(await plainDrain(module));
    }
  }
  console.log(`plain: ${jobs} no-op jobs per drain, runOnce, concurrency 10, ${repeats} drains (median)`);
  for (const [name, list] of samples) {
    const wall = median(list.map((s) => s.wallUs));
    const cpu = median(list.map((s) => s.cpuUs));
    console.log(
      `  ${name.padEnd(8)} wall ${wall.toFixed(1)} µs/job (${Math.round(1e6 / wall)} jobs/s)  worker CPU ${cpu.toFixed(1)} µs/job  all: ${list.map((s) => s.wallUs.toFixed(0)).join(" ")}`,
    );
  }
}

async function enqueue(module: UtilsModule): Promise<number> {
  const schema = `bench_limits_${process.pid}_${run++}`;
  const utils = await module.createWorkerUtils({ connectionString, schema, logger: silent });
  await utils.migrate();
  const start = performance.now();
  for (let added = 0; added < jobs; added += 10_000) {
    await utils.addJobs(
      Array.from({ length: Math.min(10_000, jobs - added) }, (_, i) => ({ identifier: "noop", payload: { i } })),
    );
  }
  const perSecond = jobs / ((performance.now() - start) / 1000);
  await utils.release();
  await pool.query(`drop schema "${schema}" cascade`);
  return perSecond;
}

if (values.only === "enqueue") {
  const variants: Array<[string, UtilsModule]> = [["current", oursUtils]];
  if (beforeUtils) variants.push(["before", beforeUtils]);
  const samples = new Map(variants.map(([name]) => [name, [] as number[]]));
  for (let r = 0; r < repeats; r++) {
    for (let i = 0; i < variants.length; i++) {
      const [name, module] = variants[(i + r) % variants.length]!;
      samples.get(name)!.push(await enqueue(module));
    }
  }
  console.log(`enqueue: ${jobs} jobs without keys via addJobs (10,000 per call), ${repeats} runs (median)`);
  for (const [name, list] of samples) {
    console.log(`  ${name.padEnd(8)} ${Math.round(median(list))} jobs/s  all: ${list.map(Math.round).join(" ")}`);
  }
}

if (values.only === undefined || values.only === "keys") {
  const limited: number[] = [];
  const unlimited: number[] = [];
  for (let r = 0; r < repeats; r++) {
    limited.push(await keyedDrain(true));
    unlimited.push(await keyedDrain(false));
  }
  console.log(`keys: ${keyCount} keys x ${perKeyJobs} jobs, 2 workers x concurrency 10, poll 20 ms, ${repeats} drains (median)`);
  console.log(`  perKey ${perKey}   ${Math.round(median(limited))} jobs/s  all: ${limited.map(Math.round).join(" ")}`);
  console.log(`  no limits  ${Math.round(median(unlimited))} jobs/s  all: ${unlimited.map(Math.round).join(" ")}`);
}
await pool.end();
