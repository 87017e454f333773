import { parseRuleFile } from '../lambda/contract';
import { onboardingEvent } from '../lambda/core/requests';
import { grantsFor } from '../lambda/core/rules';

/**
 * `npx tsx bench/rules.ts [rounds]`: the CPU one rule match costs at the limits the function accepts: an event of
 * about 245 KB with 1,000 groups of 240 characters, against a rule file of 200 rules on groups (three values each,
 * one rule in ten matching). Prints the median µs of CPU per `grantsFor` call, over rounds of 200 ms of CPU each.
 */

const ROUNDS = Number(process.argv[2] ?? 9);

const group = (i: number) => `Team-${String(i).padStart(4, '0')}-${'x'.repeat(230)}`;
const event = onboardingEvent.parse({
  id: 'evt-bench-rules',
  source: 'sso',
  type: 'group.member.added',
  group: group(0),
  user: { email: 'ada@example.com', department: 'Data Platform', groups: Array.from({ length: 1000 }, (_, i) => `  ${group(i)} `) },
});
const rules = parseRuleFile(
  JSON.stringify({
    rules: Array.from({ length: 200 }, (_, i) => ({
      name: `rule-${i}`,
      // One rule in ten names a group the event holds; the others name groups it does not.
      when: { source: 'sso', group: [group(i % 10 === 0 ? i * 5 : 5000 + i), group(6000 + i), group(7000 + i)] },
      invite: [{ groupId: (i + 1).toString(16).padStart(24, '0'), roles: ['GROUP_READ_ONLY'] }],
    })),
  }),
  'bench/rules.ts',
).rules;

/** One round: matches for at least 200 ms of CPU; answers µs per match. */
function round(): number {
  const start = process.cpuUsage();
  let calls = 0;
  let usedUs: number;
  do {
    if (grantsFor(event, rules, false).length !== 20) throw new Error('expected 20 projects per match');
    calls++;
    const used = process.cpuUsage(start);
    usedUs = used.user + used.system;
  } while (usedUs < 200_000);
  return usedUs / calls;
}

round(); // compiled by the JIT
const perRound = Array.from({ length: ROUNDS }, round);
const sorted = [...perRound].sort((a, b) => a - b);
console.log(
  `rule matching: ${sorted[Math.floor(ROUNDS / 2)]!.toFixed(1)} µs of CPU per event (1,000 groups, ${JSON.stringify(event).length} bytes, ` +
    `200 rules; median of ${ROUNDS} rounds of 200 ms; rounds ${perRound.map((us) => us.toFixed(1)).join(', ')})`,
);
