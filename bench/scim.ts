import { execFile, fork } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Metafile } from 'esbuild';
import { PROJECT_ROOT } from '../infra/bundling';
import type { HttpAnswer } from '../lambda/adapters/api-gateway';
import { DynamoDbDirectory } from '../lambda/aws/directory';
import { createHandler } from '../lambda/functions/scim/app';
import { createDirectoryTable, localDynamoDbClient, startDynamoDbLocal } from '../local/dynamodb-local';
import { startAwsEndpoints } from '../sandbox';
import { bundleOf, coldStart, commitMeasured, startBenchWorld, type Size } from './common';
import { spread, type Spread } from './ingress';
import { benchUserName, scimRequests } from './scim-requests';
import type { WarmPlan, WarmTimes } from './scim-warm';

/**
 * The scim function's part of `npm run bench` (`npm run bench -- scim` runs it alone), against DynamoDB Local and the
 * Secrets Manager stand-in, all on loopback:
 *
 * - latency of the shipped bundle, warm, one request at a time (bench/scim-warm.ts, a process of its own): POST /Users
 *   with Entra's body, GET /Users?filter=userName eq (Entra's lookup before a create), Entra's user PATCH, and a group
 *   PATCH adding 50 members (users shared between groups); a warm-up of the same requests is not counted;
 * - DynamoDB calls and capacity per request: the same code (createHandler with the DynamoDB directory) in this
 *   process, its document client counting calls and items, reads as DynamoDB Local reports them (it counts a strongly
 *   consistent read as AWS does, 1 unit per item up to 4 KB), transactional writes as AWS bills them (2 units per item
 *   per started KB; DynamoDB Local reports a flat 2 for any transaction);
 * - cold starts of the shipped bundle in fresh processes (import and the first authenticated POST /Users, the token
 *   read from the Secrets Manager stand-in), each followed by one of the onboarder's (bench/cold-start.mjs);
 * - the bundle beside the onboarder's and the ingress's.
 *
 * DynamoDB Local is a Java program on this machine, sharing its cores with the function: its latency is not
 * DynamoDB's (single-digit milliseconds per call in a region), and every latency here is mostly its.
 */

const TOKEN = 'bench-scim-token-not-a-secret';
const TOKEN_SECRET_ID = 'scim/bench';
const ONBOARDING_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/onboarding';
const MEMBERS_PER_PATCH = 50;

export interface ScimLatency extends Spread {
  requests: number;
  p95: number;
  /** The median of the first and of the last quarter of the requests, in the order sent: does it grow with the table? */
  firstQuarterMedian: number;
  lastQuarterMedian: number;
}
export type Calls = Record<string, number>;
export interface RequestCost {
  requests: number;
  /** DynamoDB calls per request, by API. */
  calls: Calls;
  /** Read capacity units per request, as DynamoDB Local reports them (strongly consistent). */
  rcu: number;
  /** Items written in transactions per request, and AWS's WCU for them (2 per item per started KB). */
  transactItems: number;
  wcu: number;
  /** What DynamoDB Local reported for the transactions (a flat 2 per transaction). */
  wcuLocal: number;
}
export interface ScimResults {
  measuredAt: string;
  commit: string;
  machine: string;
  /** os.loadavg() (1, 5, 15 minutes) when the part started and when it ended. */
  loadAverage: { start: number[]; end: number[] };
  bundle: Record<'scim' | 'onboarder' | 'ingress', Size & { files: number; coldPath: Size }>;
  coldStart: { runs: number; total: Spread; import: Spread; firstRequest: Spread; cpu: Spread; onboarderInterleaved: Spread };
  latency: {
    plan: WarmPlan;
    warmup: { requests: number; ms: number };
    postUser: ScimLatency;
    getByUserName: ScimLatency;
    patchUser: ScimLatency;
    postGroup: ScimLatency;
    patchGroupAdd50: ScimLatency;
  };
  perRequest: Record<'postUser' | 'getByUserName' | 'patchUser' | 'postGroup' | 'patchGroupAdd50' | 'patchGroupAdd50To200', RequestCost>;
}

function latency(values: readonly number[]): ScimLatency {
  const sorted = [...values].sort((a, b) => a - b);
  const quarter = Math.max(1, Math.floor(values.length / 4));
  return {
    ...spread(values),
    requests: values.length,
    p95: sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))]!,
    firstQuarterMedian: spread(values.slice(0, quarter)).median,
    lastQuarterMedian: spread(values.slice(-quarter)).median,
  };
}




/**
 * An item's size as DynamoDB bills it (attribute names plus values: strings as UTF-8, numbers about one byte per two
 * digits plus one, lists and maps 3 bytes plus 1 per element), from the document client's plain values.
 */
