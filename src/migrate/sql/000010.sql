-- Migration 10: queue_name has no default. Very early databases gave every job
-- a random queue by default; jobs without a queue are now simply unqueued.
-- (On databases created from migration 1 as written here this is a no-op.)

alter table :GRAPHILE_WORKER_SCHEMA.jobs alter column queue_name drop default;
