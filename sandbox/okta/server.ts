/**
 * A local stand-in for the parts of Okta's Management API that atlas-onboarder reads (contract section 12): a user
 * (`GET /api/v1/users/{id}`) and their groups (`GET /api/v1/users/{id}/groups`, paged with `limit`/`after` and
 * `Link` headers), behind `Authorization: SSWS <token>`, with Okta's error bodies, rate-limit headers and 429, and
 * faults on demand so that retries can be tested over real HTTP.
 *
 * This file is the server: routing, authentication, the rate limit, the record of requests, faults and latency. The
 * endpoints are in `users.ts` and `groups.ts`, the directory they read in `store.ts`, Okta's error body in
 * `answers.ts`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultQueue } from '../faults';
import { LoopbackServer, readBody } from '../loopback';
import { defaultErrorCode, errorAnswer, JSON_TYPE, oktaError } from './answers';
import type { Answer } from './answers';
import { groupView, MAX_GROUPS_LIMIT, UserGroupsEndpoint } from './groups';
import { Directory } from './store';
import type { OktaGroupInput, OktaUserInput, OktaUserStatus, StoredGroup, StoredUser } from './store';
import { userView, UsersEndpoint } from './users';
import type { OktaRequest } from './users';

/** The API token the sandbox accepts unless `tokens` says otherwise. */
export const OKTA_SANDBOX_TOKEN = 'okta-sandbox-api-token';

export interface OktaSandboxOptions {
  /** 0 = ephemeral (default); the server always binds 127.0.0.1. */
  port?: number;
  /** API tokens accepted in `Authorization: SSWS <token>`; default `[OKTA_SANDBOX_TOKEN]`. Anything else: 401 `E0000011`. */
  tokens?: string[];
  /** Valid tokens whose admin lacks permission to read users: 403 `E0000006` on every endpoint. */
  forbiddenTokens?: string[];
  /** `limit` of `/users/{id}/groups` when the request sends none; default and most 200 (Okta's). */
  groupsPageSize?: number;
  /**
   * Requests per window, shared by every endpoint; past it, 429 `E0000047` until the window ends. While set, every
   * authenticated answer carries `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining` and `X-Rate-Limit-Reset` (epoch
   * seconds). `windowSeconds` defaults to 60 (Okta's limits are per minute).
   */
  rateLimit?: { limit: number; windowSeconds?: number };
  /** Added to every answer of a served endpoint; default 0. */
  latencyMs?: number;
}

export type OktaFault =
  | { kind: 'status'; status: number; errorCode?: string; errorSummary?: string; headers?: Record<string, string> }
  | { kind: 'reset' }
  | { kind: 'hang' }
  | { kind: 'delay'; ms: number };

/** `users:get` (GET /api/v1/users/{id}), `users:groups` (GET /api/v1/users/{id}/groups), `other` (404 or 405). */
export type OktaEndpoint = 'users:get' | 'users:groups' | 'other';
/** An endpoint, or `any` (both served endpoints). */
export type OktaFaultTarget = Exclude<OktaEndpoint, 'other'> | 'any';

export interface OktaRecordedRequest {
  /** Arrival time, ms since the epoch. */
  readonly at: number;
  readonly method: string;
  /** Path and query as sent. */
  readonly path: string;
  readonly endpoint: OktaEndpoint;
  /** Status the sandbox answered (or would have, had the client stayed); `null` when no answer was or will be sent. */
  readonly status: number | null;
  readonly accept: string | undefined;
  /** Scheme of the Authorization header (`SSWS`, `Bearer`), never its value. */
  readonly authScheme: string | undefined;
  readonly fault?: OktaFault['kind'];
}

/** A user as the sandbox answers it (Okta's User object). */
export type OktaUser = Record<string, unknown> & { id: string; status: OktaUserStatus; profile: OktaUserInput['profile'] };
/** A group as the sandbox answers it (Okta's Group object). */
export type OktaGroup = Record<string, unknown> & { id: string; type: string; profile: { name: string; description: string | null } };

