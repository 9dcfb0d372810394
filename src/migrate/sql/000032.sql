-- Migration 32 (graphile-worker-ts; not part of graphile-worker 0.18): the
-- records of the "transaction" claim mode (docs/claim-modes.md).
--
-- A worker in that mode locks a batch of jobs in an open transaction (FOR
-- UPDATE SKIP LOCKED, no row update) and runs them while it is open. Before
-- they run, it commits one row here, on another connection, naming the batch's
-- job ids. The claiming transaction holds a transaction-level advisory lock
-- keyed by the row's id (taken from the sequence before the row exists), and
-- deletes the row in the commit that records the batch's results. A row whose
-- advisory lock can be taken therefore belongs to a transaction that died
-- (crash, lost connection, failed commit): the next claim counts one attempt
-- for each of its jobs, then deletes it.
--
-- Tables of our own only: graphile-worker 0.18 never reads them.

create sequence :GRAPHILE_WORKER_SCHEMA._private_tx_claims_id_seq as bigint;

create table :GRAPHILE_WORKER_SCHEMA._private_tx_claims (
  id bigint primary key,
  worker_id text not null,
  job_ids bigint[] not null,
  claimed_at timestamptz not null default now()
);

alter table :GRAPHILE_WORKER_SCHEMA._private_tx_claims enable row level security;
