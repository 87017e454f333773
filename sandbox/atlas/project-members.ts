/**
 * The Atlas sandbox's project users after the invitation (2025-02-19): list them, add or remove one project role,
 * remove them from the project. What movers and leavers call:
 * - `GET /groups/{groupId}/users?username=` (`listGroupUsers`): 200 `PaginatedGroupUserView`;
 * - `POST /groups/{groupId}/users/{userId}:addRole` (`addGroupUserRole`) and `:removeRole` (`removeGroupUserRole`),
 *   body `AddOrRemoveGroupRole {groupRole}`: 200 `GroupUserResponse`; the last role cannot go
 *   (403 `CANNOT_REMOVE_ALL_USER_ROLES`);
 * - `DELETE /groups/{groupId}/users/{userId}` (`removeGroupUser`): 204.
 * A pending invitation made with `/invites` is none of theirs (the spec: "This resource cannot be used to ... users
 * invited via the deprecated Invite One MongoDB Cloud User to Join One Project endpoint"): 404 `USER_NOT_IN_GROUP`.
 */
import type { Answer } from './answers';
import { isHex24, jsonObjectBody, membershipStatuses, paginated, USERS_MEDIA_TYPE } from './admin-api';
import type { AdminGate, AdminRequest, Admitted, Resource } from './admin-api';
import { groupUserBody, invalidRole, sameUsername } from './members';
import type { Member, Members } from './members';

export interface ProjectMembersSettings {
  /**
   * What `:addRole` of a role the user holds, or `:removeRole` of one they do not, answers: `unchanged` (200 with the
   * user as it is) or `conflict` (409). Atlas documents a 409 for both without saying when it comes.
   */
  redundantRoleChange: 'unchanged' | 'conflict';
}

export interface ProjectMembersDeps {
  /** Read on every request, so configure() takes effect at once. */
  settings: () => ProjectMembersSettings;
  gate: AdminGate;
  members: Members;
}

const LIST: Resource = { mediaType: USERS_MEDIA_TYPE, body: false, scope: 'group' };
const CHANGE_ROLE: Resource = { mediaType: USERS_MEDIA_TYPE, body: true, scope: 'group' };
const REMOVE: Resource = { mediaType: USERS_MEDIA_TYPE, body: false, scope: 'group' };

export class ProjectMembers {
  constructor(private readonly deps: ProjectMembersDeps) {}

  /** `GET /groups/{groupId}/users`: ACTIVE and PENDING users (or the `orgMembershipStatuses` asked for), `username` without case. */
  list(request: AdminRequest): Answer {
    const admission = this.deps.gate.admit(request, LIST);
    if ('refused' in admission) return admission.refused;
    const call = admission.admitted;
    const filter = membershipStatuses(request.query, call);
    if ('refused' in filter) return filter.refused;
    const username = request.query.get('username');
    const users = this.deps.members
      .usersIn(request.params.groupId ?? '')
      .filter((m) => filter.statuses.has(m.status) && (username === null || sameUsername(m.username, username)));
    const paged = paginated(users.map(groupUserBody), request, call);
    if ('refused' in paged) return paged.refused;
    return call.answer(200, paged.page);
  }

  /** `POST /groups/{groupId}/users/{userId}:addRole`. */
  addRole(request: AdminRequest): Answer {
    return this.changeRole(request, (member, role, call) => {
      if (member.roles.includes(role)) return this.redundant(member, call, `The user ${member.id} already has the role ${role} in the project ${member.groupId}.`);
      this.deps.members.setRoles(member, [...member.roles, role]);
      return call.answer(200, groupUserBody(member));
    });
  }

  /** `POST /groups/{groupId}/users/{userId}:removeRole`: "A user must have at least one role at all times." */
  removeRole(request: AdminRequest): Answer {
    return this.changeRole(request, (member, role, call) => {
      if (!member.roles.includes(role)) return this.redundant(member, call, `The user ${member.id} does not have the role ${role} in the project ${member.groupId}.`);
      if (member.roles.length === 1) return call.reject(403, 'CANNOT_REMOVE_ALL_USER_ROLES', 'You cannot remove all roles from a user. Specify at least one role.');
      this.deps.members.setRoles(
        member,
        member.roles.filter((r) => r !== role),
      );
      return call.answer(200, groupUserBody(member));
    });
  }

  /** `DELETE /groups/{groupId}/users/{userId}`: an active or a pending user. */
  remove(request: AdminRequest): Answer {
    const admission = this.deps.gate.admit(request, REMOVE);
    if ('refused' in admission) return admission.refused;
    const call = admission.admitted;
    const found = this.findUser(request, call);
    if ('refused' in found) return found.refused;
    this.deps.members.remove(found.member);
    return call.answer(204, undefined);
  }

  private changeRole(request: AdminRequest, change: (member: Member, role: string, call: Admitted) => Answer): Answer {
    const admission = this.deps.gate.admit(request, CHANGE_ROLE);
    if ('refused' in admission) return admission.refused;
    const call = admission.admitted;
    const parsed = jsonObjectBody(request.rawBody, ['groupRole'], call);
    if ('refused' in parsed) return parsed.refused;
    const { groupRole } = parsed.body;
    if (groupRole === undefined) return call.reject(400, 'MISSING_ATTRIBUTE', 'The required attribute groupRole was not specified.');
    if (typeof groupRole !== 'string') return call.reject(400, 'INVALID_ATTRIBUTE', 'Invalid attribute groupRole specified: a string is required.');
    const invalid = invalidRole(groupRole);
    if (invalid) return call.reject(400, invalid.errorCode, invalid.detail);
    const found = this.findUser(request, call);
    if ('refused' in found) return found.refused;
    return change(found.member, groupRole, call);
  }

  private findUser({ params }: AdminRequest, call: Admitted): { member: Member } | { refused: Answer } {
    const groupId = params.groupId ?? '';
    const userId = params.userId ?? '';
    if (!isHex24(userId)) return { refused: call.reject(404, 'INVALID_USER_ID', `An invalid user ID ${userId} was specified.`) };
    const member = this.deps.members.user(groupId, userId);
    return member ? { member } : { refused: call.reject(404, 'USER_NOT_IN_GROUP', `User ${userId} is not in group ${groupId}.`) };
  }

  private redundant(member: Member, call: Admitted, detail: string): Answer {
    return this.deps.settings().redundantRoleChange === 'conflict' ? call.reject(409, 'CONFLICT', detail) : call.answer(200, groupUserBody(member));
  }
}
