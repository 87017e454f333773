import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { HttpAnswer } from '../lambda/adapters/api-gateway';
import { benchUserName, scimRequests } from './scim-requests';

/**
 * The scim function's warm latency, in a process of its own (forked by bench/scim.ts, which hosts DynamoDB Local and
 * the Secrets Manager stand-in): the bundle as shipped (argv[2]) answering one request at a time, timed from the
 * handler's call to its answer. argv[3] is the bearer token, argv[4] the plan as JSON. A warm-up (its own users and
 * groups, the same requests) runs first and is not counted. The function logs at its production level to this
 * process's stdout, which the parent discards. Answers `{ result }` over IPC.
 */

export interface WarmPlan {
  tag: string;
  users: number;
  userPatches: number;
  groups: number;
  membersPerPatch: number;
  warmup: { users: number; groups: number };
}
export interface WarmTimes {
  postUser: number[];
  getByUserName: number[];
  patchUser: number[];
  postGroup: number[];
  patchGroupAdd: number[];
}

type Handler = (event: unknown, context?: unknown) => Promise<HttpAnswer>;
const { handler } = (await import(process.argv[2]!)) as { handler: Handler };
const requests = scimRequests(process.argv[3]!);
const plan = JSON.parse(process.argv[4]!) as WarmPlan;

let calls = 0;
async function send(event: APIGatewayProxyEvent, expected: number): Promise<{ ms: number; body: string }> {
  const context = { awsRequestId: `bench-${++calls}`, getRemainingTimeInMillis: () => 29_000 };
  const started = performance.now();
  const answer = await handler(event, context);
  const ms = performance.now() - started;
  if (answer.statusCode !== expected) throw new Error(`${event.httpMethod} ${event.path} answered ${answer.statusCode}, not ${expected}: ${answer.body.slice(0, 300)}`);
  return { ms, body: answer.body };
}
const idOf = (body: string) => (JSON.parse(body) as { id: string }).id;

/** One round of every request; `times` collects their latencies. */
async function round(tag: string, users: number, userPatches: number, groups: number, times: WarmTimes) {
  const ids: string[] = [];
  for (let i = 0; i < users; i++) {
    const { ms, body } = await send(requests.createUser(benchUserName(tag, i)), 201);
    times.postUser.push(ms);
    ids.push(idOf(body));
  }
  for (let i = 0; i < users; i++) {
    const { ms, body } = await send(requests.userByName(benchUserName(tag, i)), 200);
    if ((JSON.parse(body) as { totalResults: number }).totalResults !== 1) throw new Error(`${benchUserName(tag, i)} was not found by its userName`);
    times.getByUserName.push(ms);
  }
  for (let i = 0; i < userPatches; i++) times.patchUser.push((await send(requests.patchUser(ids[i % ids.length]!, i), 200)).ms);
  // Each group gets the next `membersPerPatch` users, wrapping round: users are shared between groups.
  for (let g = 0; g < groups; g++) {
    const created = await send(requests.createGroup(`${tag}-group-${g}`), 201);
    times.postGroup.push(created.ms);
    const members = Array.from({ length: plan.membersPerPatch }, (_, k) => ids[(g * plan.membersPerPatch + k) % ids.length]!);
    times.patchGroupAdd.push((await send(requests.addMembers(idOf(created.body), members), 204)).ms);
  }
}

const empty = (): WarmTimes => ({ postUser: [], getByUserName: [], patchUser: [], postGroup: [], patchGroupAdd: [] });
const warmup = empty();
const warmupStarted = performance.now();
await round(`${plan.tag}-warmup`, Math.max(plan.warmup.users, plan.membersPerPatch), plan.warmup.users, plan.warmup.groups, warmup);
const warmupMs = performance.now() - warmupStarted;
const times = empty();
const started = performance.now();
await round(plan.tag, plan.users, plan.userPatches, plan.groups, times);
const measuredMs = performance.now() - started;
const warmupRequests = warmup.postUser.length + warmup.getByUserName.length + warmup.patchUser.length + warmup.postGroup.length + warmup.patchGroupAdd.length;
process.send!({ result: { times, warmupMs, measuredMs, warmupRequests } });
process.disconnect();
