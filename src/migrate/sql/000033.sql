-- Migration 33 (graphile-worker-ts; not part of graphile-worker 0.18): cheaper
-- records of the "transaction" claim mode (migration 32, docs/claim-modes.md).
--
-- Writing a record checks that no other record names one of its jobs. Each
-- record now carries the smallest and largest of its job ids, so the check
-- compares whole id lists only with records whose range meets the new one
-- (concurrent batches mostly hold disjoint ranges). Rows written before this
-- migration have no bounds and are always compared.
--
-- The id list (8 bytes per job) is stored uncompressed: compressing a batch's
-- list cost more than the rest of writing it, and reading compressed lists
-- back for the check cost more again. Up to about a thousand ids it stays in
-- the row itself.

alter table :GRAPHILE_WORKER_SCHEMA._private_tx_claims
  add column min_job_id bigint,
  add column max_job_id bigint;

alter table :GRAPHILE_WORKER_SCHEMA._private_tx_claims alter column job_ids set storage external;

alter table :GRAPHILE_WORKER_SCHEMA._private_tx_claims set (toast_tuple_target = 8160);
