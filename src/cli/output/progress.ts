/**
 * Progress of a long command (migrate, cleanup, bulk actions on many ids) on
 * stderr, only when stderr is a terminal: one line rewritten in place
 * ("Completing jobs: 2000/5000"), erased when the work ends. When stderr is a
 * file or a pipe nothing is written, so logs and scripts see only the result.
 */

/** What progress needs of a stream (process.stderr, or a fake in tests). */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

export interface Progress {
  /** Show `done` of `total` (or `done` alone when the total is unknown), with an optional note. */
  update(done: number, total?: number, note?: string): void;
  /** Erase the progress line (no-op when nothing was shown). */
  done(): void;
}

/** Erase the current line and return the cursor to its start (ANSI "erase in line"). */
const CLEAR_LINE = "\r\u001b[2K";

const SILENT: Progress = { update: () => undefined, done: () => undefined };

export function createProgress(label: string, stream: ProgressStream = process.stderr): Progress {
  if (stream.isTTY !== true) return SILENT;
  let shown = false;
  return {
    update(done, total, note) {
      const count = total === undefined ? `${done}` : `${done}/${total}`;
      stream.write(`${CLEAR_LINE}${label}: ${count}${note ? ` ${note}` : ""}`);
      shown = true;
    },
    done() {
      if (shown) stream.write(CLEAR_LINE);
      shown = false;
    },
  };
}

/**
 * Run `action` on `items` in slices of `size`, reporting the count done after
 * each slice, and return the results of every slice in order.
 */
export async function inSlices<T, R>(
  items: readonly T[],
  size: number,
  progress: Progress,
  action: (slice: readonly T[]) => Promise<readonly R[]>,
): Promise<R[]> {
  const results: R[] = [];
  try {
    for (let start = 0; start < items.length; start += size) {
      if (start > 0 || items.length > size) progress.update(start, items.length);
      results.push(...(await action(items.slice(start, start + size))));
    }
  } finally {
    progress.done();
  }
  return results;
}
