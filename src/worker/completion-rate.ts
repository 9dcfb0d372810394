/**
 * Jobs finished per second over the last second, in ten 100 ms buckets. Cheap
 * enough to call on every job; the local queue sizes its batches from it.
 */
const BUCKET_MS = 100;
const BUCKETS = 10;

export class CompletionRate {
  private readonly counts = new Array<number>(BUCKETS).fill(0);
  private current = 0;
  private currentStart = Math.floor(Date.now() / BUCKET_MS) * BUCKET_MS;

  record(count = 1): void {
    this.advance();
    this.counts[this.current] += count;
  }

  /** Completions in the last second. */
  perSecond(): number {
    this.advance();
    let total = 0;
    for (const count of this.counts) total += count;
    return total;
  }

  private advance(): void {
    const now = Date.now();
    let steps = Math.floor((now - this.currentStart) / BUCKET_MS);
    if (steps <= 0) return;
    this.currentStart += steps * BUCKET_MS;
    steps = Math.min(steps, BUCKETS);
    for (let i = 0; i < steps; i++) {
      this.current = (this.current + 1) % BUCKETS;
      this.counts[this.current] = 0;
    }
  }
}
