/**
 * Run the CLI as a child process (`node --import tsx src/cli/main.ts ...`) from
 * the repository root, the way a user runs `graphile-worker-ts`.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface CliResult {
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
}

export function spawnCli(args: readonly string[], options: SpawnCliOptions): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DATABASE_URL;
  delete env.GRAPHILE_WORKER_SCHEMA;
  if (options.databaseUrl !== null) env.DATABASE_URL = options.databaseUrl;
  Object.assign(env, options.env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
      cwd: REPO_ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
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
