/**
 * A local stand-in for the parts of the MongoDB Atlas Administration API that atlas-onboarder calls: the OAuth token
 * endpoint, the two ways to invite someone to a project, and what movers and leavers need afterwards (list project
 * users and pending invitations, change a user's roles or an invitation's, remove either, see a person across the
 * organization). It answers the way the spec (`shared/atlas/openapi-v2.yaml`), `shared/atlas/NOTES.md` and
 * `shared/research/atlas-lifecycle.md` say Atlas answers, and it can misbehave on demand (faults, rate limits, a
 * sunset endpoint) so that retries and fallbacks can be tested over real HTTP.
 *
 * This file is the server: routing, the record of requests, faults and latency. Each endpoint lives in its own file
 * (`oauth.ts`; `project-users.ts` the two invite POSTs; `project-members.ts` the project's users; `invitations.ts` the
 * pending `/invites` invitations; `org-users.ts` the organization's users), all sharing one membership store
 * (`members.ts`) and the checks every Admin API request passes (`admin-api.ts`); the rate limits are in
 * `rate-limits.ts`. A new endpoint is a handler and one route line.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { FaultQueue } from '../faults';
import { LoopbackServer, readBody } from '../loopback';
import { AdminGate, isHex24 } from './admin-api';
import type { AdminRequest, AdminSettings } from './admin-api';
import { apiError, errorAnswer, JSON_TYPE, mediaTypeOf } from './answers';
import type { Answer } from './answers';
import { ProjectInvitations } from './invitations';
import type { InvitationsSettings } from './invitations';
import { invitationView, Members, memberView, SEED_INVITER, sameUsername } from './members';
import type { SandboxInvitation, SandboxMember } from './members';
import { DEFAULT_CLIENTS, OAuthEndpoint, TOKEN_PATH } from './oauth';
import type { OAuthSettings } from './oauth';
import { OrgUsers } from './org-users';
import { ProjectMembers } from './project-members';
import type { ProjectMembersSettings } from './project-members';
import { ProjectUsers } from './project-users';
import type { ProjectUsersSettings } from './project-users';
import { RateLimits } from './rate-limits';
import type { RateLimitSettings } from './rate-limits';

/** The organization every sandbox project belongs to, unless `orgId` says otherwise. */
export const SANDBOX_ORG_ID = '5e0f1a2b3c4d5e6f7a8b9c0d';

export interface AtlasSandboxOptions {
  /** 0 = ephemeral (default); the server always binds 127.0.0.1. */
  port?: number;
  /** clientId -> clientSecret; default `{ 'sandbox-client-id': 'sandbox-client-secret' }`. */
  clients?: Record<string, string>;
  /** Token lifetime, default 3600. Fractions are allowed so tests can watch a token expire; `expires_in` reports it as given. */
  tokenTtlSeconds?: number;
  /** Live tokens a client may hold, default 100; past it the token endpoint answers 403 `access_denied`. */
  maxLiveTokens?: number;
  /** Token bucket shared by every Admin API endpoint (not the token endpoint); `burst` (bucket size) defaults to `requestsPerSecond`. */
  rateLimit?: { requestsPerSecond: number; burst?: number };
  /** Sliding window over `/invites`; past it `/invites` answers 400 `RATE_LIMITED_IP` without `Retry-After`. */
  inviteRateLimit?: { invitations: number; perMinutes: number };
  /** Every `/invites` endpoint (POST, GET, PATCH, DELETE) answers 410 `VERSION_GONE`, as after its sunset. */
  invitesGone?: boolean;
  /** What `POST /invites` does when the username already has a pending invitation to that project; default `existing`. */
  duplicateInvite?: 'existing' | 'conflict';
  /**
   * What `:addRole` of a role the user already holds, or `:removeRole` of one they do not hold, answers: `unchanged`
   * (200, the user as it is; default) or `conflict` (409 `CONFLICT`). The spec documents a 409 on both without saying when.
   */
  redundantRoleChange?: 'unchanged' | 'conflict';
  /**
   * What `PATCH`/`DELETE /invites/{invitationId}` answer for an invitation that does not exist or was accepted:
   * `notFound` (the spec's 404 `RESOURCE_NOT_FOUND`; default) or `invalidInvitationId` (400 `INVALID_INVITATION_ID`, as
   * MongoDB's error table has it).
   */
  missingInvitation?: 'notFound' | 'invalidInvitationId';
  /** Added to every Admin API answer (not the token endpoint's, nor a 404 for an unknown path); default 0. */
  latencyMs?: number;
  /** groupIds that exist; default: any 24-hex id exists. */
  projects?: string[];
  /** groupIds the service account may not touch: 401 `USER_UNAUTHORIZED` with any valid token (a missing permission). */
  unauthorizedProjects?: string[];
  /** The organization every project belongs to (`/orgs/{orgId}/users`); default `SANDBOX_ORG_ID`. Another orgId: 404 `ORG_NOT_FOUND`. */
  orgId?: string;
}

