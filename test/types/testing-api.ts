/**
 * Compile-time checks of graphile-worker-ts/testing (type-checked by `npm
 * test`, never run): runUntilIdle takes a worker's options but not cron's,
 * `state` is typed by the tasks, and filters take only known states.
 */
import { defineTask } from "../../src/index.js";
import {
  createTestSchema,
  getJobs,
  runUntilIdle,
  ManualClock,
  type JobFilter,
  type RunUntilIdleResult,
} from "../../src/testing/index.js";

interface AppState {
  greeting: string;
}
const greet = defineTask<{ name: string }, AppState>({
  identifier: "greet",
  run: (payload, ctx) => void `${ctx.state.greeting} ${payload.name}`,
});

export async function checks(): Promise<void> {
  const result: RunUntilIdleResult = await runUntilIdle({ tasks: [greet], state: { greeting: "hi" }, futureJobs: "run" });
  void result.permanentlyFailed[0]?.error?.message;

  // @ts-expect-error runUntilIdle runs no cron
  await runUntilIdle({ tasks: [greet], crontab: "* * * * * greet" });
  // @ts-expect-error futureJobs is "leave" or "run"
  await runUntilIdle({ tasks: [greet], futureJobs: "later" });

  await using db = await createTestSchema({ prefix: "types" });
  await db.runUntilIdle({ tasks: [greet], retries: "run" });
  // @ts-expect-error the test schema decides the schema
  await db.runUntilIdle({ tasks: [greet], schema: "other" });

  const filter: JobFilter = { task: greet, payload: { name: "Ada" }, state: ["ready", "failed"], queueName: null };
  const jobs = await getJobs(db, filter);
  void jobs[0]?.state;
  // @ts-expect-error not a job state
  await getJobs(db, { state: "done" });

  const clock = new ManualClock(0);
  clock.advance(60_000);
  await clock.whenSleeping();
}
