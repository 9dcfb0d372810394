/**
 * Statements of paused queues and tasks (migration 28's `_private_pauses`):
 * pause, resume, list. A change notifies PAUSE_CHANNEL in the same
 * transaction, so workers hear it once it is committed. The claim reads the
 * table itself (src/sql/claim-jobs.ts): that is what stops claiming.
 */
import { PAUSE_CHANNEL } from "../config/defaults.js";
import type { Queryable } from "../driver/driver.js";
import { quoteIdentifier } from "./quote-identifier.js";

export type PauseKind = "queue" | "task";

/** A paused queue or task. */
export interface Pause {
  kind: PauseKind;
  /** The queue name or task identifier. */
  name: string;
  pausedAt: Date;
}

/** The payload on PAUSE_CHANNEL. */
export interface PauseNotice {
  kind: PauseKind;
  name: string;
  paused: boolean;
}

/**
 * Pause (`paused` true) or resume one queue or task; true when this call
 * changed the state (false: it was already so). Notifies only on a change.
 */
export async function setPaused(
  db: Queryable,
  p: { schema: string; kind: PauseKind; name: string; paused: boolean },
): Promise<boolean> {
  const s = quoteIdentifier(p.schema);
  const change = p.paused
    ? `insert into ${s}._private_pauses (kind, name) values ($1::text, $2::text) on conflict (kind, name) do nothing returning 1`
    : `delete from ${s}._private_pauses where kind = $1::text and name = $2::text returning 1`;
  const { rows } = await db.query<{ changed: boolean }>(
    `with changed as (${change})
select count(*) > 0 as changed,
  case when count(*) > 0 then pg_notify('${PAUSE_CHANNEL}',
    json_build_object('kind', $1::text, 'name', $2::text, 'paused', $3::boolean)::text) end
from changed`,
    [p.kind, p.name, p.paused],
  );
  return rows[0]?.changed === true;
}

/** Every paused queue and task, by kind then name. `s`: the schema, already quoted. */
export async function listPauses(db: Queryable, s: string): Promise<Pause[]> {
  const { rows } = await db.query<{ kind: PauseKind; name: string; paused_at: Date }>(
    `select kind, name, paused_at from ${s}._private_pauses order by kind, name`,
  );
  return rows.map((r) => ({ kind: r.kind, name: r.name, pausedAt: new Date(r.paused_at) }));
}

/** The names of one kind, in order. */
export function pausedNames(pauses: readonly Pause[], kind: PauseKind): string[] {
  return pauses.filter((p) => p.kind === kind).map((p) => p.name);
}

/** Parse a PAUSE_CHANNEL payload (undefined when it is not one). */
export function parsePauseNotice(payload: string | undefined): PauseNotice | undefined {
  if (!payload) return undefined;
  try {
    const value: unknown = JSON.parse(payload);
    if (!value || typeof value !== "object") return undefined;
    const { kind, name, paused } = value as Record<string, unknown>;
    if ((kind !== "queue" && kind !== "task") || typeof name !== "string" || typeof paused !== "boolean") return undefined;
    return { kind, name, paused };
  } catch {
    return undefined;
  }
}
