import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Metafile } from 'esbuild';
import { PROJECT_ROOT } from '../infra/bundling';
import { startLocalGateway } from '../local/gateway';
import { localHookSecret } from '../local/hooks';
import { httpApiEvent } from '../local/events';
import { startAwsEndpoints } from '../sandbox';
import { bundleOf, coldStart, commitMeasured, startBenchWorld, type Size } from './common';

/**
 * The webhook ingress's part of `npm run bench` (`npm run bench -- ingress` runs it alone): its bundle beside the
 * onboarder's, its cold start in fresh processes (import of the shipped bundle and the first verified Okta delivery of
 * ten events, queued on the SQS stand-in) against Okta's 3-second limit, and the time from an Okta delivery's POST to
 * its last invitation through `npm start`'s composition (ingress, queue handed on at once, onboarder, Atlas sandbox).
 */

/** Okta gives up on a hook after 3 s and retries once (contract section 11). */
export const OKTA_LIMIT_MS = 3_000;
const EVENTS_PER_DELIVERY = 10;
const HOOK_SECRET = 'Basic YmVuY2gtaG9vazpub3QtYS1yZWFsLXNlY3JldA==';
const ONBOARDING_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/onboarding';
const DEAD_LETTER_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/onboarding-dlq';

export interface Spread {
  median: number;
  p10: number;
  p90: number;
  min: number;
  max: number;
}

export interface IngressResults {
  measuredAt: string;
  /** The commit measured (with `+` when the code in the work tree differed from it). */
  commit: string;
  bundle: Record<'ingress' | 'onboarder', Size & { files: number; coldPath: Size }>;
  coldStart: { runs: number; eventsPerDelivery: number; total: Spread; import: Spread; firstDelivery: Spread; cpu: Spread; marginToOktaLimitMs: number; onboarderInterleaved: Spread };
  endToEnd: { runs: number; eventsPerDelivery: number; first: { answerMs: number; lastInvitationMs: number }; warm: { answer: Spread; lastInvitation: Spread }; marginToOktaLimitMs: number };
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { median: at(0.5), p10: at(0.1), p90: at(0.9), min: sorted[0]!, max: sorted.at(-1)! };
}

/** An Okta delivery of `EVENTS_PER_DELIVERY` group additions whose logins are addresses (the onboarder reads no one from Okta yet). */
/** The group `npm start`'s Okta stand-in holds as `atlas-analytics-readers` (local/okta-demo.ts). */
const READERS_GROUP_ID = '00gdemoanalyticsread';

function oktaDelivery(tag: string) {
  const events = Array.from({ length: EVENTS_PER_DELIVERY }, (_, i) => ({
    uuid: `${tag}-${i}`,
    published: new Date().toISOString(),
    eventType: 'group.user_membership.add',
    version: '0',
    target: [
      { id: '00gbenchanalytics001', type: 'UserGroup', alternateId: 'unknown', displayName: 'atlas-analytics-readers', detailEntry: null },
      { id: `00u${tag}${i}`.slice(0, 20), type: 'User', alternateId: `${tag}-${i}@example.com`, displayName: `Bench ${i}`, detailEntry: null },
    ],
  }));
  return { eventType: 'com.okta.event_hook', eventTypeVersion: '1.0', cloudEventsVersion: '0.1', source: 'https://acme.okta.com/api/v1/eventHooks/whobench', eventId: tag, data: { events } };
}




const run = promisify(execFile);

/**
 * Cold starts of the shipped ingress bundle in fresh processes, each with one Okta delivery to the SQS stand-in, and
 * after each one of the onboarder's (bench/cold-start.mjs), so that the two are compared under the same load.
 */
