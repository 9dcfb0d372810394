-- Migration 8: crontab bookkeeping.
--
-- One row per cron item identifier: when the scheduler first saw it and when
-- it last fired, so that missed runs can be backfilled after downtime.

create table :GRAPHILE_WORKER_SCHEMA.known_crontabs (
  identifier text not null primary key,
  known_since timestamptz not null,
  last_execution timestamptz
);
alter table :GRAPHILE_WORKER_SCHEMA.known_crontabs enable row level security;
