/**
 * Run a file of examples/ as a user would: its own process (node + tsx),
 * DATABASE_URL pointing at the test's database. Resolves with its exit code,
 * its stdout, and stdout and stderr interleaved (for assertion messages).
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface ExampleRun {
  code: number | null;
  stdout: string;
  output: string;
}

export function runExample(file: string, connectionString: string, env: NodeJS.ProcessEnv = {}): Promise<ExampleRun> {
  const script = fileURLToPath(new URL(`../../examples/${file}`, import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    env: { ...process.env, ...env, DATABASE_URL: connectionString },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let output = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d;
    output += d;
  });
  child.stderr.on("data", (d: Buffer) => (output += d));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stdout, output })));
}

/** The last JSON object an example prints on a line of its own (log lines may follow it). */
export function lastJsonLine<T>(stdout: string): T {
  return JSON.parse(
    stdout
      .trim()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .at(-1) ?? "{}",
  ) as T;
}
