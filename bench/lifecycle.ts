import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createHandler } from '../lambda/functions/onboarder/app';
import { localContext, restEvent } from '../local/events';
import { startAtlasSandbox, type AtlasSandbox } from '../sandbox';

/**
 * `npx tsx bench/lifecycle.ts`: Atlas calls per event for a joiner, a mover (one role swapped in one project) and a
 * leaver (two projects), under the rule file's default lifecycle (`movers: add`, `leavers: ignore`) and under
 * `movers: sync`, `leavers: remove` (contract section 13), against the sandbox. Token requests are left out (one per
 * container). Prints a table and the calls by endpoint; calls are counts, so one run says it all. `npm run bench` runs
 * it too and keeps the rows in bench/results.json.
 */

export interface LifecycleRow {
  lifecycle: string;
  event: string;
  calls: number;
  reads: number;
  writes: number;
  byEndpoint: Record<string, number>;
}

const A = '5f1e2d3c4b5a69788796a5b4';
const B = '64b7c8d9e0f1a2b3c4d5e6f7';
const synced = JSON.parse(readFileSync('examples/rules-lifecycle.json', 'utf8')) as { lifecycle?: unknown };
const defaults = { ...synced, lifecycle: undefined };

let n = 0;
const email = () => `lifecycle-${++n}@example.com`;
const hr = (type: string, user: string, department: string) => ({ id: `evt-${n}`, source: 'hr', type, user: { email: user, department } });

type Scenario = { name: string; setup: (atlas: AtlasSandbox, user: string) => void; event: (user: string) => unknown };
const scenarios: Scenario[] = [
  { name: 'joiner (one project)', setup: () => undefined, event: (user) => hr('employee.hired', user, 'Finance') },
  {
    name: 'mover (one role swapped in one project)',
    setup: (atlas, user) => atlas.seed({ groupId: B, username: user, roles: ['GROUP_READ_ONLY'], status: 'ACTIVE', via: 'users' }),
    event: (user) => hr('employee.updated', user, 'Finance'),
  },
  {
    name: 'leaver (member of one project, invited to another)',
    setup: (atlas, user) => {
      atlas.seed({ groupId: A, username: user, roles: ['GROUP_DATA_ACCESS_READ_WRITE'], status: 'ACTIVE', via: 'users' });
      atlas.seed({ groupId: B, username: user, roles: ['GROUP_READ_ONLY'], via: 'invites' });
    },
    event: (user) => hr('employee.terminated', user, 'Data Platform'),
  },
];

/**
 * Runs each scenario once under each lifecycle, against a sandbox of its own.
 *
 * @example
 * const rows = await measureLifecycleCalls(); // [{ lifecycle: 'sync / remove', event: 'mover …', calls: 6, … }, …]
 */
export async function measureLifecycleCalls(): Promise<LifecycleRow[]> {
  const atlas = await startAtlasSandbox({ clients: { 'bench-id': 'bench-secret-value' } });
  const rows: LifecycleRow[] = [];
  try {
    for (const [label, rules] of [
      ['add / ignore (defaults)', defaults],
      ['sync / remove', synced],
    ] as const) {
      const handler = createHandler(
        { ATLAS_BASE_URL: atlas.url, ATLAS_CLIENT_ID: 'bench-id', ATLAS_CLIENT_SECRET: 'bench-secret-value', ROLE_MAPPING: JSON.stringify(rules), LOG_LEVEL: 'error' },
        { logSink: () => undefined },
      );
      for (const scenario of scenarios) {
        const user = email();
        scenario.setup(atlas, user);
        const before = atlas.requests.length;
        await handler(restEvent({ path: '/events', body: scenario.event(user) }), localContext());
        const calls = atlas.requests.slice(before).filter((r) => r.endpoint !== 'token');
        const byEndpoint: Record<string, number> = {};
        for (const call of calls) byEndpoint[`${call.method} ${call.endpoint}`] = (byEndpoint[`${call.method} ${call.endpoint}`] ?? 0) + 1;
        const reads = calls.filter((c) => c.method === 'GET').length;
        rows.push({ lifecycle: label, event: scenario.name, calls: calls.length, reads, writes: calls.length - reads, byEndpoint });
      }
    }
  } finally {
    await atlas.close();
  }
  return rows;
}

/** The rows as a Markdown table. */
export function lifecycleTable(rows: readonly LifecycleRow[]): string {
  const lines = rows.map(
    (r) => `| ${r.lifecycle} | ${r.event} | ${r.calls} | ${r.reads} | ${r.writes} | ${Object.entries(r.byEndpoint).map(([k, v]) => `${k} ×${v}`).join(', ') || '—'} |`,
  );
  return ['| lifecycle | event | Atlas calls | reads | writes | by endpoint |', '|---|---|---|---|---|---|', ...lines].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(lifecycleTable(await measureLifecycleCalls()));