export type AtlasFault =
  | { kind: 'status'; status: number; errorCode?: string; detail?: string; retryAfter?: string }
  | { kind: 'reset' }
  | { kind: 'hang' }
  | { kind: 'delay'; ms: number }
  | { kind: 'slowHeaders'; ms: number };

/**
 * What a request was, by method and path: `token` (POST /api/oauth/token); `invites` and `users` (the two invite
 * POSTs); `invites:list`, `invites:update`, `invites:delete` (GET /invites, PATCH and DELETE /invites/{invitationId});
 * `users:list`, `users:addRole`, `users:removeRole`, `users:delete` (GET /users, POST /users/{userId}:addRole and
 * :removeRole, DELETE /users/{userId}); `orgUsers:list` (GET /orgs/{orgId}/users); `other`: a path or method the
 * sandbox does not serve (404 or 405).
 */
export type AtlasEndpoint =
  | 'token'
  | 'invites'
  | 'users'
  | 'invites:list'
  | 'invites:update'
  | 'invites:delete'
  | 'users:list'
  | 'users:addRole'
  | 'users:removeRole'
  | 'users:delete'
  | 'orgUsers:list'
  | 'other';
/** An endpoint, or `any` (both invite POSTs, `invites` and `users`), or `admin` (every endpoint but `token` and `other`). */
export type AtlasFaultTarget = Exclude<AtlasEndpoint, 'other'> | 'any' | 'admin';

/** What `AtlasSandbox.seed` makes. */
export interface SeedEntry {
  groupId: string;
  username: string;
  roles: string[];
  /** Default PENDING. */
  status?: 'PENDING' | 'ACTIVE';
  /**
   * The API the entry looks made with: `invites` (a pending one is seen by the `/invites` endpoints only, an active one
   * is an accepted invitation, a project user) or `users` (seen by the users endpoints only). Without it, as before,
   * a pending entry is seen by both.
   */
  via?: 'invites' | 'users';
}

export interface RecordedRequest {
  /** Arrival time, ms since the epoch. */
  readonly at: number;
  readonly method: string;
  /** Path and query as sent. */
  readonly path: string;
  readonly endpoint: AtlasEndpoint;
  /** Status the sandbox answered (or would have, had the client stayed); `null` when no answer was or will be sent. */
  readonly status: number | null;
  /** Parsed JSON, or the form fields of a token request (`client_secret` redacted), or the raw text, or undefined when empty. */
  readonly body: unknown;
  readonly accept: string | undefined;
  readonly contentType: string | undefined;
  /** Scheme of the Authorization header (`Basic`, `Bearer`), never its value. */
  readonly authScheme: string | undefined;
  readonly fault?: AtlasFault['kind'];
}

