/**
 * The Atlas sandbox's two ways to invite someone to a project: `POST /groups/{groupId}/invites` (`createGroupInvite`,
 * 2023-01-01, sunset) and `POST /groups/{groupId}/users` (`addGroupUsers`, 2025-02-19). Both write to the membership
 * store (`members.ts`) the other endpoints read.
 */
import type { Answer } from './answers';
import { INVITES_MEDIA_TYPE, jsonObjectBody, USERS_MEDIA_TYPE } from './admin-api';
import type { AdminGate, AdminRequest } from './admin-api';
import { groupInvitationBody, groupUserBody, invalidRoles, seenByUsers } from './members';
import type { Members } from './members';
import type { RateLimits } from './rate-limits';

export interface ProjectUsersSettings {
  duplicateInvite: 'existing' | 'conflict';
}

export interface ProjectUsersDeps {
  /** Read on every request, so configure() takes effect at once. */
  settings: () => ProjectUsersSettings;
  gate: AdminGate;
  members: Members;
  /** The sliding window of invitations applies to `/invites` only. */
  rateLimits: RateLimits;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export class ProjectUsers {
  constructor(private readonly deps: ProjectUsersDeps) {}

  /** `POST /groups/{groupId}/invites` and `POST /groups/{groupId}/users`. */
  invite(request: AdminRequest, endpoint: 'invites' | 'users'): Answer {
    const admission = this.deps.gate.admit(request, {
      mediaType: endpoint === 'invites' ? INVITES_MEDIA_TYPE : USERS_MEDIA_TYPE,
      body: true,
      scope: 'group',
      sunset: endpoint === 'invites',
    });
    if ('refused' in admission) return admission.refused;
    const call = admission.admitted;
    const groupId = request.params.groupId ?? '';

    // The invite endpoints have never refused attributes they do not know; the newer endpoints do.
    const parsed = jsonObjectBody(request.rawBody, undefined, call);
    if ('refused' in parsed) return parsed.refused;
    const { body } = parsed;
    const invalid = invalidInviteBody(body);
    if (invalid) return call.reject(400, invalid.errorCode, invalid.detail);
    const { username, roles } = body as { username: string; roles: string[] };

    const now = Date.now();
    if (endpoint === 'invites') {
      const exceeded = this.deps.rateLimits.countInvitation(now);
      if (exceeded) {
        return call.reject(400, 'RATE_LIMITED_IP', `rate limit of ${exceeded.invitations} invitations per ${exceeded.perMinutes} minutes exceeded`);
      }
    }

    const { members } = this.deps;
    const inviterUsername = `${call.client}@service-accounts.sandbox.invalid`;
    const sameUser = members.inGroup(groupId, username);
    const alreadyInGroup = (): Answer => call.reject(409, 'USER_ALREADY_IN_GROUP', `The user ${username} is already in the project ${groupId}.`);

    if (endpoint === 'users') {
      // Pending invitations made with /invites are invisible to /users (NOTES.md): only what the users family sees counts.
      if (sameUser.some(seenByUsers)) return alreadyInGroup();
      const member = members.add({ groupId, username, roles, via: 'users', status: 'PENDING', inviterUsername, now });
      return call.answer(201, groupUserBody(member));
    }

    if (sameUser.some((m) => m.status === 'ACTIVE')) return alreadyInGroup();
    const pending = sameUser.find((m) => m.via !== 'users');
    if (pending) {
      if (this.deps.settings().duplicateInvite === 'conflict') {
        return call.reject(409, 'INVITATION_ALREADY_EXISTS', `An invitation for ${username} to the project ${groupId} already exists.`);
      }
      return call.answer(200, groupInvitationBody(pending));
    }
    const member = members.add({ groupId, username, roles, via: 'invites', status: 'PENDING', inviterUsername, now });
    return call.answer(200, groupInvitationBody(member));
  }
}

function invalidInviteBody(body: Record<string, unknown>): { errorCode: string; detail: string } | undefined {
  const { username, roles } = body;
  if (username === undefined) return { errorCode: 'MISSING_ATTRIBUTE', detail: 'The required attribute username was not specified.' };
  if (typeof username !== 'string' || !EMAIL.test(username)) return { errorCode: 'INVALID_EMAIL_ADDRESS', detail: 'Invalid email address.' };
  return invalidRoles(roles);
}
