import { randomUUID } from 'node:crypto';
import { Failure, type Result } from '../lambda/failure';
import type { Directory, GroupQuery, GroupRef, Listed, MemberChange, MemberRef, Page, ScimAttributes, StoredGroup, StoredResource, StoredUser, UserQuery } from '../lambda/scim/directory';

/**
 * An in-memory {@link Directory} with the port's semantics (uniqueness, versions, unknown members skipped), for the
 * unit tests of the SCIM service's pure logic (the provider replays run against the built function on DynamoDB Local,
 * test/scim-built.ts). It records every call and fails on demand.
 */
export class MemoryDirectory implements Directory {
  readonly users = new Map<string, StoredUser>();
  readonly groups = new Map<string, StoredGroup>();
  /** groupId → member user ids, in the order added. */
  readonly members = new Map<string, Set<string>>();
  /** Every call, by method name. */
  readonly calls: { method: string; args: unknown[] }[] = [];
  private readonly faults: { method: string | undefined; failure: Failure }[] = [];

  /** The next call of `method` (or of any method) fails with `failure`. */
  failNext(failure: Failure, method?: keyof Directory): void {
    this.faults.push({ method, failure });
  }

  private enter(method: string, args: unknown[]): Failure | undefined {
    this.calls.push({ method, args: structuredClone(args) });
    const at = this.faults.findIndex((f) => f.method === undefined || f.method === method);
    return at === -1 ? undefined : this.faults.splice(at, 1)[0]!.failure;
  }

  createUser(attributes: ScimAttributes): Promise<Result<StoredUser>> {
    return this.run('createUser', [attributes], () => {
      if (this.userNameTaken(attributes.userName, undefined)) return uniqueness();
      const user = fresh(attributes);
      this.users.set(user.id, user);
      return ok(copy(user));
    });
  }
  getUser(id: string): Promise<Result<StoredUser | undefined>> {
    return this.run('getUser', [id], () => ok(this.users.has(id) ? copy(this.users.get(id)!) : undefined));
  }
  listUsers(query: UserQuery, page: Page): Promise<Result<Listed<StoredUser>>> {
    return this.run('listUsers', [query, page], () =>
      listed(
        [...this.users.values()].filter(
          (u) =>
            (query.userName === undefined || String(u.attributes.userName).toLowerCase() === query.userName.toLowerCase()) &&
            (query.externalId === undefined || u.attributes.externalId === query.externalId) &&
            (query.workEmail === undefined ||
              (Array.isArray(u.attributes.emails) && (u.attributes.emails as { type?: string; value?: string }[]).some((e) => e.type === 'work' && e.value === query.workEmail))),
        ),
        page,
      ),
    );
  }
  replaceUser(id: string, attributes: ScimAttributes, ifVersion?: number): Promise<Result<StoredUser>> {
    return this.run('replaceUser', [id, attributes, ifVersion], () => {
      const user = this.users.get(id);
      if (!user) return notFound();
      if (ifVersion !== undefined && ifVersion !== user.version) return versionMismatch();
      if (this.userNameTaken(attributes.userName, id)) return uniqueness();
      const next = bumped(user, attributes);
      this.users.set(id, next);
      return ok(copy(next));
    });
  }
  deleteUser(id: string): Promise<Result<boolean>> {
    return this.run('deleteUser', [id], () => {
      if (!this.users.delete(id)) return ok(false);
      for (const members of this.members.values()) members.delete(id);
      return ok(true);
    });
  }
  groupsOf(userId: string): Promise<Result<GroupRef[]>> {
    return this.run('groupsOf', [userId], () =>
      ok([...this.groups.values()].filter((g) => this.members.get(g.id)!.has(userId)).map((g) => ({ id: g.id, displayName: String(g.attributes.displayName) }))),
    );
  }

