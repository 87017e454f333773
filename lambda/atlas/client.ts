import type { InviteApi } from '../config';
import type { CredentialsSource } from '../credentials';
import { Deadline } from '../deadline';
import type { Logger } from '../log';
import { classifyAnswer } from './classify';
import { AtlasError } from './errors';
import { postToAtlas } from './http';
import { withRetries, type AttemptOutcome, type RetryHooks, type RetryPolicy } from './retry';
import { TokenCache } from './token';
import { Agent, type Dispatcher } from './undici';

/**
 * The Atlas client: knows HTTP and Atlas, nothing of events or rules. It invites one person to one project with
 * either invitation API, retrying what may succeed later, and answers with a status or an {@link AtlasError}.
 */

/** What one invitation asks of Atlas. */
export interface ProjectInvitation {
  groupId: string;
  username: string;
  roles: readonly string[];
}

export type InviteOutcome =
  | { ok: true; status: 'invited' | 'already_invited'; invitationId?: string }
  | { ok: false; error: AtlasError };

/** The seam the core depends on. */
export interface Inviter {
  inviteToProject(invitation: ProjectInvitation, deadline: Deadline): Promise<InviteOutcome>;
}

/** The two invitation APIs: path and resource version (contract section 6). */
const INVITE_APIS: Record<InviteApi, { path: (groupId: string) => string; mediaType: string }> = {
  invites: { path: (g) => `/api/atlas/v2/groups/${g}/invites`, mediaType: 'application/vnd.atlas.2023-01-01+json' },
  users: { path: (g) => `/api/atlas/v2/groups/${g}/users`, mediaType: 'application/vnd.atlas.2025-02-19+json' },
};

/** An invitation created this long before we asked is one that already existed (Atlas answers 200 with it). */
const EXISTING_INVITATION_AGE_MS = 60_000;
const USER_AGENT = 'atlas-onboarder/0.1';

export interface AtlasClientOptions {
  baseUrl: string;
  inviteApi: InviteApi;
  retry: RetryPolicy;
  credentials: CredentialsSource;
  log: Logger;
  dispatcher?: Dispatcher;
  now?: () => number;
  hooks?: RetryHooks;
}

/**
 * One keep-alive connection pool per container. Connections idle longer than Atlas's own keep-alive would be
 * closed under us; undici honours the server's `Keep-Alive` hint up to `keepAliveMaxTimeout`. HTTP/1.1 only: undici 8
 * offers HTTP/2 in its TLS hello by default, and everything here (the timeout of a request still waiting for a
 * connection, `connections`, the tests and the benchmarks) is HTTP/1.1.
 */
export function createAtlasAgent(): Agent {
  return new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000, connections: 32, allowH2: false, connect: { timeout: 5_000 } });
}

export class AtlasClient implements Inviter {
  private api: InviteApi;
  private readonly tokens: TokenCache;
  private readonly dispatcher: Dispatcher;
  private readonly now: () => number;

  constructor(private readonly options: AtlasClientOptions) {
    this.api = options.inviteApi;
    this.dispatcher = options.dispatcher ?? createAtlasAgent();
    this.now = options.now ?? Date.now;
    this.tokens = new TokenCache(options.baseUrl, options.credentials, this.dispatcher, options.log, this.now);
  }

  /** The invitation API in use: `users` once Atlas has retired `invites` for this container. */
  get inviteApi(): InviteApi {
    return this.api;
  }

  /**
   * Invites one person to one project, retrying transient failures within `deadline`.
   *
   * @example
   * const outcome = await atlas.inviteToProject({ groupId, username: 'ada@example.com', roles: ['GROUP_READ_ONLY'] }, deadline);
   * if (outcome.ok) console.log(outcome.status, outcome.invitationId);
   */
  inviteToProject(invitation: ProjectInvitation, deadline: Deadline): Promise<InviteOutcome> {
    return withRetries((timeoutMs) => this.attempt(invitation, timeoutMs), this.options.retry, deadline, {
      ...this.options.hooks,
      onRetry: (error, attempt, delayMs) => {
        this.options.log.info('retrying Atlas call', { groupId: invitation.groupId, errorCode: error.code, kind: error.kind, attempt, delayMs });
        this.options.hooks?.onRetry?.(error, attempt, delayMs);
      },
    }).then((outcome) => (outcome.ok ? outcome.value : outcome));
  }

  /**
   * One attempt: a token and a POST, plus at most one more POST with a fresh token after a 401, and one on the users
   * API after a 410 VERSION_GONE, all within `timeoutMs`.
   */
  private async attempt(invitation: ProjectInvitation, timeoutMs: number): Promise<AttemptOutcome<InviteOutcome>> {
    const budget = new Deadline(timeoutMs);
    let refreshed = false;
    for (;;) {
      const api = this.api;
      let token: string;
      try {
        token = await this.tokens.get(budget.remainingMs());
      } catch (err) {
        if (err instanceof AtlasError) return { ok: false, error: err };
        throw err;
      }
      const answer = await this.post(api, invitation, token, budget.remainingMs());
      if (!(answer instanceof AtlasError)) return { ok: true, value: answer };
      if (answer.details.status === 401 && !refreshed) {
        // A token Atlas no longer honours (expired early, revoked): fetch a new one, once.
        this.tokens.invalidate(token);
        refreshed = true;
        continue;
      }
      if (answer.code === 'VERSION_GONE' && api === 'invites') {
        this.switchToUsersApi(answer);
        continue;
      }
      if (answer.kind === 'conflict') return { ok: true, value: { ok: true, status: 'already_invited' } };
      return { ok: false, error: answer };
    }
  }

  private switchToUsersApi(error: AtlasError): void {
    if (this.api === 'users') return;
    this.api = 'users';
    this.options.log.warn('Atlas retired the invites API (410 VERSION_GONE); using POST /groups/{groupId}/users for the rest of this container', {
      errorCode: error.code,
      detail: error.message,
    });
  }

  private async post(api: InviteApi, invitation: ProjectInvitation, token: string, timeoutMs: number): Promise<(InviteOutcome & { ok: true }) | AtlasError> {
    const { path, mediaType } = INVITE_APIS[api];
    const askedAt = this.now();
    const answer = await postToAtlas(
      this.dispatcher,
      `${this.options.baseUrl}${path(invitation.groupId)}`,
      { authorization: `Bearer ${token}`, accept: mediaType, 'content-type': mediaType, 'user-agent': USER_AGENT },
      JSON.stringify({ roles: invitation.roles, username: invitation.username }),
      timeoutMs,
    );
    if (answer instanceof AtlasError) return answer;
    return classifyAnswer(answer.status, answer.headers, answer.body, this.now()) ?? successOf(api, answer.body, askedAt);
  }
}

/** Reads a success: the invitation's id (`invites`), and whether it existed before we asked. */
function successOf(api: InviteApi, body: string, askedAt: number): InviteOutcome & { ok: true } {
  let value: { id?: unknown; createdAt?: unknown } = {};
  try {
    value = JSON.parse(body) as typeof value;
  } catch {
    // A success whose body we cannot read is still a success.
  }
  if (api === 'users') return { ok: true, status: 'invited' };
  const invitationId = typeof value.id === 'string' ? value.id : undefined;
  const createdAt = typeof value.createdAt === 'string' ? Date.parse(value.createdAt) : NaN;
  const existed = !Number.isNaN(createdAt) && createdAt < askedAt - EXISTING_INVITATION_AGE_MS;
  return { ok: true, status: existed ? 'already_invited' : 'invited', ...(invitationId && { invitationId }) };
}
