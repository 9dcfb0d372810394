/**
 * An embedded PostgreSQL in a process of its own session, for `npm start`: the
 * terminal's Ctrl-C goes to the foreground process group, and a PostgreSQL in
 * that group would shut down (ending every connection) while the demo's worker
 * is still stopping. Started detached, it is stopped by its parent closing
 * stdin (also when the parent dies) or by SIGTERM.
 *
 *   node --import tsx tools/embedded-server.ts <dataDir>   # prints {"connectionString": …}
 */
import { startEmbeddedDatabase } from "./embedded-database.js";

const dataDir = process.argv[2] ?? ".data/demo";
// TCP only: no socket file in /tmp, which the postgres user may not be allowed to write.
const database = await startEmbeddedDatabase({ dataDir, postgresFlags: ["-c", "unix_socket_directories="] });
process.stdout.write(`${JSON.stringify({ connectionString: database.connectionString })}\n`);

let stopping: Promise<void> | undefined;
const stop = () => {
  stopping ??= database
    .stop()
    .catch((error: unknown) => console.error(`stopping embedded PostgreSQL: ${(error as Error).message}`))
    .then(() => process.exit(0));
};
process.stdin.on("end", stop);
process.stdin.on("close", stop);
process.stdin.resume();
