/**
 * A local stand-in for the parts of the MongoDB Atlas Administration API that atlas-onboarder calls: the OAuth token
 * endpoint and the two ways to invite someone to a project. It answers the way the spec
 * (`shared/atlas/openapi-v2.yaml`) and `shared/atlas/NOTES.md` say Atlas answers, and it can misbehave on demand
 * (faults, rate limits, a sunset endpoint) so that retries and fallbacks can be tested over real HTTP.
 */
import { randomBytes } from 'node:crypto';
import { createServer, STATUS_CODES } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { listenOnLoopback, readBody } from './loopback';

/** Media type of `POST /groups/{groupId}/invites`, the only version that resource has. */
export const INVITES_MEDIA_TYPE = 'application/vnd.atlas.2023-01-01+json';
/** Media type of `POST /groups/{groupId}/users`. */
export const USERS_MEDIA_TYPE = 'application/vnd.atlas.2025-02-19+json';
/** The spec's `x-sunset` of the invites resource. */
export const INVITES_SUNSET = '2027-07-01';

export interface AtlasSandboxOptions {
  /** 0 = ephemeral (default); the server always binds 127.0.0.1. */
  port?: number;
  /** clientId -> clientSecret; default `{ 'sandbox-client-id': 'sandbox-client-secret' }`. */
  clients?: Record<string, string>;
  /** Token lifetime, default 3600. Fractions are allowed so tests can watch a token expire; `expires_in` reports it as given. */
  tokenTtlSeconds?: number;
  /** Live tokens a client may hold, default 100; past it the token endpoint answers 403 `access_denied`. */
  maxLiveTokens?: number;
  /** Token bucket shared by the two invite endpoints; `burst` (bucket size) defaults to `requestsPerSecond`. */
  rateLimit?: { requestsPerSecond: number; burst?: number };
  /** Sliding window over `/invites`; past it `/invites` answers 400 `RATE_LIMITED_IP` without `Retry-After`. */
  inviteRateLimit?: { invitations: number; perMinutes: number };
  /** `/invites` answers 410 `VERSION_GONE`, as after its sunset. */
  invitesGone?: boolean;
  /** What `/invites` does when the username already has a pending invitation to that project; default `existing`. */
  duplicateInvite?: 'existing' | 'conflict';
  /** Added to every `/invites` and `/users` answer; default 0. */
  latencyMs?: number;
  /** groupIds that exist; default: any 24-hex id exists. */
  projects?: string[];
}

export type AtlasFault =
  | { kind: 'status'; status: number; errorCode?: string; detail?: string; retryAfter?: string }
  | { kind: 'reset' }
  | { kind: 'hang' }
  | { kind: 'delay'; ms: number }
  | { kind: 'slowHeaders'; ms: number };

export type AtlasEndpoint = 'token' | 'invites' | 'users' | 'other';
export type AtlasFaultTarget = 'token' | 'invites' | 'users' | 'any';

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

export interface SandboxInvitation {
  readonly id: string;
  readonly groupId: string;
  readonly username: string;
  readonly roles: readonly string[];
  /** ISO 8601. */
  readonly createdAt: string;
  /** `seed` for entries made with {@link AtlasSandbox.seed}. */
  readonly via: 'invites' | 'users' | 'seed';
  readonly status: 'PENDING' | 'ACTIVE';
}

