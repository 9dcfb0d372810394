/**
 * Load the `--tasks <module>` of the CLI: an ES module whose default export is
 * an array of defineTask(...) values or an object mapping identifier -> handler.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ValidationError } from "../errors/errors.js";
import { normalizeTaskList, type AnyTask, type TaskList } from "../tasks/task.js";
import { isTypeScriptModule, registerTypeScriptLoader, TYPESCRIPT_LOADER_HINT } from "./typescript-loader.js";
import { CliUsageError } from "./usage-error.js";

export async function loadTasks(modulePath: string): Promise<TaskList> {
  const url = pathToFileURL(path.resolve(modulePath)).href;
  let loaded: { default?: unknown };
  const cannotLoad = (error: unknown) =>
    new CliUsageError("--tasks", `cannot load ${JSON.stringify(modulePath)}: ${(error as Error).message}`);
  try {
    loaded = (await import(url)) as { default?: unknown };
  } catch (error) {
    if ((error as { code?: unknown }).code !== "ERR_UNKNOWN_FILE_EXTENSION" || !isTypeScriptModule(modulePath)) {
      throw cannotLoad(error);
    }
    if (!(await registerTypeScriptLoader())) {
      throw new CliUsageError("--tasks", `cannot load ${JSON.stringify(modulePath)}: ${TYPESCRIPT_LOADER_HINT}`);
    }
    try {
      // A new URL: the failed import stays cached under the first one.
      loaded = (await import(`${url}?typescript`)) as { default?: unknown };
    } catch (retryError) {
      throw cannotLoad(retryError);
    }
  }
  const tasks = loaded.default;
  if (tasks === undefined) {
    throw new CliUsageError("--tasks", `${JSON.stringify(modulePath)} has no default export (expected tasks)`);
  }
  try {
    const map: Map<string, AnyTask> = normalizeTaskList(tasks as TaskList);
    if (map.size === 0) throw new CliUsageError("--tasks", `${JSON.stringify(modulePath)} defines no tasks`);
  } catch (error) {
    if (error instanceof ValidationError) throw new CliUsageError("--tasks", error.message);
    throw error;
  }
  return tasks as TaskList;
}
