import type { Command } from "commander";
import { createConsoleLogger } from "../../logger/logger.js";
import { runMigrations } from "../../migrate/migrate.js";
import { addGlobalOptions, withUtils, type GlobalOptions } from "../global-options.js";
import { addExamples } from "../help-examples.js";
import { createProgress } from "../output/progress.js";

export function registerMigrateCommand(program: Command): void {
  addExamples(addGlobalOptions(program.command("migrate").description("install or update the database schema")), [
    "migrate",
    "migrate --connection postgres://user:password@localhost/app --schema jobs",
  ]).action(async (options: GlobalOptions) => {
    const progress = createProgress("Migrating");
    const result = await withUtils(options, (utils) =>
      runMigrations({
        driver: utils.driver,
        schema: utils.schema,
        logger: createConsoleLogger("warn"),
        onProgress: ({ migration, done, total }) => progress.update(done, total, `(migration ${migration})`),
      }),
    ).finally(() => progress.done());
    console.log(
      result.applied.length > 0
        ? `Applied migrations ${result.applied.join(", ")}; schema is at revision ${result.latest}`
        : `Schema is up to date (revision ${result.latest})`,
    );
  });
}
