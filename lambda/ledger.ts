import type { InviteOutcome, ProjectInvitation } from './atlas/client';

/**
 * Duplicate suppression within one warm container: the same invitation (project, person, roles) asked for twice,
 * by a redelivered SQS message or by the API and the queue, reaches Atlas once. Concurrent askers share the call
 * in flight; a success is remembered for `ttlMs`; a failure is forgotten at once so that a retry really retries.
 */
export class InviteLedger {
  private readonly entries = new Map<string, { outcome: Promise<InviteOutcome>; settledAt?: number }>();

  constructor(
    private readonly ttlMs = 15 * 60_000,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The outcome of `invitation`, calling `invite` only when no equal invitation is in flight or recently done.
   * `duplicate` tells whether this answer is another asker's.
   */
  async once(invitation: ProjectInvitation, invite: () => Promise<InviteOutcome>): Promise<{ outcome: InviteOutcome; duplicate: boolean }> {
    const key = keyOf(invitation);
    const known = this.entries.get(key);
    if (known && (known.settledAt === undefined || this.now() - known.settledAt < this.ttlMs)) {
      return { outcome: await known.outcome, duplicate: true };
    }
    const entry: { outcome: Promise<InviteOutcome>; settledAt?: number } = { outcome: invite() };
    this.entries.delete(key);
    this.entries.set(key, entry);
    let outcome: InviteOutcome;
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
   * time, each call would walk again the deleted slots V8 keeps at the front of the Map until it rehashes: once full,
   * `once` cost 9-10 us instead of 4-5 (bench/ledger.ts), and a container is full after 10,000 invitations.
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

function keyOf({ groupId, username, roles }: ProjectInvitation): string {
  return JSON.stringify([groupId, username.toLowerCase(), [...roles].sort()]);
}
