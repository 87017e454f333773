import type { Deadline } from '../deadline';
import type { Result } from '../failure';
import type { Invitations } from './invitations';
import type { AtlasReply, AtlasRequest, AtlasSession } from './session';

/**
 * What a person holds in a project, and the calls that change it (contract section 13; shared/atlas/NOTES.md and
 * shared/research/atlas-lifecycle.md): project users (`/groups/{id}/users`, 2025-02-19) and, while Atlas keeps it,
 * the invitations API (`/groups/{id}/invites`, 2023-01-01), whose pending invitations the users API does not show.
 */

const USERS = 'application/vnd.atlas.2025-02-19+json';
const INVITES = 'application/vnd.atlas.2023-01-01+json';

/** What the person holds in one project. */
export interface ProjectHolding {
  membership?: { userId: string; roles: string[]; status: string };
  invitation?: { invitationId: string; roles: string[] };
}

/** The seam the core depends on for movers and leavers. Every call retries, paces and keeps the deadline (the session). */
export interface ProjectAccess {
  holding(groupId: string, username: string, deadline: Deadline): Promise<Result<ProjectHolding>>;
  addRole(groupId: string, userId: string, role: string, deadline: Deadline): Promise<Result<void>>;
  removeRole(groupId: string, userId: string, role: string, deadline: Deadline): Promise<Result<void>>;
  removeMember(groupId: string, userId: string, deadline: Deadline): Promise<Result<void>>;
  updateInvitation(groupId: string, invitationId: string, roles: readonly string[], deadline: Deadline): Promise<Result<void>>;
  revokeInvitation(groupId: string, invitationId: string, deadline: Deadline): Promise<Result<void>>;
}

/** Codes that say there is nothing left to remove: the call's goal already holds (the research note, section 2.4 and 1.1). */
const ALREADY_GONE = new Set(['USER_NOT_IN_GROUP', 'INVALID_INVITATION_ID', 'INVITATION_NOT_FOUND', 'RESOURCE_NOT_FOUND', 'HTTP_404']);

export class ProjectUsers implements ProjectAccess {
  constructor(
    private readonly session: AtlasSession,
    /** The invitations API's state: once Atlas has retired it (410), it is neither read nor written. */
    private readonly invitations: Invitations,
  ) {}

  /**
   * The person's project user and pending invitation in one project, read concurrently.
   *
   * @example
   * const held = await projectUsers.holding(groupId, 'ada@example.com', deadline);
   */
  async holding(groupId: string, username: string, deadline: Deadline): Promise<Result<ProjectHolding>> {
    const user = encodeURIComponent(username);
    // Read whichever invitation API is configured: a pending invitation of the old API makes a second one through the
    // users API a duplicate (contract section 13). Only Atlas's 410 stops the reading.
    const readInvitation = !this.invitations.invitesRetired;
    const [members, invites] = await Promise.all([
      this.call(groupId, { method: 'GET', path: `/api/atlas/v2/groups/${groupId}/users?username=${user}`, mediaType: USERS }, deadline),
      readInvitation ? this.call(groupId, { method: 'GET', path: `/api/atlas/v2/groups/${groupId}/invites?username=${user}`, mediaType: INVITES }, deadline) : undefined,
    ]);
    if (!members.ok) return members;
    const holding: ProjectHolding = {};
    const member = records(bodyOf(members.value), 'results').find((u) => sameUser(u.username, username));
    if (member && typeof member.id === 'string') {
      holding.membership = { userId: member.id, roles: strings(member.roles), status: typeof member.orgMembershipStatus === 'string' ? member.orgMembershipStatus : 'ACTIVE' };
    }
    if (invites && !invites.ok) {
      if (invites.error.code !== 'VERSION_GONE') return invites;
      this.invitations.switchToUsersApi(invites.error);
    } else if (invites) {
      const invitation = records(bodyOf(invites.value)).find((i) => sameUser(i.username, username));
      if (invitation && typeof invitation.id === 'string') holding.invitation = { invitationId: invitation.id, roles: strings(invitation.roles) };
    }
    return { ok: true, value: holding };
  }

  addRole(groupId: string, userId: string, role: string, deadline: Deadline): Promise<Result<void>> {
    return this.change(groupId, { method: 'POST', path: `/api/atlas/v2/groups/${groupId}/users/${userId}:addRole`, mediaType: USERS, body: { groupRole: role } }, deadline, false);
  }

  removeRole(groupId: string, userId: string, role: string, deadline: Deadline): Promise<Result<void>> {
    return this.change(groupId, { method: 'POST', path: `/api/atlas/v2/groups/${groupId}/users/${userId}:removeRole`, mediaType: USERS, body: { groupRole: role } }, deadline, false);
  }

  removeMember(groupId: string, userId: string, deadline: Deadline): Promise<Result<void>> {
    return this.change(groupId, { method: 'DELETE', path: `/api/atlas/v2/groups/${groupId}/users/${userId}`, mediaType: USERS }, deadline, true);
  }

  updateInvitation(groupId: string, invitationId: string, roles: readonly string[], deadline: Deadline): Promise<Result<void>> {
    return this.change(groupId, { method: 'PATCH', path: `/api/atlas/v2/groups/${groupId}/invites/${invitationId}`, mediaType: INVITES, body: { roles } }, deadline, false);
  }

  revokeInvitation(groupId: string, invitationId: string, deadline: Deadline): Promise<Result<void>> {
    return this.change(groupId, { method: 'DELETE', path: `/api/atlas/v2/groups/${groupId}/invites/${invitationId}`, mediaType: INVITES }, deadline, true);
  }

  private call(groupId: string, request: Omit<AtlasRequest, 'scope'>, deadline: Deadline): Promise<Result<AtlasReply>> {
    return this.session.call({ ...request, scope: `group:${groupId}` }, deadline, { groupId });
  }

  /** A write: `conflict` (the role already there) is done; for a removal, so is "nothing there to remove". */
  private async change(groupId: string, request: Omit<AtlasRequest, 'scope'>, deadline: Deadline, removal: boolean): Promise<Result<void>> {
    const reply = await this.call(groupId, request, deadline);
    if (reply.ok) return { ok: true, value: undefined };
    const { error } = reply;
    if (error.kind === 'conflict') return { ok: true, value: undefined };
    if (removal && error.kind === 'permanent' && (ALREADY_GONE.has(error.code) || error.details.status === 404)) return { ok: true, value: undefined };
    return reply;
  }
}

function bodyOf(reply: AtlasReply): unknown {
  try {
    return JSON.parse(reply.body) as unknown;
  } catch {
    return undefined;
  }
}

/** The objects of a JSON array, or of the array under `key` (a paginated answer's `results`). */
function records(value: unknown, key?: string): Record<string, unknown>[] {
  const list: unknown = key && typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : value;
  return Array.isArray(list) ? list.filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null) : [];
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Atlas compares usernames without regard to case. */
function sameUser(value: unknown, username: string): boolean {
  return typeof value === 'string' && value.toLowerCase() === username.toLowerCase();
}
