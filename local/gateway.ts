import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AtlasSandbox, OktaSandbox } from '../sandbox';
import { listenOnLoopback, readBody, startOktaSandbox } from '../sandbox';
import { httpApiEvent, localContext, sqsRecords } from './events';
import { startLocalFunction, type DeadLetter, type LocalFunction } from './function';
import { startLocalIngress, type LocalIngress } from './hooks';
import { DynamoDbLocalError } from './dynamodb-local';
import { isScimPath, scimEvent, startLocalScim, type LocalScim } from './scim';
import { seedOktaDemo } from './okta-demo';

/**
 * The local gateway: one HTTP server on 127.0.0.1 that plays API Gateway and SQS for the real handler, with the
 * Atlas sandbox behind it (or real Atlas, when `ATLAS_BASE_URL` points there), and the Okta stand-in beside it with
 * a few demo people and groups.
 */

/** The most a /queue body may hold. */
const MAX_QUEUE_BATCH = 100;
const MAX_REQUEST_BYTES = 1024 * 1024;

export interface LocalGateway {
  url: string;
  port: number;
  sandbox: AtlasSandbox | undefined;
  atlasUrl: string;
  /** The Okta stand-in (the demo people and groups of `okta-demo.ts`). */
  okta: OktaSandbox;
  deadLetters: DeadLetter[];
  /** The webhook ingress at `/hooks/{name}` (`hooks.ts`): what it queued goes on to the handler. */
  hooks: LocalIngress;
  /** The scim function at `/scim/v2/...` (`scim.ts`); `undefined` when it could not start (`scimUnavailable` says why) or was not asked for. */
  scim: LocalScim | undefined;
  scimUnavailable?: string;
  close(): Promise<void>;
}

/** Raised when the port is taken: the message says what to do. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(readonly port: number) {
    super(`port ${port} is already in use on 127.0.0.1: stop what is using it, or choose another with PORT=3001 npm start`);
  }
}

/**
 * Starts the gateway on `port` (0: any free port), the Okta stand-in and, unless `ATLAS_BASE_URL` is set, the Atlas
 * sandbox.
 *
 * @example
 * const gateway = await startLocalGateway({ env: process.env, port: 3000 });
 * // curl -X POST localhost:3000/events -d @examples/events/hire.json
 */
export async function startLocalGateway(options: {
  env: Record<string, string | undefined>;
  port: number;
  logSink?: (line: string) => void;
  /** SCIM at /scim/v2 (default: on, with a DynamoDB Local of its own); `dynamoDbEndpoint`: a running one to use instead. */
  scim?: false | { dynamoDbEndpoint?: string };
}): Promise<LocalGateway> {
  const okta = await startOktaSandbox();
  seedOktaDemo(okta);
  // The ingress comes first (its local Secrets Manager holds the Okta API token the onboarder reads); what it queues
  // goes to the onboarder once that is started, before any request can arrive.
  const deferred: { local?: LocalFunction } = {};
  const onboarder = { handler: ((event, context) => deferred.local!.handler(event, context)) as LocalFunction['handler'], deadLetters: [] as DeadLetter[] };
  let hooks: LocalIngress;
  let local: LocalFunction;
  try {
    hooks = await startLocalIngress(options.env, onboarder, okta, options.logSink);
  } catch (err) {
    await okta.close();
    throw err;
  }
  try {
    local = await startLocalFunction({ ...options.env, ...hooks.onboarderEnv }, options.logSink);
    deferred.local = local;
    onboarder.deadLetters = local.deadLetters;
  } catch (err) {
    await hooks.close();
    await okta.close();
    throw err;
  }
  let port = 0;
  const scimRoute: { scim?: LocalScim; unavailable: string } = { unavailable: 'SCIM is not served by this runner' };
  const server = createServer((req, res) => {
    route(req, res, local, hooks, okta, port, scimRoute).catch(() => send(res, 500, { error: 'internal_error' }));
  });
  try {
    port = await listenOnLoopback(server, options.port);
  } catch (err) {
    await okta.close();
    await hooks.close();
    await local.close();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(options.port);
    throw err;
  }
  // SCIM last, once the port is ours: DynamoDB Local is a JVM that takes seconds to start. Without Java (or when it
  // will not start) everything else runs on, and /scim/v2 answers 503 with the reason.
  if (options.scim !== false) {
    try {
      scimRoute.scim = await startLocalScim({ env: options.env, onboarder: local, ...(options.logSink && { logSink: options.logSink }), ...options.scim });
    } catch (err) {
      if (err instanceof DynamoDbLocalError) {
        scimRoute.unavailable = `SCIM is not served: ${err.message}`;
      } else {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await okta.close();
        await hooks.close();
        await local.close();
        throw err;
      }
    }
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    sandbox: local.sandbox,
    atlasUrl: local.atlasUrl,
    okta,
    deadLetters: local.deadLetters,
    hooks,
    scim: scimRoute.scim,
    ...(!scimRoute.scim && options.scim !== false && { scimUnavailable: scimRoute.unavailable }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // SCIM before the onboarder: what its relay queued is handed over first.
      await scimRoute.scim?.close();
      await okta.close();
      await hooks.close();
      await local.close();
    },
  };
}

