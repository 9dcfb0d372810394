/**
 * `npm run bench:profile`: where the CPU of a drain goes. Runs the analysed
 * drain of the benchmark for the chosen systems (default: ours and
 * graphile-worker) and splits the CPU time spent between "go" and the end of
 * the workers' shutdown into PostgreSQL processes and worker processes, per
 * job. Linux only (reads /proc). Needs the embedded server (no DATABASE_URL),
 * so that every postgres process on the machine belongs to this run.
 *
 *   npm run bench:profile -- [--jobs 50000] [--repeats 3] [--only ours,graphile_worker]
 *     [--statements]   also print the costliest statements of the last drain (pg_stat_statements)
 *     [--latency N]    then N add->start latency samples, with the add call's own time
 *     [--future N]     N future-scheduled jobs in the table during each drain
 *     [--queues N]     the jobs spread round-robin over N named (serial) queues
 *     [--fresh]        drain a table that was never analysed (the bench's "fresh table" drain)
 */
import { readFileSync, readdirSync } from "node:fs";
import { parseArgs } from "node:util";
import pg from "pg";
import { buildPackage } from "./build-package.js";
import { openBenchServer } from "./database-server.js";
import { measureDrain } from "./scenarios/drain.js";
import { measureLatency } from "./scenarios/latency.js";
import { createSystem } from "./systems/registry.js";
import { isSystemName, type SystemName } from "./systems/system.js";

const TICKS_PER_SECOND = 100;

/** utime + stime (+ reaped children's) of one process, in clock ticks. */
function processTicks(stat: string, withChildren: boolean): number {
  // The command name may hold spaces: the fields after it start after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const own = Number(fields[11]) + Number(fields[12]);
  return withChildren ? own + Number(fields[13]) + Number(fields[14]) : own;
}

/** CPU ticks of every live postgres process (the postmaster's include its exited backends). */
function postgresTicks(): number {
  let total = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    if (name === "postgres") total += processTicks(stat, true);
  }
  return total;
}

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "50000" },
    repeats: { type: "string", default: "3" },
    only: { type: "string", default: "ours,graphile_worker" },
    statements: { type: "boolean", default: false },
    latency: { type: "string", default: "0" },
    future: { type: "string", default: "0" },
    queues: { type: "string", default: "0" },
    fresh: { type: "boolean", default: false },
  },
});
if (process.env.DATABASE_URL) throw new Error("bench:profile uses its own embedded server: unset DATABASE_URL");
const jobs = Number(values.jobs);
const repeats = Number(values.repeats);
const names = values.only.split(",").filter((name): name is SystemName => isSystemName(name));

if (names.includes("ours")) buildPackage();
const server = await openBenchServer(
  undefined,
  values.statements
    ? [
        "-c",
        "shared_preload_libraries=pg_stat_statements",
        "-c",
        "pg_stat_statements.track=all",
        "-c",
        "pg_stat_statements.track_planning=on",
      ]
    : [],
);
try {
  for (const name of names) {
    const connectionString = await server.createDatabase(name);
    const system = await createSystem(name, { connectionString });
    await system.setup();
    const statements = values.statements ? new pg.Client({ connectionString }) : undefined;
    await statements?.connect();
    await statements?.query("create extension if not exists pg_stat_statements");
    for (let run = 1; run <= repeats; run += 1) {
      await system.clearJobs();
      if (Number(values.future) > 0) await system.insertFutureRows(Number(values.future));
      let postgresAtGo = 0;
      await statements?.query("select pg_stat_statements_reset()");
      let postgresAtEnd = 0;
      const queues = Number(values.queues);
      const enqueueInQueues = system.bulkEnqueueInQueues?.bind(system);
      if (queues > 0 && !enqueueInQueues) throw new Error(`${name} has no named queues to profile`);
      const result = await measureDrain(system, jobs, !values.fresh, {
        ...(queues > 0 && enqueueInQueues ? { enqueue: () => enqueueInQueues(jobs, queues) } : {}),
        probe: {
          atGo: () => (postgresAtGo = postgresTicks()),
          atEnd: () => (postgresAtEnd = postgresTicks()),
        },
      });
      const postgresUs = (((postgresAtEnd - postgresAtGo) / TICKS_PER_SECOND) * 1e6) / jobs;
      console.log(
        `${name} run ${run}: ${Math.round(result.jobsPerSecond)} jobs/s, wall ${(result.seconds * 1000).toFixed(0)} ms; ` +
          `CPU per job: postgres ${postgresUs.toFixed(1)} us, workers ${(result.workerCpuMicros / jobs).toFixed(1)} us`,
      );
    }
    const latencySamples = Number(values.latency);
    if (latencySamples > 0) {
      await statements?.query("select pg_stat_statements_reset()");
      const latency = await measureLatency(system, latencySamples);
      const f = (ms: number) => ms.toFixed(2);
      console.log(
        `${name} latency (${latencySamples} samples): p50 ${f(latency.p50)} p90 ${f(latency.p90)} p99 ${f(latency.p99)} ms; ` +
          `add call p50 ${f(latency.addCall.p50)} ms`,
      );
    }
    if (statements) {
      // The statements of the last drain (or of the latency samples, when asked for), costliest first.
      const { rows } = await statements.query<{ calls: string; total_ms: number; plan_ms: number; rows: string; query: string }>(
        `select calls, round(total_exec_time::numeric, 1)::float8 as total_ms, round(total_plan_time::numeric, 1)::float8 as plan_ms, rows, left(regexp_replace(query, '\\s+', ' ', 'g'), 160) as query
         from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
         order by total_exec_time desc limit 8`,
      );
      for (const row of rows)
        console.log(`  exec ${row.total_ms} ms, plan ${row.plan_ms} ms  ${row.calls} calls  ${row.rows} rows  ${row.query}`);
    }
    await statements?.end();
    await system.teardown();
  }
} finally {
  await server.close();
}
process.exit(0);
