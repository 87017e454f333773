import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { OnboardingQueue } from '../lambda/adapters/webhooks/ingress';
import { createHandler as createWebhookIngress, type WebhookIngressHandler } from '../lambda/functions/webhook-ingress/app';
import type { AtlasSandbox, AwsEndpoints, OktaSandbox } from '../sandbox';
import { listenOnLoopback, OKTA_SANDBOX_TOKEN, readBody, startAwsEndpoints, startOktaSandbox } from '../sandbox';
import { httpApiEvent, localContext, sqsRecords } from './events';
import { startLocalFunction, type DeadLetter, type LocalFunction } from './function';
import { seedOktaDemo } from './okta-demo';

/**
 * The local gateway: one HTTP server on 127.0.0.1 that plays API Gateway and SQS for the real handlers (the onboarder
 * at /events, /invites and /queue; the webhook ingress at /hooks/{name}, whose queue is the onboarder's), with the
 * Atlas sandbox behind them (or real Atlas, when `ATLAS_BASE_URL` points there), the Okta stand-in beside them with a
 * few demo people and groups, and a local Secrets Manager holding the hook's secret and the Okta API token.
 */

/** The value the local Okta connection's hook sends in `Authorization` (an Okta event hook's "Authentication secret"). */
export const LOCAL_OKTA_HOOK_SECRET = 'local-okta-hook-secret';
const LOCAL_HOOK_SECRET_ID = 'local/okta-hook';
const LOCAL_OKTA_API_SECRET_ID = 'local/okta-api';
const LOCAL_ONBOARDING_QUEUE_URL = 'http://127.0.0.1/local/onboarding';
const LOCAL_DEAD_LETTER_QUEUE_URL = 'http://127.0.0.1/local/dead-letters';

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
  /**
   * The local Okta connection (`/hooks/okta`, the stand-in as its `oktaOrgUrl`); `undefined` when the environment
   * brings its own connections or real AWS secrets (`CONNECTIONS`, `CONNECTIONS_FILE`, `ATLAS_SECRET_ID`,
   * `AWS_ENDPOINT_URL_SECRETS_MANAGER`).
   */
  oktaConnection: { route: string; secret: string } | undefined;
  deadLetters: DeadLetter[];
  /** Waits until the onboarder has handled everything the webhook ingress queued so far. */
  drained(): Promise<void>;
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
export async function startLocalGateway(options: { env: Record<string, string | undefined>; port: number; logSink?: (line: string) => void }): Promise<LocalGateway> {
  const { env } = options;
  const okta = await startOktaSandbox();
  seedOktaDemo(okta);
  // The local Okta connection, unless the environment brings its own connections or real AWS secrets.
  const demo = !env.CONNECTIONS && !env.CONNECTIONS_FILE && !env.ATLAS_SECRET_ID && !env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
  let aws: AwsEndpoints | undefined;
  let local: LocalFunction;
  try {
    if (demo) {
      aws = await startAwsEndpoints({
        secrets: { [LOCAL_HOOK_SECRET_ID]: JSON.stringify({ values: [LOCAL_OKTA_HOOK_SECRET] }), [LOCAL_OKTA_API_SECRET_ID]: JSON.stringify({ token: OKTA_SANDBOX_TOKEN }) },
      });
      // The local Secrets Manager takes any signature; the SDK wants some credentials to sign with.
      process.env.AWS_ACCESS_KEY_ID ??= 'local';
      process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
    }
    local = await startLocalFunction(demo ? { ...env, ...demoEnvironment(okta, aws!) } : env, options.logSink);
  } catch (err) {
    await aws?.close();
    await okta.close();
    throw err;
  }
  const hooks = createHooks(demo ? { ...env, ...demoEnvironment(okta, aws!) } : env, local, options.logSink);
  let port = 0;
  const server = createServer((req, res) => {
    route(req, res, local, okta, hooks, port).catch(() => send(res, 500, { error: 'internal_error' }));
  });
  const closeAll = async () => {
    await hooks?.drained();
    await okta.close();
    await aws?.close();
    await local.close();
  };
  try {
    port = await listenOnLoopback(server, options.port);
  } catch (err) {
    await closeAll();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(options.port);
    throw err;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    sandbox: local.sandbox,
    atlasUrl: local.atlasUrl,
    okta,
    oktaConnection: demo ? { route: '/hooks/okta', secret: LOCAL_OKTA_HOOK_SECRET } : undefined,
    deadLetters: local.deadLetters,
    drained: () => hooks?.drained() ?? Promise.resolve(),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await closeAll();
    },
  };
}

/** The environment of both functions for the local Okta connection: the connections file and the local Secrets Manager. */
function demoEnvironment(okta: OktaSandbox, aws: AwsEndpoints): Record<string, string> {
  const connections = {
    connections: [{ name: 'okta', kind: 'okta-event-hook', secretId: LOCAL_HOOK_SECRET_ID, oktaOrgUrl: okta.url, oktaApiSecretId: LOCAL_OKTA_API_SECRET_ID }],
  };
  return { CONNECTIONS: JSON.stringify(connections), AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url, AWS_REGION: process.env.AWS_REGION ?? 'us-east-1' };
}

interface Hooks {
  handler: WebhookIngressHandler;
  drained(): Promise<void>;
}

/**
 * The webhook ingress, when a connections file is there: what it queues goes to the onboarder as an SQS batch, after
 * the ingress has answered (as SQS would deliver it); what it dead-letters joins the onboarder's dead letters.
 */
function createHooks(env: Record<string, string | undefined>, local: LocalFunction, logSink: ((line: string) => void) | undefined): Hooks | undefined {
  if (!env.CONNECTIONS && !env.CONNECTIONS_FILE) return undefined;
  let pending: Promise<unknown> = Promise.resolve();
  const queue: OnboardingQueue = {
    enqueue: (_url, bodies) => {
      const records = sqsRecords(bodies);
      pending = pending
        .then(() => new Promise((resolve) => setImmediate(resolve)))
        .then(() => local.handler({ Records: records }, localContext()))
        .catch(() => undefined);
      return Promise.resolve();
    },
    deadLetter: (_url, body, errorCode, errorMessage) => {
      local.deadLetters.push({ at: new Date().toISOString(), body, errorCode, errorMessage });
      return Promise.resolve();
    },
  };
  const handler = createWebhookIngress(
    { ...env, ONBOARDING_QUEUE_URL: LOCAL_ONBOARDING_QUEUE_URL, DEAD_LETTER_QUEUE_URL: LOCAL_DEAD_LETTER_QUEUE_URL },
    { queue, ...(logSink && { logSink }) },
  );
  return { handler, drained: () => pending.then(() => undefined) };
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
  if (BODY_METHODS.has(req.method ?? '') && !JSON_MEDIA_TYPES.has((req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase())) {
    return { status: 415, body: { error: 'unsupported_media_type', message: 'the body must be JSON, sent with content-type: application/json' } };
  }
  return undefined;
}
/** The loopback name and addresses, with or without a port. */
const LOOPBACK_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const JSON_MEDIA_TYPES = new Set(['application/json', 'application/scim+json']);

async function route(req: IncomingMessage, res: ServerResponse, local: LocalFunction, okta: OktaSandbox, hooks: Hooks | undefined, port: number): Promise<void> {
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
  // Everything else is API Gateway's: the function answers routes, methods and bodies itself.
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]));
  const event = httpApiEvent({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers, body });
  // /hooks/{name} is the webhook ingress's, as on the deployed API; without a connections file it is the onboarder's 404.
  const handler = hooks && url.pathname.startsWith('/hooks/') ? hooks.handler : local.handler;
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
