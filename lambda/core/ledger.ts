/**
 * Duplicate suppression within one warm container, keyed by action: the same action (an invitation of one person to
 * one project with the same roles) asked for twice, by a redelivered SQS message or by the API and the queue, reaches
 * Atlas once. Concurrent askers share the call in flight; a success is remembered for `ttlMs`; a failure is forgotten
 * at once so that a retry really retries.
 */
export class ActionLedger<T extends { ok: boolean }> {
  private readonly entries = new Map<string, { outcome: Promise<T>; settledAt?: number }>();

  constructor(
    private readonly ttlMs = 15 * 60_000,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The outcome of the action `key` names, calling `run` only when no equal action is in flight or recently done.
   * `duplicate` tells whether this answer is another asker's.
   *
   * @example
   * const { outcome, duplicate } = await ledger.once(actionKey('invite', groupId, username, roles), () => atlas.inviteToProject(...));
   */
  async once(key: string, run: () => Promise<T>): Promise<{ outcome: T; duplicate: boolean }> {
    const known = this.entries.get(key);
    if (known && (known.settledAt === undefined || this.now() - known.settledAt < this.ttlMs)) {
      return { outcome: await known.outcome, duplicate: true };
    }
    const entry: { outcome: Promise<T>; settledAt?: number } = { outcome: run() };
    this.entries.delete(key);
    this.entries.set(key, entry);
    let outcome: T;
    try {
      outcome = await entry.outcome;
    } catch (err) {
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw err;
    }
    if (outcome.ok) entry.settledAt = this.now();
    else if (this.entries.get(key) === entry) this.entries.delete(key);
    this.evict();
    return { outcome, duplicate: false };
  }

  /**
   * Past `maxEntries`, the oldest tenth is forgotten in one pass (a Map iterates in insertion order). One entry at a
   * time, each call would walk again the deleted slots V8 keeps at the front of the Map until it rehashes, and a
   * full ledger would cost every call twice as much (bench/ledger.ts).
   */
  private evict(): void {
    if (this.entries.size <= this.maxEntries) return;
    let excess = this.entries.size - Math.max(1, Math.floor(this.maxEntries * 0.9));
    for (const key of this.entries.keys()) {
      this.entries.delete(key);
      if (--excess <= 0) break;
    }
  }
}

/**
 * The ledger's key of an action: its kind, the project, the person (as Atlas compares usernames, without case) and
 * the roles in any order.
 *
 * @example
 * actionKey('invite', '5f1e2d3c4b5a69788796a5b4', 'Ada@example.com', ['GROUP_READ_ONLY']);
 */
export function actionKey(kind: string, groupId: string, username: string, roles: readonly string[]): string {
  return JSON.stringify([kind, groupId, username.toLowerCase(), [...roles].sort()]);
}