  createGroup(attributes: ScimAttributes, memberIds: string[]): Promise<Result<StoredGroup>> {
    return this.run('createGroup', [attributes, memberIds], () => {
      if (this.displayNameTaken(attributes.displayName, undefined)) return uniqueness();
      const group = fresh(attributes);
      this.groups.set(group.id, group);
      this.members.set(group.id, new Set(memberIds.filter((m) => this.users.has(m))));
      return ok(copy(group));
    });
  }
  getGroup(id: string): Promise<Result<StoredGroup | undefined>> {
    return this.run('getGroup', [id], () => ok(this.groups.has(id) ? copy(this.groups.get(id)!) : undefined));
  }
  listGroups(query: GroupQuery, page: Page): Promise<Result<Listed<StoredGroup>>> {
    return this.run('listGroups', [query, page], () =>
      listed(
        [...this.groups.values()].filter(
          (g) => (query.displayName === undefined || g.attributes.displayName === query.displayName) && (query.externalId === undefined || g.attributes.externalId === query.externalId),
        ),
        page,
      ),
    );
  }
  replaceGroup(id: string, attributes: ScimAttributes, ifVersion?: number): Promise<Result<StoredGroup>> {
    return this.run('replaceGroup', [id, attributes, ifVersion], () => {
      const group = this.groups.get(id);
      if (!group) return notFound();
      if (ifVersion !== undefined && ifVersion !== group.version) return versionMismatch();
      if (this.displayNameTaken(attributes.displayName, id)) return uniqueness();
      const next = bumped(group, attributes);
      this.groups.set(id, next);
      return ok(copy(next));
    });
  }
  deleteGroup(id: string): Promise<Result<boolean>> {
    return this.run('deleteGroup', [id], () => {
      this.members.delete(id);
      return ok(this.groups.delete(id));
    });
  }
  membersOf(groupId: string): Promise<Result<MemberRef[]>> {
    return this.run('membersOf', [groupId], () =>
      ok([...(this.members.get(groupId) ?? [])].map((id) => ({ id, userName: String(this.users.get(id)!.attributes.userName) }))),
    );
  }
  changeMembers(groupId: string, change: MemberChange): Promise<Result<StoredGroup>> {
    return this.run('changeMembers', [groupId, change], () => {
      const group = this.groups.get(groupId);
      if (!group) return notFound();
      let members = this.members.get(groupId)!;
      if (change.replaceAll) members = new Set(change.replaceAll);
      for (const id of change.add ?? []) members.add(id);
      for (const id of change.remove ?? []) members.delete(id);
      this.members.set(groupId, new Set([...members].filter((m) => this.users.has(m))));
      const next = bumped(group, group.attributes);
      this.groups.set(groupId, next);
      return ok(copy(next));
    });
  }

  private run<T>(method: string, args: unknown[], body: () => Result<T>): Promise<Result<T>> {
    const fault = this.enter(method, args);
    return Promise.resolve(fault ? { ok: false, error: fault } : body());
  }
  private userNameTaken(userName: unknown, except: string | undefined): boolean {
    const lower = String(userName).toLowerCase();
    return [...this.users.values()].some((u) => u.id !== except && String(u.attributes.userName).toLowerCase() === lower);
  }
  private displayNameTaken(displayName: unknown, except: string | undefined): boolean {
    return [...this.groups.values()].some((g) => g.id !== except && g.attributes.displayName === displayName);
  }
}

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const uniqueness = (): Result<never> => ({ ok: false, error: new Failure('conflict', 'uniqueness', 'taken') });
const notFound = (): Result<never> => ({ ok: false, error: new Failure('permanent', 'not_found', 'no such resource') });
const versionMismatch = (): Result<never> => ({ ok: false, error: new Failure('permanent', 'version_mismatch', 'changed') });

let clock = Date.parse('2026-11-30T09:00:00Z');
function now(): string {
  clock += 1000;
  return new Date(clock).toISOString();
}
function fresh(attributes: ScimAttributes): StoredResource {
  const at = now();
  return { id: randomUUID(), version: 1, created: at, lastModified: at, attributes: structuredClone(attributes) };
}
function bumped(resource: StoredResource, attributes: ScimAttributes): StoredResource {
  return { ...resource, version: resource.version + 1, lastModified: now(), attributes: structuredClone(attributes) };
}
function copy<T>(value: T): T {
  return structuredClone(value);
}
function listed<T extends StoredResource>(all: T[], page: Page): Result<Listed<T>> {
  return ok({ totalResults: all.length, resources: all.slice(page.startIndex - 1, page.startIndex - 1 + page.count).map(copy) });
}
