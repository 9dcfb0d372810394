/**
 * The end of a transaction-claim batch, one statement inside its open
 * transaction (then COMMIT): completed jobs are deleted, failed ones updated
 * as the classic finish does (attempts + 1 here, since the claim wrote none;
 * run_at backoff; last_error), jobs still running are converted to a classic
 * lock (locked_at, locked_by, attempts + 1: from then on they finish through
 * the classic path, with heartbeat recovery and fencing), and the batch's
 * `_private_tx_claims` row is deleted. Nothing here needs a `locked_by`
 * check: the transaction holds every row it touches.
 */
import type { Queryable } from "../driver/driver.js";
import { epochMs } from "./epoch-ms.js";
import { quoteIdentifier } from "./quote-identifier.js";
import { keptResultsCte } from "./result-statements.js";
import { statementName } from "./statement-name.js";

export interface TxFinishParams {
  /** bigint[] literals */
  completed: string;
  failed: string;
  /** JSON: failed id -> {"e": error, "p": permanent} */
  failures: string;
  /** JSON: failed batch job id -> its new payload as JSON text */
  replacements: string;
  /** bigint[] literal: jobs still running, to convert to a classic lock */
  converted: string;
  workerId: string;
  batchId: string;
  /** JSON of keepResult tasks' results (see FinishParams.kept); undefined when none. */
  kept: string | undefined;
}

/** A job converted to a classic lock: its new locked_at (epoch ms). */
export interface ConvertedRow {
  id: string;
  locked_at_ms: number;
}

function txFinishSql(schema: string, withKept: boolean): string {
  const s = quoteIdentifier(schema);
  const kept = withKept ? `, ${keptResultsCte(schema, "$3", "$8")}` : "";
  return `with completed as (
  delete from ${s}._private_jobs j
  where j.id = any($1::bigint[])
  returning j.id
), failed as (
  update ${s}._private_jobs j
  set last_error = $3::jsonb -> j.id::text ->> 'e',
      run_at = greatest(now(), j.run_at) + (exp(least(j.attempts + 1, 10)) * interval '1 second'),
      attempts = case when ($3::jsonb -> j.id::text ->> 'p')::boolean then greatest(j.attempts + 1, j.max_attempts)
        else j.attempts + 1 end,
      payload = coalesce(($4::jsonb ->> j.id::text)::json, j.payload),
      updated_at = now()
  where j.id = any($2::bigint[])
  returning j.id
), finished as (
  select id, 'completed' as outcome from completed
  union all
  select id, 'failed' as outcome from failed
), converted as (
  update ${s}._private_jobs j
  set attempts = j.attempts + 1, locked_at = now(), locked_by = $6::text
  where j.id = any($5::bigint[])
  returning j.id, ${epochMs("j.locked_at")} as locked_at_ms
), forgotten as (
  delete from ${s}._private_tx_claims c where c.id = $7::bigint
)${kept}
select id::text, locked_at_ms from converted`;
}

export class TxFinishStatements {
  private readonly plain: { text: string; name: string };
  private readonly withKept: { text: string; name: string };

  constructor(schema: string) {
    const plain = txFinishSql(schema, false);
    const withKept = txFinishSql(schema, true);
    this.plain = { text: plain, name: statementName("txfinish", plain) };
    this.withKept = { text: withKept, name: statementName("txfinishKept", withKept) };
  }

  /** Record the batch's results and convert its running jobs, then commit; returns the converted jobs' locked_at. */
  async finish(tx: Queryable, p: TxFinishParams): Promise<ConvertedRow[]> {
    const values = [p.completed, p.failed, p.failures, p.replacements, p.converted, p.workerId, p.batchId];
    const statement = p.kept === undefined ? this.plain : this.withKept;
    if (p.kept !== undefined) values.push(p.kept);
    // The batch's last statement: the driver may send COMMIT in the same round trip.
    const { rows } = await tx.query<ConvertedRow>(statement.text, values, { name: statement.name, commit: true });
    return rows;
  }
}