export interface OktaSandbox {
  /** `http://127.0.0.1:PORT`: the org URL (`oktaOrgUrl`). */
  readonly url: string;
  readonly port: number;
  /** Adds a user (default status ACTIVE, a fresh `00u…` id), already in `Everyone`; answers it as Okta would. */
  addUser(user: OktaUserInput): OktaUser;
  /** Adds an OKTA_GROUP (a fresh `00g…` id unless given); answers it as Okta would. */
  addGroup(group: OktaGroupInput): OktaGroup;
  /** Puts the user (id or login) in the group; a second time changes nothing. */
  addToGroup(userId: string, groupId: string): void;
  removeFromGroup(userId: string, groupId: string): void;
  setStatus(userId: string, status: OktaUserStatus): void;
  /** The user is gone: both endpoints answer 404 `E0000007` for them. */
  deleteUser(userId: string): void;
  /** Every user, as Okta would answer them, oldest first. */
  users(): OktaUser[];
  /** Every group, `Everyone` first. */
  groups(): OktaGroup[];
  /** The user's groups, as `/users/{id}/groups` lists them (all pages). */
  groupsOf(userId: string): OktaGroup[];
  /** Apply `fault` to the next `times` (default 1) requests matching `on` (default `any`). Faults queue in order. */
  injectFault(fault: OktaFault, opts?: { on?: OktaFaultTarget; times?: number }): void;
  clearFaults(): void;
  /** Every request seen, in order of arrival; never a token. */
  readonly requests: readonly OktaRecordedRequest[];
  count(endpoint: OktaEndpoint): number;
  /** Forget users, groups (but `Everyone`), requests, faults and the rate-limit window. */
  reset(): void;
  /** Stop listening and end every connection, hung ones included. */
  close(): Promise<void>;
}

interface Settings {
  tokens: ReadonlySet<string>;
  forbiddenTokens: ReadonlySet<string>;
  groupsPageSize: number;
  rateLimit: { limit: number; windowSeconds: number } | undefined;
  latencyMs: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Route {
  pattern: RegExp;
  endpoint: Exclude<OktaEndpoint, 'other'>;
  handle: (request: OktaRequest) => Answer;
}

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  record: Mutable<OktaRecordedRequest>;
  endpoint: OktaEndpoint;
  /** The route's handler, `405` for a served path with another method, or nothing (404). */
  routed: { handle: () => Answer } | 'methodNotAllowed' | undefined;
}

/**
 * Starts the Okta sandbox on 127.0.0.1.
 *
 * @example
 * const okta = await startOktaSandbox({ groupsPageSize: 2 });
 * const ada = okta.addUser({ profile: { login: 'ada@example.com', email: 'ada@example.com' } });
 * const readers = okta.addGroup({ name: 'atlas-analytics-readers' });
 * okta.addToGroup(ada.id, readers.id);
 * // GET ${okta.url}/api/v1/users/${ada.id}/groups with Authorization: SSWS okta-sandbox-api-token
 * await okta.close();
 */
export async function startOktaSandbox(opts: OktaSandboxOptions = {}): Promise<OktaSandbox> {
  const sandbox = new OktaSandboxServer(opts);
  await sandbox.listen(opts.port ?? 0);
  return sandbox;
}

class OktaSandboxServer implements OktaSandbox {
  private readonly http = new LoopbackServer((req, res) => this.handle(req, res));
  private readonly settings: Settings;
  private readonly directory = new Directory();
  private readonly routes: readonly Route[];
  private recorded: Mutable<OktaRecordedRequest>[] = [];
  private readonly faults = new FaultQueue<OktaFault, OktaFaultTarget>();
  private window: { endsAt: number; used: number } | undefined;

  constructor(opts: OktaSandboxOptions) {
    this.settings = settingsFrom(opts);
    const users = new UsersEndpoint(this.directory);
    const groups = new UserGroupsEndpoint({ directory: this.directory, settings: () => this.settings });
    this.routes = [
      { pattern: /^\/api\/v1\/users\/(?<userId>[^/]+)$/, endpoint: 'users:get', handle: (r) => users.get(r) },
      { pattern: /^\/api\/v1\/users\/(?<userId>[^/]+)\/groups$/, endpoint: 'users:groups', handle: (r) => groups.list(r) },
    ];
  }

  get url(): string {
    return this.http.url;
  }

  get port(): number {
    return this.http.port;
  }

  get requests(): readonly OktaRecordedRequest[] {
    return this.recorded;
  }

  listen(port: number): Promise<void> {
    return this.http.listen(port);
  }

  addUser(user: OktaUserInput): OktaUser {
    return this.userJson(this.directory.addUser(user));
  }

  addGroup(group: OktaGroupInput): OktaGroup {
    return this.groupJson(this.directory.addGroup(group));
  }