/**
 * Why a request that a web page in the user's browser could have sent is refused, or `undefined` to serve it
 * (contract section 10). A page of another site reaches 127.0.0.1 either under its own name, rebound in DNS to this
 * address (its Host is not ours), or by a cross-origin request (its Origin is not ours; a form or a `text/plain`
 * fetch needs no CORS preflight, so the body's type must be one a page cannot send without one).
 */
function browserRefusal(req: IncomingMessage, port: number): { status: 403 | 415; body: { error: string; message: string } } | undefined {
  if (!LOOPBACK_HOST.test(req.headers.host ?? '')) {
    return { status: 403, body: { error: 'forbidden', message: `this local runner answers only requests for localhost:${port} or 127.0.0.1:${port}` } };
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://localhost:${port}` && origin !== `http://127.0.0.1:${port}`) {
    return { status: 403, body: { error: 'forbidden', message: 'this local runner answers no request from another web page' } };
  }
  // application/scim+json only where SCIM is served (contract section 10).
  const scim = isScimPath(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (BODY_METHODS.has(req.method ?? '') && mediaType !== 'application/json' && !(scim && mediaType === 'application/scim+json')) {
    const types = scim ? 'application/scim+json or application/json' : 'application/json';
    return { status: 415, body: { error: 'unsupported_media_type', message: `the body must be JSON, sent with content-type: ${types}` } };
  }
  return undefined;
}
/** The loopback name and addresses, with or without a port. */
const LOOPBACK_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  local: LocalFunction,
  hooks: LocalIngress,
  okta: OktaSandbox,
  port: number,
  scim: { scim?: LocalScim; unavailable: string },
): Promise<void> {
  const refused = browserRefusal(req, port);
  if (refused) {
    // The body is left unread: close the connection rather than read on for the next request.
    res.setHeader('connection', 'close');
    return send(res, refused.status, refused.body);
  }
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const body = await readBody(req, MAX_REQUEST_BYTES);
  if (body === undefined) return send(res, 413, { error: 'payload_too_large' });

  if (url.pathname === '/queue/dead-letters' && req.method === 'GET') return send(res, 200, { deadLetters: local.deadLetters });
  if (url.pathname === '/sandbox/invitations' && req.method === 'GET') {
    if (!local.sandbox) return send(res, 404, { error: 'not_found', message: 'real Atlas is in use (ATLAS_BASE_URL); there is no sandbox' });
    // `invitations`: every entry as before; `members`: the same entries with their ids, expiry and which of Atlas's
    // listings (`users`: GET /groups/{id}/users, `invites`: GET /groups/{id}/invites) shows them.
    return send(res, 200, { invitations: local.sandbox.invitations(), members: local.sandbox.members() });
  }
  if (url.pathname === '/sandbox/okta' && req.method === 'GET') {
    // What the Okta stand-in holds, as Okta would answer it: each user with the names of their groups, and every group.
    const users = okta.users().map((user) => ({ ...user, groups: okta.groupsOf(user.id).map((g) => g.profile.name) }));
    return send(res, 200, { url: okta.url, users, groups: okta.groups() });
  }
  if (url.pathname === '/queue') {
    if (req.method !== 'POST') return send(res, 405, { error: 'method_not_allowed' }, { allow: 'POST' });
    const bodies = queueBodies(body);
    if (typeof bodies === 'string') return send(res, 400, { error: 'invalid_batch', message: bodies });
    const before = local.deadLetters.length;
    const answer = await local.handler({ Records: sqsRecords(bodies) }, localContext());
    return send(res, 200, { ...answer, deadLetters: local.deadLetters.slice(before) });
  }
  // Everything else is API Gateway's: the functions answer routes, methods and bodies themselves; /hooks/ is the
  // webhook ingress's, /scim/v2/ the scim function's (REST API events, as on the deployed API).
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]));
  if (isScimPath(url.pathname)) {
    if (!scim.scim) return send(res, 503, { error: 'scim_unavailable', message: scim.unavailable });
    const answer = (await scim.scim.handler(scimEvent({ method: req.method ?? 'GET', url, headers, body }), localContext())) as { statusCode: number; headers: Record<string, string>; body: string };
    res.writeHead(answer.statusCode, answer.headers).end(answer.body);
    return;
  }
  const event = httpApiEvent({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers, body });
  const handler = url.pathname.startsWith('/hooks/') ? hooks.handler : local.handler;
  const answer = (await handler(event, localContext())) as { statusCode: number; headers: Record<string, string>; body: string };
  res.writeHead(answer.statusCode, answer.headers).end(answer.body);
}

/** The message bodies of a /queue request: one event, an array of events, or a Lambda SQS event's records. */
function queueBodies(body: string): string[] | string {
  let bodies: string[];
  try {
    const value = JSON.parse(body) as unknown;
    if (Array.isArray(value)) bodies = value.map((v) => JSON.stringify(v));
    else if (isSqsEventShape(value)) bodies = value.Records.map((r) => (typeof r.body === 'string' ? r.body : JSON.stringify(r.body)));
    else bodies = [body];
  } catch {
    bodies = [body];
  }
  if (bodies.length === 0) return 'the batch is empty';
  if (bodies.length > MAX_QUEUE_BATCH) return `a batch holds at most ${MAX_QUEUE_BATCH} messages`;
  return bodies;
}

function isSqsEventShape(value: unknown): value is { Records: { body: unknown }[] } {
  return typeof value === 'object' && value !== null && Array.isArray((value as { Records?: unknown }).Records);
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(`${JSON.stringify(body, null, 2)}\n`);
}
