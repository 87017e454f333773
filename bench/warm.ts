import { request } from 'undici';
import type { OnboarderHandler } from '../lambda/functions/onboarder/app';
import { sqsRecords } from '../local/events';
import { cpuPer, median } from './common';
import { runQueue } from './load';

/**
 * The warm measurements, in a process of their own (forked by bench/run.ts, which hosts the Atlas sandbox and the AWS
 * endpoints and answers `ask` over IPC): the function as shipped (the bundle named by argv[2]) against a bare undici
 * loop, calls per invitation, batch latency, and throughput under a rate limit. The function logs at its production
 * level to this process's stdout, which the parent discards.
 */

type Counts = { invites: number; tokens: number; secrets: number; invitations: number; rateLimited: number };
type Ask = { cmd: 'reset' } | { cmd: 'counts' } | { cmd: 'configure'; options: Record<string, unknown> };

const bundle = process.argv[2]!;
const atlasUrl = process.env.ATLAS_BASE_URL!;
let asked = 0;
const pending = new Map<number, (value: unknown) => void>();
process.on('message', (message: { id: number; value: unknown }) => pending.get(message.id)?.(message.value));
function ask<T>(question: Ask): Promise<T> {
  const id = ++asked;
  return new Promise((resolve) => {
    pending.set(id, resolve as (value: unknown) => void);
    process.send!({ id, ...question });
  });
}

let containers = 0;
/** A fresh container: a new instance of the bundle's module, with its own caches. */
async function container(): Promise<OnboarderHandler> {
  const module = (await import(`${bundle}?container=${++containers}`)) as { handler: OnboarderHandler };
  return module.handler;
}

let people = 0;
const body = () => JSON.stringify({ source: 'sso', type: 'group.member.added', group: 'atlas-analytics-readers', user: { email: `bench-${++people}@example.com` } });
function batchOf(size: number) {
  return { Records: sqsRecords(Array.from({ length: size }, body)) };
}
const context = () => ({ awsRequestId: 'bench', getRemainingTimeInMillis: () => 20_000 });

/** Batches of 10 for `invitations`, made before they are timed: building the records is not the function's work. */
const batchesFor = (invitations: number) => Array.from({ length: invitations / 10 }, () => batchOf(10));

async function handlerRate(handler: OnboarderHandler, batches: ReturnType<typeof batchOf>[]): Promise<number> {
  const started = performance.now();
  for (const batch of batches) {
    const answer = (await handler(batch, context())) as { batchItemFailures: unknown[] };
    if (answer.batchItemFailures.length) throw new Error('a warm batch failed');
  }
  return (batches.length * 10) / ((performance.now() - started) / 1000);
}

