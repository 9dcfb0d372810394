-- Migration 34 (graphile-worker-ts; not part of graphile-worker 0.18): the
-- record check of the classic claim, in a snapshot of its own.
--
-- The classic claim leaves alone the jobs named by a transaction-claim record
-- (migration 32): a dead batch's jobs must have their attempt counted before
-- they run again. It used to read the records in the statement's snapshot,
-- taken when the statement started. A batch could record, run its jobs and
-- die while that statement ran: its record was then too new to be seen, its
-- jobs no longer locked, and the claim took them with the attempt the dead
-- batch's runs had already seen.
--
-- This function is called once the claim holds its candidates' row locks. It
-- is volatile, so its query takes a new snapshot: a batch commits its record
-- before its jobs run, and its jobs could be locked here only after its
-- transaction ended, so the record is visible now unless it was counted
-- (then the jobs, locked after that count committed, carry the counted
-- attempt). Returns those of the ids given that a record names (nearly always
-- none: the claim then checks each candidate against an empty array).
create function :GRAPHILE_WORKER_SCHEMA._private_tx_recorded(ids bigint[]) returns bigint[] as $$
begin
  return array(
    select x.id from unnest(ids) as x(id)
    where x.id in (
      select unnest(c.job_ids) from :GRAPHILE_WORKER_SCHEMA._private_tx_claims c
      where c.min_job_id is null or (c.min_job_id <= (select max(y) from unnest(ids) y)
        and c.max_job_id >= (select min(y) from unnest(ids) y))));
end;
$$ language plpgsql volatile;
