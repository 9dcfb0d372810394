/**
 * Turns the per-system results into the two outputs of `npm run bench`: a
 * readable table, and the JSON object printed on stdout's last line with
 * `--json` (`{"ours":…,"graphile_worker":…,"pg_boss":…,"ratios":…}`).
 */
import type { NamedQueueFigure, Outcomes, SystemResult } from "./outcomes.js";
import type { FloorResult, Floors } from "./scenarios/floor.js";
import { SYSTEM_NAMES, type SystemName } from "./systems/system.js";
import type { Workload } from "./workload.js";

/** A system's JSON entry: its figures, `{ "error": … }` if it failed, null if not selected. */
export type SystemJson = SystemResult | { label: string; error: string } | null;

export interface BenchJson {
  ours: SystemJson;
  ours_tx: SystemJson;
  graphile_worker: SystemJson;
  pg_boss: SystemJson;
  /** The database-side floor of the same run, the one-statement claim cycle (bench/scenarios/floor.ts); null if it failed. */
  floor: FloorJson | null;
  /** The floor of a claim that writes nothing into the rows (lock and delete); null if it failed. */
  floor_delete_only: FloorJson | null;
  ratios: Record<string, number | null>;
}

interface FloorJson {
  jobs_per_s: number;
  jobs: number;
  seconds: number;
  clients: number;
  batch: number;
  runs: number[];
}

function floorJson(floor: FloorResult | undefined): FloorJson | null {
  if (!floor) return null;
  return {
    jobs_per_s: Math.round(floor.jobsPerSecond),
    jobs: floor.jobs,
    seconds: round(floor.seconds, 3),
    clients: floor.clients,
    batch: floor.batch,
    runs: floor.runs ?? [Math.round(floor.jobsPerSecond)],
  };
}

export interface RunInfo {
  date: string;
  server: string;
  node: string;
  cpus: number;
  memoryGiB: number;
  workerProcesses: number;
  /** 1-minute load average when the run started (other work on the machine skews results). */
  loadAverageAtStart: number;
  quick: boolean;
  workload: Workload;
}

const round = (value: number, digits: number): number => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

function rounded(result: SystemResult): SystemResult {
  const latency = result.latency_ms;
  return {
    ...result,
    latency_ms: {
      samples: latency.samples,
      p50: round(latency.p50, 3),
      p90: round(latency.p90, 3),
      p99: round(latency.p99, 3),
      mean: round(latency.mean, 3),
      max: round(latency.max, 3),
      addCall: {
        ...latency.addCall,
        p50: round(latency.addCall.p50, 3),
        p90: round(latency.addCall.p90, 3),
        p99: round(latency.addCall.p99, 3),
        mean: round(latency.addCall.mean, 3),
        max: round(latency.addCall.max, 3),
      },
    },
    future_rows_vs_empty: round(result.future_rows_vs_empty, 3),
    worker_peak_rss_mb: round(result.worker_peak_rss_mb, 1),
    worker_peak_rss_future_rows_mb: round(result.worker_peak_rss_future_rows_mb, 1),
    drain_startup_ms: round(result.drain_startup_ms, 1),
  };
}

function resultOf(outcomes: Outcomes, name: SystemName): SystemResult | undefined {
  const outcome = outcomes[name];
  return outcome?.ok ? outcome.result : undefined;
}

function ratio(a: number | undefined, b: number | undefined): number | null {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return round(a / b, 3);
}

