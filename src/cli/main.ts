/** The `graphile-worker-ts` command: runs the CLI and sets the exit code. */
import { runCli } from "./run-cli.js";

process.exitCode = await runCli(process.argv.slice(2));
