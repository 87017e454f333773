import type { InviteOutcome } from '../lambda/atlas/invitations';
import { ActionLedger, actionKey } from '../lambda/core/ledger';
import { cpuPer } from './common';

/**
 * `npx tsx bench/ledger.ts`: CPU per `ActionLedger.once` for new invitations answered at once, in rounds of 2,500,
 * as the ledger fills to its 10,000 entries and stays full (as a container does after 10,000 invitations).
 */

const ledger = new ActionLedger<InviteOutcome>();
const invited = { ok: true as const, status: 'invited' as const };
let people = 0;
async function round(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await ledger.once(actionKey('invite', '5f1e2d3c4b5a69788796a5b4', `ledger-${++people}@example.com`, ['GROUP_READ_ONLY']), () => Promise.resolve(invited));
  }
}
for (let i = 0; i < 10; i++) {
  const before = people;
  const { cpuUs } = await cpuPer(2_500, () => round(2_500));
  console.log(`invitations ${before + 1}-${before + 2_500}: ${cpuUs.toFixed(2)} µs per once()`);
}