export function itemBytes(item: Record<string, unknown>): number {
  const value = (v: unknown): number => {
    if (typeof v === 'string') return Buffer.byteLength(v);
    if (typeof v === 'number') return Math.ceil(String(Math.abs(v)).replace(/[.-]/g, '').replace(/^0+/, '').length / 2) + 1;
    if (typeof v === 'boolean' || v === null) return 1;
    if (Array.isArray(v)) return 3 + v.reduce((sum: number, e) => sum + 1 + value(e), 0);
    if (typeof v === 'object' && v !== undefined) return 3 + Object.entries(v).reduce((sum, [k, e]) => sum + 1 + Buffer.byteLength(k) + value(e), 0);
    return 0;
  };
  return Object.entries(item).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + value(v), 0);
}

/** AWS's WCU for one transaction item: a Put by its item's size; an Update or a Delete taken as under 1 KB (see below). */
function transactItemWcu(item: { Put?: { Item?: Record<string, unknown> } }): number {
  return 2 * Math.max(1, Math.ceil(itemBytes(item.Put?.Item ?? {}) / 1024));
}

const run = promisify(execFile);

/**
 * Measures the scim function: `shippedDir` holds every function as `cdk synth` ships them, `metafile` is that build's.
 *
 * @example
 * const scim = await measureScim('bench/.out/shipped', shipped.metafile, 21);
 */