  addToGroup(userId: string, groupId: string): void {
    this.directory.addToGroup(userId, groupId);
  }

  removeFromGroup(userId: string, groupId: string): void {
    this.directory.removeFromGroup(userId, groupId);
  }

  setStatus(userId: string, status: OktaUserStatus): void {
    this.directory.setStatus(userId, status);
  }

  deleteUser(userId: string): void {
    this.directory.deleteUser(userId);
  }

  users(): OktaUser[] {
    return this.directory.allUsers().map((u) => this.userJson(u));
  }

  groups(): OktaGroup[] {
    return this.directory.allGroups().map((g) => this.groupJson(g));
  }

  groupsOf(userId: string): OktaGroup[] {
    const user = this.directory.lookup(userId);
    if (!user) throw new Error(`groupsOf: no user ${userId}`);
    return user.groups.map((id) => this.directory.group(id)).filter((g): g is StoredGroup => g !== undefined).map((g) => this.groupJson(g));
  }

  injectFault(fault: OktaFault, opts: { on?: OktaFaultTarget; times?: number } = {}): void {
    this.faults.add(fault, opts.on ?? 'any', opts.times);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  count(endpoint: OktaEndpoint): number {
    return this.recorded.filter((r) => r.endpoint === endpoint).length;
  }

  reset(): void {
    this.directory.reset();
    this.recorded = [];
    this.faults.clear();
    this.window = undefined;
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private userJson(user: StoredUser): OktaUser {
    return userView(user, this.url) as OktaUser;
  }

  private groupJson(group: StoredGroup): OktaGroup {
    return groupView(group, this.url) as OktaGroup;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // GETs carry no body, but one sent anyway is read so the connection stays usable.
    await readBody(req, 1024 * 1024);
    const path = req.url ?? '/';
    const { endpoint, routed } = this.routeOf(req, path);
    const record: Mutable<OktaRecordedRequest> = {
      at: Date.now(),
      method: req.method ?? 'GET',
      path,
      endpoint,
      status: null,
      accept: req.headers.accept,
      authScheme: req.headers.authorization?.split(' ')[0],
    };
    this.recorded.push(record);
    const exchange: Exchange = { req, res, record, endpoint, routed };
    const fault = this.takeFault(endpoint);
    if (fault) {
      record.fault = fault.kind;
      await this.applyFault(exchange, fault);
      return;
    }
    const answer = this.decide(exchange);
    await this.http.pause(endpoint === 'other' ? 0 : this.settings.latencyMs);
    this.send(exchange, answer);
  }

  private takeFault(endpoint: OktaEndpoint): OktaFault | undefined {
    if (endpoint === 'other') return undefined;
    return this.faults.take((on) => on === 'any' || on === endpoint);
  }

  private async applyFault(exchange: Exchange, fault: OktaFault): Promise<void> {
    switch (fault.kind) {
      case 'status': {
        const errorCode = fault.errorCode ?? defaultErrorCode(fault.status);
        this.send(exchange, { status: fault.status, body: oktaError(errorCode, fault.errorSummary ?? `Injected fault: ${fault.status}`), headers: fault.headers ?? {} });
        return;
      }
      case 'reset':
        // An RST, not a FIN, so the client sees ECONNRESET rather than a clean close.
        exchange.req.socket.resetAndDestroy();
        return;
      case 'hang':
        // Answer nothing; close() ends the socket.
        return;
      case 'delay': {
        await this.http.pause(fault.ms);
        if (exchange.res.destroyed || exchange.req.socket.destroyed) return;
        const answer = this.decide(exchange);
        await this.http.pause(this.settings.latencyMs);
        this.send(exchange, answer);
        return;
      }
    }
  }

  private routeOf(req: IncomingMessage, path: string): Pick<Exchange, 'endpoint' | 'routed'> {
    const queryAt = path.indexOf('?');
    const pathname = queryAt < 0 ? path : path.slice(0, queryAt);
    const query = new URLSearchParams(queryAt < 0 ? '' : path.slice(queryAt + 1));
    for (const candidate of this.routes) {
      const match = candidate.pattern.exec(pathname);
      if (!match) continue;
      if (req.method !== 'GET') return { endpoint: 'other', routed: 'methodNotAllowed' };
      const request: OktaRequest = { params: decodedParams(match.groups ?? {}), query, origin: this.url };
      return { endpoint: candidate.endpoint, routed: { handle: () => candidate.handle(request) } };
    }
    return { endpoint: 'other', routed: undefined };
  }

  /** Authentication, then the rate limit, then the endpoint: Okta's order (a bad token is 401 even past the limit). */
  private decide({ req, routed, record }: Exchange): Answer {
    if (routed === undefined) return errorAnswer(404, 'E0000007', `Not found: Resource not found: ${record.path.split('?')[0]} (Endpoint)`);
    if (routed === 'methodNotAllowed') return { ...errorAnswer(405, 'E0000022'), headers: { allow: 'GET' } };
    const token = ssws(req.headers.authorization);
    if (token === undefined || !this.settings.tokens.has(token)) return errorAnswer(401, 'E0000011');
    const limited = this.rateLimit();
    if (limited.exceeded) return { ...errorAnswer(429, 'E0000047'), headers: limited.headers };
    if (this.settings.forbiddenTokens.has(token)) return { ...errorAnswer(403, 'E0000006'), headers: limited.headers };
    const answer = routed.handle();
    return { ...answer, headers: { ...limited.headers, ...answer.headers } };
  }

  /** Counts the request in the current window: whether it is past the limit, and the `X-Rate-Limit-*` headers. */
  private rateLimit(): { exceeded: boolean; headers: Record<string, string> } {
    const limit = this.settings.rateLimit;
    if (!limit) return { exceeded: false, headers: {} };
    const now = Date.now();
    if (!this.window || now >= this.window.endsAt) this.window = { endsAt: now + limit.windowSeconds * 1000, used: 0 };
    this.window.used += 1;
    const exceeded = this.window.used > limit.limit;
    return {
      exceeded,
      headers: {
        'x-rate-limit-limit': String(limit.limit),
        'x-rate-limit-remaining': String(Math.max(0, limit.limit - this.window.used)),
        'x-rate-limit-reset': String(Math.ceil(this.window.endsAt / 1000)),
      },
    };
  }

  private send(exchange: Exchange, answer: Answer): void {
    exchange.record.status = answer.status;
    const { res } = exchange;
    if (res.destroyed || res.headersSent) return;
    const payload = JSON.stringify(answer.body);
    res.writeHead(answer.status, { 'content-type': JSON_TYPE, 'content-length': String(Buffer.byteLength(payload)), ...answer.headers });
    res.end(payload);
  }
}

/** The token of `Authorization: SSWS <token>` (the scheme in any case, as HTTP schemes are). */
function ssws(authorization: string | undefined): string | undefined {
  const match = /^SSWS +(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
}

function settingsFrom(opts: OktaSandboxOptions): Settings {
  const settings: Settings = {
    tokens: new Set(opts.tokens ?? [OKTA_SANDBOX_TOKEN]),
    forbiddenTokens: new Set(opts.forbiddenTokens ?? []),
    groupsPageSize: opts.groupsPageSize ?? 200,
    rateLimit: opts.rateLimit && { limit: opts.rateLimit.limit, windowSeconds: opts.rateLimit.windowSeconds ?? 60 },
    latencyMs: opts.latencyMs ?? 0,
  };
  // A forbidden token must still authenticate: it is a valid token whose admin lacks a permission.
  for (const token of settings.forbiddenTokens) (settings.tokens as Set<string>).add(token);
  if (!Number.isInteger(settings.groupsPageSize) || settings.groupsPageSize < 1 || settings.groupsPageSize > MAX_GROUPS_LIMIT) {
    throw new RangeError(`groupsPageSize must be a whole number from 1 to ${MAX_GROUPS_LIMIT}, got ${settings.groupsPageSize}`);
  }
  if (!(settings.latencyMs >= 0)) throw new RangeError(`latencyMs must be >= 0, got ${settings.latencyMs}`);
  if (settings.rateLimit && !(Number.isInteger(settings.rateLimit.limit) && settings.rateLimit.limit >= 1 && settings.rateLimit.windowSeconds > 0)) {
    throw new RangeError('rateLimit needs a whole limit >= 1 and windowSeconds > 0');
  }
  return settings;
}

/** Path parameters, percent-decoded where that is possible (a login carries `@`, sometimes sent as `%40`). */
function decodedParams(params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(params).map(([name, value]) => {
      try {
        return [name, decodeURIComponent(value)];
      } catch {
        return [name, value];
      }
    }),
  );
}
