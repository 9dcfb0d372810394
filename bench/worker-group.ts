/**
 * The parent's handle on a group of benchmark worker processes of one system:
 * spawns them (`node --import tsx bench/workers/<system>.ts`), waits until all
 * are ready, starts them together, follows their progress, and stops them,
 * collecting each one's executed-job count and peak RSS.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";
import {
  isChildMessage,
  workerConfigToEnv,
  type ChildMessage,
  type ParentMessage,
  type WorkerConfig,
} from "./workers/protocol.js";

const WORKERS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "workers");
/** How long a worker process may take to load, connect and report ready. */
const READY_TIMEOUT_MS = 60_000;
/** How long a worker process may take to stop and report. */
const STOP_TIMEOUT_MS = 30_000;

export interface WorkerReport {
  processed: number;
  peakRssBytes: number;
  /** When this process started its first job (`preciseNow()` clock), null if it ran none. */
  firstJobAt: number | null;
  /** CPU time (user + system) the process spent from "go" to the end of its shutdown, µs. */
  cpuMicros: number;
}

interface Member {
  child: ChildProcess;
  processed: number;
  ready: boolean;
  report?: WorkerReport;
  exited: boolean;
}

type Waiter = { check: () => boolean; resolve: () => void; reject: (error: Error) => void };

export interface StartWorkersOptions {
  /** File name under bench/workers/, e.g. `graphile-worker.ts`. */
  script: string;
  count: number;
  config: Omit<WorkerConfig, "index">;
  /** Where the processes' stdout/stderr go (default: our stderr, keeping stdout for the results). */
  output?: NodeJS.WritableStream;
}

export class WorkerGroup {
  readonly #members: Member[] = [];
  readonly #waiters = new Set<Waiter>();
  readonly #startedListeners = new Set<(seq: number, at: number) => void>();
  #failure: Error | undefined;

  private constructor(options: StartWorkersOptions) {
    const output = options.output ?? process.stderr;
    for (let index = 0; index < options.count; index += 1) {
      // BENCH_WORKER_NODE_ARGS: extra node flags for the worker processes (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
      const nodeArgs = (process.env.BENCH_WORKER_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== "");
      const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", path.join(WORKERS_DIR, options.script)], {
        env: { ...process.env, ...workerConfigToEnv({ ...options.config, index }) },
        stdio: ["ignore", "pipe", "pipe", "ipc"],
      });
      // Copied chunk by chunk rather than piped: 8 processes' pipes into one stream would add
      // listeners to it past Node's warning limit.
      child.stdout?.on("data", (chunk: Buffer) => output.write(chunk));
      child.stderr?.on("data", (chunk: Buffer) => output.write(chunk));
      const member: Member = { child, processed: 0, ready: false, exited: false };
      this.#members.push(member);
      child.on("message", (message: unknown) => {
        if (isChildMessage(message)) this.#onMessage(member, index, message);
      });
      child.on("exit", (code, signal) => {
        member.exited = true;
        if (!member.report) this.#fail(new Error(`${options.script} #${index} exited early (code ${code}, signal ${signal})`));
        this.#settle();
      });
      child.on("error", (error) => this.#fail(error));
    }
  }

  /** Spawn the processes and wait until every one is ready. */
  static async start(options: StartWorkersOptions): Promise<WorkerGroup> {
    const group = new WorkerGroup(options);
    try {
      await group.#waitFor(() => group.#members.every((member) => member.ready), READY_TIMEOUT_MS, "workers ready");
    } catch (error) {
      group.kill();
      throw error;
    }
    return group;
  }

  /** Jobs executed so far by all processes (as last reported). */
  get processed(): number {
    return this.#members.reduce((sum, member) => sum + member.processed, 0);
  }

  /** Tell every process to start processing. */
  go(): void {
    this.#broadcast({ type: "go" });
  }

  /** Called for every job a latency-mode worker reports as started. */
  onStarted(listener: (seq: number, at: number) => void): () => void {
    this.#startedListeners.add(listener);
    return () => this.#startedListeners.delete(listener);
  }

  /** Resolve once the processes together report at least `count` executed jobs. */
  waitProcessed(count: number, timeoutMs: number): Promise<void> {
    return this.#waitFor(() => this.processed >= count, timeoutMs, `${count} jobs executed`);
  }

  /** Like waitProcessed, but after `timeoutMs` resolve false instead of failing (true once `count` ran). */
  async waitProcessedWithin(count: number, timeoutMs: number): Promise<boolean> {
    await this.#waitFor(() => this.processed >= count, timeoutMs, `${count} jobs executed`, true);
    return this.processed >= count;
  }

  /** Stop every process gracefully and collect their reports. */
  async stop(): Promise<WorkerReport[]> {
    this.#broadcast({ type: "stop" });
    try {
      await this.#waitFor(() => this.#members.every((member) => member.exited), STOP_TIMEOUT_MS, "workers stopped");
    } finally {
      this.kill();
    }
    return this.#members.map(
      (member) => member.report ?? { processed: member.processed, peakRssBytes: 0, firstJobAt: null, cpuMicros: Number.NaN },
    );
  }

  /** Kill any process still running (error paths only). */
  kill(): void {
    for (const member of this.#members) {
      if (!member.exited && member.child.exitCode === null) member.child.kill("SIGKILL");
    }
  }

  #onMessage(member: Member, index: number, message: ChildMessage): void {
    switch (message.type) {
      case "ready":
        member.ready = true;
        break;
      case "progress":
        member.processed = message.processed;
        break;
      case "started":
        for (const listener of this.#startedListeners) listener(message.seq, message.at);
        break;
      case "stopped":
        member.processed = message.processed;
        member.report = {
          processed: message.processed,
          peakRssBytes: message.peakRssBytes,
          firstJobAt: message.firstJobAt,
          cpuMicros: message.cpuMicros,
        };
        break;
      case "failed":
        this.#fail(new Error(`worker process #${index} failed: ${message.message}`));
        break;
    }
    this.#settle();
  }

  #broadcast(message: ParentMessage): void {
    for (const member of this.#members) {
      if (member.child.connected) member.child.send(message);
    }
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#settle();
  }

  #settle(): void {
    for (const waiter of this.#waiters) {
      if (waiter.check()) waiter.resolve();
      else if (this.#failure) waiter.reject(this.#failure);
    }
  }

  #waitFor(check: () => boolean, timeoutMs: number, what: string, resolveOnTimeout = false): Promise<void> {
    if (check()) return Promise.resolve();
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => done(resolveOnTimeout ? undefined : new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
        timeoutMs,
      );
      const done = (error?: Error) => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        if (error) reject(error);
        else resolve();
      };
      const waiter: Waiter = { check, resolve: () => done(), reject: (error) => done(error) };
      this.#waiters.add(waiter);
    });
  }
}
