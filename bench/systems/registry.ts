/**
 * Which adapter builds which system. Adapters are imported lazily, so a
 * system that cannot load (e.g. ours while src/index.ts is being written) does
 * not stop the others from being measured.
 */
import type { BenchSystem, SystemContext, SystemName } from "./system.js";

export async function createSystem(name: SystemName, context: SystemContext): Promise<BenchSystem> {
  switch (name) {
    case "ours":
      return (await import("./ours.js")).createOursSystem(context);
    case "ours_tx":
      return (await import("./ours.js")).createOursSystem(context, "transaction");
    case "graphile_worker":
      return (await import("./graphile-worker.js")).createGraphileWorkerSystem(context);
    case "pg_boss":
      return (await import("./pg-boss.js")).createPgBossSystem(context);
  }
}