async function coldStarts(bundleFile: string, onboarderFile: string, runs: number) {
  const world = await startBenchWorld();
  const aws = await startAwsEndpoints({ secrets: { 'hooks/okta': JSON.stringify({ values: [HOOK_SECRET] }) } });
  const env = {
    PATH: process.env.PATH,
    CONNECTIONS: JSON.stringify({ connections: [{ name: 'okta', kind: 'okta-event-hook', secretId: 'hooks/okta' }] }),
    ONBOARDING_QUEUE_URL,
    DEAD_LETTER_QUEUE_URL,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
    AWS_ENDPOINT_URL_SQS: aws.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCH',
    AWS_SECRET_ACCESS_KEY: 'bench-secret-access-key',
    LOG_LEVEL: 'info',
  };
  const results: { importMs: number; firstDeliveryMs: number; totalMs: number; cpuMs: number }[] = [];
  const onboarder: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const tag = `cold${i}`;
      const event = httpApiEvent({ method: 'POST', path: '/hooks/okta', headers: { 'content-type': 'application/json', authorization: HOOK_SECRET }, body: oktaDelivery(tag) });
      const { stdout } = await run(process.execPath, [resolve(PROJECT_ROOT, 'bench/ingress-cold-start.mjs'), bundleFile, JSON.stringify(event)], { env, timeout: 30_000, maxBuffer: 16 * 1024 * 1024 });
      const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as (typeof results)[number] & { status: number };
      const queued = aws.sentMessages.filter((m) => m.queueUrl === ONBOARDING_QUEUE_URL && m.body.includes(`"${tag}-`)).length;
      if (result.status !== 204 || queued !== EVENTS_PER_DELIVERY) throw new Error(`cold start ${i} of the ingress answered ${result.status} with ${queued} of ${EVENTS_PER_DELIVERY} events queued`);
      results.push(result);
      onboarder.push((await coldStart(onboarderFile, `ingress-beside-${i}@example.com`, world.env)).totalMs);
    }
  } finally {
    await aws.close();
    await world.close();
  }
  return { ingress: results, onboarder };
}

/**
 * Okta deliveries through `npm start`'s composition, on its HTTP server: the time to the ingress's answer, and to the
 * onboarder's return from the batch that made the last of the ten invitations. The first delivery is the process's
 * first (the onboarder's first Atlas token included); the others are warm.
 */
async function endToEnd(runs: number) {
  const gateway = await startLocalGateway({ env: { PATH: process.env.PATH }, port: 0, logSink: () => undefined });
  const okta = gateway.hooks.connections.find((c) => c.kind === 'okta-event-hook')!;
  const header = okta.kind === 'okta-event-hook' ? okta.header : 'authorization';
  const results: { answerMs: number; lastInvitationMs: number }[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const tag = `e2e${i}`;
      // The onboarder reads each person from the Okta stand-in (contract section 12): they are there, ACTIVE, in the
      // group the example rules grant on, so the time includes those reads.
      for (let j = 0; j < EVENTS_PER_DELIVERY; j++) {
        const person = gateway.okta.addUser({ id: `00u${tag}${j}`.slice(0, 20), status: 'ACTIVE', profile: { login: `${tag}-${j}@example.com`, email: `${tag}-${j}@example.com` } });
        gateway.okta.addToGroup(person.id, READERS_GROUP_ID);
      }
      const body = JSON.stringify(oktaDelivery(tag));
      const started = performance.now();
      const answer = await fetch(`${gateway.url}/hooks/${okta.name}`, { method: 'POST', headers: { 'content-type': 'application/json', [header]: localHookSecret(okta) }, body });
      const answered = performance.now();
      await answer.arrayBuffer();
      await gateway.hooks.settled();
      const done = performance.now();
      const invited = gateway.sandbox!.invitations().filter((inv) => inv.username.startsWith(`${tag}-`)).length;
      if (answer.status !== 204 || invited !== EVENTS_PER_DELIVERY) throw new Error(`end-to-end run ${i}: ${answer.status}, ${invited} of ${EVENTS_PER_DELIVERY} invited`);
      results.push({ answerMs: answered - started, lastInvitationMs: done - started });
    }
  } finally {
    await gateway.close();
  }
  return results;
}

/**
 * Measures the ingress: `shippedDir` holds every function as `cdk synth` ships them, `metafile` is that build's.
 *
 * @example
 * const ingress = await measureIngress('bench/.out/shipped', shipped.metafile, 21);
 */
