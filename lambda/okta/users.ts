import { Deadline } from '../deadline';
import type { Result } from '../failure';
import { Agent, send, TimeoutError, type Answer, type Dispatcher } from '../http/transport';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import { withRetries, type RetryHooks, type RetryPolicy } from '../retry';
import { classifyNoAnswer, classifyOktaAnswer, OKTA_NOT_FOUND } from './classify';
import { OktaError } from './errors';
import { nextLink } from './links';

/**
 * The Okta client: a person and their groups from Okta's Management API (contract section 12), `GET
 * /api/v1/users/{id}` and `GET /api/v1/users/{id}/groups` (every page), with `Authorization: SSWS <token>`. It knows
 * HTTP and Okta, nothing of events, rules or AWS: the token comes through a port, and what a reading means for an
 * event is the core's.
 */

/** Where the API token comes from (the onboarder gives it the connection's `oktaApiSecretId` secret). */
export interface OktaTokenSource {
  get(timeoutMs: number): Promise<Result<string>>;
  /** Okta refused the token: the next `get` must read it again (it may have been rotated). */
  invalidate(): void;
}

/** A user as Okta holds them, as far as the onboarder reads them. */
export interface OktaUser {
  id: string;
  /** `ACTIVE`, `SUSPENDED`, `DEPROVISIONED`, `STAGED`, `PROVISIONED`, `RECOVERY`, `LOCKED_OUT`, `PASSWORD_EXPIRED`. */
  status: string;
  profile: { email?: string; department?: string; title?: string; city?: string; costCenter?: string };
  /** Every group's `profile.name`. */
  groups: string[];
}

/** The user, or `gone`: Okta answered 404 for them. */
export type OktaUserReading = { found: true; user: OktaUser } | { found: false };

export interface OktaUsersOptions {
  /** The org's origin (`https://acme.okta.com`); every call goes there, and only there. */
  orgUrl: string;
  token: OktaTokenSource;
  retry: RetryPolicy;
  log: Logger;
  metrics?: Metrics;
  dispatcher?: Dispatcher;
  hooks?: RetryHooks;
  now?: () => number;
}

/** More pages than this of one person's groups (200 a page) is not a person: stop rather than read on for ever. */
const MAX_GROUP_PAGES = 50;
const USER_AGENT = 'atlas-onboarder/0.1';

/**
 * One keep-alive connection pool per container for Okta, HTTP/1.1 only (as the Atlas client's: see
 * `atlas/session.ts`).
 */
export function createOktaAgent(): Agent {
  return new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000, connections: 16, allowH2: false, connect: { timeout: 5_000 } });
}

/**
 * Reads people from one Okta org.
 *
 * @example
 * const okta = new OktaUsers({ orgUrl: 'https://acme.okta.com', token, retry, log });
 * const read = await okta.read('00u1abcd', deadline);
 * if (read.ok && read.value.found) console.log(read.value.user.status);
 */
export class OktaUsers {
  private readonly origin: string;
  private readonly dispatcher: Dispatcher;
  private readonly now: () => number;

  constructor(private readonly options: OktaUsersOptions) {
    this.origin = new URL(options.orgUrl).origin;
    this.dispatcher = options.dispatcher ?? createOktaAgent();
    this.now = options.now ?? Date.now;
  }

  /** The user `userId` (an id or a login) and their groups, or `found: false`; transient failures retried within `deadline`. */
  async read(userId: string, deadline: Deadline): Promise<Result<OktaUserReading>> {
    const read = await this.readUser(userId, deadline);
    // An alarm on DeploymentFaults tells the operator the token or the org URL needs fixing; the message waits.
    if (!read.ok && read.error.details.deploymentFault) this.options.metrics?.deploymentFault(read.error.code);
    return read;
  }