/** ours / other for each headline figure (> 1 is better for throughput/enqueue, < 1 for latency/RSS). */
function ratios(outcomes: Outcomes, floors: Floors | undefined): Record<string, number | null> {
  const floor = floors?.claimCycle;
  const ours = resultOf(outcomes, "ours");
  const out: Record<string, number | null> = {};
  for (const [other, suffix] of [
    ["graphile_worker", "graphile_worker"],
    ["pg_boss", "pg_boss"],
  ] as const) {
    const them = resultOf(outcomes, other);
    out[`throughput_vs_${suffix}`] = ratio(ours?.throughput_jobs_per_s, them?.throughput_jobs_per_s);
    out[`latency_p50_vs_${suffix}`] = ratio(ours?.latency_ms.p50, them?.latency_ms.p50);
    out[`enqueue_vs_${suffix}`] = ratio(ours?.enqueue_jobs_per_s, them?.enqueue_jobs_per_s);
    out[`throughput_fresh_vs_${suffix}`] = ratio(ours?.throughput_fresh_jobs_per_s, them?.throughput_fresh_jobs_per_s);
    out[`future_rows_throughput_vs_${suffix}`] = ratio(
      ours?.future_rows_throughput_jobs_per_s,
      them?.future_rows_throughput_jobs_per_s,
    );
    out[`latency_p99_vs_${suffix}`] = ratio(ours?.latency_ms.p99, them?.latency_ms.p99);
    out[`rss_vs_${suffix}`] = ratio(ours?.worker_peak_rss_mb, them?.worker_peak_rss_mb);
    out[`named_queues_few_vs_${suffix}`] = ratio(ours?.named_queues?.few?.jobs_per_s, them?.named_queues?.few?.jobs_per_s);
    out[`named_queues_many_vs_${suffix}`] = ratio(ours?.named_queues?.many?.jobs_per_s, them?.named_queues?.many?.jobs_per_s);
  }
  out.future_rows_vs_empty = ours ? round(ours.future_rows_vs_empty, 3) : null;
  // Each system's analysed drain as a fraction of the database-side floor measured in the same run.
  out.throughput_vs_floor = ratio(ours?.throughput_jobs_per_s, floor?.jobsPerSecond);
  out.graphile_worker_throughput_vs_floor = ratio(
    resultOf(outcomes, "graphile_worker")?.throughput_jobs_per_s,
    floor?.jobsPerSecond,
  );
  out.pg_boss_throughput_vs_floor = ratio(resultOf(outcomes, "pg_boss")?.throughput_jobs_per_s, floor?.jobsPerSecond);
  // The transaction claim mode ("fast lane", issue 20) against graphile-worker and against our classic mode.
  const fast = resultOf(outcomes, "ours_tx");
  const gw = resultOf(outcomes, "graphile_worker");
  out.throughput_fast_lane_vs_graphile_worker = ratio(fast?.throughput_jobs_per_s, gw?.throughput_jobs_per_s);
  out.throughput_fast_lane_vs_ours = ratio(fast?.throughput_jobs_per_s, ours?.throughput_jobs_per_s);
  out.latency_p50_fast_lane_vs_ours = ratio(fast?.latency_ms.p50, ours?.latency_ms.p50);
  out.future_rows_vs_empty_fast_lane = fast ? round(fast.future_rows_vs_empty, 3) : null;
  out.fast_lane_throughput_vs_floor = ratio(fast?.throughput_jobs_per_s, floor?.jobsPerSecond);
  out.fast_lane_throughput_vs_floor_delete_only = ratio(fast?.throughput_jobs_per_s, floors?.deleteOnly.jobsPerSecond);
  return out;
}

export function buildJson(outcomes: Outcomes, floors: Floors | undefined): BenchJson {
  const entry = (name: SystemName): SystemJson => {
    const outcome = outcomes[name];
    if (!outcome) return null;
    return outcome.ok ? rounded(outcome.result) : { label: outcome.label, error: outcome.error };
  };
  return {
    ours: entry("ours"),
    ours_tx: entry("ours_tx"),
    graphile_worker: entry("graphile_worker"),
    pg_boss: entry("pg_boss"),
    floor: floorJson(floors?.claimCycle),
    floor_delete_only: floorJson(floors?.deleteOnly),
    ratios: ratios(outcomes, floors),
  };
}

const number = (value: number): string => Math.round(value).toLocaleString("en-US");
const ms = (value: number): string => value.toFixed(2);

/** A named-queue drain's cell: jobs/s, marked when the drain was stopped at the cap. */
function namedCell(figure: NamedQueueFigure | undefined): string {
  if (!figure) return "-";
  return figure.capped ? `${number(figure.jobs_per_s)} (capped)` : number(figure.jobs_per_s);
}

