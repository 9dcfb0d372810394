/**
 * Run the CLI as a child process (`node --import tsx src/cli/main.ts ...`) from
 * the repository root, the way a user runs `graphile-worker-ts`; or in this
 * process through `runCli` for cases that need no process boundary.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface CliResult {
  /** Exit code; null when the process was killed by a signal (e.g. the timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface SpawnCliOptions {
  /** DATABASE_URL for the child; `null` removes it from the environment. */
  databaseUrl: string | null;
  /** Extra environment variables (GRAPHILE_WORKER_SCHEMA is removed unless given here). */
  env?: Record<string, string>;
  /** Kill the child after this long (ms); the result then has code null. */
  timeoutMs?: number;
  /** Working directory of the child (default: the repository root). */
  cwd?: string;
}

/** A CLI child process (e.g. `worker` without `--once`, stopped by a signal). */
export interface RunningCli {
  child: ChildProcess;
  /** Resolves with the first output line (stdout or stderr) matching; rejects if the process exits first. */
  waitForOutput(pattern: RegExp): Promise<string>;
  /** Resolves with the result when the process exits. */
  exited: Promise<CliResult>;
}

export function startCli(args: readonly string[], options: SpawnCliOptions): RunningCli {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DATABASE_URL;
  delete env.GRAPHILE_WORKER_SCHEMA;
  if (options.databaseUrl !== null) env.DATABASE_URL = options.databaseUrl;
  Object.assign(env, options.env);
  // From another directory, tsx and the entry point are named by absolute location.
  const entry =
    options.cwd === undefined
      ? ["--import", "tsx", "src/cli/main.ts"]
      : ["--import", import.meta.resolve("tsx"), `${REPO_ROOT}src/cli/main.ts`];
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  const check = () => {
    for (const waiter of waiters) {
      const line = `${stdout}\n${stderr}`.split("\n").find((l) => waiter.pattern.test(l));
      if (line === undefined) continue;
      waiters.delete(waiter);
      waiter.resolve(line);
    }
  };
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    check();
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
    check();
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return {
    child,
    exited,
    waitForOutput(pattern) {
      return new Promise((resolve, reject) => {
        waiters.add({ pattern, resolve });
        check();
        exited.then(
          (result) =>
            reject(new Error(`CLI exited (code ${result.code}) before printing ${pattern}:\n${result.stdout}${result.stderr}`)),
          reject,
        );
      });
    },
  };
}

/** Run the CLI as a child process to completion. */
export function spawnCli(args: readonly string[], options: SpawnCliOptions): Promise<CliResult> {
  return startCli(args, options).exited;
}

/** The lines of `text` without the trailing empty one. */
export function lines(text: string): string[] {
  return text.split("\n").filter((line, index, all) => line.length > 0 || index < all.length - 1);
}

/**
 * Run the CLI in this process through `runCli` (what main.ts calls), capturing
 * console output: much cheaper than a child process, for the many cases that
 * need no process boundary. Pass `--connection` rather than relying on the
 * environment. Not safe to run concurrently with other in-process runs.
 */
export async function runCliInProcess(args: readonly string[]): Promise<CliResult> {
  const { runCli } = await import("../../src/cli/run-cli.js");
  const stdout: string[] = [];
  const stderr: string[] = [];
  const { log, error } = console;
  console.log = (...parts: unknown[]) => void stdout.push(`${parts.join(" ")}\n`);
  console.error = (...parts: unknown[]) => void stderr.push(`${parts.join(" ")}\n`);
  try {
    const code = await runCli(args);
    return { code, stdout: stdout.join(""), stderr: stderr.join("") };
  } finally {
    console.log = log;
    console.error = error;
  }
}
