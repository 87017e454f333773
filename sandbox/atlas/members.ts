/**
 * The Atlas sandbox's one membership store: every project invitation and project user, shared by the endpoints that
 * invite, list, change and remove them, and the shapes Atlas shows them in.
 *
 * Which family of endpoints sees an entry is decided here, once (NOTES.md; the spec's "This resource cannot be used to
 * view details about users invited via the deprecated Invite One MongoDB Cloud User to Join One Project endpoint"):
 * - the users family (`/groups/{groupId}/users…`, `/orgs/{orgId}/users`, 2025-02-19) sees ACTIVE members and the
 *   pending users it invited itself, never a pending invitation made with `/invites`;
 * - the invitations family (`/groups/{groupId}/invites…`, 2023-01-01) sees pending invitations, never a member.
 * An entry seeded without `via` is seen by both while pending, as the invite endpoints have always treated it.
 */
import { randomBytes } from 'node:crypto';

/** The spec's `x-sunset` of the invites resource. */
export const INVITES_SUNSET = '2027-07-01';
export const INVITATION_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;

export type MemberStatus = 'PENDING' | 'ACTIVE';
/** The endpoint that made the entry; `seed` for entries made with `AtlasSandbox.seed` without a `via`. */
export type MemberVia = 'invites' | 'users' | 'seed';

export interface SandboxInvitation {
  readonly id: string;
  readonly groupId: string;
  readonly username: string;
  readonly roles: readonly string[];
  /** ISO 8601. */
  readonly createdAt: string;
  /** `seed` for entries made with `AtlasSandbox.seed` without a `via`. */
  readonly via: MemberVia;
  readonly status: MemberStatus;
}

/** One entry of the store as a test sees it: an invitation or a project user, with what each API shows of it. */
export interface SandboxMember extends SandboxInvitation {
  /**
   * The id Atlas answers for this entry: for what the users family sees, the person's user id (the same in every
   * project of the organization); for a pending `/invites` invitation, the invitation's own id.
   */
  readonly id: string;
  /** ISO 8601; pending entries only. */
  readonly expiresAt: string | undefined;
  readonly inviterUsername: string;
  /** `users`: `GET /groups/{groupId}/users` and `GET /orgs/{orgId}/users` list it; `invites`: `GET /groups/{groupId}/invites` does. */
  readonly listedBy: readonly ('users' | 'invites')[];
}

/** An entry as the endpoints hold it; only the store changes it. */
export interface Member {
  id: string;
  readonly groupId: string;
  readonly username: string;
  roles: string[];
  readonly createdAt: string;
  expiresAt: string | undefined;
  readonly inviterUsername: string;
  readonly via: MemberVia;
  status: MemberStatus;
}

/** Seen by `/groups/{groupId}/users…` and `/orgs/{orgId}/users`. */
export function seenByUsers(member: Member): boolean {
  return member.status === 'ACTIVE' || member.via !== 'invites';
}

/** Seen by `/groups/{groupId}/invites…`. */
export function seenByInvites(member: Member): boolean {
  return member.status === 'PENDING' && member.via !== 'users';
}

/** Atlas compares usernames without regard to case. */
export const sameUsername = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
const personKey = (username: string) => username.toLowerCase();
const memberKey = (groupId: string, username: string) => `${groupId}\n${personKey(username)}`;
const newId = () => randomBytes(12).toString('hex');

export const SEED_INVITER = 'sandbox-seed@service-accounts.sandbox.invalid';

export class Members {
  private entries: Member[] = [];
  private readonly byUser = new Map<string, Member[]>();
  /** One user id per person for the store's life, as an Atlas account keeps its id across projects. */
  private readonly userIds = new Map<string, string>();

  add(entry: { groupId: string; username: string; roles: readonly string[]; via: MemberVia; status: MemberStatus; inviterUsername: string; now: number }): Member {
    const pending = entry.status === 'PENDING';
    const member: Member = {
      id: '',
      groupId: entry.groupId,
      username: entry.username,
      roles: [...entry.roles],
      createdAt: new Date(entry.now).toISOString(),
      expiresAt: pending ? new Date(entry.now + INVITATION_LIFETIME_MS).toISOString() : undefined,
      inviterUsername: entry.inviterUsername,
      via: entry.via,
      status: entry.status,
    };
    member.id = seenByUsers(member) ? this.userIdOf(member.username) : newId();
    this.entries.push(member);
    const key = memberKey(member.groupId, member.username);
    const same = this.byUser.get(key);
    if (same) same.push(member);
    else this.byUser.set(key, [member]);
    return member;
  }

  /** Every entry for this person in this project, oldest first. */
  inGroup(groupId: string, username: string): readonly Member[] {
    return this.byUser.get(memberKey(groupId, username)) ?? [];
  }

  /** What the users family lists for a project, oldest first. */
  usersIn(groupId: string): Member[] {
    return this.entries.filter((m) => m.groupId === groupId && seenByUsers(m));
  }

  /** What the users family lists across the organization (every project belongs to it), oldest first. */
  usersInOrg(): Member[] {
    return this.entries.filter(seenByUsers);
  }

  /** The project user with this user id, as the users family finds it. */
  user(groupId: string, userId: string): Member | undefined {
    return this.entries.find((m) => m.groupId === groupId && m.id === userId && seenByUsers(m));
  }

  /** What the invitations family lists for a project, oldest first. */
  invitationsIn(groupId: string): Member[] {
    return this.entries.filter((m) => m.groupId === groupId && seenByInvites(m));
  }

