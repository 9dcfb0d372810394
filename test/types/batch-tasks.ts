/**
 * Compile-time checks of defineBatchTask (type-checked by test/types/typecheck.test.ts;
 * nothing here runs). Each `@ts-expect-error` line must fail to compile.
 */
import { z } from "zod";
import { createWorker, defineBatchTask, defineTask, type JobContext, type WorkerUtils } from "../../src/index.js";

const Item = z.object({ to: z.string(), subject: z.string().default("Hello") });

const sendAll = defineBatchTask({
  identifier: "send_all",
  schema: Item,
  async run(items, ctx) {
    // Items are the schema's output: subject is filled in by the default.
    const subjects: string[] = items.map((item) => item.subject);
    const job: JobContext["job"] = ctx.job;
    void job;
    // One result per item: values and promises mixed.
    return items.map((item, i) => (i % 2 === 0 ? subjects[i] : Promise.resolve(item.to)));
  },
});
const byParameter = defineBatchTask<{ n: number }, { db: string }>({
  identifier: "count_all",
  run: (items, ctx) => items.map((item) => `${ctx.state.db}:${item.n}`),
});

export async function addJobChecks(utils: WorkerUtils): Promise<void> {
  await utils.addJob(sendAll, [{ to: "a@example.com" }, { to: "b@example.com", subject: "Hi" }]);
  await utils.addJob(sendAll, [], { jobKey: "digest", jobKeyMode: "preserve_run_at" });
  // @ts-expect-error a batch task's payload is an array of items, not one item
  await utils.addJob(sendAll, { to: "a@example.com" });
  // @ts-expect-error each item is checked: `to` must be a string
  await utils.addJob(sendAll, [{ to: 42 }]);
  // @ts-expect-error a typed batch task needs its payload
  await utils.addJob(sendAll);
  await utils.addJob(byParameter, [{ n: 1 }]);
  // @ts-expect-error `n` is a number
  await utils.addJob(byParameter, [{ n: "1" }]);
  await utils.addJobs([{ identifier: sendAll, payload: [{ to: "c@example.com" }] }]);
  // @ts-expect-error also in addJobs
  await utils.addJobs([{ identifier: sendAll, payload: [{ subject: "no recipient" }] }]);
  // By identifier, anything goes (the database cannot know the task's type).
  await utils.addJob("send_all", { anything: true });
}

export function definitionChecks(): void {
  defineBatchTask({
    identifier: "bad_return",
    schema: Item,
    // @ts-expect-error run returns one result per item: an array
    run: () => "done",
  });
  defineBatchTask({
    identifier: "bad_item",
    schema: Item,
    run: (items) =>
      items.map((item) => {
        // @ts-expect-error `to` is a string
        const n: number = item.to;
        return n;
      }),
  });
  // A plain task may also return one result per item of an array payload.
  defineTask<number[]>({ identifier: "plain_batch", run: (payload) => payload.map((n) => Promise.resolve(n)) });
}

export async function workerChecks(): Promise<void> {
  // Batch tasks go in the task list beside plain ones, and in an identifier -> handler map.
  await createWorker({ tasks: [sendAll, defineTask({ identifier: "other", run: () => undefined })] });
  await createWorker({ tasks: { plain_batch: async (payload: number[]) => payload.map(async (n) => n * 2) } });
  await createWorker({ state: { db: "main" }, tasks: [byParameter] });
}
