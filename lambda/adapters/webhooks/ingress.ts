import type { Connection, OktaEventHookConnection, StandardWebhooksConnection } from '../../contract/connections';
import { parseJson, type InputIssue } from '../../core/requests';
import type { Result } from '../../failure';
import type { Logger } from '../../log';
import type { Metrics } from '../../metrics';
import { bodyBytes, jsonAnswer, MAX_BODY_BYTES, requestLine, utf8Text, type ApiGatewayEvent, type HttpAnswer } from '../api-gateway';
import { deliveryOf, translateOktaEvent } from './okta-event-hooks';
import { headerMatches, standardWebhookVerified } from './signatures';
import { senderEvent } from './standard-webhooks';

/**
 * The webhook ingress's API Gateway adapter (contract sections 10 and 11): `/hooks/{name}` in, events on the
 * onboarding queue, an answer out. Every sender is verified before its body is read as JSON.
 */

/** The onboarding queue, as the ingress uses it. */
export interface OnboardingQueue {
  /** Sends every body to the queue (SendMessage for one, SendMessageBatch by tens); throws unless SQS accepted all. */
  enqueue(queueUrl: string, bodies: readonly string[], timeoutMs: number): Promise<void>;
  /** Sends `body` to the dead-letter queue with `errorCode` / `errorMessage` (and `originalMessageId`) attributes. */
  deadLetter(queueUrl: string, body: string, errorCode: string, errorMessage: string, timeoutMs: number, originalMessageId?: string): Promise<void>;
}

/** A connection's secret values (one, or two during a rotation). */
export type ConnectionSecrets = (connection: Connection, timeoutMs: number) => Promise<Result<readonly string[]>>;

export interface IngressDeps {
  connections: ReadonlyMap<string, Connection>;
  secrets: ConnectionSecrets;
  queue: OnboardingQueue;
  onboardingQueueUrl: string;
  deadLetterQueueUrl: string;
  log: Logger;
  /** Counts each request refused as unauthenticated (`RejectedSignatures`). */
  metrics?: Metrics;
  /** Seconds since the epoch (tests move it). */
  nowSeconds?: () => number;
}

/** Okta gives up after 3 s, cold start included: the secret read and the SQS calls share what is left. */
const SECRET_TIMEOUT_MS = 1_000;
const QUEUE_TIMEOUT_MS = 1_500;
const OKTA_CHALLENGE_HEADER = 'x-okta-verification-challenge';
const MAX_CHALLENGE_LENGTH = 1024;
const ROUTE = /^\/hooks\/([a-z0-9][a-z0-9-]{0,62})$/;

type Rejection = { error: string; message?: string; issues?: InputIssue[] };

/**
 * Answers one request to `/hooks/{name}`.
 *
 * @example
 * const answer = await answerHookRequest(apiGatewayEvent, { connections, secrets, queue, onboardingQueueUrl, deadLetterQueueUrl, log });
 */
export async function answerHookRequest(event: ApiGatewayEvent, deps: IngressDeps): Promise<HttpAnswer> {
  const { method, path, requestId } = requestLine(event);
  const name = path === undefined ? undefined : ROUTE.exec(path)?.[1];
  const connection = name === undefined ? undefined : deps.connections.get(name);
  const log = deps.log.child({ requestId, ...(connection && { connection: connection.name }) });
  const reject = (statusCode: number, body: Rejection, headers?: Record<string, string>) => {
    log.info('request rejected', { status: statusCode, outcome: body.error, ...(body.issues && { issues: body.issues.map((i) => i.path) }) });
    return jsonAnswer(statusCode, body, headers);
  };
  if (!connection) return reject(404, { error: 'not_found', message: 'no such hook' });
  const context: RequestContext = { event, method, headers: headersOf(event), log, reject, deps };
  return connection.kind === 'okta-event-hook' ? answerOkta(connection, context) : answerStandardWebhook(connection, context);
}

interface RequestContext {
  event: ApiGatewayEvent;
  method: string;
  headers: Map<string, string>;
  log: Logger;
  reject: (statusCode: number, body: Rejection, headers?: Record<string, string>) => HttpAnswer;
  deps: IngressDeps;
}

