import type { Result } from '../failure.js';

/**
 * The SCIM directory as the SCIM service sees it (contract section 14): a port. `lambda/aws/directory.ts` implements
 * it on DynamoDB; the service (`lambda/scim/service.ts`) and the change relay use only this.
 *
 * A resource is kept as the JSON the service answers with, minus what the directory owns: `id`, `meta`, a group's
 * `members` and a user's `groups` (memberships are their own items, so a PATCH of 200 members is 200 small writes,
 * and "a user's groups" and "a group's members" are both one query). Passwords never reach the directory: the
 * service drops them before calling it.
 *
 * Failures travel as {@link Result} with a `Failure` of kind:
 * - `conflict`, code `uniqueness`: a `userName` (compared case-insensitively) or group `displayName` already taken;
 * - `permanent`, code `not_found`: no such resource (for `changeMembers`: the group; unknown member ids are skipped);
 * - `permanent`, code `version_mismatch`: `ifVersion` given and the stored version differs (the caller re-reads);
 * - `transient`: DynamoDB throttled, timed out or failed (the service answers 503).
 */

/** A resource's attributes as stored (no `id`, `meta`, `members`, `groups`, `password`). */
export type ScimAttributes = Record<string, unknown>;

export interface StoredResource {
  id: string;
  /** Starts at 1, +1 on every change; the service's `meta.version` is `W/"<version>"`. */
  version: number;
  /** ISO 8601. */
  created: string;
  lastModified: string;
  attributes: ScimAttributes;
}
export type StoredUser = StoredResource;
export type StoredGroup = StoredResource;

export interface GroupRef {
  id: string;
  displayName: string;
}
export interface MemberRef {
  id: string;
  /** The member's `userName`, for a member's `display`. */
  userName: string;
}

/** The `eq` filters the service supports (contract section 14), already parsed; all given ones must hold (`and`). */
export interface UserQuery {
  /** Compared case-insensitively. */
  userName?: string;
  externalId?: string;
  /** `emails[type eq "work"].value`. */
  workEmail?: string;
}
export interface GroupQuery {
  displayName?: string;
  externalId?: string;
}
/** RFC 7644 paging: `startIndex` is 1-based; `count` 0 asks only for `totalResults`. */
export interface Page {
  startIndex: number;
  count: number;
}
export interface Listed<T> {
  totalResults: number;
  resources: T[];
}

export interface MemberChange {
  add?: string[];
  remove?: string[];
  /** Replace the whole member list (`[]` empties the group); `add` and `remove` then apply after it. */
  replaceAll?: string[];
}

export interface Directory {
  createUser(attributes: ScimAttributes): Promise<Result<StoredUser>>;
  getUser(id: string): Promise<Result<StoredUser | undefined>>;
  listUsers(query: UserQuery, page: Page): Promise<Result<Listed<StoredUser>>>;
  replaceUser(id: string, attributes: ScimAttributes, ifVersion?: number): Promise<Result<StoredUser>>;
  /** Removes the user and their memberships; `false` when there was no such user. */
  deleteUser(id: string): Promise<Result<boolean>>;
  groupsOf(userId: string): Promise<Result<GroupRef[]>>;

  createGroup(attributes: ScimAttributes, memberIds: string[]): Promise<Result<StoredGroup>>;
  getGroup(id: string): Promise<Result<StoredGroup | undefined>>;
  listGroups(query: GroupQuery, page: Page): Promise<Result<Listed<StoredGroup>>>;
  replaceGroup(id: string, attributes: ScimAttributes, ifVersion?: number): Promise<Result<StoredGroup>>;
  /** Removes the group and its memberships; `false` when there was no such group. */
  deleteGroup(id: string): Promise<Result<boolean>>;
  membersOf(groupId: string): Promise<Result<MemberRef[]>>;
  /** Changes a group's members (and bumps its version); ids of users that do not exist are skipped. */
  changeMembers(groupId: string, change: MemberChange): Promise<Result<StoredGroup>>;
}
