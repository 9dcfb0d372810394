import type { Command } from "commander";
import { addGlobalOptions, withUtils, type GlobalOptions } from "../global-options.js";
import { addExamples } from "../help-examples.js";

export function registerMigrateCommand(program: Command): void {
  addExamples(addGlobalOptions(program.command("migrate").description("install or update the database schema")), [
    "migrate",
    "migrate --connection postgres://user:password@localhost/app --schema jobs",
  ]).action(async (options: GlobalOptions) => {
    const result = await withUtils(options, (utils) => utils.migrate());
    console.log(
      result.applied.length > 0
        ? `Applied migrations ${result.applied.join(", ")}; schema is at revision ${result.latest}`
        : `Schema is up to date (revision ${result.latest})`,
    );
  });
}