export interface AtlasSandbox {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** Apply `fault` to the next `times` (default 1) requests matching `on` (default `any` = both invite endpoints, not token). Faults queue in order. */
  injectFault(fault: AtlasFault, opts?: { on?: AtlasFaultTarget; times?: number }): void;
  clearFaults(): void;
  /** Every request seen, in order of arrival. */
  readonly requests: readonly RecordedRequest[];
  /** Count of requests per endpoint. */
  count(endpoint: AtlasEndpoint): number;
  /** Pending invitations and project users, oldest first. */
  invitations(): SandboxInvitation[];
  /** Pre-seed a pending invitation or an ACTIVE member (both endpoints then answer 409 `USER_ALREADY_IN_GROUP` for a member). */
  seed(entry: { groupId: string; username: string; roles: string[]; status?: 'PENDING' | 'ACTIVE' }): void;
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

interface Settings {
  clients: Record<string, string>;
  tokenTtlSeconds: number;
  maxLiveTokens: number;
  rateLimit: { requestsPerSecond: number; burst?: number } | undefined;
  inviteRateLimit: { invitations: number; perMinutes: number } | undefined;
  invitesGone: boolean;
  duplicateInvite: 'existing' | 'conflict';
  latencyMs: number;
  projects: ReadonlySet<string> | undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Member extends Mutable<SandboxInvitation> {
  expiresAt: string;
}

interface QueuedFault {
  fault: AtlasFault;
  on: AtlasFaultTarget;
  remaining: number;
}

/** What the sandbox decided to answer; written after any latency. */
interface Answer {
  status: number;
  body: unknown;
  contentType: string;
  headers?: Record<string, string>;
}

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  record: Mutable<RecordedRequest>;
  endpoint: AtlasEndpoint;
  groupId: string | undefined;
  rawBody: string;
}

const TOKEN_PATH = '/api/oauth/token';
/** Atlas compares usernames without regard to case. */
const memberKey = (groupId: string, username: string) => `${groupId}\n${username.toLowerCase()}`;
const GROUP_PATH = /^\/api\/atlas\/v2\/groups\/([^/]+)\/(invites|users)$/;
const HEX24 = /^[a-f0-9]{24}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const INVITATION_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;
const JSON_TYPE = 'application/json';
const DEFAULT_CLIENTS: Record<string, string> = { 'sandbox-client-id': 'sandbox-client-secret' };

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
  private readonly server: Server;
  private readonly initial: Settings;
  private settings: Settings;
  private recorded: Mutable<RecordedRequest>[] = [];
  private members: Member[] = [];
  private readonly membersByUser = new Map<string, Member[]>();
  private faults: QueuedFault[] = [];
  private readonly tokens = new Map<string, { clientId: string; expiresAt: number }>();
  private readonly issued: string[] = [];
  private bucket: { tokens: number; refilledAt: number } | undefined;
  private inviteTimes: number[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private closing: Promise<void> | undefined;
  private boundPort = 0;

  constructor(opts: AtlasSandboxOptions) {
    this.initial = settingsFrom(opts, undefined);
    this.settings = this.initial;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        // The client went away mid-request (reset, abort): nothing left to answer.
        res.destroy();
      });
    });
    // Longer than undici's and the AWS SDK's idle timeouts, so the client, not the server, ends idle keep-alive
    // connections and a reused socket is never closed under a request in flight.
    this.server.keepAliveTimeout = 65_000;
    this.server.headersTimeout = 66_000;
  }

  get url(): string {
    return `http://127.0.0.1:${this.boundPort}`;
  }

  get port(): number {
    return this.boundPort;
  }

  get requests(): readonly RecordedRequest[] {
    return this.recorded;
  }

  async listen(port: number): Promise<void> {
    this.boundPort = await listenOnLoopback(this.server, port);
  }

  injectFault(fault: AtlasFault, opts: { on?: AtlasFaultTarget; times?: number } = {}): void {
    const times = opts.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new RangeError(`injectFault: times must be a positive integer, got ${times}`);
    this.faults.push({ fault, on: opts.on ?? 'any', remaining: times });
  }

  clearFaults(): void {
    this.faults = [];
  }

  count(endpoint: AtlasEndpoint): number {
    return this.recorded.filter((r) => r.endpoint === endpoint).length;
  }

  invitations(): SandboxInvitation[] {
    return this.members.map(({ id, groupId, username, roles, createdAt, via, status }) => ({
      id,
      groupId,
      username,
      roles: [...roles],
      createdAt,
      via,
      status,
    }));
  }

  seed(entry: { groupId: string; username: string; roles: string[]; status?: 'PENDING' | 'ACTIVE' }): void {
    this.addMember(newMember(entry.groupId, entry.username, entry.roles, 'seed', entry.status ?? 'PENDING', Date.now()));
  }

  issuedTokens(): readonly string[] {
    return [...this.issued];
  }

  revokeTokens(): void {
    this.tokens.clear();
  }

  configure(opts: Partial<AtlasSandboxOptions>): void {
    this.settings = settingsFrom(opts, this.settings);
    // A new limit starts with a full bucket rather than inheriting the old one's debt.
    if ('rateLimit' in opts) this.bucket = undefined;
    if ('inviteRateLimit' in opts) this.inviteTimes = [];
  }

  reset(): void {
    this.settings = this.initial;
    this.recorded = [];
    this.members = [];
    this.membersByUser.clear();
    this.faults = [];
    this.bucket = undefined;
    this.inviteTimes = [];
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.clearTimers();
      this.server.close(() => resolve());
      // Hung and keep-alive sockets would otherwise hold close() open until their clients give up.
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** Waits `ms`; a wait cut short by close() never resumes, which drops the answer it was holding. */
  private pause(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = (await readBody(req)) ?? '';
    const path = req.url ?? '/';
    const { endpoint, groupId } = routeOf(path.split('?')[0] ?? '/');
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
    const exchange: Exchange = { req, res, record, endpoint, groupId, rawBody };

    const fault = this.takeFault(endpoint);
    if (fault) {
      record.fault = fault.kind;
      await this.applyFault(exchange, fault);
      return;
    }
    const answer = this.decide(exchange);
    await this.pause(this.latencyFor(endpoint));
    this.send(exchange, answer);
  }

  private takeFault(endpoint: AtlasEndpoint): AtlasFault | undefined {
    const index = this.faults.findIndex((f) => faultMatches(f.on, endpoint));
    const queued = this.faults[index];
    if (!queued) return undefined;
    queued.remaining -= 1;
    if (queued.remaining === 0) this.faults.splice(index, 1);
    return queued.fault;
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
        await this.pause(fault.ms);
        if (exchange.res.destroyed || exchange.req.socket.destroyed) return;
        const answer = this.decide(exchange);
        await this.pause(this.latencyFor(exchange.endpoint));
        this.send(exchange, answer);
        return;
      }
      case 'slowHeaders': {
        // Atlas acts at once but the answer is late: a client that times out has still invited the person.
        const answer = this.decide(exchange);
        await this.pause(fault.ms + this.latencyFor(exchange.endpoint));
        this.send(exchange, answer);
        return;
      }
    }
  }

  private latencyFor(endpoint: AtlasEndpoint): number {
    return endpoint === 'invites' || endpoint === 'users' ? this.settings.latencyMs : 0;
  }

  private send(exchange: Exchange, answer: Answer): void {
    exchange.record.status = answer.status;
    const { res } = exchange;
    if (res.destroyed || res.headersSent) return;
    const payload = JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      'content-type': answer.contentType,
      'content-length': String(Buffer.byteLength(payload)),
      ...answer.headers,
    });
    res.end(payload);
  }

  private decide(exchange: Exchange): Answer {
    switch (exchange.endpoint) {
      case 'token':
        return this.issueToken(exchange);
      case 'invites':
      case 'users':
        return this.inviteToProject(exchange, exchange.endpoint, exchange.groupId ?? '');
      case 'other':
        return errorAnswer(404, 'RESOURCE_NOT_FOUND', `Cannot find resource ${exchange.record.path}.`);
    }
  }

  private issueToken({ req, rawBody }: Exchange): Answer {
    if (req.method !== 'POST') return { ...errorAnswer(405, 'METHOD_NOT_ALLOWED', 'Use POST.'), headers: { allow: 'POST' } };
    const credentials = basicCredentials(req.headers.authorization);
    const expected = credentials && Object.hasOwn(this.settings.clients, credentials.clientId) ? this.settings.clients[credentials.clientId] : undefined;
    if (!credentials || expected === undefined || expected !== credentials.clientSecret) {
      return oauthError(401, 'invalid_client', 'Invalid client credentials.', { 'www-authenticate': 'Basic realm="atlas"' });
    }
    if (mediaTypeOf(req.headers['content-type']) !== 'application/x-www-form-urlencoded') {
      return oauthError(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded.');
    }
    const grantType = new URLSearchParams(rawBody).get('grant_type');
    if (grantType === null) return oauthError(400, 'invalid_request', 'Missing grant_type.');
    if (grantType !== 'client_credentials') return oauthError(400, 'unsupported_grant_type', `Unsupported grant_type ${grantType}.`);

    const now = Date.now();
    let live = 0;
    for (const [token, held] of this.tokens) {
      if (held.expiresAt <= now) this.tokens.delete(token);
      else if (held.clientId === credentials.clientId) live += 1;
    }
    if (live >= this.settings.maxLiveTokens) return oauthError(403, 'access_denied', 'Access Token limit reached');

    const accessToken = randomBytes(32).toString('base64url');
    this.issued.push(accessToken);
    this.tokens.set(accessToken, { clientId: credentials.clientId, expiresAt: now + this.settings.tokenTtlSeconds * 1000 });
    return {
      status: 200,
      body: { access_token: accessToken, token_type: 'Bearer', expires_in: this.settings.tokenTtlSeconds },
      contentType: JSON_TYPE,
      headers: { 'cache-control': 'no-store' },
    };
  }

  private inviteToProject(exchange: Exchange, endpoint: 'invites' | 'users', groupId: string): Answer {
    const { req } = exchange;
    if (req.method !== 'POST') return { ...errorAnswer(405, 'METHOD_NOT_ALLOWED', 'The sandbox serves POST only here.'), headers: { allow: 'POST' } };

    const limit = this.takeRateToken();
    if (limit && !limit.allowed) {
      return {
        ...errorAnswer(429, 'RATE_LIMITED', `Please retry after ${limit.retryAfterSeconds} seconds.`),
        headers: { ...limit.headers, 'retry-after': String(limit.retryAfterSeconds) },
      };
    }
    const rateHeaders = limit?.headers ?? {};
    const reject = (status: number, errorCode: string, detail: string): Answer => ({ ...errorAnswer(status, errorCode, detail), headers: rateHeaders });

    const inviter = this.bearerClient(req.headers.authorization);
    if (inviter === undefined) return { ...reject(401, 'UNAUTHORIZED', 'You are not authorized for this resource.'), headers: { ...rateHeaders, 'www-authenticate': 'Bearer' } };

    const mediaType = endpoint === 'invites' ? INVITES_MEDIA_TYPE : USERS_MEDIA_TYPE;
    if (!acceptsMediaType(req.headers.accept, mediaType)) return reject(406, 'INVALID_VERSION_DATE', 'Invalid accept header or version date.');
    if (mediaTypeOf(req.headers['content-type']) !== mediaType) {
      return reject(415, 'UNSUPPORTED_MEDIA_TYPE', `Invalid content type header or version date; this resource accepts ${mediaType}.`);
    }
    if (endpoint === 'invites' && this.settings.invitesGone) {
      return reject(
        410,
        'VERSION_GONE',
        `This happens when a resource is marked for sunset and the sunset date is in the past: version 2023-01-01 of /groups/{groupId}/invites reached its sunset on ${INVITES_SUNSET}; use /groups/{groupId}/users (2025-02-19).`,
      );
    }
    if (!HEX24.test(groupId)) return reject(400, 'INVALID_GROUP_ID', `An invalid group ID ${groupId} was specified.`);
    if (this.settings.projects && !this.settings.projects.has(groupId)) return reject(404, 'GROUP_NOT_FOUND', `No group with ID ${groupId} exists.`);

    let body: unknown;
    try {
      body = JSON.parse(exchange.rawBody);
    } catch {
      return reject(400, 'INVALID_JSON', 'Received JSON is malformed.');
    }
    const invalid = invalidInviteBody(body);
    if (invalid) return reject(400, invalid.errorCode, invalid.detail);
    const { username, roles } = body as { username: string; roles: string[] };

    const now = Date.now();
    if (endpoint === 'invites' && this.settings.inviteRateLimit) {
      const { invitations, perMinutes } = this.settings.inviteRateLimit;
      this.inviteTimes = this.inviteTimes.filter((t) => t > now - perMinutes * 60_000);
      if (this.inviteTimes.length >= invitations) {
        return reject(400, 'RATE_LIMITED_IP', `rate limit of ${invitations} invitations per ${perMinutes} minutes exceeded`);
      }
      this.inviteTimes.push(now);
    }

    const inviterUsername = `${inviter}@service-accounts.sandbox.invalid`;
    const sameUser = this.membersByUser.get(memberKey(groupId, username)) ?? [];
    const alreadyInGroup = (): Answer => reject(409, 'USER_ALREADY_IN_GROUP', `The user ${username} is already in the project ${groupId}.`);

    if (endpoint === 'users') {
      // Pending invitations made with /invites are invisible to /users (NOTES.md), so only /users and seeded entries count.
      if (sameUser.some((m) => m.via !== 'invites')) return alreadyInGroup();
      const member = newMember(groupId, username, roles, 'users', 'PENDING', now);
      this.addMember(member);
      return {
        status: 201,
        body: {
          id: member.id,
          username: member.username,
          roles: member.roles,
          orgMembershipStatus: member.status,
          invitationCreatedAt: member.createdAt,
          invitationExpiresAt: member.expiresAt,
          inviterUsername,
        },
        contentType: USERS_MEDIA_TYPE,
        headers: rateHeaders,
      };
    }

    if (sameUser.some((m) => m.status === 'ACTIVE')) return alreadyInGroup();
    const invitesHeaders = { ...rateHeaders, sunset: new Date(`${INVITES_SUNSET}T00:00:00Z`).toUTCString() };
    const pending = sameUser.find((m) => m.via !== 'users');
    if (pending) {
      if (this.settings.duplicateInvite === 'conflict') {
        return reject(409, 'INVITATION_ALREADY_EXISTS', `An invitation for ${username} to the project ${groupId} already exists.`);
      }
      return { status: 200, body: invitationBody(pending, inviterUsername), contentType: INVITES_MEDIA_TYPE, headers: invitesHeaders };
    }
    const member = newMember(groupId, username, roles, 'invites', 'PENDING', now);
    this.addMember(member);
    return { status: 200, body: invitationBody(member, inviterUsername), contentType: INVITES_MEDIA_TYPE, headers: invitesHeaders };
  }

  /** Keeps the list (for listing, in order) and the index by project and user (so a lookup stays cheap under load). */
  private addMember(member: Member): void {
    this.members.push(member);
    const key = memberKey(member.groupId, member.username);
    const same = this.membersByUser.get(key);
    if (same) same.push(member);
    else this.membersByUser.set(key, [member]);
  }

  /** The clientId behind a live Bearer token, or undefined. */
  private bearerClient(authorization: string | undefined): string | undefined {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    const held = match?.[1] === undefined ? undefined : this.tokens.get(match[1]);
    if (!held || held.expiresAt <= Date.now()) return undefined;
    return held.clientId;
  }

  /** One request's worth of the shared token bucket; undefined when no rate limit is configured. */
  private takeRateToken(): { allowed: boolean; retryAfterSeconds: number; headers: Record<string, string> } | undefined {
    const limit = this.settings.rateLimit;
    if (!limit) return undefined;
    const capacity = limit.burst ?? limit.requestsPerSecond;
    const now = Date.now();
    const bucket = (this.bucket ??= { tokens: capacity, refilledAt: now });
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.refilledAt) / 1000) * limit.requestsPerSecond);
    bucket.refilledAt = now;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    const retryAfterSeconds = allowed ? 0 : Math.max(1, Math.ceil((1 - bucket.tokens) / limit.requestsPerSecond));
    return {
      allowed,
      retryAfterSeconds,
      headers: { 'ratelimit-limit': String(capacity), 'ratelimit-remaining': String(Math.floor(bucket.tokens)) },
    };
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
  };
  // A typo here would make a test pass or fail for the wrong reason, so refuse it up front.
  if (!(settings.tokenTtlSeconds > 0)) throw new RangeError(`tokenTtlSeconds must be > 0, got ${settings.tokenTtlSeconds}`);
  if (!(settings.maxLiveTokens >= 1)) throw new RangeError(`maxLiveTokens must be >= 1, got ${settings.maxLiveTokens}`);
  if (!(settings.latencyMs >= 0)) throw new RangeError(`latencyMs must be >= 0, got ${settings.latencyMs}`);
  if (settings.rateLimit && !(settings.rateLimit.requestsPerSecond > 0 && (settings.rateLimit.burst ?? 1) >= 1)) {
    throw new RangeError('rateLimit needs requestsPerSecond > 0 and burst >= 1');
  }
  if (settings.inviteRateLimit && !(settings.inviteRateLimit.invitations >= 1 && settings.inviteRateLimit.perMinutes > 0)) {
    throw new RangeError('inviteRateLimit needs invitations >= 1 and perMinutes > 0');
  }
  return settings;
}

