/**
 * The Atlas sandbox's organization view of people (2025-02-19): `GET /orgs/{orgId}/users?username=` (`listOrgUsers`),
 * 200 `PaginatedOrgUserView` of `OrgUserResponse`. Every project belongs to the sandbox's one organization, so a
 * person's entry lists each project role they hold in `roles.groupRoleAssignments` (pending users' roles too), under
 * `roles.orgRoles` `ORG_MEMBER`. Like the project listing, it "cannot be used to view details about users invited via
 * the deprecated Invite One MongoDB Cloud User to Join One Project endpoint": pending `/invites` invitations are absent.
 */
import type { Answer } from './answers';
import { membershipStatuses, paginated, USERS_MEDIA_TYPE } from './admin-api';
import type { AdminGate, AdminRequest, Resource } from './admin-api';
import { activeUserFields, sameUsername } from './members';
import type { Member, Members } from './members';

export interface OrgUsersDeps {
  gate: AdminGate;
  members: Members;
}

const LIST: Resource = { mediaType: USERS_MEDIA_TYPE, body: false, scope: 'org' };

export class OrgUsers {
  constructor(private readonly deps: OrgUsersDeps) {}

  /** `GET /orgs/{orgId}/users`: one entry per person, ACTIVE when they are active in any project, else PENDING. */
  list(request: AdminRequest): Answer {
    const admission = this.deps.gate.admit(request, LIST);
    if ('refused' in admission) return admission.refused;
    const call = admission.admitted;
    const filter = membershipStatuses(request.query, call);
    if ('refused' in filter) return filter.refused;
    const username = request.query.get('username');

    const people = new Map<string, [Member, ...Member[]]>();
    for (const member of this.deps.members.usersInOrg()) {
      if (username !== null && !sameUsername(member.username, username)) continue;
      const key = member.username.toLowerCase();
      const entries = people.get(key);
      if (entries) entries.push(member);
      else people.set(key, [member]);
    }
    const users = [...people.values()].map(orgUserBody).filter((u) => filter.statuses.has(u.orgMembershipStatus));
    const paged = paginated(users, request, call);
    if ('refused' in paged) return paged.refused;
    return call.answer(200, paged.page);
  }
}

/** `OrgUserResponse` of one person from their project entries (oldest first, at least one). */
function orgUserBody(entries: [Member, ...Member[]]): Record<string, unknown> & { orgMembershipStatus: string } {
  const active = entries.find((m) => m.status === 'ACTIVE');
  const first = active ?? entries[0];
  const groupRoleAssignments = new Map<string, Set<string>>();
  for (const { groupId, roles } of entries) {
    const held = groupRoleAssignments.get(groupId) ?? new Set<string>();
    for (const role of roles) held.add(role);
    groupRoleAssignments.set(groupId, held);
  }
  const common = {
    id: first.id,
    username: first.username,
    roles: {
      orgRoles: ['ORG_MEMBER'],
      groupRoleAssignments: [...groupRoleAssignments].map(([groupId, roles]) => ({ groupId, groupRoles: [...roles] })),
    },
    teamIds: [],
  };
  if (active) return { ...common, orgMembershipStatus: 'ACTIVE', ...activeUserFields(active) };
  return {
    ...common,
    orgMembershipStatus: 'PENDING',
    invitationCreatedAt: first.createdAt,
    invitationExpiresAt: first.expiresAt,
    inviterUsername: first.inviterUsername,
  };
}
