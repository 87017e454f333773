/**
 * The Atlas sandbox's two ways to invite someone to a project, `POST /groups/{groupId}/invites` (sunset) and
 * `POST /groups/{groupId}/users`, and the membership they share: pending invitations and project users.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { acceptsMediaType, errorAnswer, mediaTypeOf } from './answers';
import type { Answer } from './answers';
import type { RateLimits } from './rate-limits';

/** Media type of `POST /groups/{groupId}/invites`, the only version that resource has. */
export const INVITES_MEDIA_TYPE = 'application/vnd.atlas.2023-01-01+json';
/** Media type of `POST /groups/{groupId}/users`. */
export const USERS_MEDIA_TYPE = 'application/vnd.atlas.2025-02-19+json';
/** The spec's `x-sunset` of the invites resource. */
export const INVITES_SUNSET = '2027-07-01';

export interface SandboxInvitation {
  readonly id: string;
  readonly groupId: string;
  readonly username: string;
  readonly roles: readonly string[];
  /** ISO 8601. */
  readonly createdAt: string;
  /** `seed` for entries made with `AtlasSandbox.seed`. */
  readonly via: 'invites' | 'users' | 'seed';
  readonly status: 'PENDING' | 'ACTIVE';
}

export interface ProjectUsersSettings {
  invitesGone: boolean;
  duplicateInvite: 'existing' | 'conflict';
  projects: ReadonlySet<string> | undefined;
  /** Projects the service account may not touch: 401 `USER_UNAUTHORIZED` with any valid token, as Atlas answers. */
  unauthorizedProjects: ReadonlySet<string> | undefined;
}

export interface ProjectUsersDeps {
  /** Read on every request, so configure() takes effect at once. */
  settings: () => ProjectUsersSettings;
  /** The token bucket is shared by both endpoints; the sliding window applies to `/invites` only. */
  rateLimits: RateLimits;
  /** The clientId behind a live Bearer token, or undefined. */
  bearerClient: (authorization: string | undefined) => string | undefined;
}

interface Member extends SandboxInvitation {
  readonly expiresAt: string;
}

/** Atlas compares usernames without regard to case. */
const memberKey = (groupId: string, username: string) => `${groupId}\n${username.toLowerCase()}`;
const HEX24 = /^[a-f0-9]{24}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const INVITATION_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;

export class ProjectUsers {
  private members: Member[] = [];
  private readonly membersByUser = new Map<string, Member[]>();

  constructor(private readonly deps: ProjectUsersDeps) {}

  /** Pending invitations and project users, oldest first. */
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

  /** Forgets every invitation and member. */
  reset(): void {
    this.members = [];
    this.membersByUser.clear();
  }

  /** `POST /groups/{groupId}/invites` and `POST /groups/{groupId}/users`. */
  invite(req: IncomingMessage, endpoint: 'invites' | 'users', groupId: string, rawBody: string): Answer {
    if (req.method !== 'POST') return { ...errorAnswer(405, 'METHOD_NOT_ALLOWED', 'The sandbox serves POST only here.'), headers: { allow: 'POST' } };
    const settings = this.deps.settings();

    const limit = this.deps.rateLimits.takeRateToken();
    if (limit && !limit.allowed) {
      return {
        ...errorAnswer(429, 'RATE_LIMITED', `Please retry after ${limit.retryAfterSeconds} seconds.`),
        headers: { ...limit.headers, 'retry-after': String(limit.retryAfterSeconds) },
      };
    }
    const rateHeaders = limit?.headers ?? {};
    const reject = (status: number, errorCode: string, detail: string): Answer => ({ ...errorAnswer(status, errorCode, detail), headers: rateHeaders });

    const inviter = this.deps.bearerClient(req.headers.authorization);
    if (inviter === undefined) return { ...reject(401, 'UNAUTHORIZED', 'You are not authorized for this resource.'), headers: { ...rateHeaders, 'www-authenticate': 'Bearer' } };

    const mediaType = endpoint === 'invites' ? INVITES_MEDIA_TYPE : USERS_MEDIA_TYPE;
    if (!acceptsMediaType(req.headers.accept, mediaType)) return reject(406, 'INVALID_VERSION_DATE', 'Invalid accept header or version date.');
    if (mediaTypeOf(req.headers['content-type']) !== mediaType) {
      return reject(415, 'UNSUPPORTED_MEDIA_TYPE', `Invalid content type header or version date; this resource accepts ${mediaType}.`);
    }
    if (endpoint === 'invites' && settings.invitesGone) {
      return reject(
        410,
        'VERSION_GONE',
        `This happens when a resource is marked for sunset and the sunset date is in the past: version 2023-01-01 of /groups/{groupId}/invites reached its sunset on ${INVITES_SUNSET}; use /groups/{groupId}/users (2025-02-19).`,
      );
    }
    if (!HEX24.test(groupId)) return reject(400, 'INVALID_GROUP_ID', `An invalid group ID ${groupId} was specified.`);
    if (settings.projects && !settings.projects.has(groupId)) return reject(404, 'GROUP_NOT_FOUND', `No group with ID ${groupId} exists.`);
    if (settings.unauthorizedProjects?.has(groupId)) return reject(401, 'USER_UNAUTHORIZED', 'Current user is not authorized to perform this action.');

    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch {
      return reject(400, 'INVALID_JSON', 'Received JSON is malformed.');
    }
    const invalid = invalidInviteBody(body);
    if (invalid) return reject(400, invalid.errorCode, invalid.detail);
    const { username, roles } = body as { username: string; roles: string[] };

    const now = Date.now();
    if (endpoint === 'invites') {
      const exceeded = this.deps.rateLimits.countInvitation(now);
      if (exceeded) {
        return reject(400, 'RATE_LIMITED_IP', `rate limit of ${exceeded.invitations} invitations per ${exceeded.perMinutes} minutes exceeded`);
      }
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
      if (settings.duplicateInvite === 'conflict') {
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
}

/** The `projects` option as a set, refusing anything that is not a 24-hex groupId. */
export function projectSet(projects: string[] | undefined): ReadonlySet<string> | undefined {
  if (!projects) return undefined;
  const bad = projects.find((p) => !HEX24.test(p));
  if (bad !== undefined) throw new RangeError(`projects: ${bad} is not a 24-hex groupId`);
  return new Set(projects);
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