function projectSet(projects: string[] | undefined): ReadonlySet<string> | undefined {
  if (!projects) return undefined;
  const bad = projects.find((p) => !HEX24.test(p));
  if (bad !== undefined) throw new RangeError(`projects: ${bad} is not a 24-hex groupId`);
  return new Set(projects);
}

function faultMatches(on: AtlasFaultTarget, endpoint: AtlasEndpoint): boolean {
  return on === 'any' ? endpoint === 'invites' || endpoint === 'users' : on === endpoint;
}

function routeOf(pathname: string): { endpoint: AtlasEndpoint; groupId?: string } {
  if (pathname === TOKEN_PATH) return { endpoint: 'token' };
  const match = GROUP_PATH.exec(pathname);
  const [, groupId, endpoint] = match ?? [];
  if (groupId === undefined || (endpoint !== 'invites' && endpoint !== 'users')) return { endpoint: 'other' };
  try {
    return { endpoint, groupId: decodeURIComponent(groupId) };
  } catch {
    return { endpoint, groupId };
  }
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

/** RFC 6749 section 2.3.1: id and secret are form-urlencoded before they are joined and base64-encoded. */
function basicCredentials(authorization: string | undefined): { clientId: string; clientSecret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization ?? '');
  if (match?.[1] === undefined) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    const formDecode = (s: string): string => decodeURIComponent(s.replace(/\+/g, ' '));
    return { clientId: formDecode(decoded.slice(0, colon)), clientSecret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

function mediaTypeOf(header: string | undefined): string | undefined {
  return header?.split(';')[0]?.trim().toLowerCase();
}

function acceptsMediaType(accept: string | undefined, mediaType: string): boolean {
  return (accept ?? '').split(',').some((part) => mediaTypeOf(part) === mediaType);
}

function invalidInviteBody(body: unknown): { errorCode: string; detail: string } | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { errorCode: 'INVALID_ATTRIBUTE', detail: 'The request body must be a JSON object.' };
  const { username, roles } = body as Record<string, unknown>;
  if (username === undefined) return { errorCode: 'MISSING_ATTRIBUTE', detail: 'The required attribute username was not specified.' };
  if (typeof username !== 'string' || !EMAIL.test(username)) return { errorCode: 'INVALID_EMAIL_ADDRESS', detail: 'Invalid email address.' };
  if (roles === undefined) return { errorCode: 'MISSING_ATTRIBUTE', detail: 'The required attribute roles was not specified.' };
  if (!Array.isArray(roles) || roles.length === 0 || !roles.every((r): r is string => typeof r === 'string')) {
    return { errorCode: 'INVALID_ATTRIBUTE', detail: 'Invalid attribute roles specified: a non-empty array of strings is required.' };
  }
  if (new Set(roles).size !== roles.length) return { errorCode: 'INVALID_ATTRIBUTE', detail: 'Invalid attribute roles specified: roles must be unique.' };
  const notProjectRole = roles.find((r) => !/^GROUP_[A-Z_]+$/.test(r));
  if (notProjectRole !== undefined) return { errorCode: 'INVALID_ROLE_FOR_GROUP', detail: `Role ${notProjectRole} is not valid for a project.` };
  return undefined;
}

function newMember(groupId: string, username: string, roles: string[], via: Member['via'], status: Member['status'], now: number): Member {
  return {
    id: randomBytes(12).toString('hex'),
    groupId,
    username,
    roles: [...roles],
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + INVITATION_LIFETIME_MS).toISOString(),
    via,
    status,
  };
}

function invitationBody(member: Member, inviterUsername: string): Record<string, unknown> {
  return {
    id: member.id,
    groupId: member.groupId,
    groupName: `sandbox-project-${member.groupId.slice(-6)}`,
    username: member.username,
    roles: member.roles,
    createdAt: member.createdAt,
    expiresAt: member.expiresAt,
    inviterUsername,
    links: [],
  };
}

function apiError(status: number, errorCode: string, detail: string): Record<string, unknown> {
  return { error: status, errorCode, detail, reason: STATUS_CODES[status] ?? 'Error', parameters: [] };
}

function errorAnswer(status: number, errorCode: string, detail: string): Answer {
  return { status, body: apiError(status, errorCode, detail), contentType: JSON_TYPE };
}

function oauthError(status: number, error: string, description: string, headers: Record<string, string> = {}): Answer {
  return { status, body: { error, error_description: description }, contentType: JSON_TYPE, headers: { 'cache-control': 'no-store', ...headers } };
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
