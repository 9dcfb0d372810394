/** The `forbiddenFlags` option as a claim sends it: the flags now (the function called), null for none. */
import type { ForbiddenFlags } from "./worker-config.js";

export async function currentForbiddenFlags(option: ForbiddenFlags | null | undefined): Promise<readonly string[] | null> {
  if (!option) return null;
  const flags = typeof option === "function" ? await option() : option;
  return flags && flags.length > 0 ? flags : null;
}