export interface AtlasSandbox {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** Apply `fault` to the next `times` (default 1) requests matching `on` (default `any` = both invite POSTs; `admin` = every endpoint but token). Faults queue in order. */
  injectFault(fault: AtlasFault, opts?: { on?: AtlasFaultTarget; times?: number }): void;
  clearFaults(): void;
  /** Every request seen, in order of arrival. */
  readonly requests: readonly RecordedRequest[];
  /** Count of requests per endpoint. */
  count(endpoint: AtlasEndpoint): number;
  /** The organization every project belongs to. */
  readonly orgId: string;
  /** Pending invitations and project users, oldest first. */
  invitations(): SandboxInvitation[];
  /** The same entries with what each API shows of them (ids, expiry, inviter, which listings see them), oldest first; `username` matches without case. */
  members(filter?: { groupId?: string; username?: string }): SandboxMember[];
  /** Pre-seed a pending invitation or an ACTIVE member (both invite POSTs then answer 409 `USER_ALREADY_IN_GROUP` for a member); answers the entry. */
  seed(entry: SeedEntry): SandboxMember;
  /**
   * The person accepts their invitations: each of their pending entries, in every project and through either API,
   * becomes an ACTIVE member (seen by the users endpoints, no longer by `/invites`); answers their entries.
   */
  accept(username: string): SandboxMember[];
  /** Make every live token invalid, as if they expired. */
  revokeTokens(): void;
  /** Every access token issued since start, revoked ones included: for tests that search logs for them. */
  issuedTokens(): readonly string[];
  /** Change options on the fly; passing a key with `undefined` removes that option (e.g. `rateLimit`). */
  configure(opts: Partial<AtlasSandboxOptions>): void;
  /** Forget invitations, requests, faults and rate-limit state, and restore the options given at start. Live tokens survive, so a warm client's cached token keeps working. */
  reset(): void;
  /** Stop listening and end every connection, hung ones included. */
  close(): Promise<void>;
}

