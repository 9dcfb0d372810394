/**
 * A backend terminated right after it answered (`pg_terminate_backend`, a server shutdown) can have its
 * error message arrive in the same read as its last ReadyForQuery. node-postgres then emits the client's
 * 'error' event while pg-pool is handing the client out, before the borrower's code has run and could
 * listen: with no listener, that error used to crash the process (an uncaught 57P01 seen in the chaos
 * suite). A fake server sends exactly that: startup answered, then a FATAL 57P01 in the same write.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import pg from "pg";
import { PgDriver, isConnectionError } from "../../src/driver/pg-driver.js";

/** One backend message: type byte, int32 length (itself included), body. */
function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, "latin1");
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

const authenticationOk = message("R", Buffer.from([0, 0, 0, 0]));
const readyForQuery = message("Z", Buffer.from("I", "latin1"));
const terminated = message(
  "E",
  Buffer.from("SFATAL\0C57P01\0Mterminating connection due to administrator command\0\0", "latin1"),
);

/** A server that answers every startup with "ready", and in the same write the termination error. */
async function terminatingServer(): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
    socket.once("data", () => socket.end(Buffer.concat([authenticationOk, readyForQuery, terminated])));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `postgres://nobody@127.0.0.1:${port}/none`,
    connections: () => connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

for (const pool of ["its own pool", "a pool of the application"] as const) {
  for (const borrow of ["transaction", "withConnection"] as const) {
    test(`pg driver, ${pool}: a connection terminated as it is handed out fails the ${borrow} (no uncaught error)`, async () => {
      const server = await terminatingServer();
      const userPool = pool === "its own pool" ? undefined : new pg.Pool({ connectionString: server.url });
      const driver = new PgDriver({ connectionString: server.url, pool: userPool });
      try {
        for (let round = 0; round < 3; round++) {
          const error = await (
            borrow === "transaction"
              ? driver.transaction((tx) => tx.query("select 1"))
              : driver.withConnection((connection) => connection.query("select 1"))
          ).then(
            () => undefined,
            (reason: unknown) => reason,
          );
          assert.ok(error instanceof Error, `round ${round}: the ${borrow} fails`);
          assert.ok(isConnectionError(error), `round ${round}: with a connection error, not ${String(error)}`);
        }
        assert.equal(server.connections(), 3, "each round had a new connection (the broken one was not reused)");
      } finally {
        await driver.close();
        await userPool?.end();
        await server.close();
      }
    });
  }
}
