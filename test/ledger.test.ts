import { describe, expect, it } from 'vitest';
import type { InviteOutcome } from '../lambda/atlas/invitations';
import { ActionLedger, actionKey } from '../lambda/core/ledger';

// The duplicate ledger's memory bound (lambda/core/ledger.ts), as pure logic: the end-to-end duplicate rules are in
// duplicates.test.ts.

const invited: InviteOutcome = { ok: true, status: 'invited' };
const invitation = (n: number) => ({ groupId: '5f1e2d3c4b5a69788796a5b4', username: `person-${n}@example.com`, roles: ['GROUP_READ_ONLY'] });

/** Asks for invitations `from`..`to` and answers which of them reached Atlas (were not duplicates). */
async function ask(ledger: ActionLedger<InviteOutcome>, from: number, to: number): Promise<number[]> {
  const called: number[] = [];
  for (let n = from; n <= to; n++) {
    const { groupId, username, roles } = invitation(n);
    await ledger.once(actionKey('invite', groupId, username, roles), () => {
      called.push(n);
      return Promise.resolve(invited);
    });
  }
  return called;
}

describe('the duplicate ledger', () => {
  it('remembers up to maxEntries invitations', async () => {
    const ledger = new ActionLedger<InviteOutcome>(60_000, 10);
    expect(await ask(ledger, 1, 10)).toHaveLength(10);
    expect(await ask(ledger, 1, 10)).toEqual([]);
  });

  it('past maxEntries forgets the oldest tenth at once, and never the invitation just made', async () => {
    const ledger = new ActionLedger<InviteOutcome>(60_000, 10);
    await ask(ledger, 1, 11); // the 11th is one too many: 1 and 2 go, 9 are kept
    expect(await ask(ledger, 2, 2)).toEqual([2]);
    expect(await ask(ledger, 3, 11)).toEqual([]);
    expect(await ask(ledger, 1, 1)).toEqual([1]);
  });

  it('with room for one, keeps the last', async () => {
    const ledger = new ActionLedger<InviteOutcome>(60_000, 1);
    await ask(ledger, 1, 2);
    expect(await ask(ledger, 2, 2)).toEqual([]);
    expect(await ask(ledger, 1, 1)).toEqual([1]);
  });
});