async function answerOkta(connection: OktaEventHookConnection, { event, method, headers, log, reject, deps }: RequestContext): Promise<HttpAnswer> {
  if (method !== 'GET' && method !== 'POST') return reject(405, { error: 'method_not_allowed', message: 'a hook accepts GET and POST' }, { allow: 'GET, POST' });
  if (method === 'POST' && bodyBytes(event) === undefined) return reject(413, { error: 'payload_too_large', message: `the body must be at most ${MAX_BODY_BYTES} bytes` });
  const secret = await deps.secrets(connection, SECRET_TIMEOUT_MS);
  if (!secret.ok) return unavailable(log, 'the connection secret could not be read');
  // The offered value never reaches a line: only that it did not match.
  if (!headerMatches(headers.get(connection.header), secret.value)) return unauthenticated(reject, deps);

  if (method === 'GET') {
    const challenge = headers.get(OKTA_CHALLENGE_HEADER);
    if (challenge === undefined || challenge === '') return reject(400, { error: 'missing_challenge', message: `a verification request carries ${OKTA_CHALLENGE_HEADER}` });
    if (challenge.length > MAX_CHALLENGE_LENGTH) return reject(400, { error: 'invalid_challenge', message: `${OKTA_CHALLENGE_HEADER} must be at most ${MAX_CHALLENGE_LENGTH} characters` });
    log.info('hook verified');
    return jsonAnswer(200, { verification: challenge });
  }

  const body = jsonBody(event);
  if (!body.ok) return reject(body.status, body.rejection);
  const delivery = deliveryOf(body.value);
  if (!delivery.ok) return reject(400, { error: 'invalid_event', issues: delivery.issues });

  const queued: string[] = [];
  const untranslatable: { body: string; reason: string }[] = [];
  let skipped = 0;
  for (const element of delivery.events) {
    const translation = translateOktaEvent(element, connection.name);
    if (translation.kind === 'event') queued.push(JSON.stringify(translation.event));
    else if (translation.kind === 'skipped') skipped++;
    else untranslatable.push({ body: JSON.stringify(element), reason: translation.reason });
  }
  try {
    await Promise.all([
      deps.queue.enqueue(deps.onboardingQueueUrl, queued, QUEUE_TIMEOUT_MS),
      ...untranslatable.map((u) => deps.queue.deadLetter(deps.deadLetterQueueUrl, u.body, 'untranslatable_event', u.reason, QUEUE_TIMEOUT_MS)),
    ]);
  } catch (err) {
    // Okta retries a 5xx once; what was queued before the failure arrives twice, which duplicate handling absorbs.
    return unavailable(log, 'SQS did not accept the delivery', { awsError: (err as Error).name, queued: queued.length, deadLettered: untranslatable.length });
  }
  log.info('okta delivery queued', { events: delivery.events.length, queued: queued.length, skipped, deadLettered: untranslatable.length });
  return { statusCode: 204, headers: { 'cache-control': 'no-store' }, body: '' };
}

async function answerStandardWebhook(connection: StandardWebhooksConnection, { event, method, headers, log, reject, deps }: RequestContext): Promise<HttpAnswer> {
  if (method !== 'POST') return reject(405, { error: 'method_not_allowed', message: 'a hook accepts POST' }, { allow: 'POST' });
  // Verified over the bytes as sent, before they are read as anything.
  const bytes = bodyBytes(event);
  if (bytes === undefined) return reject(413, { error: 'payload_too_large', message: `the body must be at most ${MAX_BODY_BYTES} bytes` });
  const secret = await deps.secrets(connection, SECRET_TIMEOUT_MS);
  if (!secret.ok) return unavailable(log, 'the connection secret could not be read');
  const id = headers.get('webhook-id');
  const signed = { id, timestamp: headers.get('webhook-timestamp'), signature: headers.get('webhook-signature'), body: bytes };
  const now = deps.nowSeconds?.() ?? Date.now() / 1000;
  if (!standardWebhookVerified(signed, secret.value, now)) return unauthenticated(reject, deps);

  const text = utf8Text(bytes);
  if (text === null) return reject(400, { error: 'invalid_json', issues: [{ path: '', message: 'the body is not valid UTF-8' }] });
  const body = parseJson(text);
  if (!body.ok) return reject(400, { error: body.error, issues: body.issues });
  const parsed = senderEvent(body.value, connection, id!);
  if (!parsed.ok) return reject(400, { error: 'invalid_event', issues: parsed.issues });
  const eventId = parsed.event.id!;
  try {
    await deps.queue.enqueue(deps.onboardingQueueUrl, [JSON.stringify(parsed.event)], QUEUE_TIMEOUT_MS);
  } catch (err) {
    return unavailable(log, 'SQS did not accept the event', { awsError: (err as Error).name, eventId });
  }
  log.info('event queued', { eventId, type: parsed.event.type });
  return jsonAnswer(202, { eventId });
}

/** 401 with no detail of what was expected (contract section 10), counted for the stack's alarm on a burst of them. */
function unauthenticated(reject: RequestContext['reject'], deps: IngressDeps): HttpAnswer {
  deps.metrics?.rejectedSignature();
  return reject(401, { error: 'unauthorized' });
}

function unavailable(log: Logger, message: string, fields: Record<string, unknown> = {}): HttpAnswer {
  log.error(message, { status: 503, ...fields });
  return jsonAnswer(503, { error: 'unavailable', message: 'try again later' }, { 'retry-after': '5' });
}

type JsonBody = { ok: true; value: unknown } | { ok: false; status: number; rejection: Rejection };

function jsonBody(event: ApiGatewayEvent): JsonBody {
  const bytes = bodyBytes(event);
  if (bytes === undefined) return { ok: false, status: 413, rejection: { error: 'payload_too_large', message: `the body must be at most ${MAX_BODY_BYTES} bytes` } };
  const text = utf8Text(bytes);
  if (text === null) return { ok: false, status: 400, rejection: { error: 'invalid_json', issues: [{ path: '', message: 'the body is not valid UTF-8' }] } };
  const parsed = parseJson(text);
  return parsed.ok ? parsed : { ok: false, status: 400, rejection: { error: parsed.error, issues: parsed.issues } };
}

/**
 * The request's headers by lower-case name (HTTP API lowers them, REST keeps the sender's case). A name sent twice in
 * different cases with different values is left out: which one a sender meant is not ours to guess.
 */
function headersOf(event: ApiGatewayEvent): Map<string, string> {
  const headers = new Map<string, string>();
  const conflicting = new Set<string>();
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (typeof value !== 'string') continue;
    const key = name.toLowerCase();
    if (headers.has(key) && headers.get(key) !== value) conflicting.add(key);
    headers.set(key, value);
  }
  for (const key of conflicting) headers.delete(key);
  return headers;
}
