/**
 * The closing line of `worker --once`: what this run did, and how many runnable
 * jobs it left because they are for tasks this worker does not have (another
 * worker must run them; a typo in a task name shows up here).
 */
import type { ActivityTotals } from "../worker/activity-log.js";
import { plural } from "../worker/activity-log.js";

export { countRunnableJobsForOtherTasks as countJobsForOtherTasks } from "../sql/lock-holders.js";

export function onceSummary(totals: ActivityTotals, leftForOtherTasks: number | undefined): string {
  const left =
    leftForOtherTasks === undefined
      ? ""
      : `; ${plural(leftForOtherTasks, "runnable job")} left for tasks this worker does not have`;
  return `Run once finished: ${plural(totals.completed, "job")} completed, ${totals.failed} failed${left}`;
}
