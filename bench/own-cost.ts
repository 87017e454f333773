import { createHandler } from '../lambda/functions/onboarder/app';
import type { Dispatcher } from '../lambda/atlas/transport';
import { sqsRecords } from '../local/events';
import { cpuPer, median, startBenchWorld } from './common';

/**
 * `npx tsx bench/own-cost.ts [rounds]`: the CPU one invitation costs in our own code, without the HTTP exchange.
 * The handler (from source) runs SQS batches of 10 with an in-process dispatcher that answers Atlas at once, on the
 * next turn of the event loop; the secret comes from the AWS endpoints on loopback, once. What is measured is
 * everything the warm bench's handler does besides undici and the sockets: parsing, rules, the duplicate ledger,
 * the Atlas client, the promise chain, logging (to this process's stdout; send it to /dev/null). The bench's warm
 * ratio mixes this with the sandbox's and the machine's noise; this figure does not.
 */

const ROUNDS = Number(process.argv[2] ?? 9);
const PER_ROUND = 2_000;

let invitations = 0;
const atOnce = {
  dispatch(options: { path: string; body?: string }, handler: Dispatcher.DispatchHandler) {
    const controller = { abort() {}, pause() {}, resume() {}, aborted: false, paused: false, reason: null } as unknown as Dispatcher.DispatchController;
    handler.onRequestStart?.(controller, {});
    setImmediate(() => {
      const asked = options.path.startsWith('/api/oauth/token') ? undefined : (JSON.parse(options.body!) as { username: string; roles: string[] });
      const now = new Date().toISOString();
      const body = asked
        ? { id: (++invitations).toString(16).padStart(24, '0'), username: asked.username, roles: asked.roles, createdAt: now, expiresAt: now, groupId: '5f1e2d3c4b5a69788796a5b4' }
        : { access_token: `own-cost-token-${'x'.repeat(40)}`, token_type: 'Bearer', expires_in: 3600 };
      handler.onResponseStart?.(controller, 200, { 'content-type': 'application/json' }, 'OK');
      handler.onResponseData?.(controller, Buffer.from(JSON.stringify(body)));
      handler.onResponseEnd?.(controller, {});
    });
    return true;
  },
} as unknown as Dispatcher;

const world = await startBenchWorld();
// The SDK takes its credentials from process.env itself, as in Lambda.
Object.assign(process.env, world.env);
const handler = createHandler(process.env, { dispatcher: atOnce });
let people = 0;
const batch = () => ({
  Records: sqsRecords(
    Array.from({ length: 10 }, () =>
      JSON.stringify({ source: 'sso', type: 'group.member.added', group: 'atlas-analytics-readers', user: { email: `own-${++people}@example.com` } }),
    ),
  ),
});
const context = { awsRequestId: 'own-cost', getRemainingTimeInMillis: () => 20_000 };
/** Batches for `count` invitations, made before they are timed: building the records is not the function's work. */
const batches = (count: number) => Array.from({ length: count / 10 }, batch);
async function run(prepared: ReturnType<typeof batch>[]): Promise<void> {
  for (const event of prepared) {
    const answer = (await handler(event, context)) as { batchItemFailures: unknown[] };
    if (answer.batchItemFailures.length) throw new Error('an own-cost batch failed');
  }
}

await run(batches(3_000)); // compiled by the JIT, schemas switched to their compiled parsers
const perRound: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const prepared = batches(PER_ROUND);
  perRound.push((await cpuPer(PER_ROUND, () => run(prepared))).cpuUs);
}
await world.close();
console.error(
  `our code: ${median(perRound).toFixed(0)} µs of CPU per invitation (median of ${ROUNDS} rounds of ${PER_ROUND}; ` +
    `rounds ${perRound.map((us) => us.toFixed(0)).join(', ')})`,
);
