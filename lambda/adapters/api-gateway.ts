import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import type { OnboardingOutcome } from '../core/onboard';
import { parseDirectInvite, parseJson, parseReceivedEvent, type InputIssue, type Parsed, type ReceivedRequest } from '../core/requests';
import { quoted } from '../contract/quote';
import { resultBody, verdictOf } from '../core/verdict';
import type { Logger } from '../log';

/**
 * The API Gateway adapter (contract section 4): REST API (payload 1.0) and HTTP API (payload 2.0) proxy events in,
 * a JSON answer out. It knows routes and status codes; the core knows neither.
 */

export type ApiGatewayEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2;
export interface HttpAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** The largest body accepted, in bytes (decoded). */
export const MAX_BODY_BYTES = 256 * 1024;
/** When a retry may succeed but Atlas named no wait: the `Retry-After` we suggest, in seconds. */
const DEFAULT_RETRY_AFTER_SECONDS = 5;

const ROUTES: Record<string, (value: unknown) => Parsed<ReceivedRequest>> = {
  '/events': parseReceivedEvent,
  '/invites': parseDirectInvite,
};

/** The core, as the API runs it. */
export type RunApiRequest = (request: ReceivedRequest, options: { dryRun: boolean; fallbackId: string; log: Logger }) => Promise<OnboardingOutcome>;

/**
 * What an event that is not an SQS event looks like (contract section 4, v2), judged by its whole shape: only
 * `rest-api` and `http-api` are API calls. An Application Load Balancer or VPC Lattice event carries a method and a
 * path too, and a Lambda function URL event is an HTTP API event in every field but its domain; taken for API calls
 * they would run without API Gateway's IAM check in front.
 */
export type EventShape = 'rest-api' | 'http-api' | 'alb' | 'vpc-lattice' | 'function-url' | 'unknown';

/** A function URL's domain: `<url-id>.lambda-url.<region>.on.aws`. */
const FUNCTION_URL_DOMAIN = /\.lambda-url\./i;

/**
 * Classifies an event by its shape, reading nothing but the fields that tell the shapes apart.
 *
 * @example
 * shapeOf({ requestContext: { elb: { targetGroupArn: '...' } }, httpMethod: 'POST', path: '/events' }); // 'alb'
 */
export function shapeOf(event: unknown): EventShape {
  if (!isObject(event)) return 'unknown';
  const context = isObject(event.requestContext) ? event.requestContext : undefined;
  if (context && isObject(context.elb)) return 'alb';
  // Lattice's payload 1.0 has snake_case fields and no context; its 2.0 names the service in its context.
  const latticeContext = context && (typeof context.serviceNetworkArn === 'string' || typeof context.serviceArn === 'string');
  if (typeof event.method === 'string' && (typeof event.raw_path === 'string' || latticeContext)) return 'vpc-lattice';
  if (!context || typeof context.requestId !== 'string' || typeof context.apiId !== 'string') return 'unknown';
  if (typeof context.domainName === 'string' && FUNCTION_URL_DOMAIN.test(context.domainName)) return 'function-url';
  if (typeof event.httpMethod === 'string' && typeof event.resource === 'string' && typeof event.path === 'string') return 'rest-api';
  if (event.version === '2.0' && typeof event.routeKey === 'string' && typeof event.rawPath === 'string' && isObject(context.http) && typeof context.http.method === 'string') {
    return 'http-api';
  }
  return 'unknown';
}

/** Whether `event` is an API Gateway REST API (payload 1.0) or HTTP API (payload 2.0) proxy event. */
export function isApiGatewayEvent(event: unknown): event is ApiGatewayEvent {
  const shape = shapeOf(event);
  return shape === 'rest-api' || shape === 'http-api';
}

/**
 * The answer to an event that is neither an API Gateway proxy event nor an SQS event: a 400 that says what the
 * function takes, and one error line saying what the event looked like (its content stays out of the log).
 */
export function refuseUnsupportedEvent(event: unknown, log: Logger): HttpAnswer {
  log.error('unsupported event', { looksLike: shapeOf(event) });
  return jsonAnswer(400, { error: 'unsupported_event', message: 'atlas-onboarder takes API Gateway proxy events and SQS events only' });
}

/**
 * Answers one API Gateway request.
 *
 * @example
 * const answer = await answerApiRequest(event, run, log); // { statusCode: 200, headers, body: '{"eventId":...}' }
 */