  private async readUser(userId: string, deadline: Deadline): Promise<Result<OktaUserReading>> {
    // `.` and `..` would leave the path segment (URLs resolve them): no id or login is either.
    if (userId === '.' || userId === '..') return { ok: false, error: new OktaError('permanent', 'OKTA_USER_ID_INVALID', 'origin.userId is not an Okta user id or login') };
    const userUrl = `${this.origin}/api/v1/users/${encodeURIComponent(userId)}`;
    const answer = await this.get(userUrl, deadline);
    if (!answer.ok) return answer.error.code === OKTA_NOT_FOUND ? { ok: true, value: { found: false } } : answer;
    const user = userOf(answer.value.body);
    if (!user) return { ok: false, error: new OktaError('transient', 'OKTA_MALFORMED', 'Okta answered a user without an id, a status or a profile') };
    const groups: string[] = [];
    let pageUrl: string | undefined = `${userUrl}/groups`;
    for (let page = 1; pageUrl !== undefined; page++) {
      if (page > MAX_GROUP_PAGES) return { ok: false, error: new OktaError('permanent', 'OKTA_TOO_MANY_GROUPS', `the person is in more than ${MAX_GROUP_PAGES} pages of groups`) };
      const listed = await this.get(pageUrl, deadline);
      // Deleted between the two calls: gone.
      if (!listed.ok) return listed.error.code === OKTA_NOT_FOUND ? { ok: true, value: { found: false } } : listed;
      const names = groupNamesOf(listed.value.body);
      if (!names) return { ok: false, error: new OktaError('transient', 'OKTA_MALFORMED', 'Okta answered a groups page that is not a list of groups') };
      groups.push(...names);
      const next = nextLink(listed.value.headers, pageUrl);
      if (next && next.origin !== this.origin) {
        // Nothing an answer says may make the function call another host (contract section 10). Okta builds its
        // links from the host it was asked on, so this is an oktaOrgUrl that is not the org's own origin.
        this.options.log.error('Okta’s next page is on another host; not followed', { errorCode: 'OKTA_FOREIGN_LINK', orgUrl: this.origin, linkOrigin: next.origin.slice(0, 200) });
        return { ok: false, error: new OktaError('transient', 'OKTA_FOREIGN_LINK', 'Okta’s next page of groups is on another host than oktaOrgUrl: not followed (set oktaOrgUrl to the origin Okta answers with)', { deploymentFault: true }) };
      }
      pageUrl = next?.href;
    }
    return { ok: true, value: { found: true, user: { ...user, groups } } };
  }

  /** One GET with the token, retried while transient within `deadline`; a success is the answer. */
  private get(url: string, deadline: Deadline): Promise<Result<Answer>> {
    return withRetries(
      (timeoutMs) => this.attempt(url, timeoutMs),
      this.options.retry,
      deadline,
      {
        ...this.options.hooks,
        onRetry: (error, attempt, delayMs) => {
          this.options.log.info('retrying Okta call', { errorCode: error.code, kind: error.kind, attempt, delayMs });
          this.options.hooks?.onRetry?.(error, attempt, delayMs);
        },
      },
      () => new OktaError('transient', 'DEADLINE_EXCEEDED', 'no time was left in this invocation to call Okta'),
    );
  }

  /** One attempt: the token and the request, and once more when Okta refused a token that has since been rotated. */
  private async attempt(url: string, timeoutMs: number): Promise<Result<Answer>> {
    const budget = new Deadline(timeoutMs);
    let refused: string | undefined;
    for (;;) {
      const token = await this.options.token.get(budget.remainingMs());
      if (!token.ok) return token;
      if (token.value === refused) return { ok: false, error: new OktaError('transient', 'E0000011', 'Okta refused the API token (401): fix the oktaApiSecretId secret', { status: 401, deploymentFault: true }) };
      let answer: Answer;
      try {
        answer = await send(this.dispatcher, url, {
          method: 'GET',
          headers: { authorization: `SSWS ${token.value}`, accept: 'application/json', 'user-agent': USER_AGENT },
          timeoutMs: budget.remainingMs(),
        });
      } catch (err) {
        return { ok: false, error: classifyNoAnswer(err, err instanceof TimeoutError) };
      }
      const error = classifyOktaAnswer(answer.statusCode, answer.headers, answer.body, this.now());
      if (!error) return { ok: true, value: answer };
      if (error.details.status === 401 && refused === undefined) {
        // The secret may have been rotated since it was read: read it again once, and try the new token.
        this.options.token.invalidate();
        refused = token.value;
        continue;
      }
      return { ok: false, error };
    }
  }
}

function userOf(body: string): Omit<OktaUser, 'groups'> | undefined {
  const value = parsed(body);
  if (!isObject(value) || typeof value.id !== 'string' || typeof value.status !== 'string' || !isObject(value.profile)) return undefined;
  const profile = value.profile;
  const text = (name: string) => (typeof profile[name] === 'string' && profile[name] !== '' ? { [name]: profile[name] } : {});
  return { id: value.id, status: value.status, profile: { ...text('email'), ...text('department'), ...text('title'), ...text('city'), ...text('costCenter') } };
}

function groupNamesOf(body: string): string[] | undefined {
  const value = parsed(body);
  if (!Array.isArray(value)) return undefined;
  const names = value.map((group) => (isObject(group) && isObject(group.profile) && typeof group.profile.name === 'string' ? group.profile.name : undefined));
  return names.every((name): name is string => name !== undefined) ? names : undefined;
}

function parsed(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
