/**
 * `createTestSchema()`: a freshly migrated schema with a unique name, for one
 * test (or one file), and `drop()` (also `await using`) to remove it with
 * everything in it. Tests running at the same time on one database each see
 * only their own jobs.
 */
import { randomBytes } from "node:crypto";
import { CONNECTION_OPTION_NAMES, checkKnownOptions, optionNames } from "../config/known-options.js";
import { WorkerUtils } from "../client/worker-utils.js";
import { resolveDriver, type ConnectionOptions } from "../driver/connect.js";
import type { Driver } from "../driver/driver.js";
import { ValidationError } from "../errors/errors.js";
import { silentLogger, type Logger } from "../logger/logger.js";
import { runMigrations } from "../migrate/migrate.js";
import type { JobWithState } from "../read-model/read-model.js";
import { quoteIdentifier } from "../sql/quote-identifier.js";
import type { JobFilter } from "./job-filter.js";
import { getJobs } from "./get-jobs.js";
import { assertJobEnqueued, assertNoJobEnqueued, type AssertJobOptions } from "./job-assertions.js";
import { runUntilIdle } from "./run-until-idle.js";
import type { RunUntilIdleOptions } from "./run-until-idle-options.js";
import type { RunUntilIdleResult } from "./run-until-idle-result.js";

export interface TestSchemaOptions extends ConnectionOptions {
  /** Start of the schema's name (default `test`): the name is `<prefix>_<12 hex digits>`. */
  prefix?: string;
  /** Where the migrator and the schema's WorkerUtils log (default: silent). */
  logger?: Logger;
}

export const TEST_SCHEMA_DEFAULTS = { prefix: "test", maxPrefixLength: 40 } as const;

const TEST_SCHEMA_OPTION_NAMES = optionNames({
  ...CONNECTION_OPTION_NAMES,
  prefix: true,
  logger: true,
} satisfies Record<keyof TestSchemaOptions, true>);

/** runUntilIdle's options on a test schema: the connection and schema are the test schema's. */
export type TestSchemaRunOptions<State> = Omit<RunUntilIdleOptions<State>, keyof ConnectionOptions | "schema">;

export class TestSchema implements AsyncDisposable {
  private dropping: Promise<void> | undefined;

  constructor(
    /** The schema's name (unquoted). */
    readonly schema: string,
    /** The connections the schema was made on (shared by `options`, closed by `drop()` when created here). */
    readonly driver: Driver,
    /** A WorkerUtils on this schema: `addJob`, `addJobs`, `read`… */
    readonly utils: WorkerUtils,
    private readonly ownsDriver: boolean,
  ) {}

  /** `{ driver, schema }`: spread into createWorker, createWorkerUtils or runUntilIdle to use this schema. */
  get options(): { driver: Driver; schema: string } {
    return { driver: this.driver, schema: this.schema };
  }

  /** runUntilIdle on this schema (see runUntilIdle). */
  runUntilIdle<State = unknown>(options: TestSchemaRunOptions<State>): Promise<RunUntilIdleResult> {
    return runUntilIdle<State>({ ...options, ...this.options });
  }

  /** The jobs of this schema matching `filter` (see getJobs). */
  getJobs(filter: JobFilter = {}): Promise<JobWithState[]> {
    return getJobs(this, filter);
  }

  /** See assertJobEnqueued. */
  assertJobEnqueued(filter: JobFilter, options?: AssertJobOptions): Promise<JobWithState[]> {
    return assertJobEnqueued(this, filter, options);
  }

  /** See assertNoJobEnqueued. */
  assertNoJobEnqueued(filter: JobFilter): Promise<void> {
    return assertNoJobEnqueued(this, filter);
  }

  /**
   * Drop the schema with everything in it, then release the connections
   * opened for it. Safe to call more than once. Stop your workers on it first.
   */
  drop(): Promise<void> {
    this.dropping ??= this.dropNow();
    return this.dropping;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.drop();
  }

  private async dropNow(): Promise<void> {
    try {
      await this.driver.query(`drop schema if exists ${quoteIdentifier(this.schema)} cascade`);
    } finally {
      await this.utils.release();
      if (this.ownsDriver) await this.driver.close();
    }
  }
}

function schemaPrefix(value: unknown): string {
  if (value === undefined) return TEST_SCHEMA_DEFAULTS.prefix;
  const max = TEST_SCHEMA_DEFAULTS.maxPrefixLength;
  if (typeof value !== "string" || !/^[a-z_][a-z0-9_]*$/.test(value) || value.length > max) {
    throw new ValidationError(
      "prefix",
      value,
      `must be 1 to ${max} lowercase letters, digits or underscores, not starting with a digit`,
    );
  }
  return value;
}

/**
 * Create and migrate a schema with a unique name (`test_…`) on the database of
 * `connectionString` (default DATABASE_URL), `pool` or `driver`.
 */
export async function createTestSchema(options: TestSchemaOptions = {}): Promise<TestSchema> {
  if (options === null || typeof options !== "object") throw new ValidationError("options", options, "must be an object");
  checkKnownOptions(options, TEST_SCHEMA_OPTION_NAMES, "createTestSchema");
  const prefix = schemaPrefix(options.prefix);
  const logger = options.logger ?? silentLogger;
  const { prefix: _prefix, logger: _logger, ...connection } = options;
  const { driver, owned } = resolveDriver(connection, logger);
  const schema = `${prefix}_${randomBytes(6).toString("hex")}`;
  const utils = new WorkerUtils({ driver, schema, logger });
  const testSchema = new TestSchema(schema, driver, utils, owned);
  try {
    await runMigrations({ driver, schema, logger });
  } catch (error) {
    await testSchema.drop().catch(() => undefined);
    throw error;
  }
  return testSchema;
}
