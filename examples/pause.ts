/**
 * Pause and resume (docs/job-control.md): during an incident at the mail
 * provider, pause the `emails` queue; other work goes on; resume it and the
 * held-back emails go out.
 *
 *   DATABASE_URL=postgres://user:pass@host/db npx tsx examples/pause.ts
 *
 * Prints one JSON line at the end: what ran while paused and after.
 */
import { createWorker, createWorkerUtils, defineTask } from "../src/index.js";

const connectionString = process.env.DATABASE_URL;
if (!connectionString) throw new Error("Set DATABASE_URL");

const ran: string[] = [];
const sendEmail = defineTask<{ to: string }>({
  identifier: "send_email",
  run: (payload) => {
    ran.push(`email to ${payload.to}`);
  },
});
const resizeImage = defineTask<{ image: string }>({
  identifier: "resize_image",
  run: (payload) => {
    ran.push(`resized ${payload.image}`);
  },
});

const utils = await createWorkerUtils({ connectionString });
await utils.migrate();
const worker = await createWorker({ connectionString, concurrency: 2, handleSignals: false, tasks: [sendEmail, resizeImage] });
/** Resolves once `count` jobs more have completed. */
const completed = (count: number) =>
  new Promise<void>((resolve) => {
    let left = count;
    const onComplete = () => {
      if (--left > 0) return;
      worker.events.off("job:complete", onComplete);
      resolve();
    };
    worker.events.on("job:complete", onComplete);
  });
try {
  // The provider is down: stop sending. Every worker (and any restarted one) honours it.
  await utils.pauseQueue("emails");
  await worker.start();
  const imagesDone = completed(2);
  await utils.addJobs([
    { identifier: "send_email", payload: { to: "ada@example.com" }, queueName: "emails" },
    { identifier: "send_email", payload: { to: "bob@example.com" }, queueName: "emails" },
    { identifier: "resize_image", payload: { image: "cat.png" } },
    { identifier: "resize_image", payload: { image: "dog.png" } },
  ]);
  await imagesDone;
  const whilePaused = [...ran].sort();
  const stats = await utils.read.stats();

  // The provider is back.
  const emailsDone = completed(2);
  await utils.resumeQueue("emails");
  await emailsDone;
  console.log(JSON.stringify({ whilePaused, pausedQueues: stats.paused.queues, afterResume: ran.slice(2).sort() }));
} finally {
  await worker.stop();
  await utils.release();
}
