import type { InviteApi } from '../contract/vocabulary';
import type { Deadline } from '../deadline';
import type { Failure } from '../failure';
import type { Logger } from '../log';
import type { AtlasReply, AtlasSession } from './session';

/**
 * Invitations: one person to one project, with either invitation API (contract section 6), and the switch to `users`
 * when Atlas retires `invites` (410 `VERSION_GONE`). What to send and how to read the answer; the session does the rest.
 */

/** What one invitation asks of Atlas. */
export interface ProjectInvitation {
  groupId: string;
  username: string;
  roles: readonly string[];
}

export type InviteOutcome = { ok: true; status: 'invited' | 'already_invited'; invitationId?: string } | { ok: false; error: Failure };

/** The seam the core depends on. */
export interface Inviter {
  inviteToProject(invitation: ProjectInvitation, deadline: Deadline): Promise<InviteOutcome>;
}

/** The two invitation APIs: path and resource version. */
const INVITE_ENDPOINTS: Record<InviteApi, { path: (groupId: string) => string; mediaType: string }> = {
  invites: { path: (g) => `/api/atlas/v2/groups/${g}/invites`, mediaType: 'application/vnd.atlas.2023-01-01+json' },
  users: { path: (g) => `/api/atlas/v2/groups/${g}/users`, mediaType: 'application/vnd.atlas.2025-02-19+json' },
};

/** Atlas also limits invitations per IP address (`RATE_LIMITED_IP`, "N invitations per M minutes"), across projects. */
const INVITATIONS_IP_SCOPE = 'invitations-ip';

/** An invitation created this long before we asked is one that already existed (Atlas answers 200 with it). */
const EXISTING_INVITATION_AGE_MS = 60_000;

export class Invitations implements Inviter {
  private api: InviteApi;
  private retired = false;

  constructor(
    private readonly session: AtlasSession,
    inviteApi: InviteApi,
    private readonly log: Logger,
  ) {
    this.api = inviteApi;
  }

  /** The invitation API in use: `users` once Atlas has retired `invites` for this container. */
  get inviteApi(): InviteApi {
    return this.api;
  }

  /** Whether Atlas has answered 410 for the invitations API: its pending invitations can no longer be read or changed. */
  get invitesRetired(): boolean {
    return this.retired;
  }

  /**
   * Invites one person to one project, retrying transient failures within `deadline`.
   *
   * @example
   * const outcome = await invitations.inviteToProject({ groupId, username: 'ada@example.com', roles: ['GROUP_READ_ONLY'] }, deadline);
   * if (outcome.ok) console.log(outcome.status, outcome.invitationId);
   */
  async inviteToProject(invitation: ProjectInvitation, deadline: Deadline): Promise<InviteOutcome> {
    for (;;) {
      const api = this.api;
      const { path, mediaType } = INVITE_ENDPOINTS[api];
      const body = { roles: invitation.roles, username: invitation.username };
      const reply = await this.session.call(
        { method: 'POST', path: path(invitation.groupId), mediaType, body, scope: `group:${invitation.groupId}`, ipScope: INVITATIONS_IP_SCOPE },
        deadline,
        { groupId: invitation.groupId },
      );
      if (reply.ok) return successOf(api, reply.value);
      const { error } = reply;
      if (error.code === 'VERSION_GONE' && api === 'invites') {
        this.switchToUsersApi(error);
        continue;
      }
      if (error.kind === 'conflict') return { ok: true, status: 'already_invited' };
      return { ok: false, error };
    }
  }

  /** Atlas retired the invitations API: the users API from now on, for this container. */
  switchToUsersApi(error: Failure): void {
    this.retired = true;
    if (this.api === 'users') return;
    this.api = 'users';
    this.log.warn('Atlas retired the invites API (410 VERSION_GONE); using POST /groups/{groupId}/users for the rest of this container', {
      errorCode: error.code,
      detail: error.message,
    });
  }
}

/** Reads a success: the invitation's id (`invites`), and whether it existed before we asked. */
function successOf(api: InviteApi, reply: AtlasReply): InviteOutcome & { ok: true } {
  if (api === 'users') return { ok: true, status: 'invited' };
  let value: { id?: unknown; createdAt?: unknown } = {};
  try {
    value = JSON.parse(reply.body) as typeof value;
  } catch {
    // A success whose body we cannot read is still a success.
  }
  const invitationId = typeof value.id === 'string' ? value.id : undefined;
  const createdAt = typeof value.createdAt === 'string' ? Date.parse(value.createdAt) : NaN;
  const existed = !Number.isNaN(createdAt) && createdAt < reply.sentAt - EXISTING_INVITATION_AGE_MS;
  return { ok: true, status: existed ? 'already_invited' : 'invited', ...(invitationId && { invitationId }) };
}
