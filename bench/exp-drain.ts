// temporary experiment (not committed)
import { openBenchServer } from "./database-server.js";
import { createSystem } from "./systems/registry.js";
import { measureDrain } from "./scenarios/drain.js";
import { isSystemName } from "./systems/system.js";
const name = process.argv[2] ?? "graphile_worker";
const jobs = Number(process.argv[3] ?? 50000);
const reps = Number(process.argv[4] ?? 2);
if (!isSystemName(name)) throw new Error("bad name");
const server = await openBenchServer(process.env.DATABASE_URL);
try {
  const system = await createSystem(name, { connectionString: await server.createDatabase(name) });
  await system.setup();
  for (let i = 0; i < reps; i++) {
    await system.clearJobs(); const r = await measureDrain(system, jobs, true);
    console.log(name, jobs, Math.round(r.jobsPerSecond), r.seconds.toFixed(2), r.executed);
  }
  await system.teardown();
} finally { await server.close(); }
