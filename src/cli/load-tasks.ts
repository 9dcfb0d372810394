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
  // tsx first when it can be found: it also maps the `.js` specifiers of TypeScript sources to
  // their `.ts` files, which Node's own type stripping (22.18+, 24) does not.
  const viaTsx = isTypeScriptModule(modulePath) && (await registerTypeScriptLoader());
  try {
    loaded = (await import(url)) as { default?: unknown };
  } catch (error) {
    if (!viaTsx && isTypeScriptModule(modulePath) && (error as { code?: unknown }).code === "ERR_UNKNOWN_FILE_EXTENSION") {
      throw new CliUsageError("--tasks", `cannot load ${JSON.stringify(modulePath)}: ${TYPESCRIPT_LOADER_HINT}`);
    }
    throw cannotLoad(error);
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
