/**
 * Compile-time checks of cron items (type-checked by `npm test`, never run):
 * a typed task's payload type checks the item's payload, in the builder and in
 * an annotated plain `CronItem`.
 */
import { z } from "zod";
import { cron, defineTask, type CronItem, type WorkerOptions } from "../../src/index.js";

const report = defineTask({
  identifier: "report",
  schema: z.object({ kind: z.enum(["daily", "weekly"]) }),
  run: () => undefined,
});
const typedByParameter = defineTask<{ n: number }>({ identifier: "counted", run: () => undefined });

export const ok: WorkerOptions["crontab"] = [
  cron("0 4 * * *").task(report).payload({ kind: "daily" }).timeZone("Europe/Berlin").backfill("1h").id("daily"),
  cron("* * * * *").task(typedByParameter).payload({ n: 1 }).queue("q").priority(1).maxAttempts(3),
  cron("* * * * *").task("by_name").payload({ anything: true }),
  { schedule: "0 * * * *", task: "by_name", payload: { free: "form" } },
];

export const plain: CronItem<typeof report> = { schedule: "0 4 * * *", task: report, payload: { kind: "weekly" } };

// @ts-expect-error the payload does not match the task's schema
export const badBuilt = cron("0 4 * * *").task(report).payload({ kind: "monthly" });

// @ts-expect-error a payload of the wrong type for a type-parameter task
export const badParam = cron("0 4 * * *").task(typedByParameter).payload({ n: "one" });

// @ts-expect-error payload before task: the task's type is not known yet
export const early = cron("0 4 * * *").payload({ kind: "daily" });

// @ts-expect-error a plain item annotated with its task checks the payload
export const badPlain: CronItem<typeof report> = { schedule: "0 4 * * *", task: report, payload: { kind: 1 } };

// @ts-expect-error jobKeyMode unsafe_dedupe is not a cron option (graphile-worker refuses it too)
export const badMode: CronItem = { schedule: "* * * * *", task: "t", jobKey: "k", jobKeyMode: "unsafe_dedupe" };
