/**
 * The `graphile-worker-ts` command: runs the CLI, then ends the process. It
 * exits explicitly rather than waiting for the event loop to drain: a task that
 * ignored its abort signal (an interval, a promise that never settles) would
 * otherwise keep a stopped worker's process alive. A worker stopped by a
 * signal ends the process by that signal, as graphile-worker does.
 */
import { exitBySignal } from "../worker/shutdown-signals.js";
import { runCliOutcome } from "./run-cli.js";

// Node's warnings (e.g. pg's several-line notice about sslmode) become one line each, as every CLI message.
process.removeAllListeners("warning");
process.on("warning", (warning) => console.error(`graphile-worker-ts: warning: ${warning.message.split("\n")[0]}`));

const { code, signal } = await runCliOutcome(process.argv.slice(2));
// Let what was written to stdout/stderr reach its reader before the process ends.
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write("", resolve))));
if (signal) exitBySignal(signal);
else process.exit(code);
