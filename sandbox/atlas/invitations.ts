/**
 * The Atlas sandbox's pending project invitations made with `/invites` (2023-01-01, deprecated, sunset 2027-07-01):
 * - `GET /groups/{groupId}/invites?username=` (`listGroupInvites`): 200, a plain array of `GroupInvitation`;
 * - `PATCH /groups/{groupId}/invites/{invitationId}` (`updateGroupInviteById`), body `GroupInvitationUpdateRequest
 *   {roles}`: replaces the roles, 200 `GroupInvitation`;
 * - `DELETE /groups/{groupId}/invites/{invitationId}` (`deleteGroupInvite`): 204.
 * Every one answers 410 `VERSION_GONE` once the version is gone. Project users are none of theirs: an accepted
 * invitation is no longer found here.
 */
import type { Answer } from './answers';
import { INVITES_MEDIA_TYPE, isHex24, jsonObjectBody } from './admin-api';
import type { AdminGate, AdminRequest, Admitted, Resource } from './admin-api';
import { groupInvitationBody, invalidRoles, sameUsername } from './members';
import type { Member, Members } from './members';

export interface InvitationsSettings {
  /**
   * What `PATCH` and `DELETE` of an invitation that does not exist (or was accepted) answer: `notFound`, the spec's 404
   * `RESOURCE_NOT_FOUND`, or `invalidInvitationId`, the 400 `INVALID_INVITATION_ID` of MongoDB's error table.
   */
  missingInvitation: 'notFound' | 'invalidInvitationId';
}

export interface InvitationsDeps {
  /** Read on every request, so configure() takes effect at once. */
  settings: () => InvitationsSettings;
  gate: AdminGate;
  members: Members;
}

const LIST: Resource = { mediaType: INVITES_MEDIA_TYPE, body: false, scope: 'group', sunset: true };
const UPDATE: Resource = { mediaType: INVITES_MEDIA_TYPE, body: true, scope: 'group', sunset: true };
const REVOKE: Resource = { mediaType: INVITES_MEDIA_TYPE, body: false, scope: 'group', sunset: true };

export class ProjectInvitations {
  constructor(private readonly deps: InvitationsDeps) {}

  /** `GET /groups/{groupId}/invites`: "Returns all pending invitations to the specified project", `username` without case. */
  list(request: AdminRequest): Answer {
    const admission = this.deps.gate.admit(request, LIST);
    if ('refused' in admission) return admission.refused;
    const username = request.query.get('username');
    const pending = this.deps.members.invitationsIn(request.params.groupId ?? '').filter((m) => username === null || sameUsername(m.username, username));
    return admission.admitted.answer(200, pending.map(groupInvitationBody));
  }

  /** `PATCH /groups/{groupId}/invites/{invitationId}`: the roles given replace the invitation's. */
  update(request: AdminRequest): Answer {
    const admission = this.deps.gate.admit(request, UPDATE);
    if ('refused' in admission) return admission.refused;
    const call = admission.admitted;
    const parsed = jsonObjectBody(request.rawBody, ['roles'], call);
    if ('refused' in parsed) return parsed.refused;
    const invalid = invalidRoles(parsed.body.roles);
    if (invalid) return call.reject(400, invalid.errorCode, invalid.detail);
    const found = this.findInvitation(request, call);
    if ('refused' in found) return found.refused;
    this.deps.members.setRoles(found.invitation, parsed.body.roles as string[]);
    return call.answer(200, groupInvitationBody(found.invitation));
  }

  /** `DELETE /groups/{groupId}/invites/{invitationId}`: "Cancels one pending invitation". */
  revoke(request: AdminRequest): Answer {
    const admission = this.deps.gate.admit(request, REVOKE);
    if ('refused' in admission) return admission.refused;
    const call = admission.admitted;
    const found = this.findInvitation(request, call);
    if ('refused' in found) return found.refused;
    this.deps.members.remove(found.invitation);
    return call.answer(204, undefined);
  }

  private findInvitation({ params }: AdminRequest, call: Admitted): { invitation: Member } | { refused: Answer } {
    const groupId = params.groupId ?? '';
    const invitationId = params.invitationId ?? '';
    const invitation = isHex24(invitationId) ? this.deps.members.invitation(groupId, invitationId) : undefined;
    if (invitation) return { invitation };
    if (this.deps.settings().missingInvitation === 'invalidInvitationId') {
      return { refused: call.reject(400, 'INVALID_INVITATION_ID', 'The invitation you tried to delete does not exist or has already been accepted.') };
    }
    return { refused: call.reject(404, 'RESOURCE_NOT_FOUND', `Cannot find resource invitation ${invitationId} in the project ${groupId}.`) };
  }
}
