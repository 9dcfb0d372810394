-- Migration 31: PLACEHOLDER on branch fastlane only (this branch was given migration 32; the
-- migration loader needs 1, 2, 3... without gaps). Other branches own number 31: at merge,
-- drop this file and keep theirs.
select from :GRAPHILE_WORKER_SCHEMA.migrations where false;
