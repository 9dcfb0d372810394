/**
 * `defineBatchTask`: a typed task for batch jobs (a job whose payload is an
 * array, see docs/batch-jobs.md). `schema` describes one item; `run` gets the
 * valid items and returns one result (a value or a promise) per item.
 *
 * - A payload that is not an array fails the job for good (PayloadValidationError),
 *   like every payload that does not match its task's schema.
 * - An item that fails `schema` fails that item only: it is not given to `run`,
 *   its entry is a rejected PayloadValidationError, so it stays in the job's
 *   payload while the valid items go on. When only invalid items are left, the
 *   failure is permanent (no retry can make them valid).
 * - `run` must return an array with one entry per item it was given; anything
 *   else fails the whole job (all items are retried). This is stricter than a
 *   plain task returning an array of the wrong length (graphile-worker counts
 *   that as full success): a typed batch task cannot drop items silently.
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { GraphileWorkerError, ValidationError } from "../errors/errors.js";
import { validateTaskIdentifier, validateTimeoutMs } from "../jobs/job-spec-validation.js";
import { PayloadValidationError, type JobContext, type Task } from "./task.js";

/** A batch task's handler: one result (value or promise; a rejection fails that item) per item. */
export type BatchTaskHandler<Item, State = unknown> = (
  items: Item[],
  context: JobContext<State>,
) => readonly unknown[] | Promise<readonly unknown[]>;

export interface BatchTaskDefinition<Item, State = unknown, Input = Item> {
  identifier: string;
  /** Any Standard Schema (zod, valibot, arktype) for ONE item: each item is validated on its own. */
  schema?: StandardSchemaV1<Input, Item>;
  run: BatchTaskHandler<Item, State>;
  /** A run's time limit (ms), as `defineTask({ timeoutMs })` (docs/job-control.md). */
  timeoutMs?: number;
}

/**
 * A batch task: a `Task` whose payload is an array of items (`addJob` takes
 * `Input[]`). `itemSchema` is the schema given for one item.
 */
export interface BatchTask<Item = unknown, State = unknown, Input = Item> extends Task<
  readonly unknown[],
  State,
  readonly Input[]
> {
  readonly schema: StandardSchemaV1<readonly Input[], readonly unknown[]>;
  readonly itemSchema?: StandardSchemaV1<Input, Item>;
}

/** `run` of a batch task returned something other than one result per item. */
export class BatchResultError extends GraphileWorkerError {
  constructor(identifier: string, itemCount: number, returned: string) {
    super(
      "BATCH_RESULT",
      `Batch task ${JSON.stringify(identifier)} returned ${returned} for ${itemCount} items: ` +
        "run must return an array with one result per item",
    );
  }
}

/** The payload-level schema of a batch task: an array (items are checked one by one in `run`). */
function arrayPayloadSchema<Input>(): StandardSchemaV1<readonly Input[], readonly unknown[]> {
  return {
    "~standard": {
      version: 1,
      vendor: "graphile-worker-ts",
      validate(value: unknown) {
        return Array.isArray(value)
          ? { value: value as readonly unknown[] }
          : { issues: [{ message: "a batch task's payload must be an array of items" }] };
      },
    },
  };
}

/** A rejected promise already marked handled: no unhandled-rejection report before the worker settles it. */
function rejected(error: unknown): Promise<never> {
  const promise = Promise.reject(error);
  promise.catch(() => undefined);
  return promise;
}

function describeReturned(value: unknown): string {
  return Array.isArray(value) ? `${value.length} results` : value === null ? "null" : typeof value;
}

/**
 * Define a typed batch task. The item type comes from `schema` when given, or
 * from the type parameter: `defineBatchTask<{ to: string }>({ identifier, run })`.
 */
export function defineBatchTask<Item = unknown, State = unknown, Input = Item>(
  definition: BatchTaskDefinition<Item, State, Input>,
): BatchTask<Item, State, Input> {
  validateTaskIdentifier(definition.identifier, "identifier");
  const { identifier, schema: itemSchema, run } = definition;
  if (typeof run !== "function") {
    throw new ValidationError("run", run, `task ${identifier} needs a run function`);
  }
  if (itemSchema !== undefined && typeof itemSchema?.["~standard"]?.validate !== "function") {
    throw new ValidationError("schema", itemSchema, "must implement the Standard Schema interface");
  }

  async function runBatch(payload: readonly unknown[], context: JobContext<State>): Promise<readonly unknown[]> {
    if (!itemSchema) return checked(payload.length, await run(payload as Item[], context));
    const results: unknown[] = new Array<unknown>(payload.length);
    const valid: Item[] = [];
    const validIndexes: number[] = [];
    for (let index = 0; index < payload.length; index++) {
      let outcome = itemSchema["~standard"].validate(payload[index]);
      if (outcome instanceof Promise) outcome = await outcome;
      if (outcome.issues) {
        results[index] = rejected(new PayloadValidationError(identifier, payload[index], outcome.issues));
      } else {
        valid.push(outcome.value);
        validIndexes.push(index);
      }
    }
    if (valid.length > 0) {
      const returned = checked(valid.length, await run(valid, context));
      for (let i = 0; i < validIndexes.length; i++) results[validIndexes[i]!] = returned[i];
    }
    return results;
  }

  function checked(itemCount: number, returned: unknown): readonly unknown[] {
    if (!Array.isArray(returned) || returned.length !== itemCount) {
      throw new BatchResultError(identifier, itemCount, describeReturned(returned));
    }
    return returned;
  }

  const timeoutMs = validateTimeoutMs(definition.timeoutMs, "timeoutMs");
  const task = { identifier, schema: arrayPayloadSchema<Input>(), itemSchema, run: runBatch };
  return Object.freeze(timeoutMs === undefined ? task : { ...task, timeoutMs });
}