export async function measureScim(shippedDir: string, metafile: Metafile, runs: number): Promise<ScimResults> {
  const loadStart = loadavg();
  const dynamo = await startDynamoDbLocal();
  const aws = await startAwsEndpoints({ secrets: { [TOKEN_SECRET_ID]: JSON.stringify({ values: [TOKEN] }) } });
  const client = localDynamoDbClient(dynamo.endpoint);
  const tableName = 'scim-bench';
  await createDirectoryTable(client, tableName);
  const env = {
    PATH: process.env.PATH,
    SCIM_TOKEN_SECRET_ID: TOKEN_SECRET_ID,
    SCIM_TABLE_NAME: tableName,
    ONBOARDING_QUEUE_URL,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
    AWS_ENDPOINT_URL_SQS: aws.url,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: 'us-east-1',
    // DynamoDB Local keeps one database per access key and region: the key the table was created with.
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    LOG_LEVEL: 'info',
  };
  const scimFile = resolve(shippedDir, 'scim/index.mjs');
  try {
    const perRequest = await measureCosts(client, env);
    const warm = await measureLatency(scimFile, env);
    const cold = await coldStarts(scimFile, resolve(shippedDir, 'onboarder/index.mjs'), env, runs);
    const { times, plan } = warm;
    return {
      measuredAt: new Date().toISOString(),
      commit: commitMeasured(),
      machine: `${cpus().length} cores`,
      loadAverage: { start: loadStart.map(round2), end: loadavg().map(round2) },
      bundle: { scim: bundleOf(shippedDir, metafile, 'scim'), onboarder: bundleOf(shippedDir, metafile, 'onboarder'), ingress: bundleOf(shippedDir, metafile, 'webhook-ingress') },
      coldStart: {
        runs,
        total: spread(cold.scim.map((c) => c.totalMs)),
        import: spread(cold.scim.map((c) => c.importMs)),
        firstRequest: spread(cold.scim.map((c) => c.firstRequestMs)),
        cpu: spread(cold.scim.map((c) => c.cpuMs)),
        onboarderInterleaved: spread(cold.onboarder),
      },
      latency: {
        plan,
        warmup: { requests: warm.warmupRequests, ms: Math.round(warm.warmupMs) },
        postUser: latency(times.postUser),
        getByUserName: latency(times.getByUserName),
        patchUser: latency(times.patchUser),
        postGroup: latency(times.postGroup),
        patchGroupAdd50: latency(times.patchGroupAdd),
      },
      perRequest,
    };
  } finally {
    client.destroy();
    await aws.close();
    await dynamo.stop();
  }
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** The warm latencies, from bench/scim-warm.ts in a process of its own. */
async function measureLatency(scimFile: string, env: NodeJS.ProcessEnv) {
  const plan: WarmPlan = {
    tag: `warm${Date.now().toString(36)}`,
    users: Number(process.env.BENCH_SCIM_USERS ?? 300),
    userPatches: Number(process.env.BENCH_SCIM_USER_PATCHES ?? 100),
    groups: Number(process.env.BENCH_SCIM_GROUPS ?? 200),
    membersPerPatch: MEMBERS_PER_PATCH,
    warmup: { users: 30, groups: 5 },
  };
  const result = await new Promise<{ times: WarmTimes; warmupMs: number; measuredMs: number; warmupRequests: number }>((resolvePromise, reject) => {
    const child = fork(resolve(PROJECT_ROOT, 'bench/scim-warm.ts'), [scimFile, TOKEN, JSON.stringify(plan)], {
      env,
      execArgv: ['--import', 'tsx'],
      // BENCH_SCIM_LOGS=1 shows the function's log lines (they are written, and cost what they cost, either way).
      stdio: ['ignore', process.env.BENCH_SCIM_LOGS ? 'inherit' : 'ignore', 'inherit', 'ipc'],
    });
    let answered = false;
    child.on('message', (message: { result?: { times: WarmTimes; warmupMs: number; measuredMs: number; warmupRequests: number } }) => {
      if (!message.result) return;
      answered = true;
      resolvePromise(message.result);
    });
    child.on('exit', (code) => (answered ? undefined : reject(new Error(`bench/scim-warm.ts exited ${code}`))));
  });
  return { ...result, plan };
}

/** Fresh processes: the scim bundle's import and first POST /Users, then the onboarder's cold start beside it. */
async function coldStarts(scimFile: string, onboarderFile: string, env: NodeJS.ProcessEnv, runs: number) {
  const world = await startBenchWorld();
  const requests = scimRequests(TOKEN);
  const scim: { importMs: number; firstRequestMs: number; totalMs: number; cpuMs: number }[] = [];
  const onboarder: number[] = [];
  const tag = `cold${Date.now().toString(36)}`;
  try {
    for (let i = 0; i < runs; i++) {
      const event = requests.createUser(benchUserName(tag, i));
      const { stdout } = await run(process.execPath, [resolve(PROJECT_ROOT, 'bench/scim-cold-start.mjs'), scimFile, JSON.stringify(event)], { env, timeout: 30_000, maxBuffer: 16 * 1024 * 1024 });
      const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as (typeof scim)[number] & { status: number };
      if (result.status !== 201) throw new Error(`cold start ${i} of the scim function answered ${result.status}, not 201`);
      scim.push(result);
      onboarder.push((await coldStart(onboarderFile, `scim-beside-${i}@example.com`, world.env)).totalMs);
    }
  } finally {
    await world.close();
  }
  return { scim, onboarder };
}

/**
 * DynamoDB calls and capacity per request: the scim function's code (createHandler and the DynamoDB directory, as
 * the bundle composes them) in this process, on a table of its own, its document client counting.
 */
async function measureCosts(client: ReturnType<typeof localDynamoDbClient>, env: Record<string, string | undefined>): Promise<ScimResults['perRequest']> {
  const tableName = 'scim-bench-costs';
  await createDirectoryTable(client, tableName);
  let calls: Calls = {};
  let rcu = 0;
  let transactItems = 0;
  let wcu = 0;
  let wcuLocal = 0;
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  documents.middlewareStack.add(
    (next, context) => async (args) => {
      const api = (context.commandName ?? 'unknown').replace(/Command$/, '');
      calls[api] = (calls[api] ?? 0) + 1;
      const input = args.input as { TransactItems?: { Put?: { Item?: Record<string, unknown> } }[] };
      if (input.TransactItems) {
        transactItems += input.TransactItems.length;
        wcu += input.TransactItems.reduce((sum, item) => sum + transactItemWcu(item), 0);
      }
      const result = await next(args);
      const consumed = (result.output as { ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] }).ConsumedCapacity;
      const units = [consumed ?? []].flat().reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
      if (input.TransactItems) wcuLocal += units;
      else rcu += units;
      return result;
    },
    { step: 'initialize', name: 'benchCountCalls' },
  );
  const directory = new DynamoDbDirectory({ client: documents, tableName, onConsumedCapacity: () => {} });
  const handler = createHandler({ ...env, SCIM_TABLE_NAME: tableName }, () => directory, { logSink: () => {}, tokens: () => Promise.resolve({ ok: true, value: [TOKEN] }) });
  const requests = scimRequests(TOKEN);
  const send = async (event: unknown, expected: number) => {
    const answer = (await handler(event)) as HttpAnswer;
    if (answer.statusCode !== expected) throw new Error(`costs: answered ${answer.statusCode}, not ${expected}: ${answer.body.slice(0, 300)}`);
    return answer.body;
  };
  const idOf = (body: string) => (JSON.parse(body) as { id: string }).id;
  /** Runs `work` `n` times and answers the counts per request. */
  const cost = async (n: number, work: (i: number) => Promise<unknown>): Promise<RequestCost> => {
    calls = {};
    rcu = transactItems = wcu = wcuLocal = 0;
    for (let i = 0; i < n; i++) await work(i);
    const per = (value: number) => round2(value / n);
    return { requests: n, calls: Object.fromEntries(Object.entries(calls).map(([api, count]) => [api, per(count)])), rcu: per(rcu), transactItems: per(transactItems), wcu: per(wcu), wcuLocal: per(wcuLocal) };
  };
  const N = 10;
  const ids: string[] = [];
  const postUser = await cost(N, async (i) => ids.push(idOf(await send(requests.createUser(benchUserName('cost', i)), 201))));
  const getByUserName = await cost(N, (i) => send(requests.userByName(benchUserName('cost', i)), 200));
  const patchUser = await cost(N, (i) => send(requests.patchUser(ids[i]!, i), 200));
  // 250 more users (not counted): 50 for the empty groups, 200 to fill one group first.
  const more: string[] = [];
  for (let i = 0; i < 250; i++) more.push(idOf(await send(requests.createUser(benchUserName('cost-member', i)), 201)));
  const groups: string[] = [];
  const postGroup = await cost(N, async (i) => groups.push(idOf(await send(requests.createGroup(`cost-group-${i}`), 201))));
  const patchGroupAdd50 = await cost(N, (i) => send(requests.addMembers(groups[i]!, more.slice(0, MEMBERS_PER_PATCH)), 204));
  // A group that already has 200 members, then 50 more: what grows with the group.
  const big = idOf(await send(requests.createGroup('cost-group-big'), 201));
  for (let k = 0; k < 4; k++) await send(requests.addMembers(big, more.slice(50 + 50 * k, 100 + 50 * k)), 204);
  const patchGroupAdd50To200 = await cost(1, () => send(requests.addMembers(big, more.slice(0, MEMBERS_PER_PATCH)), 204));
  return { postUser, getByUserName, patchUser, postGroup, patchGroupAdd50, patchGroupAdd50To200 };
}

