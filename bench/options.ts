/**
 * Command-line options of `npm run bench`:
 *   --json            print the results as one JSON object on stdout's last line
 *   --quick           small smoke run (CI)
 *   --only a,b        systems to run: ours, ours_tx, graphile_worker, pg_boss (default: all)
 *   --no-fsync        embedded server with fsync and synchronous_commit off (default: durable)
 *   --workers 1,2,4   worker processes of each drain of the worker-count curve (ours)
 *   --help
 */
import { SYSTEM_NAMES, isSystemName, type SystemName } from "./systems/system.js";

export interface BenchOptions {
  json: boolean;
  quick: boolean;
  systems: SystemName[];
  help: boolean;
  /** Start the embedded server with fsync and synchronous_commit off (ignored with DATABASE_URL). */
  noFsync: boolean;
  /** `--workers`: the worker-count curve's process counts; undefined: the workload's default. */
  workers: number[] | undefined;
}

export const USAGE = `Usage: npm run bench -- [--json] [--quick] [--only ${SYSTEM_NAMES.join(",")}] [--no-fsync] [--workers 1,2,4,8]

Runs graphile-worker-ts ("ours"; "ours_tx": its transaction claim mode), graphile-worker 0.18 and pg-boss 12 side by side on one
PostgreSQL (DATABASE_URL, or an embedded one when unset), 2 worker processes each.
  --json    print the results as one JSON object on stdout's last line
  --quick   small smoke run (about a minute; used by CI)
  --only    comma-separated systems to run (default: all)
  --no-fsync  embedded server without fsync and synchronous commit (default: durable, as users run it)
  --workers   comma-separated worker-process counts for the worker-count curve of ours
              (default 1,2,4,8; --quick 1,2)`;

/** Thrown for a bad argument; the message names it. */
export class UsageError extends Error {}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const options: BenchOptions = {
    json: false,
    quick: false,
    systems: [...SYSTEM_NAMES],
    help: false,
    noFsync: false,
    workers: undefined,
  };
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index] ?? "";
    const [flag, inlineValue] =
      argument.startsWith("--") && argument.includes("=") ? argument.split("=", 2) : [argument, undefined];
    switch (flag) {
      case "--json":
        options.json = true;
        break;
      case "--quick":
        options.quick = true;
        break;
      case "--no-fsync":
        options.noFsync = true;
        break;
      case "--help":
      case "-h":
        options.help = true;
        break;
      case "--only": {
        const value = inlineValue ?? argv[(index += 1)];
        if (!value) throw new UsageError("--only needs a comma-separated list of systems");
        const names = value
          .split(",")
          .map((name) => name.trim())
          .filter((name) => name.length > 0);
        const unknown = names.filter((name) => !isSystemName(name));
        if (unknown.length > 0 || names.length === 0) {
          throw new UsageError(
            `--only: unknown system ${JSON.stringify(unknown[0] ?? value)} (expected ${SYSTEM_NAMES.join(", ")})`,
          );
        }
        options.systems = SYSTEM_NAMES.filter((name) => names.includes(name));
        break;
      }
      case "--workers": {
        const value = inlineValue ?? argv[(index += 1)];
        if (!value) throw new UsageError("--workers needs a comma-separated list of worker-process counts, e.g. 1,2,4,8");
        const counts = value.split(",").map((part) => part.trim());
        const bad = counts.find((part) => !/^[1-9][0-9]*$/.test(part) || Number(part) > 64);
        if (bad !== undefined) throw new UsageError(`--workers: bad worker-process count ${JSON.stringify(bad)} (1 to 64)`);
        options.workers = counts.map(Number);
        break;
      }
      default:
        throw new UsageError(`unknown argument ${JSON.stringify(argument)}`);
    }
  }
  return options;
}
