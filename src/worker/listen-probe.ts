/**
 * Checks that a LISTEN connection really receives notifications: the worker
 * sends itself one on a private channel through its ordinary pool and waits
 * for it on the LISTEN connection.
 *
 * Why: behind a transaction-mode pooler (PgBouncer's default mode) LISTEN
 * succeeds, but the server connection that ran it is handed to other clients
 * and the listener never hears anything. Nothing fails: jobs just start a poll
 * interval late. Measured through PgBouncer 1.18: add->start 105-1,890 ms
 * (the 2 s poll) instead of ~1 ms, with no error anywhere. The probe turns
 * that silence into one warning.
 */
import { randomBytes } from "node:crypto";
import type { Queryable } from "../driver/driver.js";
import { notify } from "../sql/server-statements.js";

export type ProbeOutcome = "received" | "timed-out" | "send-failed";

export class ListenProbe {
  /** The private channel, listened on beside the worker's channels (a valid identifier, < 64 bytes). */
  readonly channel = `gwts_listen_probe_${randomBytes(8).toString("hex")}`;
  private waiting: ((outcome: ProbeOutcome) => void) | undefined;
  private expected: string | undefined;

  constructor(
    private readonly db: Queryable,
    private readonly timeoutMs: number,
  ) {}

  /** Feed every notification of `channel` here. */
  received(payload: string | undefined): void {
    if (payload !== undefined && payload === this.expected) this.waiting?.("received");
  }

  /** Send one probe and wait up to `timeoutMs` for it to come back. */
  async run(): Promise<ProbeOutcome> {
    const token = randomBytes(8).toString("hex");
    this.expected = token;
    let timer: NodeJS.Timeout | undefined;
    const outcome = new Promise<ProbeOutcome>((resolve) => {
      this.waiting = resolve;
      timer = setTimeout(() => resolve("timed-out"), this.timeoutMs);
    });
    try {
      await notify(this.db, this.channel, token);
    } catch {
      this.waiting?.("send-failed");
    }
    try {
      return await outcome;
    } finally {
      clearTimeout(timer);
      this.waiting = undefined;
      this.expected = undefined;
    }
  }

  /** Stop waiting (the listener is stopping or its connection dropped). */
  cancel(): void {
    this.waiting?.("send-failed");
  }
}
