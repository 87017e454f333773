import type { Deadline } from '../deadline';

/**
 * Pacing (contract section 6, v2): when Atlas rate-limits a scope, every call of this container to that scope waits
 * for the same moment, instead of each call finding the limit by itself and spending a call on a 429.
 *
 * Atlas's limits are token buckets per endpoint set and scope (project, organization, IP), shared by every container
 * that calls it; a scope here is a string the operation names (`group:<id>`, `invitations-ip`). What Atlas says is
 * used three ways:
 * - a 429 (or a rate-limited errorCode) with a wait holds the scope until then;
 * - a success with `RateLimit-Remaining` close to none holds it for about the time that many requests take to refill;
 * - after either, the scope is paced for a while: this container sends it one call at a time, so that each answer's
 *   `RateLimit-Remaining` is read before the next call is sent, rather than a batch's worth of calls meeting an
 *   empty bucket together.
 * Waits are on the wall clock, as `Retry-After` is.
 */

/** The wait assumed for a scope that reported few requests remaining before Atlas ever named one. */
const DEFAULT_WAIT_MS = 1_000;
/** Below this share of its limit remaining, a scope is held a moment. */
const LOW_WATER = 0.1;
/** The shortest hold: less would not let anything refill. */
const MIN_HOLD_MS = 10;
/** How long a scope stays paced (one call at a time) after the last sign of its limit. */
const PACED_FOR_MS = 60_000;

interface ScopeState {
  holdUntil: number;
  pacedUntil: number;
  /** The last wait Atlas named: the best guess of the time one request takes to refill. */
  lastWaitMs: number | undefined;
  /** A paced scope's call in flight, and the calls waiting for it. */
  busy: boolean;
  waiting: (() => void)[];
}

export interface PacingHooks {
  /** Called once for each wait a call had to make, with the wait when it is known. */
  onWait?: (scope: string, waitMs: number) => void;
}

/** A turn at a scope: `release()` once the call's answer has been read. */
export type Turn = { ok: true; release: () => void } | { ok: false; heldMs: number };

export class Pacer {
  private readonly scopes = new Map<string, ScopeState>();

  constructor(
    private readonly hooks: PacingHooks = {},
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Waits for a turn at `scopes` (the first is the call's bucket): until none is held and, when the bucket is paced,
   * until the call before has its answer. When that would last past `deadline`, waits for nothing and answers how long
   * the hold has left, so that the caller can hand the wait back (to SQS, or as a 503's `Retry-After`).
   *
   * @example
   * const turn = await pacer.turn(['group:5f1e2d3c4b5a69788796a5b4'], deadline);
   * if (!turn.ok) return rateLimited(turn.heldMs);
   * try { await send(); } finally { turn.release(); }
   */
  async turn(scopes: readonly string[], deadline: Deadline): Promise<Turn> {
    for (;;) {
      const heldMs = this.heldFor(scopes);
      if (heldMs > 0) {
        if (heldMs >= deadline.remainingMs()) return { ok: false, heldMs };
        this.hooks.onWait?.(scopes[0] ?? '', heldMs);
        await sleep(heldMs);
        continue;
      }
      const state = this.scopes.get(scopes[0] ?? '');
      if (!state || state.pacedUntil <= this.now()) return { ok: true, release: noop };
      if (!state.busy) {
        state.busy = true;
        return { ok: true, release: () => this.release(state) };
      }
      const woken = await this.queue(state, deadline.remainingMs());
      // Waited the whole deadline behind the scope's calls in flight: the wait goes back, as for a hold.
      if (!woken) return { ok: false, heldMs: Math.max(DEFAULT_WAIT_MS, state.holdUntil - this.now()) };
    }
  }

  /** Holds `scope` for `waitMs` (a 429's `Retry-After`, or a wait named in its detail); a longer hold already set stays. */
  hold(scope: string, waitMs: number): void {
    const state = this.state(scope);
    const now = this.now();
    state.lastWaitMs = waitMs;
    state.holdUntil = Math.max(state.holdUntil, now + waitMs);
    state.pacedUntil = Math.max(state.pacedUntil, now + waitMs + PACED_FOR_MS);
  }

  /** Atlas limited `scope` without naming a wait: its calls go one at a time for a while. */
  limited(scope: string): void {
    const state = this.state(scope);
    state.pacedUntil = Math.max(state.pacedUntil, this.now() + PACED_FOR_MS);
  }

  /** A success said how many requests the scope has left (`RateLimit-Remaining`) of how many (`RateLimit-Limit`). */
  remaining(scope: string, remaining: number, limit: number | undefined): void {
    const lowWater = Math.max(1, Math.ceil((limit ?? 10) * LOW_WATER));
    if (remaining >= lowWater) return;
    const state = this.state(scope);
    const now = this.now();
    const perRequestMs = (state.lastWaitMs ?? DEFAULT_WAIT_MS) / Math.max(1, limit ?? 1);
    state.holdUntil = Math.max(state.holdUntil, now + Math.max(MIN_HOLD_MS, (lowWater - remaining) * perRequestMs));
    state.pacedUntil = Math.max(state.pacedUntil, now + PACED_FOR_MS);
  }

  private state(scope: string): ScopeState {
    let state = this.scopes.get(scope);
    if (!state) this.scopes.set(scope, (state = { holdUntil: 0, pacedUntil: 0, lastWaitMs: undefined, busy: false, waiting: [] }));
    return state;
  }

  private heldFor(scopes: readonly string[]): number {
    const now = this.now();
    let longest = 0;
    for (const scope of scopes) longest = Math.max(longest, (this.scopes.get(scope)?.holdUntil ?? 0) - now);
    return longest;
  }

  /** Waits for the paced scope's call in flight to end: `true` when it did, `false` when `timeoutMs` passed first. */
  private queue(state: ScopeState, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        state.waiting = state.waiting.filter((w) => w !== wake);
        resolve(false);
      }, timeoutMs);
      state.waiting.push(wake);
    });
  }

  /**
   * The call in flight ended: every waiter looks again. One takes the turn; the others queue again, or leave (the
   * scope no longer paced, or held past their deadline) without stranding the ones behind them.
   */
  private release(state: ScopeState): void {
    state.busy = false;
    for (const wake of state.waiting.splice(0)) wake();
  }
}

const noop = () => undefined;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
