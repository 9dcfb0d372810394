/**
 * `addJobs` through the plugins' `beforeJobSchedule` chain: each entry in
 * order; a rejection rejects the whole call before anything is written.
 * Malformed entries pass through untouched, for validation to name.
 */
import type { BeforeJobSchedule } from "../hooks/interceptors.js";

export async function scheduleEntries(schedule: BeforeJobSchedule, entries: readonly unknown[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const entry of entries) {
    if (!entry || typeof entry !== "object" || typeof (entry as { identifier?: unknown }).identifier !== "string") {
      out.push(entry);
      continue;
    }
    const { identifier, payload, ...spec } = entry as { identifier: string; payload?: unknown };
    const result = await schedule({ identifier, payload, spec });
    out.push({ ...result.spec, identifier, payload: result.payload });
  }
  return out;
}