export async function answerApiRequest(event: ApiGatewayEvent, run: RunApiRequest, baseLog: Logger): Promise<HttpAnswer> {
  const { method, path, requestId } = requestLine(event);
  const log = baseLog.child({ requestId });
  // A request turned away before the core sees it is a decision too: one line, with what was wrong.
  const reject = (statusCode: number, body: { error: string; message?: string; issues?: InputIssue[] }, headers?: Record<string, string>) => {
    log.info('request rejected', { status: statusCode, outcome: body.error, ...(body.issues && { issues: body.issues.map((i) => i.path) }) });
    return jsonAnswer(statusCode, body, headers);
  };
  const parseBody = path !== undefined && Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
  if (!parseBody) return reject(404, { error: 'not_found', message: `no route ${path === undefined ? 'matched' : quoted(path)}; use POST /events or POST /invites` });
  if (method !== 'POST') return reject(405, { error: 'method_not_allowed', message: `${path} accepts POST` }, { allow: 'POST' });

  const dryRun = dryRunOf(event.queryStringParameters?.dryRun);
  if (dryRun === 'invalid') return reject(400, { error: 'invalid_event', issues: [{ path: 'dryRun', message: 'must be true or false' }] });

  const text = bodyText(event);
  if (text === undefined) return reject(413, { error: 'payload_too_large', message: `the body must be at most ${MAX_BODY_BYTES} bytes` });
  if (text === null) return reject(400, { error: 'invalid_json', issues: [{ path: '', message: 'the body is not valid UTF-8' }] });
  const body = parseJson(text);
  if (!body.ok) return reject(400, { error: body.error, issues: body.issues });
  const parsed = parseBody(body.value);
  if (!parsed.ok) return reject(400, { error: parsed.error, issues: parsed.issues });

  const outcome = await run(parsed.value, { dryRun, fallbackId: requestId, log });
  if (outcome.kind === 'refused') return jsonAnswer(403, { error: outcome.code, message: outcome.message, eventId: outcome.eventId });
  if (outcome.kind === 'invalid') return jsonAnswer(400, { error: 'invalid_event', issues: outcome.issues, eventId: outcome.eventId });
  if (outcome.kind === 'unread') {
    // The person could not be read (contract section 12): nothing was planned, so no project is listed.
    const { error } = outcome;
    const body = { eventId: outcome.eventId, results: [], error: { code: error.code, message: error.message, retryable: error.retryable } };
    if (!error.retryable) return jsonAnswer(502, body);
    const waitMs = error.details.retryAfterMs;
    return jsonAnswer(503, body, { 'retry-after': String(waitMs === undefined ? DEFAULT_RETRY_AFTER_SECONDS : Math.max(1, Math.ceil(waitMs / 1000))) });
  }
  const answer = resultBody(outcome.eventId, outcome.decisions);
  const verdict = verdictOf(outcome.decisions);
  if (verdict.kind === 'retry') {
    const seconds = verdict.retryAfterMs === undefined ? DEFAULT_RETRY_AFTER_SECONDS : Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
    return jsonAnswer(503, answer, { 'retry-after': String(seconds) });
  }
  return jsonAnswer(verdict.kind === 'reject' ? 502 : 200, answer);
}

/** An answer for a failure we did not foresee: no detail, no stack, only the request id to find the log line. */
export function internalError(requestId: string): HttpAnswer {
  return jsonAnswer(500, { error: 'internal_error', message: 'the request could not be processed', requestId });
}

export function requestIdOf(event: ApiGatewayEvent): string {
  return event.requestContext.requestId;
}

/** The method (upper case), the route (see the two functions below) and API Gateway's request id. */
export function requestLine(event: ApiGatewayEvent): { method: string; path: string | undefined; requestId: string } {
  const requestId = requestIdOf(event);
  if ('version' in event && event.version === '2.0') return { method: event.requestContext.http.method.toUpperCase(), path: httpApiRoute(event), requestId };
  const rest = event as APIGatewayProxyEvent;
  return { method: rest.httpMethod.toUpperCase(), path: restApiRoute(rest), requestId };
}

/**
 * A REST API event's route: `resource` as the API defines it (`/events`), where `path` may carry a custom domain's
 * base path (`/onboarding/events`). A proxy resource (`/{proxy+}`) names no route: then the route is what it
 * matched, the exact remainder after the stage and the base path. `undefined` when a parameter is missing.
 */
function restApiRoute(event: APIGatewayProxyEvent): string | undefined {
  const resource = event.resource;
  if (!resource.includes('{')) return resource;
  let missing = false;
  const route = resource.replace(/\{([^}+]+)\+?\}/g, (_, name: string) => {
    const value = event.pathParameters?.[name];
    if (typeof value !== 'string') missing = true;
    return value ?? '';
  });
  return missing ? undefined : route;
}

/** An HTTP API event's route: its raw path without one leading `/${stage}` (a named stage's URLs carry it). */
function httpApiRoute(event: APIGatewayProxyEventV2): string {
  const { rawPath } = event;
  const stage = event.requestContext.stage;
  if (!stage || stage === '$default') return rawPath;
  const prefix = `/${stage}`;
  if (rawPath === prefix) return '/';
  return rawPath.startsWith(`${prefix}/`) ? rawPath.slice(prefix.length) : rawPath;
}

function dryRunOf(value: string | undefined): boolean | 'invalid' {
  if (value === undefined) return false;
  const text = value.trim().toLowerCase();
  if (text === 'true' || text === '1' || text === '') return true;
  if (text === 'false' || text === '0') return false;
  return 'invalid';
}

/** Decodes strictly: a body that is not UTF-8 is not JSON (RFC 8259 section 8.1), not text to repair. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }); // a BOM stays, as in a plain body

/**
 * The body's bytes exactly as the caller sent them (API Gateway's base64 undone), what a signature is computed over;
 * `undefined` when they are over {@link MAX_BODY_BYTES}.
 */
export function bodyBytes(event: ApiGatewayEvent): Buffer | undefined {
  const raw = event.body ?? '';
  if (!event.isBase64Encoded) return Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES ? undefined : Buffer.from(raw, 'utf8');
  // Base64 is 4/3 of the bytes: refuse before decoding anything much larger than the limit.
  if (raw.length > Math.ceil((MAX_BODY_BYTES * 4) / 3) + 4) return undefined;
  const bytes = Buffer.from(raw, 'base64');
  return bytes.length > MAX_BODY_BYTES ? undefined : bytes;
}

/** Bytes as UTF-8 text, strictly; `null` when they are not UTF-8. */
export function utf8Text(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/** The body as text; `undefined` when it is over the limit, `null` when its bytes are not UTF-8. */
function bodyText(event: ApiGatewayEvent): string | undefined | null {
  const raw = event.body ?? '';
  if (!event.isBase64Encoded) return Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES ? undefined : raw;
  const bytes = bodyBytes(event);
  return bytes === undefined ? undefined : utf8Text(bytes);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** A JSON answer with the headers every answer carries. */
export function jsonAnswer(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpAnswer {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers },
    body: JSON.stringify(body),
  };
}