/** A token for the bare loop, fetched before it is timed (the handler's loop has its token cached too). */
async function bareToken(): Promise<string> {
  const auth = Buffer.from(`${process.env.ATLAS_CLIENT_ID}:${process.env.ATLAS_CLIENT_SECRET}`).toString('base64');
  const tokenAnswer = await request(`${atlasUrl}/api/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${auth}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  return ((await tokenAnswer.body.json()) as { access_token: string }).access_token;
}

/**
 * The bare loop: `workers` POSTs in flight at all times; with `batched`, ten at a time with a wait for all ten, the
 * shape an SQS batch imposes on any handler. The difference between the two is the batch's, not our code's.
 */
async function bareRate(token: string, invitations: number, batched = false): Promise<number> {
  const media = 'application/vnd.atlas.2023-01-01+json';
  const invite = async () => {
    const answer = await request(`${atlasUrl}/api/atlas/v2/groups/5f1e2d3c4b5a69788796a5b4/invites`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, accept: media, 'content-type': media },
      body: JSON.stringify({ roles: ['GROUP_READ_ONLY'], username: `bare-${++people}@example.com` }),
    });
    await answer.body.text();
    if (answer.statusCode !== 200) throw new Error(`bare POST answered ${answer.statusCode}`);
  };
  let next = 0;
  const started = performance.now();
  if (batched) {
    for (let done = 0; done < invitations; done += 10) await Promise.all(Array.from({ length: 10 }, invite));
  } else {
    const worker = async () => {
      while (next++ < invitations) await invite();
    };
    await Promise.all(Array.from({ length: 10 }, worker));
  }
  return invitations / ((performance.now() - started) / 1000);
}

async function timed(handler: OnboarderHandler, size: number): Promise<number> {
  const started = performance.now();
  await handler(batchOf(size), context());
  return performance.now() - started;
}

// 4: calls per invitation, over exactly 1,000 events into a fresh container.
await ask({ cmd: 'reset' });
const measured = await container();
await handlerRate(measured, batchesFor(1000));
const calls = await ask<Counts>({ cmd: 'counts' });

// 3: warm throughput beside the bare loop, in rounds. "Warm" as a container that has served a while is: the same
// container goes on, and each loop first runs 300 invitations untimed so that both are compiled by the JIT before
// they are timed (a fresh container's first batches measure V8's warm-up, not our code). This machine is shared and
// its speed drifts within seconds, so the loops are measured in many short rounds, in alternating order, and the
// ratio is taken within each round (the two loops of a round ran under the same conditions) before the median.
const ROUNDS = Number(process.env.BENCH_WARM_ROUNDS ?? 11);
const PER_ROUND = 500;
const rounds: { handler: number; bare: number; bareBatched: number; handlerCpuUs: number; bareCpuUs: number }[] = [];
const warmUpToken = await bareToken();
await bareRate(warmUpToken, 300);
await bareRate(warmUpToken, 300, true);
await handlerRate(measured, batchesFor(300));
for (let round = 0; round < ROUNDS; round++) {
  await ask({ cmd: 'reset' });
  const token = await bareToken();
  const batches = batchesFor(PER_ROUND);
  let handler = { value: 0, cpuUs: 0 };
  let bare = { value: 0, cpuUs: 0 };
  let bareBatched = 0;
  const loops = [
    async () => (handler = await cpuPer(PER_ROUND, () => handlerRate(measured, batches))),
    async () => (bare = await cpuPer(PER_ROUND, () => bareRate(token, PER_ROUND))),
    async () => (bareBatched = await bareRate(token, PER_ROUND, true)),
  ];
  for (const loop of round % 2 === 0 ? loops : [...loops].reverse()) await loop();
  rounds.push({ handler: handler.value, bare: bare.value, bareBatched, handlerCpuUs: handler.cpuUs, bareCpuUs: bare.cpuUs });
}

// 5: a batch of 10 against one invitation alone, each Atlas answer taking 200 ms.
await ask({ cmd: 'configure', options: { latencyMs: 200 } });
const latencyHandler = await container();
await timed(latencyHandler, 1); // token and secret fetched: what follows is warm
const single: number[] = [];
const ten: number[] = [];
for (let i = 0; i < 5; i++) {
  single.push(await timed(latencyHandler, 1));
  ten.push(await timed(latencyHandler, 10));
}
await ask({ cmd: 'configure', options: { latencyMs: 0 } });

// 6: throughput under a rate limit, five containers, 1,000 events in batches of 10.
const RATE = 50;
await ask({ cmd: 'reset' });
await ask({ cmd: 'configure', options: { rateLimit: { requestsPerSecond: RATE } } });
const queue = await runQueue({
  bodies: Array.from({ length: 1000 }, () => JSON.parse(body()) as unknown),
  containers: await Promise.all(Array.from({ length: 5 }, container)),
  batchSize: 10,
  invocationBudgetMs: 20_000,
  maxRunMs: 120_000,
});
const limited = await ask<Counts>({ cmd: 'counts' });

process.send!({
  id: 0,
  result: {
    warm: {
      rounds: ROUNDS,
      invitationsPerRound: PER_ROUND,
      // The medians of the ratios taken within each round.
      ratioToBare: median(rounds.map((r) => r.handler / r.bare)),
      ratioToBareBatched: median(rounds.map((r) => r.handler / r.bareBatched)),
      handlerPerSecond: median(rounds.map((r) => r.handler)),
      barePerSecond: median(rounds.map((r) => r.bare)),
      bareBatchedPerSecond: median(rounds.map((r) => r.bareBatched)),
      // CPU time is steadier than rates on a shared machine: what one invitation costs this process.
      handlerCpuUsPerInvitation: median(rounds.map((r) => r.handlerCpuUs)),
      bareCpuUsPerInvitation: median(rounds.map((r) => r.bareCpuUs)),
      perRound: rounds,
    },
    callsPerInvitation: { atlas: calls.invites / 1000, token: calls.tokens / 1000, secrets: calls.secrets / 1000, invitations: calls.invitations },
    batchLatency: { singleMs: median(single), batchOf10Ms: median(ten), single, ten },
    rateLimited: {
      limitPerSecond: RATE,
      invitations: limited.invitations,
      elapsedMs: queue.elapsedMs,
      perSecond: limited.invitations / (queue.elapsedMs / 1000),
      floorMs: ((1000 - RATE) / RATE) * 1000,
      rateLimitedAnswers: limited.rateLimited,
      // Every Atlas call of the run, 429s included, per invitation made (contract section 6, v2: at most 1.05).
      callsPerInvitation: limited.invites / limited.invitations,
      redeliveries: queue.redeliveries,
      leftInQueue: queue.leftInQueue,
    },
  },
});
process.exit(0);
