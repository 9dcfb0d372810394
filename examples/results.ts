/**
 * Results and progress: a task that keeps its result (`keepResult`) and
 * reports progress; the enqueuer waits for the result through LISTEN.
 *
 *   DATABASE_URL=postgres://user:pass@host/db npx tsx examples/results.ts
 *
 * It prints a JSON summary on its last line (test/examples/results-example.test.ts
 * runs it and checks it).
 */
import { createWorker, createWorkerUtils, defineTask, silentLogger } from "../src/index.js";

const connectionString = process.env.DATABASE_URL;
if (!connectionString) throw new Error("Set DATABASE_URL");

const resize = defineTask<{ images: string[] }>({
  identifier: "resize_images",
  // Keep each job's return value for an hour (cleanup deletes it afterwards).
  keepResult: { ttlMs: 60 * 60 * 1000 },
  async run({ images }, ctx) {
    const thumbnails: string[] = [];
    for (const [index, image] of images.entries()) {
      thumbnails.push(image.replace(/\.png$/, ".thumb.png"));
      // Throttled: at most one write per job every 250 ms, and the last value is always stored.
      ctx.progress({ done: index + 1, of: images.length });
    }
    return { thumbnails };
  },
});

const utils = await createWorkerUtils({ connectionString, logger: silentLogger });
const worker = await createWorker({ connectionString, tasks: [resize], logger: silentLogger, handleSignals: false });
try {
  await utils.migrate();
  await worker.start();
  const job = await utils.addJob(resize, { images: ["a.png", "b.png", "c.png"] });
  console.log(`Added job ${job.id}; waiting for its result`);
  // Resolves when the worker stores the result (LISTEN, no polling); at once if it is already there.
  const result = await utils.waitForResult(job.id, { timeoutMs: 60_000 });
  console.log(`Job ${job.id}: ${result.state}`, result.result);
  const progress = await utils.getJobProgress(job.id);
  console.log(`Last progress:`, progress?.progress);
  // Asked again later, the stored result answers without waiting.
  const again = await utils.getJobResult(job.id);
  console.log(JSON.stringify({ jobId: job.id, result, again, progress: progress?.progress }));
} finally {
  await worker.stop();
  await utils.release();
}