const ms = (value: number) => `${value.toFixed(0)} ms`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
const callsText = (cost: RequestCost) =>
  `${Object.entries(cost.calls)
    .map(([api, n]) => `${api.replace(/Items?$/, '')} ${n}`)
    .join(', ')}; ${cost.rcu} RCU, ${cost.transactItems} items written (${cost.wcu} WCU on AWS; Local says ${cost.wcuLocal})`;

/** The rows `npm run bench` prints for the scim function: name, figures, comparison. */
export function scimRows(results: ScimResults): [string, string, string][] {
  const { bundle, coldStart: cold, latency: lat, perRequest: cost } = results;
  const line = (l: ScimLatency) =>
    `median ${ms(l.median)}, p95 ${ms(l.p95)} (${l.requests} requests, max ${ms(l.max)}; median of the first quarter ${ms(l.firstQuarterMedian)}, of the last ${ms(l.lastQuarterMedian)})`;
  const load = `load average ${results.loadAverage.start.join(' ')} at the start, ${results.loadAverage.end.join(' ')} at the end, ${results.machine}`;
  return [
    [
      'scim bundle (as shipped)',
      `${kib(bundle.scim.raw)} raw, ${kib(bundle.scim.gzip)} gzip in ${bundle.scim.files} files; cold path ${kib(bundle.scim.coldPath.raw)} raw, ${kib(bundle.scim.coldPath.gzip)} gzip`,
      `onboarder ${kib(bundle.onboarder.raw)} (${kib(bundle.onboarder.gzip)} gzip), cold path ${kib(bundle.onboarder.coldPath.raw)}; ingress ${kib(bundle.ingress.raw)} (${kib(bundle.ingress.gzip)} gzip), cold path ${kib(bundle.ingress.coldPath.raw)}`,
    ],
    [
      `scim cold start, import + 1st POST /Users (${cold.runs} runs)`,
      `median ${ms(cold.total.median)} (p10 ${ms(cold.total.p10)}, p90 ${ms(cold.total.p90)}); import ${ms(cold.import.median)}, request ${ms(cold.firstRequest.median)}; process CPU ${ms(cold.cpu.median)}`,
      `token from the Secrets Manager stand-in, user to DynamoDB Local; the onboarder's cold start beside it: median ${ms(cold.onboarderInterleaved.median)}`,
    ],
    ['scim POST /Users (Entra body), warm', line(lat.postUser), callsText(cost.postUser)],
    ['scim GET /Users?filter=userName eq', line(lat.getByUserName), callsText(cost.getByUserName)],
    ['scim PATCH /Users (Entra: work e-mail, familyName)', line(lat.patchUser), callsText(cost.patchUser)],
    ['scim POST /Groups (no members)', line(lat.postGroup), callsText(cost.postGroup)],
    [`scim PATCH /Groups adding ${MEMBERS_PER_PATCH} members`, line(lat.patchGroupAdd50), `${callsText(cost.patchGroupAdd50)}; into a group of 200: ${callsText(cost.patchGroupAdd50To200)}`],
    [
      'scim latency conditions',
      `DynamoDB Local (Java, in memory) on this machine, not DynamoDB; one request at a time; warm-up of ${lat.warmup.requests} requests not counted`,
      load,
    ],
  ];
}
