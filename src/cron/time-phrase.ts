/**
 * Backfill periods as graphile-worker writes them: a run of number-unit pairs,
 * units `s`, `m`, `h`, `d`, `w` (e.g. `1w2d3h4m5s`), read as milliseconds.
 */
import { ValidationError } from "../errors/errors.js";

const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PHRASE = /^(?:[0-9]+[smhdw])+$/;
const PART = /([0-9]+)([smhdw])/g;

export function parseTimePhrase(phrase: string): number {
  if (!PHRASE.test(phrase)) {
    throw new ValidationError("fill", phrase, "must be number-unit pairs with units s, m, h, d, w (e.g. 1h or 1w2d3h4m5s)");
  }
  let ms = 0;
  for (const [, quantity, unit] of phrase.matchAll(PART)) ms += Number.parseInt(quantity!, 10) * UNIT_MS[unit!]!;
  return ms;
}
