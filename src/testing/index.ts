/**
 * `graphile-worker-ts/testing`: helpers for testing code that uses
 * graphile-worker-ts, with any test runner (docs/testing.md).
 */
export { runUntilIdle } from "./run-until-idle.js";
export { RUN_UNTIL_IDLE_DEFAULTS } from "./run-until-idle-options.js";
export type { FutureJobsMode, RunUntilIdleOptions } from "./run-until-idle-options.js";
export type { RunUntilIdleResult } from "./run-until-idle-result.js";
export { RunUntilIdleLimitError } from "./run-until-idle-error.js";
export type { JobRun, JobRunOutcome } from "./job-runs.js";
export { createTestSchema, TestSchema, TEST_SCHEMA_DEFAULTS } from "./test-schema.js";
export type { TestSchemaOptions, TestSchemaRunOptions } from "./test-schema.js";
export { getJobs } from "./get-jobs.js";
export type { JobSource } from "./get-jobs.js";
export type { JobFilter } from "./job-filter.js";
export { assertJobEnqueued, assertNoJobEnqueued, describeJob, ASSERTION_LISTED_JOBS } from "./job-assertions.js";
export type { AssertJobOptions } from "./job-assertions.js";
export { ManualClock, systemClock } from "../cron/cron-clock.js";
export type { CronClock } from "../cron/cron-clock.js";
export type { JobState, JobWithState } from "../read-model/read-model.js";
