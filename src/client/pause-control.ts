/**
 * `pauseQueue` / `resumeQueue` / `pauseTask` / `resumeTask` / `listPauses`:
 * validation, then src/sql/pauses.ts. See docs/job-control.md ("Pause and resume").
 */
import type { Queryable } from "../driver/driver.js";
import { validateQueueName, validateTaskIdentifier } from "../jobs/job-spec-validation.js";
import { listPauses as listPausesIn, setPaused, type Pause, type PauseKind } from "../sql/pauses.js";
import { quoteIdentifier } from "../sql/quote-identifier.js";

export type { Pause, PauseKind } from "../sql/pauses.js";

/** Pause or resume one queue or task; true when the state changed. The name is validated first (nothing written otherwise). */
export async function changePause(
  db: () => Queryable,
  schema: string,
  kind: PauseKind,
  name: unknown,
  paused: boolean,
): Promise<boolean> {
  const valid = kind === "queue" ? validateQueueName(name, "queueName") : validateTaskIdentifier(name, "taskIdentifier");
  return setPaused(db(), { schema, kind, name: valid, paused });
}

/** Every paused queue and task. */
export function listPauses(db: Queryable, schema: string): Promise<Pause[]> {
  return listPausesIn(db, quoteIdentifier(schema));
}
