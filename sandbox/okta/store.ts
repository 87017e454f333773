/**
 * What the Okta sandbox holds: users, groups and who is in which group. Every user is in the built-in `Everyone`
 * group, as in a real Okta org; ids look like Okta's (`00u` / `00g` and 17 more characters).
 */
import { randomBytes } from 'node:crypto';

/** The statuses Okta's User object documents. */
export const OKTA_USER_STATUSES = ['ACTIVE', 'DEPROVISIONED', 'LOCKED_OUT', 'PASSWORD_EXPIRED', 'PROVISIONED', 'RECOVERY', 'STAGED', 'SUSPENDED'] as const;
export type OktaUserStatus = (typeof OKTA_USER_STATUSES)[number];

/** Okta's default user profile attributes the onboarder reads, and any others (Okta allows custom ones). */
export interface OktaUserProfile {
  login: string;
  email: string;
  firstName?: string | null;
  lastName?: string | null;
  department?: string | null;
  title?: string | null;
  city?: string | null;
  costCenter?: string | null;
  [attribute: string]: unknown;
}

export interface OktaUserInput {
  /** Default: a fresh `00u…` id. */
  id?: string;
  /** Default ACTIVE. */
  status?: OktaUserStatus;
  profile: OktaUserProfile;
}

export interface OktaGroupInput {
  /** Default: a fresh `00g…` id. */
  id?: string;
  name: string;
  description?: string;
  /** Default OKTA_GROUP. */
  type?: 'OKTA_GROUP' | 'APP_GROUP';
}

/** A user as the store keeps it; the answer's JSON is built from it in `users.ts`. */
export interface StoredUser {
  id: string;
  status: OktaUserStatus;
  profile: OktaUserProfile;
  created: Date;
  activated: Date | null;
  statusChanged: Date | null;
  lastUpdated: Date;
  /** Group ids in the order the user joined them (`Everyone` first). */
  groups: string[];
}

export interface StoredGroup {
  id: string;
  name: string;
  description: string | null;
  type: 'OKTA_GROUP' | 'APP_GROUP' | 'BUILT_IN';
  created: Date;
  lastUpdated: Date;
  lastMembershipUpdated: Date;
}

/** The id of the sandbox's `Everyone` group (a real org has its own). */
export const EVERYONE_GROUP_ID = '00g1everyone0sandbox';

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** An Okta-like id: the prefix and 17 alphanumerics (20 characters in all). */
export function oktaId(prefix: '00u' | '00g'): string {
  return prefix + Array.from(randomBytes(17), (b) => ID_ALPHABET[b % ID_ALPHABET.length]).join('');
}

export class Directory {
  private readonly users = new Map<string, StoredUser>();
  private readonly groups = new Map<string, StoredGroup>();

  constructor() {
    this.reset();
  }

  reset(): void {
    this.users.clear();
    this.groups.clear();
    const at = new Date();
    this.groups.set(EVERYONE_GROUP_ID, {
      id: EVERYONE_GROUP_ID,
      name: 'Everyone',
      description: 'All users in your organization',
      type: 'BUILT_IN',
      created: at,
      lastUpdated: at,
      lastMembershipUpdated: at,
    });
  }

  addUser(input: OktaUserInput): StoredUser {
    const id = input.id ?? oktaId('00u');
    if (this.users.has(id)) throw new Error(`addUser: a user ${id} exists`);
    if (typeof input.profile?.login !== 'string' || input.profile.login === '') throw new Error('addUser: profile.login is required');
    if (this.findByLogin(input.profile.login)) throw new Error(`addUser: login ${input.profile.login} is taken`);
    const status = checkedStatus(input.status ?? 'ACTIVE');
    const at = new Date();
    const user: StoredUser = {
      id,
      status,
      profile: { firstName: null, lastName: null, ...input.profile },
      created: at,
      activated: status === 'STAGED' || status === 'PROVISIONED' ? null : at,
      statusChanged: status === 'STAGED' ? null : at,
      lastUpdated: at,
      groups: [],
    };
    this.users.set(id, user);
    this.join(user, EVERYONE_GROUP_ID, at);
    return user;
  }

  addGroup(input: OktaGroupInput): StoredGroup {
    const id = input.id ?? oktaId('00g');
    if (this.groups.has(id)) throw new Error(`addGroup: a group ${id} exists`);
    const at = new Date();
    const group: StoredGroup = { id, name: input.name, description: input.description ?? null, type: input.type ?? 'OKTA_GROUP', created: at, lastUpdated: at, lastMembershipUpdated: at };
    this.groups.set(id, group);
    return group;
  }

  addToGroup(userId: string, groupId: string): void {
    const user = this.mustUser(userId, 'addToGroup');
    if (!this.groups.has(groupId)) throw new Error(`addToGroup: no group ${groupId}`);
    if (!user.groups.includes(groupId)) this.join(user, groupId, new Date());
  }

  removeFromGroup(userId: string, groupId: string): void {
    const user = this.mustUser(userId, 'removeFromGroup');
    if (groupId === EVERYONE_GROUP_ID) throw new Error('removeFromGroup: every user stays in Everyone');
    const group = this.groups.get(groupId);
    if (!group || !user.groups.includes(groupId)) return;
    user.groups = user.groups.filter((g) => g !== groupId);
    group.lastMembershipUpdated = new Date();
  }

  setStatus(userId: string, status: OktaUserStatus): void {
    const user = this.mustUser(userId, 'setStatus');
    const at = new Date();
    user.status = checkedStatus(status);
    user.statusChanged = at;
    user.lastUpdated = at;
    if (status !== 'STAGED' && status !== 'PROVISIONED' && status !== 'DEPROVISIONED') user.activated ??= at;
  }

  deleteUser(userId: string): void {
    const user = this.mustUser(userId, 'deleteUser');
    this.users.delete(user.id);
  }

  /** Okta's `{id}` lookup: the id, else the login (any case), else the short login (before `@`) when one user has it. */
  lookup(idOrLogin: string): StoredUser | undefined {
    const byId = this.users.get(idOrLogin);
    if (byId) return byId;
    const byLogin = this.findByLogin(idOrLogin);
    if (byLogin) return byLogin;
    const short = [...this.users.values()].filter((u) => shortLogin(u.profile.login) === idOrLogin.toLowerCase());
    return short.length === 1 ? short[0] : undefined;
  }

  group(groupId: string): StoredGroup | undefined {
    return this.groups.get(groupId);
  }

  allUsers(): StoredUser[] {
    return [...this.users.values()];
  }

  allGroups(): StoredGroup[] {
    return [...this.groups.values()];
  }

  private findByLogin(login: string): StoredUser | undefined {
    const wanted = login.toLowerCase();
    return [...this.users.values()].find((u) => u.profile.login.toLowerCase() === wanted);
  }

  private join(user: StoredUser, groupId: string, at: Date): void {
    user.groups.push(groupId);
    this.groups.get(groupId)!.lastMembershipUpdated = at;
  }

  private mustUser(userId: string, operation: string): StoredUser {
    const user = this.lookup(userId);
    if (!user) throw new Error(`${operation}: no user ${userId}`);
    return user;
  }
}

function shortLogin(login: string): string {
  return login.split('@')[0]!.toLowerCase();
}

function checkedStatus(status: OktaUserStatus): OktaUserStatus {
  if (!OKTA_USER_STATUSES.includes(status)) throw new RangeError(`not an Okta user status: ${String(status)}`);
  return status;
}
