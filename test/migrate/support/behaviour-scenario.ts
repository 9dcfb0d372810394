/**
 * A scripted run of graphile-worker's public SQL functions (add_job in every
 * job_key_mode, add_jobs, remove_job, complete_jobs, permanently_fail_jobs,
 * reschedule_jobs, force_unlock_workers) against one schema. It records, after
 * every step, the step's result (or SQLSTATE), the full table state and the
 * `jobs:insert` notifications, normalised so that two schemas migrated by
 * different tools can be compared for identical behaviour.
 */
import pg from "pg";
import { quoteIdentifier } from "../../../src/sql/quote-identifier.js";

const FAR_FUTURE_YEAR = 2099;

/** Keep timestamps the scenario chose (far future); reduce the others to "set" / null. */
function normaliseValue(key: string, value: unknown): unknown {
  if (value instanceof Date) return value.getUTCFullYear() >= FAR_FUTURE_YEAR ? value.toISOString() : "set";
  if (key.endsWith("_at") && value !== null) return "set";
  return value;
}

function normaliseRows(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((row) => Object.fromEntries(Object.entries(row).map(([key, value]) => [key, normaliseValue(key, value)])));
}

/** The steps; `S` is replaced by the quoted schema. */
export const SCENARIO_STEPS: readonly string[] = [
  `select * from S.add_job('task_a', '{"n":1}')`,
  `select * from S.add_job('task_a', '{"n":2}', queue_name => 'q1', priority => 5, max_attempts => 3, flags => array['x', 'y'])`,
  `select * from S.add_job('task_b', '[1]', job_key => 'k1', run_at => '2100-01-01Z')`,
  `select * from S.add_job('task_b', '[2]', job_key => 'k1', run_at => '2100-02-01Z')`,
  `select * from S.add_job('task_b', '[3]', job_key => 'k1', run_at => '2100-03-01Z', job_key_mode => 'preserve_run_at')`,
  `select * from S.add_job('task_b', '{"x":1}', job_key => 'k1', job_key_mode => 'unsafe_dedupe')`,
  `select * from S.add_job('task_c', '{}', queue_name => 'q2', job_key => 'k2', job_key_mode => 'unsafe_dedupe')`,
  `select * from S.add_job('task_c', '{}', job_key => 'k3', job_key_mode => 'bogus')`,
  `select * from S.add_job(repeat('x', 129))`,
  `select * from S.add_job('task_d', '{}', max_attempts => 0)`,
  `update S._private_jobs set locked_at = now(), locked_by = 'worker-1', attempts = 1 where key = 'k1'`,
  `update S._private_job_queues set locked_at = now(), locked_by = 'worker-1' where queue_name = 'q1'`,
  `select * from S.add_job('task_b', '{"fresh":true}', job_key => 'k1')`,
  `select * from S.add_job('task_b', '{"dedupe":true}', job_key => 'k1', job_key_mode => 'unsafe_dedupe')`,
  `select * from S.add_jobs(array[
     ('task_e', '{"bulk":1}', null, null, null, null, null, null),
     ('task_e', '{"bulk":2}', 'q1', '2100-04-01Z', 4, 'k2', 2, array['z']),
     ('task_f', null, 'q3', null, null, 'k4', null, null)
   ]::S.job_spec[])`,
  `select * from S.add_jobs(array[('task_e', '{"bulk":3}', 'q1', '2100-06-01Z', null, 'k2', null, null)]::S.job_spec[], true)`,
  `select * from S.add_jobs(array[('task_e', '{"bulk":4}', 'q1', '2100-06-01Z', null, 'k2', null, null)]::S.job_spec[], false)`,
  `select * from S.remove_job('k4')`,
  `select * from S.remove_job('k1')`,
  `select * from S.remove_job('no-such-key')`,
  `select * from S.complete_jobs(array[1, 3, 4]::bigint[])`,
  `select * from S.permanently_fail_jobs(array[2]::bigint[], 'boom')`,
  `select * from S.permanently_fail_jobs(array[5]::bigint[])`,
  `select * from S.reschedule_jobs(array[2, 6]::bigint[], run_at => '2100-05-05Z', priority => 7, attempts => 1, max_attempts => 9)`,
  `select * from S.reschedule_jobs(array[6]::bigint[])`,
  `select * from S.force_unlock_workers(array['worker-1'])`,
  `select * from S.add_job('task_g', '{}', job_key => 'k5', job_key_mode => null)`,
];

const STATE_QUERIES = [
  `select * from S._private_jobs order by id`,
  `select * from S._private_job_queues order by id`,
  `select * from S._private_tasks order by id`,
  `select * from S.jobs order by id`,
];

export interface ScenarioRecord {
  steps: unknown[];
  notifications: unknown[];
}

/** Run the scenario on `schema` (already migrated, no jobs) and record everything. */
export async function runBehaviourScenario(connectionString: string, schema: string): Promise<ScenarioRecord> {
  const quoted = quoteIdentifier(schema);
  const render = (sql: string) => sql.replace(/\bS\./g, `${quoted}.`);
  const client = new pg.Client({ connectionString });
  await client.connect();
  const notifications: unknown[] = [];
  let resolveEnd!: () => void;
  const ended = new Promise<void>((resolve) => (resolveEnd = resolve));
  client.on("notification", (message) => {
    if (message.channel === "scenario:end") return resolveEnd();
    const payload = message.payload ? (JSON.parse(message.payload) as Record<string, unknown>) : message.payload;
    if (payload && typeof payload === "object") delete payload.r;
    notifications.push({ channel: message.channel, payload });
  });
  try {
    await client.query(`listen "jobs:insert"; listen "scenario:end"`);
    const steps: unknown[] = [];
    for (const step of SCENARIO_STEPS) {
      let outcome: unknown;
      try {
        const result = await client.query(render(step));
        outcome = { rows: normaliseRows(result.rows) };
      } catch (error) {
        outcome = { error: (error as { code?: string }).code };
      }
      const state = [];
      for (const query of STATE_QUERIES) state.push(normaliseRows((await client.query(render(query))).rows));
      steps.push({ step, outcome, state });
    }
    await client.query(`select pg_notify('scenario:end', '')`);
    await ended;
    return { steps, notifications };
  } finally {
    await client.end();
  }
}
