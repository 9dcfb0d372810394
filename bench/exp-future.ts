// temporary experiment (not committed)
import { openBenchServer } from "./database-server.js";
import { createSystem } from "./systems/registry.js";
import { isSystemName } from "./systems/system.js";
const name = process.argv[2] ?? "pg_boss";
const rows = Number(process.argv[3] ?? 1000000);
if (!isSystemName(name)) throw new Error("bad name");
const server = await openBenchServer(process.env.DATABASE_URL);
try {
  const system = await createSystem(name, { connectionString: await server.createDatabase(name) });
  await system.setup();
  let t = performance.now();
  await system.insertFutureRows(rows);
  console.log(name, "insert", rows, ((performance.now() - t) / 1000).toFixed(1), "s");
  t = performance.now();
  await system.bulkEnqueue(50000);
  console.log(name, "enqueue 50k", ((performance.now() - t) / 1000).toFixed(1), "s");
  t = performance.now();
  await system.vacuumAnalyze();
  console.log(name, "vacuum", ((performance.now() - t) / 1000).toFixed(1), "s");
  t = performance.now();
  console.log(await system.countRemaining(), ((performance.now() - t)).toFixed(1), "ms");
  await system.teardown();
} finally { await server.close(); }
