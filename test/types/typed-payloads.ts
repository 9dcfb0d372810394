/**
 * Compile-time checks of typed payloads, checked by `npm run typecheck` (and
 * so by `npm test`, which runs it first). Each `@ts-expect-error` line must
 * fail to compile: if it compiled, tsc reports the unused directive. Nothing
 * here runs; the functions are only type-checked.
 */
import { z } from "zod";
import { defineTask, type JobContext, type WorkerUtils } from "../../src/index.js";

const sendEmail = defineTask({
  identifier: "send_email",
  schema: z.object({ to: z.string(), subject: z.string().default("Hello") }),
  async run(payload) {
    // `run` receives the schema's output: subject is filled in by the default.
    const subject: string = payload.subject;
    void subject;
  },
});
const typedByParameter = defineTask<{ n: number }>({ identifier: "count", run: () => undefined });
const untyped = defineTask({ identifier: "anything", run: () => undefined });

export async function addJobChecks(utils: WorkerUtils): Promise<void> {
  await utils.addJob(sendEmail, { to: "ada@example.com", subject: "Hi" });
  await utils.addJob(sendEmail, { to: "ada@example.com" }); // the schema's input: subject has a default
  await utils.addJob(sendEmail, { to: "a@example.com" }, { queueName: "emails" }, { executor: utils.driver });
  // @ts-expect-error `to` must be a string
  await utils.addJob(sendEmail, { to: 42 });
  // @ts-expect-error `to` is required
  await utils.addJob(sendEmail, { subject: "Hi" });
  // @ts-expect-error a typed task needs its payload
  await utils.addJob(sendEmail);
  await utils.addJob(typedByParameter, { n: 1 });
  // @ts-expect-error `n` is a number
  await utils.addJob(typedByParameter, { n: "1" });
  // By identifier or untyped task, any payload (the database cannot know the task's type).
  await utils.addJob("send_email", { to: 42 });
  await utils.addJob("send_email");
  await utils.addJob(untyped, [1, 2, 3]);
}

export async function addJobsChecks(utils: WorkerUtils): Promise<void> {
  await utils.addJobs([
    { identifier: sendEmail, payload: { to: "ada@example.com" } },
    { identifier: typedByParameter, payload: { n: 2 }, queueName: "q" },
    { identifier: "by_name", payload: { anything: true } },
  ]);
  // @ts-expect-error `to` must be a string
  await utils.addJobs([{ identifier: sendEmail, payload: { to: 42 } }]);
  await utils.addJobs([
    { identifier: "by_name", payload: 1 },
    // @ts-expect-error `n` is a number, also in a mixed batch
    { identifier: typedByParameter, payload: { n: "2" } },
  ]);
  const built: { identifier: string; payload: unknown }[] = [{ identifier: "x", payload: null }];
  await utils.addJobs(built);
}

export async function contextChecks(ctx: JobContext): Promise<void> {
  await ctx.addJob(sendEmail, { to: "ada@example.com" }, { runAt: new Date() });
  // @ts-expect-error `to` must be a string
  await ctx.addJob(sendEmail, { to: 42 });
  // @ts-expect-error a typed task needs its payload
  await ctx.addJob(sendEmail);
  await ctx.addJob("send_email", { to: 42 });
}
