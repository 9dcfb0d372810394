--! breaking
-- Migration 19: no schema change.
--
-- graphile-worker 0.17 moved from worker-centric to pool-centric locking and
-- recorded that with this breaking marker, so that older workers refuse to run
-- alongside newer ones. We record it the same way so that the migrations
-- ledger reads the same whichever tool migrated the database.

select 19 as breaking_marker;
