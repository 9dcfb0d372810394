-- Migration 28: a placeholder on the `limits` branch only. The number belongs
-- to pause/resume (the lead's branch); at merge its file replaces this one.
-- Migration files must be numbered without gaps, so 29 and 30 need a 28.
select 1 from :GRAPHILE_WORKER_SCHEMA.migrations limit 0;
