/**
 * Faults on demand, shared by the stand-ins: each queued fault applies to the next `times` requests its target
 * matches, in the order the faults were queued.
 *
 * @example
 * const faults = new FaultQueue<AtlasFault, AtlasFaultTarget>();
 * faults.add({ kind: 'reset' }, 'invites', 2);
 * const fault = faults.take((on) => on === 'invites'); // the reset, twice
 */
export class FaultQueue<F, T> {
  private queued: { fault: F; on: T; remaining: number }[] = [];

  add(fault: F, on: T, times = 1): void {
    if (!Number.isInteger(times) || times < 1) throw new RangeError(`injectFault: times must be a positive integer, got ${times}`);
    this.queued.push({ fault, on, remaining: times });
  }

  /** The first queued fault whose target `matches`, counted once; `undefined` when none applies. */
  take(matches: (on: T) => boolean): F | undefined {
    const index = this.queued.findIndex((f) => matches(f.on));
    const queued = this.queued[index];
    if (!queued) return undefined;
    queued.remaining -= 1;
    if (queued.remaining === 0) this.queued.splice(index, 1);
    return queued.fault;
  }

  clear(): void {
    this.queued = [];
  }
}
