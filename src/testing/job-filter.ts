/**
 * Which jobs `getJobs` and the job assertions look at. Every field is
 * optional and they combine with "and"; a bad field is refused with a
 * ValidationError naming it, before anything is read.
 */
import { checkKnownOptions, optionNames } from "../config/known-options.js";
import { ValidationError } from "../errors/errors.js";
import { JOB_STATES, type JobState } from "../read-model/job-state.js";
import type { AnyTask } from "../tasks/task.js";

export interface JobFilter {
  /** A task identifier, or the task made with `defineTask`. */
  task?: string | AnyTask;
  /** A subset of the payload: every key given must match (deeply); other keys are ignored. */
  payload?: unknown;
  /** The job's serial queue; `null`: jobs in no queue. */
  queueName?: string | null;
  /** The job key; `null`: jobs without a key. */
  key?: string | null;
  /** One state or several (see JobState: ready, scheduled, locked, failed, permanently-failed). */
  state?: JobState | readonly JobState[];
  priority?: number;
  /** Flags the job must carry (it may carry others). */
  flags?: readonly string[];
}

/** A validated filter: the task as its identifier, states as a list. */
export interface ResolvedJobFilter {
  taskIdentifier?: string;
  payload?: unknown;
  hasPayload: boolean;
  queueName?: string | null;
  key?: string | null;
  states?: readonly JobState[];
  priority?: number;
  flags?: readonly string[];
}

const JOB_FILTER_NAMES = optionNames({
  task: true,
  payload: true,
  queueName: true,
  key: true,
  state: true,
  priority: true,
  flags: true,
} satisfies Record<keyof JobFilter, true>);

function nullableText(field: string, value: unknown): string | null | undefined {
  if (value === undefined || value === null) return value;
  if (typeof value !== "string" || value.length === 0)
    throw new ValidationError(field, value, "must be a non-empty string or null");
  return value;
}

function taskIdentifierOf(task: unknown): string | undefined {
  if (task === undefined) return undefined;
  if (typeof task === "string" && task.length > 0) return task;
  if (task !== null && typeof task === "object" && typeof (task as AnyTask).identifier === "string") {
    return (task as AnyTask).identifier;
  }
  throw new ValidationError("task", task, "must be a task identifier or a task made with defineTask()");
}

function statesOf(state: unknown): readonly JobState[] | undefined {
  if (state === undefined) return undefined;
  const states = (Array.isArray(state) ? state : [state]) as unknown[];
  if (states.length === 0) throw new ValidationError("state", state, "must name at least one state");
  for (const s of states) {
    if (!JOB_STATES.includes(s as JobState)) throw new ValidationError("state", s, `must be one of ${JOB_STATES.join(", ")}`);
  }
  return states as JobState[];
}

export function resolveJobFilter(filter: JobFilter = {}): ResolvedJobFilter {
  if (filter === null || typeof filter !== "object" || Array.isArray(filter)) {
    throw new ValidationError("filter", filter, "must be an object");
  }
  checkKnownOptions(filter, JOB_FILTER_NAMES, "job filter");
  const { priority, flags } = filter;
  if (priority !== undefined && (typeof priority !== "number" || !Number.isInteger(priority))) {
    throw new ValidationError("priority", priority, "must be an integer");
  }
  if (flags !== undefined && (!Array.isArray(flags) || flags.some((f) => typeof f !== "string" || f.length === 0))) {
    throw new ValidationError("flags", flags, "must be an array of non-empty strings");
  }
  return {
    taskIdentifier: taskIdentifierOf(filter.task),
    payload: filter.payload,
    hasPayload: Object.hasOwn(filter, "payload") && filter.payload !== undefined,
    queueName: nullableText("queueName", filter.queueName),
    key: nullableText("key", filter.key),
    states: statesOf(filter.state),
    priority,
    flags,
  };
}

/** The filter as text for messages: `{ task: "send_email", payload: {"to":"a@b"} }`. */
export function describeJobFilter(filter: ResolvedJobFilter): string {
  const parts: string[] = [];
  if (filter.taskIdentifier !== undefined) parts.push(`task: ${JSON.stringify(filter.taskIdentifier)}`);
  if (filter.hasPayload) parts.push(`payload ⊇ ${JSON.stringify(filter.payload)}`);
  if (filter.queueName !== undefined) parts.push(`queueName: ${JSON.stringify(filter.queueName)}`);
  if (filter.key !== undefined) parts.push(`key: ${JSON.stringify(filter.key)}`);
  if (filter.states !== undefined) parts.push(`state: ${filter.states.join(" | ")}`);
  if (filter.priority !== undefined) parts.push(`priority: ${filter.priority}`);
  if (filter.flags !== undefined) parts.push(`flags ⊇ ${JSON.stringify(filter.flags)}`);
  return parts.length === 0 ? "{ any job }" : `{ ${parts.join(", ")} }`;
}