interface Settings extends OAuthSettings, RateLimitSettings, AdminSettings, ProjectUsersSettings, ProjectMembersSettings, InvitationsSettings {
  latencyMs: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  record: Mutable<RecordedRequest>;
  endpoint: AtlasEndpoint;
  /** What the route found: the endpoint's handler and its request, the methods served at the path (405), or nothing (404). */
  routed: { handle: () => Answer } | { allow: string[] } | undefined;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

interface Route {
  method: Method;
  /** Matches the path; its named groups are the path parameters. */
  pattern: RegExp;
  endpoint: Exclude<AtlasEndpoint, 'other'>;
  handle: (request: AdminRequest) => Answer;
}

/** A route from a path template such as `/groups/{groupId}/users/{userId}:addRole`. */
function route(method: Method, template: string, endpoint: Route['endpoint'], handle: Route['handle']): Route {
  const source = template
    .split(/(\{[a-zA-Z]+\})/)
    .map((part) => (/^\{[a-zA-Z]+\}$/.test(part) ? `(?<${part.slice(1, -1)}>[^/:]+)` : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
    .join('');
  return { method, pattern: new RegExp(`^${source}$`), endpoint, handle };
}

const V2 = '/api/atlas/v2';

/**
 * Starts the Atlas sandbox on 127.0.0.1.
 *
 * @example
 * const atlas = await startAtlasSandbox({ duplicateInvite: 'conflict' });
 * process.env.ATLAS_BASE_URL = atlas.url;
 * atlas.injectFault({ kind: 'status', status: 503, retryAfter: '1' }, { on: 'invites' });
 * // ... run the code under test ...
 * await atlas.close();
 */
export async function startAtlasSandbox(opts: AtlasSandboxOptions = {}): Promise<AtlasSandbox> {
  const sandbox = new AtlasSandboxServer(opts);
  await sandbox.listen(opts.port ?? 0);
  return sandbox;
}

class AtlasSandboxServer implements AtlasSandbox {
  private readonly http = new LoopbackServer((req, res) => this.handle(req, res));
  private readonly initial: Settings;
  private settings: Settings;
  private readonly oauth: OAuthEndpoint;
  private readonly rateLimits: RateLimits;
  private readonly store = new Members();
  private readonly routes: readonly Route[];
  private recorded: Mutable<RecordedRequest>[] = [];
  private readonly faults = new FaultQueue<AtlasFault, AtlasFaultTarget>();

  constructor(opts: AtlasSandboxOptions) {
    this.initial = settingsFrom(opts, undefined);
    this.settings = this.initial;
    const settings = (): Settings => this.settings;
    this.oauth = new OAuthEndpoint(settings);
    this.rateLimits = new RateLimits(settings);
    const gate = new AdminGate({ settings, rateLimits: this.rateLimits, bearerClient: (authorization) => this.oauth.bearerClient(authorization) });
    const members = this.store;
    const projectUsers = new ProjectUsers({ settings, gate, members, rateLimits: this.rateLimits });
    const projectMembers = new ProjectMembers({ settings, gate, members });
    const invitations = new ProjectInvitations({ settings, gate, members });
    const orgUsers = new OrgUsers({ gate, members });
    // The routes: one line per endpoint. A path matched with another method is a 405, anything else a 404 (`other`).
    this.routes = [
      route('POST', TOKEN_PATH, 'token', ({ req, rawBody }) => this.oauth.issueToken(req, rawBody)),
      route('POST', `${V2}/groups/{groupId}/invites`, 'invites', (r) => projectUsers.invite(r, 'invites')),
      route('GET', `${V2}/groups/{groupId}/invites`, 'invites:list', (r) => invitations.list(r)),
      route('PATCH', `${V2}/groups/{groupId}/invites/{invitationId}`, 'invites:update', (r) => invitations.update(r)),
      route('DELETE', `${V2}/groups/{groupId}/invites/{invitationId}`, 'invites:delete', (r) => invitations.revoke(r)),
      route('POST', `${V2}/groups/{groupId}/users`, 'users', (r) => projectUsers.invite(r, 'users')),
      route('GET', `${V2}/groups/{groupId}/users`, 'users:list', (r) => projectMembers.list(r)),
      route('POST', `${V2}/groups/{groupId}/users/{userId}:addRole`, 'users:addRole', (r) => projectMembers.addRole(r)),
      route('POST', `${V2}/groups/{groupId}/users/{userId}:removeRole`, 'users:removeRole', (r) => projectMembers.removeRole(r)),
      route('DELETE', `${V2}/groups/{groupId}/users/{userId}`, 'users:delete', (r) => projectMembers.remove(r)),
      route('GET', `${V2}/orgs/{orgId}/users`, 'orgUsers:list', (r) => orgUsers.list(r)),
    ];
  }

  get url(): string {
    return this.http.url;
  }

  get port(): number {
    return this.http.port;
  }

  get requests(): readonly RecordedRequest[] {
    return this.recorded;
  }

  get orgId(): string {
    return this.settings.orgId;
  }

  listen(port: number): Promise<void> {
    return this.http.listen(port);
  }

  injectFault(fault: AtlasFault, opts: { on?: AtlasFaultTarget; times?: number } = {}): void {
    this.faults.add(fault, opts.on ?? 'any', opts.times);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  count(endpoint: AtlasEndpoint): number {
    return this.recorded.filter((r) => r.endpoint === endpoint).length;
  }

  invitations(): SandboxInvitation[] {
    return this.store.all().map(invitationView);
  }

  members(filter: { groupId?: string; username?: string } = {}): SandboxMember[] {
    return this.store
      .all()
      .filter((m) => (filter.groupId === undefined || m.groupId === filter.groupId) && (filter.username === undefined || sameUsername(m.username, filter.username)))
      .map(memberView);
  }

  seed(entry: SeedEntry): SandboxMember {
    const member = this.store.add({
      groupId: entry.groupId,
      username: entry.username,
      roles: entry.roles,
      via: entry.via ?? 'seed',
      status: entry.status ?? 'PENDING',
      inviterUsername: SEED_INVITER,
      now: Date.now(),
    });
    return memberView(member);
  }

  accept(username: string): SandboxMember[] {
    this.store.accept(username);
    return this.members({ username });
  }

  issuedTokens(): readonly string[] {
    return this.oauth.issuedTokens();
  }

  revokeTokens(): void {
    this.oauth.revokeTokens();
  }

  configure(opts: Partial<AtlasSandboxOptions>): void {
    this.settings = settingsFrom(opts, this.settings);
    // A new limit starts with a full bucket rather than inheriting the old one's debt.
    if ('rateLimit' in opts) this.rateLimits.refillBucket();
    if ('inviteRateLimit' in opts) this.rateLimits.clearInviteWindow();
  }

  reset(): void {
    this.settings = this.initial;
    this.recorded = [];
    this.store.reset();
    this.faults.clear();
    this.rateLimits.reset();
    // Tokens are left alone: a warm client's cached token keeps working across tests.
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = (await readBody(req)) ?? '';
    const path = req.url ?? '/';
    const { endpoint, routed } = this.routeOf(req, path, rawBody);
    const record: Mutable<RecordedRequest> = {
      at: Date.now(),
      method: req.method ?? 'GET',
      path,
      endpoint,
      status: null,
      body: recordedBody(rawBody, endpoint, req.headers),
      accept: req.headers.accept,
      contentType: req.headers['content-type'],
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
    await this.http.pause(this.latencyFor(endpoint));
    this.send(exchange, answer);
  }

  private takeFault(endpoint: AtlasEndpoint): AtlasFault | undefined {
    return this.faults.take((on) => faultMatches(on, endpoint));
  }

  private async applyFault(exchange: Exchange, fault: AtlasFault): Promise<void> {
    switch (fault.kind) {
      case 'status': {
        const headers: Record<string, string> = fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter };
        // The token endpoint speaks OAuth, not ApiError, so a fault there looks like what an OAuth server sends.
        const body =
          exchange.endpoint === 'token'
            ? { error: fault.errorCode ?? 'server_error', error_description: fault.detail ?? `injected ${fault.status}` }
            : apiError(fault.status, fault.errorCode ?? defaultErrorCode(fault.status), fault.detail ?? `Injected fault: ${fault.status}.`);
        this.send(exchange, { status: fault.status, body, contentType: JSON_TYPE, headers });
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
        // The request "reaches Atlas" only after the delay: a client that gave up by then changed nothing.
        await this.http.pause(fault.ms);
        if (exchange.res.destroyed || exchange.req.socket.destroyed) return;
        const answer = this.decide(exchange);
        await this.http.pause(this.latencyFor(exchange.endpoint));
        this.send(exchange, answer);
        return;
      }
      case 'slowHeaders': {
        // Atlas acts at once but the answer is late: a client that times out has still invited the person.
        const answer = this.decide(exchange);
        await this.http.pause(fault.ms + this.latencyFor(exchange.endpoint));
        this.send(exchange, answer);
        return;
      }
    }
  }

  private latencyFor(endpoint: AtlasEndpoint): number {
    return endpoint === 'token' || endpoint === 'other' ? 0 : this.settings.latencyMs;
  }

  private send(exchange: Exchange, answer: Answer): void {
    exchange.record.status = answer.status;
    const { res } = exchange;
    if (res.destroyed || res.headersSent) return;
    if (answer.body === undefined) {
      // 204 No Content: headers alone.
      res.writeHead(answer.status, { 'content-type': answer.contentType, ...answer.headers });
      res.end();
      return;
    }
    const payload = JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      'content-type': answer.contentType,
      'content-length': String(Buffer.byteLength(payload)),
      ...answer.headers,
    });
    res.end(payload);
  }

  /** What the request is: the route serving its method and path, with the request its handler reads. */
  private routeOf(req: IncomingMessage, path: string, rawBody: string): Pick<Exchange, 'endpoint' | 'routed'> {
    const queryAt = path.indexOf('?');
    // Clients may escape the colon of a custom method (`%3AaddRole`); Atlas takes both.
    const pathname = (queryAt < 0 ? path : path.slice(0, queryAt)).replace(/%3A/gi, ':');
    const query = new URLSearchParams(queryAt < 0 ? '' : path.slice(queryAt + 1));
    const allow: string[] = [];
    for (const candidate of this.routes) {
      const match = candidate.pattern.exec(pathname);
      if (!match) continue;
      if (candidate.method !== req.method) {
        allow.push(candidate.method);
        continue;
      }
      const request: AdminRequest = { req, params: decodedParams(match.groups ?? {}), query, rawBody, origin: this.url };
      return { endpoint: candidate.endpoint, routed: { handle: () => candidate.handle(request) } };
    }
    return { endpoint: 'other', routed: allow.length > 0 ? { allow } : undefined };
  }

  private decide({ routed, record }: Exchange): Answer {
    if (routed === undefined) return errorAnswer(404, 'RESOURCE_NOT_FOUND', `Cannot find resource ${record.path}.`);
    if ('allow' in routed) {
      return { ...errorAnswer(405, 'METHOD_NOT_ALLOWED', `The sandbox serves ${routed.allow.join(', ')} here.`), headers: { allow: routed.allow.join(', ') } };
    }
    return routed.handle();
  }
}

function settingsFrom(opts: Partial<AtlasSandboxOptions>, base: Settings | undefined): Settings {
  const pick = <K extends keyof AtlasSandboxOptions>(key: K): AtlasSandboxOptions[K] | undefined => opts[key];
  const has = (key: keyof AtlasSandboxOptions): boolean => key in opts;
  const settings: Settings = {
    clients: pick('clients') ?? base?.clients ?? DEFAULT_CLIENTS,
    tokenTtlSeconds: pick('tokenTtlSeconds') ?? base?.tokenTtlSeconds ?? 3600,
    maxLiveTokens: pick('maxLiveTokens') ?? base?.maxLiveTokens ?? 100,
    rateLimit: has('rateLimit') ? pick('rateLimit') : base?.rateLimit,
    inviteRateLimit: has('inviteRateLimit') ? pick('inviteRateLimit') : base?.inviteRateLimit,
    invitesGone: pick('invitesGone') ?? base?.invitesGone ?? false,
    duplicateInvite: pick('duplicateInvite') ?? base?.duplicateInvite ?? 'existing',
    latencyMs: pick('latencyMs') ?? base?.latencyMs ?? 0,
    projects: has('projects') ? projectSet(pick('projects')) : base?.projects,
    unauthorizedProjects: has('unauthorizedProjects') ? projectSet(pick('unauthorizedProjects')) : base?.unauthorizedProjects,
    redundantRoleChange: pick('redundantRoleChange') ?? base?.redundantRoleChange ?? 'unchanged',
    missingInvitation: pick('missingInvitation') ?? base?.missingInvitation ?? 'notFound',
    orgId: pick('orgId') ?? base?.orgId ?? SANDBOX_ORG_ID,
  };
  // A typo here would make a test pass or fail for the wrong reason, so refuse it up front.
  if (!(settings.tokenTtlSeconds > 0)) throw new RangeError(`tokenTtlSeconds must be > 0, got ${settings.tokenTtlSeconds}`);
  if (!(settings.maxLiveTokens >= 1)) throw new RangeError(`maxLiveTokens must be >= 1, got ${settings.maxLiveTokens}`);
  if (!(settings.latencyMs >= 0)) throw new RangeError(`latencyMs must be >= 0, got ${settings.latencyMs}`);
  if (!isHex24(settings.orgId)) throw new RangeError(`orgId: ${settings.orgId} is not a 24-hex orgId`);
  if (settings.rateLimit && !(settings.rateLimit.requestsPerSecond > 0 && (settings.rateLimit.burst ?? 1) >= 1)) {
    throw new RangeError('rateLimit needs requestsPerSecond > 0 and burst >= 1');
  }
  if (settings.inviteRateLimit && !(settings.inviteRateLimit.invitations >= 1 && settings.inviteRateLimit.perMinutes > 0)) {
    throw new RangeError('inviteRateLimit needs invitations >= 1 and perMinutes > 0');
  }
  return settings;
}

function faultMatches(on: AtlasFaultTarget, endpoint: AtlasEndpoint): boolean {
  switch (on) {
    case 'any':
      return endpoint === 'invites' || endpoint === 'users';
    case 'admin':
      return endpoint !== 'token' && endpoint !== 'other';
    default:
      return on === endpoint;
  }
}

/** The `projects` option as a set, refusing anything that is not a 24-hex groupId. */
function projectSet(projects: string[] | undefined): ReadonlySet<string> | undefined {
  if (!projects) return undefined;
  const bad = projects.find((p) => !isHex24(p));
  if (bad !== undefined) throw new RangeError(`projects: ${bad} is not a 24-hex groupId`);
  return new Set(projects);
}

/** Path parameters, percent-decoded where that is possible. */
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

function recordedBody(raw: string, endpoint: AtlasEndpoint, headers: IncomingHttpHeaders): unknown {
  if (raw === '') return undefined;
  if (endpoint === 'token' && mediaTypeOf(headers['content-type']) === 'application/x-www-form-urlencoded') {
    const fields = Object.fromEntries(new URLSearchParams(raw));
    // Some clients send the secret in the body instead of the Basic header; it must not land in test output.
    if ('client_secret' in fields) fields.client_secret = '[redacted]';
    return fields;
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** The errorCode Atlas uses for a status, so an injected fault without one still looks real. */
function defaultErrorCode(status: number): string {
  const codes: Record<number, string> = {
    400: 'INVALID_ATTRIBUTE',
    401: 'UNAUTHORIZED',
    403: 'FORBIDDEN',
    404: 'RESOURCE_NOT_FOUND',
    409: 'CONFLICT',
    410: 'VERSION_GONE',
    429: 'RATE_LIMITED',
    500: 'UNEXPECTED_ERROR',
    502: 'BAD_GATEWAY',
    503: 'SERVICE_UNAVAILABLE',
    504: 'GATEWAY_TIMEOUT',
  };
  return codes[status] ?? `HTTP_${status}`;
}
