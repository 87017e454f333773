/**
 * The time an invocation may still spend on Atlas: Lambda's remaining time less a safety margin, measured on a
 * monotonic clock so that a wall-clock jump cannot stretch it.
 */
export class Deadline {
  private readonly endsAt: number;

  constructor(budgetMs: number) {
    this.endsAt = performance.now() + Math.max(0, budgetMs);
  }

  remainingMs(): number {
    return Math.max(0, this.endsAt - performance.now());
  }
}