export async function measureIngress(shippedDir: string, metafile: Metafile, runs: number): Promise<IngressResults> {
  const { ingress: cold, onboarder } = await coldStarts(resolve(shippedDir, 'webhook-ingress/index.mjs'), resolve(shippedDir, 'onboarder/index.mjs'), runs);
  const e2e = await endToEnd(Math.max(3, Math.ceil(runs / 2)));
  const total = spread(cold.map((c) => c.totalMs));
  const warm = e2e.slice(1);
  const lastInvitation = spread(warm.map((r) => r.lastInvitationMs));
  return {
    measuredAt: new Date().toISOString(),
    commit: commitMeasured(),
    bundle: { ingress: bundleOf(shippedDir, metafile, 'webhook-ingress'), onboarder: bundleOf(shippedDir, metafile, 'onboarder') },
    coldStart: {
      runs,
      eventsPerDelivery: EVENTS_PER_DELIVERY,
      total,
      import: spread(cold.map((c) => c.importMs)),
      firstDelivery: spread(cold.map((c) => c.firstDeliveryMs)),
      cpu: spread(cold.map((c) => c.cpuMs)),
      marginToOktaLimitMs: OKTA_LIMIT_MS - total.p90,
      onboarderInterleaved: spread(onboarder),
    },
    endToEnd: {
      runs: e2e.length,
      eventsPerDelivery: EVENTS_PER_DELIVERY,
      first: e2e[0]!,
      warm: { answer: spread(warm.map((r) => r.answerMs)), lastInvitation },
      marginToOktaLimitMs: OKTA_LIMIT_MS - Math.max(...e2e.map((r) => r.answerMs)),
    },
  };
}

/** The rows `npm run bench` prints for the ingress: name, figures, comparison. */
export function ingressRows(results: IngressResults): [string, string, string][] {
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
  const ms = (value: number) => `${value.toFixed(0)} ms`;
  const { bundle, coldStart, endToEnd: e2e } = results;
  return [
    [
      'ingress bundle (as shipped)',
      `${kib(bundle.ingress.raw)} raw, ${kib(bundle.ingress.gzip)} gzip in ${bundle.ingress.files} files; cold path ${kib(bundle.ingress.coldPath.raw)} raw, ${kib(bundle.ingress.coldPath.gzip)} gzip`,
      `onboarder ${kib(bundle.onboarder.raw)} raw, ${kib(bundle.onboarder.gzip)} gzip in ${bundle.onboarder.files} files; cold path ${kib(bundle.onboarder.coldPath.raw)} raw, ${kib(bundle.onboarder.coldPath.gzip)} gzip`,
    ],
    [
      `ingress cold start, import + 1st Okta delivery of ${coldStart.eventsPerDelivery} (${coldStart.runs} runs)`,
      `median ${ms(coldStart.total.median)} (p10 ${ms(coldStart.total.p10)}, p90 ${ms(coldStart.total.p90)}); import ${ms(coldStart.import.median)}, delivery ${ms(coldStart.firstDelivery.median)}; process CPU ${ms(coldStart.cpu.median)}`,
      `Okta's limit ${ms(OKTA_LIMIT_MS)}: ${ms(coldStart.marginToOktaLimitMs)} to spare at p90; ` +
        `the onboarder's cold start (import + 1 SQS invitation), run by run beside it: median ${ms(coldStart.onboarderInterleaved.median)}`,
    ],
    [
      `Okta delivery of ${e2e.eventsPerDelivery}, POST to last invitation (npm start's composition, ${e2e.runs} runs)`,
      `first ${ms(e2e.first.lastInvitationMs)} (answer ${ms(e2e.first.answerMs)}); then median ${ms(e2e.warm.lastInvitation.median)} (p90 ${ms(e2e.warm.lastInvitation.p90)}), answer ${ms(e2e.warm.answer.median)}`,
      `slowest answer leaves ${ms(e2e.marginToOktaLimitMs)} of Okta's limit; the queue is handed on at once (SQS polling not included)`,
    ],
  ];
}