/** The readable table (markdown, so it can be pasted into docs/benchmarks.md as is). */
export function formatTable(outcomes: Outcomes, info: RunInfo, floors: Floors | undefined): string {
  const names = SYSTEM_NAMES.filter((name) => outcomes[name] !== undefined);
  const labelOf = (name: SystemName): string => {
    const outcome = outcomes[name];
    if (!outcome) return name;
    return outcome.ok ? outcome.result.label : outcome.label;
  };
  const w = info.workload;
  const rows: Array<[string, (result: SystemResult) => string]> = [
    [`throughput, ${number(w.drainJobs)}-job backlog, analysed (jobs/s)`, (r) => number(r.throughput_jobs_per_s)],
    [`throughput, fresh table, not analysed (jobs/s)`, (r) => number(r.throughput_fresh_jobs_per_s)],
    [`enqueue, ${number(w.enqueueJobs)} jobs via bulk API (jobs/s)`, (r) => number(r.enqueue_jobs_per_s)],
    [`latency add->start p50 (ms, ${w.latencySamples} samples)`, (r) => ms(r.latency_ms.p50)],
    [`latency add->start p90 (ms)`, (r) => ms(r.latency_ms.p90)],
    [`latency add->start p99 (ms)`, (r) => ms(r.latency_ms.p99)],
    [`throughput with ${number(w.futureRows)} future rows (jobs/s)`, (r) => number(r.future_rows_throughput_jobs_per_s)],
    [`  vs empty table`, (r) => r.future_rows_vs_empty.toFixed(2)],
    ...w.namedQueues.map(({ key, queues, jobsPerQueue }): [string, (result: SystemResult) => string] => [
      `drain, ${number(queues)} named queues x ${number(jobsPerQueue)} jobs (jobs/s)`,
      (r) => namedCell(r.named_queues?.[key]),
    ]),
    ...w.workerCurve.map((processes): [string, (result: SystemResult) => string] => [
      `drain with ${processes} worker process${processes === 1 ? "" : "es"} (jobs/s)`,
      (r) => {
        const point = r.worker_curve?.find((entry) => entry.processes === processes);
        return point ? number(point.jobs_per_s) : "-";
      },
    ]),
    [`worker peak RSS during drain (MiB)`, (r) => r.worker_peak_rss_mb.toFixed(0)],
    [`workers started -> first job (ms, in drain time)`, (r) => r.drain_startup_ms.toFixed(0)],
  ];
  const header = ["", ...names.map(labelOf)];
  const body = rows.map(([title, cell]) => [
    title,
    ...names.map((name) => {
      const outcome = outcomes[name];
      return outcome?.ok ? cell(outcome.result) : "failed";
    }),
  ]);
  const table = [header, header.map((_, index) => (index === 0 ? "---" : "---:")), ...body];
  const widths = header.map((_, column) => Math.max(...table.map((row) => (row[column] ?? "").length)));
  const lines = table.map(
    (row) =>
      `| ${row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join(" | ")} |`,
  );

  const notes: string[] = [];
  for (const name of names) {
    const outcome = outcomes[name];
    if (!outcome) continue;
    notes.push(
      outcome.ok ? `- ${labelOf(name)}: ${outcome.result.configuration}` : `- ${labelOf(name)}: FAILED: ${outcome.error}`,
    );
  }
  const json = buildJson(outcomes, floors);
  const ratioLines = Object.entries(json.ratios)
    .filter(([, value]) => value !== null)
    .map(([key, value]) => `- ${key}: ${value}`);

  return [
    `Benchmark ${info.date}${info.quick ? " (--quick)" : ""}: ${info.server}; node ${info.node}; ${info.cpus} CPUs, ${info.memoryGiB} GiB; ` +
      `${info.workerProcesses} worker processes per system; no-op tasks; load average at start ${info.loadAverageAtStart.toFixed(2)}; ` +
      `drains: median of ${info.workload.drainRepeats} run(s)`,
    "",
    ...lines,
    "",
    floors
      ? `Database-side floors (same server, ${number(floors.claimCycle.jobs)} analysed jobs, ${floors.claimCycle.clients} clients, no task code; ` +
        `median of ${floors.claimCycle.runs?.length ?? 1} run(s), one after each round of analysed drains): ` +
        `one statement per cycle deleting the previous ${floors.claimCycle.batch} jobs and claiming the next ${floors.claimCycle.batch} ` +
        `(each job written twice, as by any claim that marks its rows) ${number(floors.claimCycle.jobsPerSecond)} jobs/s; ` +
        `locking and deleting ${floors.deleteOnly.batch} per statement (nothing else written) ${number(floors.deleteOnly.jobsPerSecond)} jobs/s`
      : "Database-side floors: FAILED (see stderr)",
    `Named-queue drains stop after ${info.workload.namedQueueCapMs / 1000} s; a capped figure is the jobs run over that time. ` +
      `The worker-count curve is ours only (analysed ${number(w.drainJobs)}-job backlog, one run each).`,
    "",
    "Configurations:",
    ...notes,
    ...(ratioLines.length > 0 ? ["", "Ratios (ours / other):", ...ratioLines] : []),
  ].join("\n");
}
