/**
 * pg-boss settings shared by its adapter (parent) and its worker processes.
 */
/** The queue every benchmark job goes to. */
export const PG_BOSS_QUEUE = "noop";
/** The schema pg-boss installs into in its benchmark database. */
export const PG_BOSS_SCHEMA = "pgboss";
/** Jobs fetched per batch by the batch handler (all run concurrently). */
export const PG_BOSS_BATCH_SIZE = 500;
/** Fetch loops per worker process (pg-boss `localConcurrency`). */
export const PG_BOSS_LOCAL_CONCURRENCY = 2;