  /** The pending invitation with this id, as the invitations family finds it. */
  invitation(groupId: string, invitationId: string): Member | undefined {
    return this.entries.find((m) => m.groupId === groupId && m.id === invitationId && seenByInvites(m));
  }

  setRoles(member: Member, roles: readonly string[]): void {
    member.roles = [...roles];
  }

  remove(member: Member): void {
    this.entries = this.entries.filter((m) => m !== member);
    const key = memberKey(member.groupId, member.username);
    const rest = (this.byUser.get(key) ?? []).filter((m) => m !== member);
    if (rest.length > 0) this.byUser.set(key, rest);
    else this.byUser.delete(key);
  }

  /**
   * The person accepts their invitations: each pending entry for the username, in every project and through either
   * API, becomes an ACTIVE member under the person's user id. Where that leaves two members in one project, the older
   * keeps both sets of roles and the newer goes.
   */
  accept(username: string): void {
    for (const member of this.entries.filter((m) => m.status === 'PENDING' && sameUsername(m.username, username))) {
      member.status = 'ACTIVE';
      member.expiresAt = undefined;
      member.id = this.userIdOf(member.username);
    }
    for (const same of [...this.byUser.values()]) {
      const [kept, ...merged] = same.filter((m) => sameUsername(m.username, username) && seenByUsers(m));
      if (!kept) continue;
      for (const member of merged) {
        kept.roles = [...new Set([...kept.roles, ...member.roles])];
        this.remove(member);
      }
    }
  }

  /** Every entry, oldest first. */
  all(): readonly Member[] {
    return this.entries;
  }

  /** Forgets every entry and every user id. */
  reset(): void {
    this.entries = [];
    this.byUser.clear();
    this.userIds.clear();
  }

  private userIdOf(username: string): string {
    const key = personKey(username);
    let id = this.userIds.get(key);
    if (id === undefined) {
      id = newId();
      this.userIds.set(key, id);
    }
    return id;
  }
}

export function invitationView({ id, groupId, username, roles, createdAt, via, status }: Member): SandboxInvitation {
  return { id, groupId, username, roles: [...roles], createdAt, via, status };
}

export function memberView(member: Member): SandboxMember {
  const listedBy: ('users' | 'invites')[] = [];
  if (seenByUsers(member)) listedBy.push('users');
  if (seenByInvites(member)) listedBy.push('invites');
  return { ...invitationView(member), expiresAt: member.expiresAt, inviterUsername: member.inviterUsername, listedBy };
}

/** `GroupInvitation`, what every `/invites` endpoint answers. */
export function groupInvitationBody(member: Member): Record<string, unknown> {
  return {
    id: member.id,
    groupId: member.groupId,
    groupName: groupNameOf(member.groupId),
    username: member.username,
    roles: [...member.roles],
    createdAt: member.createdAt,
    expiresAt: member.expiresAt,
    inviterUsername: member.inviterUsername,
    links: [],
  };
}

/** `GroupUserResponse`: `GroupPendingUserResponse` or `GroupActiveUserResponse` by `orgMembershipStatus`. */
export function groupUserBody(member: Member): Record<string, unknown> {
  const common = { id: member.id, username: member.username, roles: [...member.roles], orgMembershipStatus: member.status };
  if (member.status === 'PENDING') {
    return { ...common, invitationCreatedAt: member.createdAt, invitationExpiresAt: member.expiresAt, inviterUsername: member.inviterUsername };
  }
  return { ...common, ...activeUserFields(member) };
}

/** The fields `GroupActiveUserResponse` and `OrgActiveUserResponse` require besides the common ones. */
export function activeUserFields(member: Member): Record<string, unknown> {
  const [first = 'Sandbox', ...rest] = (member.username.split('@')[0] ?? '').split(/[._-]+/).filter(Boolean);
  const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  return { createdAt: member.createdAt, firstName: capital(first), lastName: rest.length > 0 ? rest.map(capital).join(' ') : 'User' };
}

export function groupNameOf(groupId: string): string {
  return `sandbox-project-${groupId.slice(-6)}`;
}

const PROJECT_ROLE = /^GROUP_[A-Z_]+$/;

/** Why `roles` is not a valid set of project roles (non-empty, unique strings, each a project role), or undefined. */
export function invalidRoles(roles: unknown): { errorCode: string; detail: string } | undefined {
  if (roles === undefined) return { errorCode: 'MISSING_ATTRIBUTE', detail: 'The required attribute roles was not specified.' };
  if (!Array.isArray(roles) || roles.length === 0 || !roles.every((r): r is string => typeof r === 'string')) {
    return { errorCode: 'INVALID_ATTRIBUTE', detail: 'Invalid attribute roles specified: a non-empty array of strings is required.' };
  }
  if (new Set(roles).size !== roles.length) return { errorCode: 'INVALID_ATTRIBUTE', detail: 'Invalid attribute roles specified: roles must be unique.' };
  const notProjectRole = roles.find((r) => !PROJECT_ROLE.test(r));
  if (notProjectRole !== undefined) return invalidRole(notProjectRole);
  return undefined;
}

/** Why `role` is not a project role, or undefined. */
export function invalidRole(role: string): { errorCode: string; detail: string } | undefined {
  return PROJECT_ROLE.test(role) ? undefined : { errorCode: 'INVALID_ROLE_FOR_GROUP', detail: `Role ${role} is not valid for a project.` };
}
