import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  type BatchGetCommandOutput,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { Failure, type Result } from '../failure';
import type {
  Directory,
  GroupQuery,
  GroupRef,
  Listed,
  MemberChange,
  MemberRef,
  Page,
  ScimAttributes,
  StoredGroup,
  StoredResource,
  StoredUser,
  UserQuery,
} from '../scim/directory';
import {
  GROUP_PREFIX,
  GROUP_SK,
  MEMBER_PREFIX,
  USER_SK,
  groupPk,
  groupSideMembershipSk,
  storedResourceOf,
  userPk,
  userSideMembershipSk,
  type ResourceItemFields,
} from '../scim/directory-layout';

/*
 * The SCIM directory on one DynamoDB table (contract section 14), behind the port of lambda/scim/directory.ts.
 *
 * Table: partition key `pk` (S), sort key `sk` (S), stream NEW_AND_OLD_IMAGES (the change relay reads it), no index.
 *
 *   pk                           sk               holds
 *   USER#<id>                    USER             the user: id, version, created, lastModified, doc (the SCIM
 *                                                 attributes as JSON text), userName, userNameKey, externalId?,
 *                                                 workEmailKeys?
 *   USER#<id>                    GROUP#<groupId>  a membership, user side (a user's groups: one Query)
 *   GROUP#<id>                   GROUP            the group: id, version, created, lastModified, doc, displayName,
 *                                                 displayNameKey, externalId?
 *   GROUP#<id>                   MEMBER#<userId>  the same membership, group side (a group's members: one Query)
 *   USERNAME#<lower(userName)>   UNIQUE           id: uniqueness of userName and the lookup by it
 *   GROUPNAME#<lower(displayName)> UNIQUE         id: uniqueness of displayName and the lookup by it
 *   USER_EXTERNALID#<externalId> USER#<id>        id: lookup (not unique: the contract asks none)
 *   USER_WORKEMAIL#<lower(value)> USER#<id>       id: lookup by emails[type eq "work"].value (not unique)
 *   GROUP_EXTERNALID#<externalId> GROUP#<id>      id: lookup
 *   USERS                        <id>             the list of all users (paging, totalResults)
 *   GROUPS                       <id>             the list of all groups
 *
 * Why no GSI: every read here must see the write just answered (GET after POST, an IdP's "filter userName eq" right
 * after its create, the relay reading a user's groups the moment the stream shows a new membership). GSIs are
 * eventually consistent; these lookup items are written in the same transaction as the resource and read with
 * ConsistentRead. A membership is kept twice for the same reason (an inverted GSI could miss a new membership).
 *
 * Access patterns (reads with ConsistentRead):
 *   user / group by id                      GetItem
 *   user by userName (case-insensitive)     GetItem USERNAME#, then GetItem USER#
 *   user by externalId / work e-mail        Query the lookup partition, then BatchGetItem the users
 *   group by displayName (case-insensitive) GetItem GROUPNAME#, then GetItem GROUP#
 *   group by externalId                     Query, then BatchGetItem
 *   a user's groups                         Query USER#<id> begins_with GROUP#, then BatchGetItem the groups' names
 *   a group's members                       Query GROUP#<id> begins_with MEMBER#, then BatchGetItem the userNames
 *   all users / groups, paged               Query USERS / GROUPS (keys only, ~60 bytes an item), then BatchGetItem
 *                                           the page (DynamoDB has no offset: a page reads the keys before it)
 *
 * What is atomic: a resource and its uniqueness and lookup items (one TransactWriteItems: two concurrent creates of
 * one userName give one success and one `conflict`/`uniqueness`; a rename moves the uniqueness item in the same
 * transaction). Both sides of a membership always travel in one transaction. A membership change of up to 49
 * members is one transaction with the group's version bump; beyond that, memberships are written in further
 * transactions of 50 pairs, each atomic, the whole not: a failure midway answers `transient`, the version is already
 * bumped, and the provider's retry computes what is still missing. Deletes remove the memberships first (chunks) and
 * the resource last, so a failure midway leaves the resource in place for the retry. A membership whose other side
 * is gone (a user added to a group while being deleted) is skipped by every read.
 *
 * `userName` and group `displayName` are unique case-insensitively (RFC 7643 gives both caseExact false; Entra and
 * Okta treat names so; and rules that match groups by name should never see "Admins" and "admins" as two groups).
 */

type Env = Record<string, string | undefined>;

/** What a DynamoDB write item of a transaction is for, to read its cancellation reason. */
type Role = 'resource' | 'unique' | 'other';
type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
interface Write {
  item: TransactItem;
  role: Role;
}

/** The most items in one TransactWriteItems, and in one BatchGetItem. */
const TRANSACTION_ITEMS = 100;
const BATCH_GET_KEYS = 100;
/** Read-modify-write rounds (a concurrent change or a transaction conflict) before answering `transient`. */
const ATTEMPTS = 5;

const UNIQUE_SK = 'UNIQUE';
const USERS_LIST = 'USERS';
const GROUPS_LIST = 'GROUPS';
const userNamePk = (key: string) => `USERNAME#${key}`;
const groupNamePk = (key: string) => `GROUPNAME#${key}`;
const userExternalIdPk = (externalId: string) => `USER_EXTERNALID#${externalId}`;
const userWorkEmailPk = (key: string) => `USER_WORKEMAIL#${key}`;
const groupExternalIdPk = (externalId: string) => `GROUP_EXTERNALID#${externalId}`;
/** A uniqueness or lookup key: NFC first, so that a precomposed é and e + U+0301 are one name, then lower case. */
const caseless = (text: string) => text.normalize('NFC').toLowerCase();

/** DynamoDB errors that say the deployment is wrong (no table, no permission), not that DynamoDB is having a moment. */
const DEPLOYMENT_ERRORS = new Set(['ResourceNotFoundException', 'AccessDeniedException', 'UnrecognizedClientException', 'InvalidSignatureException']);

interface UserItem extends ResourceItemFields {
  pk: string;
  sk: string;
  userName: string;
  userNameKey: string;
  externalId?: string;
  workEmailKeys?: string[];
}
interface GroupItem extends ResourceItemFields {
  pk: string;
  sk: string;
  displayName: string;
  displayNameKey: string;
  externalId?: string;
}

export interface DynamoDbDirectoryOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Time for one directory call to DynamoDB, the SDK's own retries included. */
  timeoutMs?: number;
  /** Called with the capacity units each DynamoDB call consumed (asks DynamoDB to return them): for metrics and tests. */
  onConsumedCapacity?: (operation: string, capacityUnits: number) => void;
  now?: () => Date;
  newId?: () => string;
}

/**
 * The DynamoDB document client for the directory, built once per container. It honours the SDK's standard variables,
 * including `AWS_ENDPOINT_URL_DYNAMODB` for local runs and tests.
 */
export function createDynamoDbDocumentClient(env: Env): DynamoDBDocumentClient {
  const endpoint = env.AWS_ENDPOINT_URL_DYNAMODB ?? env.AWS_ENDPOINT_URL;
  const client = new DynamoDBClient({ ...(env.AWS_REGION && { region: env.AWS_REGION }), ...(endpoint && { endpoint }) });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/**
 * {@link Directory} on one DynamoDB table; the layout and what is atomic are described at the top of this file.
 *
 * @example
 * const directory = new DynamoDbDirectory({ client: createDynamoDbDocumentClient(process.env), tableName: 'scim' });
 * const created = await directory.createUser({ userName: 'ada@example.com', active: true });
 * if (!created.ok && created.error.code === 'uniqueness') answer409();
 */
export class DynamoDbDirectory implements Directory {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly timeoutMs: number;
  private readonly now: () => Date;
  private readonly newId: () => string;

  constructor(private readonly options: DynamoDbDirectoryOptions) {
    this.client = options.client;
    this.table = options.tableName;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.now = options.now ?? (() => new Date());
    this.newId = options.newId ?? randomUUID;
  }

  // Users

  createUser(attributes: ScimAttributes): Promise<Result<StoredUser>> {
    return this.guard('createUser', async () => {
      const id = this.newId();
      const at = this.now().toISOString();
      const item = userItem(id, 1, at, at, attributes);
      if (!item.ok) return item;
      const writes: Write[] = [
        { role: 'resource', item: { Put: { TableName: this.table, Item: item.value, ConditionExpression: 'attribute_not_exists(pk)' } } },
        ...this.userIndexPuts(item.value),
      ];
      const written = await this.transact('createUser', writes, id);
      return written.ok ? { ok: true, value: storedResourceOf(item.value) } : written;
    });
  }

  getUser(id: string): Promise<Result<StoredUser | undefined>> {
    return this.guard('getUser', async () => {
      const item = await this.getItem<UserItem>('getUser', userPk(id), USER_SK);
      return { ok: true, value: item && storedResourceOf(item) };
    });
  }

  listUsers(query: UserQuery, page: Page): Promise<Result<Listed<StoredUser>>> {
    return this.guard('listUsers', async () => {
      let ids: string[];
      if (query.userName !== undefined) ids = await this.uniqueOwner('listUsers', userNamePk(caseless(query.userName)));
      else if (query.externalId !== undefined) ids = await this.lookupIds('listUsers', userExternalIdPk(query.externalId));
      else if (query.workEmail !== undefined) ids = await this.lookupIds('listUsers', userWorkEmailPk(caseless(query.workEmail)));
      else return { ok: true, value: await this.listAll<UserItem>('listUsers', USERS_LIST, userPk, USER_SK, page) };
      const items = await this.batchGet<UserItem>('listUsers', ids.map((id) => ({ pk: userPk(id), sk: USER_SK })));
      const matching = items.filter((item) => userMatches(item, query)).sort(byId);
      return { ok: true, value: pageOf(matching.map(storedResourceOf), page) };
    });
  }

  replaceUser(id: string, attributes: ScimAttributes, ifVersion?: number): Promise<Result<StoredUser>> {
    return this.guard('replaceUser', () =>
      this.readModifyWrite<UserItem>('replaceUser', userPk(id), USER_SK, id, ifVersion, (current) => {
        const next = userItem(id, current.version + 1, current.created, this.now().toISOString(), attributes);
        if (!next.ok) return next;
        const writes: Write[] = [
          { role: 'resource', item: { Put: { TableName: this.table, Item: next.value, ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': current.version } } } },
          ...this.indexChanges(this.userIndexPuts(current), this.userIndexPuts(next.value)),
        ];
        return { ok: true, value: { writes, stored: storedResourceOf(next.value) } };
      }),
    );
  }

  deleteUser(id: string): Promise<Result<boolean>> {
    return this.guard('deleteUser', () =>
      this.deleteResource<UserItem>('deleteUser', userPk(id), USER_SK, id, async () => {
        const groupIds = await this.sortKeysUnder('deleteUser', userPk(id), GROUP_PREFIX);
        return groupIds.map((groupId) => this.membershipDeletes(groupId, id));
      }, (item) => this.userIndexPuts(item)),
    );
  }

  groupsOf(userId: string): Promise<Result<GroupRef[]>> {
    return this.guard('groupsOf', async () => {
      const groupIds = await this.sortKeysUnder('groupsOf', userPk(userId), GROUP_PREFIX);
      const groups = await this.batchGet<GroupItem>('groupsOf', groupIds.map((id) => ({ pk: groupPk(id), sk: GROUP_SK })), 'id, displayName');
      return { ok: true, value: groups.sort(byId).map((group) => ({ id: group.id, displayName: group.displayName })) };
    });
  }

  // Groups

  createGroup(attributes: ScimAttributes, memberIds: string[]): Promise<Result<StoredGroup>> {
    return this.guard('createGroup', async () => {
      const id = this.newId();
      const at = this.now().toISOString();
      const item = groupItem(id, 1, at, at, attributes);
      if (!item.ok) return item;
      const members = await this.existingUsers('createGroup', [...new Set(memberIds)]);
      const head: Write[] = [
        { role: 'resource', item: { Put: { TableName: this.table, Item: item.value, ConditionExpression: 'attribute_not_exists(pk)' } } },
        ...this.groupIndexPuts(item.value),
      ];
      const written = await this.transactInChunks('createGroup', head, members.map((userId) => this.membershipPuts(id, userId)), id);
      return written.ok ? { ok: true, value: storedResourceOf(item.value) } : written;
    });
  }

  getGroup(id: string): Promise<Result<StoredGroup | undefined>> {
    return this.guard('getGroup', async () => {
      const item = await this.getItem<GroupItem>('getGroup', groupPk(id), GROUP_SK);
      return { ok: true, value: item && storedResourceOf(item) };
    });
  }

  listGroups(query: GroupQuery, page: Page): Promise<Result<Listed<StoredGroup>>> {
    return this.guard('listGroups', async () => {
      let ids: string[];
      if (query.displayName !== undefined) ids = await this.uniqueOwner('listGroups', groupNamePk(caseless(query.displayName)));
      else if (query.externalId !== undefined) ids = await this.lookupIds('listGroups', groupExternalIdPk(query.externalId));
      else return { ok: true, value: await this.listAll<GroupItem>('listGroups', GROUPS_LIST, groupPk, GROUP_SK, page) };
      const items = await this.batchGet<GroupItem>('listGroups', ids.map((id) => ({ pk: groupPk(id), sk: GROUP_SK })));
      const matching = items.filter((item) => groupMatches(item, query)).sort(byId);
      return { ok: true, value: pageOf(matching.map(storedResourceOf), page) };
    });
  }

  replaceGroup(id: string, attributes: ScimAttributes, ifVersion?: number): Promise<Result<StoredGroup>> {
    return this.guard('replaceGroup', () =>
      this.readModifyWrite<GroupItem>('replaceGroup', groupPk(id), GROUP_SK, id, ifVersion, (current) => {
        const next = groupItem(id, current.version + 1, current.created, this.now().toISOString(), attributes);
        if (!next.ok) return next;
        const writes: Write[] = [
          { role: 'resource', item: { Put: { TableName: this.table, Item: next.value, ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': current.version } } } },
          ...this.indexChanges(this.groupIndexPuts(current), this.groupIndexPuts(next.value)),
        ];
        return { ok: true, value: { writes, stored: storedResourceOf(next.value) } };
      }),
    );
  }

  deleteGroup(id: string): Promise<Result<boolean>> {
    return this.guard('deleteGroup', () =>
      this.deleteResource<GroupItem>('deleteGroup', groupPk(id), GROUP_SK, id, async () => {
        const userIds = await this.sortKeysUnder('deleteGroup', groupPk(id), MEMBER_PREFIX);
        return userIds.map((userId) => this.membershipDeletes(id, userId));
      }, (item) => this.groupIndexPuts(item)),
    );
  }

  membersOf(groupId: string): Promise<Result<MemberRef[]>> {
    return this.guard('membersOf', async () => {
      const userIds = await this.sortKeysUnder('membersOf', groupPk(groupId), MEMBER_PREFIX);
      const users = await this.batchGet<UserItem>('membersOf', userIds.map((id) => ({ pk: userPk(id), sk: USER_SK })), 'id, userName');
      return { ok: true, value: users.sort(byId).map((user) => ({ id: user.id, userName: user.userName })) };
    });
  }

  changeMembers(groupId: string, change: MemberChange): Promise<Result<StoredGroup>> {
    return this.guard('changeMembers', async () => {
      for (let attempt = 1; ; attempt++) {
        const group = await this.getItem<GroupItem>('changeMembers', groupPk(groupId), GROUP_SK);
        if (!group) return notFound('group', groupId);
        const current = new Set(await this.sortKeysUnder('changeMembers', groupPk(groupId), MEMBER_PREFIX));
        const target = new Set(change.replaceAll ?? current);
        for (const id of change.add ?? []) target.add(id);
        for (const id of change.remove ?? []) target.delete(id);
        const added = await this.existingUsers('changeMembers', [...target].filter((id) => !current.has(id)));
        const removed = [...current].filter((id) => !target.has(id));
        if (added.length === 0 && removed.length === 0) return { ok: true, value: storedResourceOf(group) };
        const lastModified = this.now().toISOString();
        // The version bump rides in the first transaction, conditioned on the version the member diff was computed
        // against: a concurrent change makes this round start again.
        const bump: Write = {
          role: 'resource',
          item: {
            Update: {
              TableName: this.table,
              Key: { pk: groupPk(groupId), sk: GROUP_SK },
              UpdateExpression: 'SET version = :next, lastModified = :at',
              ConditionExpression: 'version = :v',
              ExpressionAttributeValues: { ':v': group.version, ':next': group.version + 1, ':at': lastModified },
            },
          },
        };
        const pairs = [...added.map((userId) => this.membershipPuts(groupId, userId)), ...removed.map((userId) => this.membershipDeletes(groupId, userId))];
        const written = await this.transactInChunks('changeMembers', [bump], pairs, groupId);
        if (written.ok) return { ok: true, value: storedResourceOf({ ...group, version: group.version + 1, lastModified }) };
        if (written.error.code !== 'changed_concurrently' || attempt >= ATTEMPTS) return written;
      }
    });
  }

  // Items

  private userIndexPuts(user: UserItem): Write[] {
    return [
      { role: 'unique', item: { Put: { TableName: this.table, Item: { pk: userNamePk(user.userNameKey), sk: UNIQUE_SK, id: user.id }, ConditionExpression: 'attribute_not_exists(pk)' } } },
      { role: 'other', item: { Put: { TableName: this.table, Item: { pk: USERS_LIST, sk: user.id, id: user.id } } } },
      ...(user.externalId === undefined ? [] : [this.lookupPut(userExternalIdPk(user.externalId), `USER#${user.id}`, user.id)]),
      ...(user.workEmailKeys ?? []).map((key) => this.lookupPut(userWorkEmailPk(key), `USER#${user.id}`, user.id)),
    ];
  }

  private groupIndexPuts(group: GroupItem): Write[] {
    return [
      { role: 'unique', item: { Put: { TableName: this.table, Item: { pk: groupNamePk(group.displayNameKey), sk: UNIQUE_SK, id: group.id }, ConditionExpression: 'attribute_not_exists(pk)' } } },
      { role: 'other', item: { Put: { TableName: this.table, Item: { pk: GROUPS_LIST, sk: group.id, id: group.id } } } },
      ...(group.externalId === undefined ? [] : [this.lookupPut(groupExternalIdPk(group.externalId), `GROUP#${group.id}`, group.id)]),
    ];
  }

  private lookupPut(pk: string, sk: string, id: string): Write {
    return { role: 'other', item: { Put: { TableName: this.table, Item: { pk, sk, id } } } };
  }

  /** The index writes that turn `before`'s index items into `after`'s: deletes of those gone, puts of those new. */
  private indexChanges(before: Write[], after: Write[]): Write[] {
    const keyOf = (write: Write) => {
      const item = write.item.Put?.Item as { pk: string; sk: string };
      return `${item.pk}\u0000${item.sk}`;
    };
    const old = new Map(before.map((write) => [keyOf(write), write]));
    const next = new Map(after.map((write) => [keyOf(write), write]));
    const writes: Write[] = [];
    for (const [key, write] of old) {
      if (next.has(key)) continue;
      const { pk, sk } = write.item.Put!.Item as { pk: string; sk: string };
      writes.push({ role: 'other', item: { Delete: { TableName: this.table, Key: { pk, sk } } } });
    }
    for (const [key, write] of next) if (!old.has(key)) writes.push(write);
    return writes;
  }

  private membershipPuts(groupId: string, userId: string): Write[] {
    return [
      { role: 'other', item: { Put: { TableName: this.table, Item: { pk: userPk(userId), sk: userSideMembershipSk(groupId), userId, groupId } } } },
      { role: 'other', item: { Put: { TableName: this.table, Item: { pk: groupPk(groupId), sk: groupSideMembershipSk(userId), userId, groupId } } } },
    ];
  }

  private membershipDeletes(groupId: string, userId: string): Write[] {
    return [
      { role: 'other', item: { Delete: { TableName: this.table, Key: { pk: userPk(userId), sk: userSideMembershipSk(groupId) } } } },
      { role: 'other', item: { Delete: { TableName: this.table, Key: { pk: groupPk(groupId), sk: groupSideMembershipSk(userId) } } } },
    ];
  }

  // Reads

  private async getItem<T>(operation: string, pk: string, sk: string): Promise<T | undefined> {
    const answer = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { pk, sk }, ConsistentRead: true, ...this.capacity() }),
      this.abort(),
    );
    this.consumed(operation, answer.ConsumedCapacity);
    return answer.Item as T | undefined;
  }

  /** The id a uniqueness item points at, as a list of none or one. */
  private async uniqueOwner(operation: string, pk: string): Promise<string[]> {
    const item = await this.getItem<{ id: string }>(operation, pk, UNIQUE_SK);
    return item ? [item.id] : [];
  }

  /** The ids held by a lookup partition. */
  private async lookupIds(operation: string, pk: string): Promise<string[]> {
    return (await this.queryKeys(operation, pk)).map((sk) => sk.slice(sk.indexOf('#') + 1));
  }

  /** The sort keys under `prefix` in partition `pk`, without the prefix. */
  private async sortKeysUnder(operation: string, pk: string, prefix: string): Promise<string[]> {
    return (await this.queryKeys(operation, pk, prefix)).map((sk) => sk.slice(prefix.length));
  }

  /** Every sort key in partition `pk` (under `prefix` if given), in order, all pages. */
  private async queryKeys(operation: string, pk: string, prefix?: string): Promise<string[]> {
    const keys: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const answer = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: prefix === undefined ? 'pk = :pk' : 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': pk, ...(prefix !== undefined && { ':prefix': prefix }) },
          ProjectionExpression: 'sk',
          ConsistentRead: true,
          ExclusiveStartKey: start,
          ...this.capacity(),
        }),
        this.abort(),
      );
      this.consumed(operation, answer.ConsumedCapacity);
      for (const item of answer.Items ?? []) keys.push((item as { sk: string }).sk);
      start = answer.LastEvaluatedKey;
    } while (start);
    return keys;
  }

  /** The items at `keys` that exist, by hundreds, retrying what DynamoDB left unprocessed. */
  private async batchGet<T>(operation: string, keys: { pk: string; sk: string }[], projection?: string): Promise<T[]> {
    const items: T[] = [];
    for (let i = 0; i < keys.length; i += BATCH_GET_KEYS) {
      let pending: Record<string, unknown>[] | undefined = keys.slice(i, i + BATCH_GET_KEYS);
      for (let round = 0; pending && pending.length > 0; round++) {
        if (round >= ATTEMPTS) throw Object.assign(new Error('unprocessed keys'), { name: 'ProvisionedThroughputExceededException' });
        if (round > 0) await pause(round);
        const answer: BatchGetCommandOutput = await this.client.send(
          new BatchGetCommand({
            RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true, ...(projection && { ProjectionExpression: projection }) } },
            ...this.capacity(),
          }),
          this.abort(),
        );
        for (const consumed of answer.ConsumedCapacity ?? []) this.consumed(operation, consumed);
        items.push(...((answer.Responses?.[this.table] ?? []) as T[]));
        pending = answer.UnprocessedKeys?.[this.table]?.Keys;
      }
    }
    return items;
  }

  /** The users among `ids` that exist (a group's new members: unknown ids are skipped). */
  private async existingUsers(operation: string, ids: string[]): Promise<string[]> {
    const found = await this.batchGet<{ id: string }>(operation, ids.map((id) => ({ pk: userPk(id), sk: USER_SK })), 'id');
    const existing = new Set(found.map((item) => item.id));
    return ids.filter((id) => existing.has(id));
  }

  /** One page of a list partition: its keys (all read, for totalResults and the offset), then the page's items. */
  private async listAll<T extends ResourceItemFields>(operation: string, list: string, pkOf: (id: string) => string, sk: string, page: Page): Promise<Listed<StoredResource>> {
    const ids = await this.queryKeys(operation, list);
    const window = pageOf(ids, page);
    const items = await this.batchGet<T>(operation, window.resources.map((id) => ({ pk: pkOf(id), sk })));
    return { totalResults: window.totalResults, resources: items.sort(byId).map(storedResourceOf) };
  }

  // Writes

  /** Read, check `ifVersion`, write conditioned on the version read; a concurrent change starts a new round. */
  private async readModifyWrite<T extends ResourceItemFields>(
    operation: string,
    pk: string,
    sk: string,
    id: string,
    ifVersion: number | undefined,
    change: (current: T) => Result<{ writes: Write[]; stored: StoredResource }>,
  ): Promise<Result<StoredResource>> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.getItem<T>(operation, pk, sk);
      if (!current) return notFound(sk === USER_SK ? 'user' : 'group', id);
      if (ifVersion !== undefined && current.version !== ifVersion) return versionMismatch(id, ifVersion);
      const planned = change(current);
      if (!planned.ok) return planned;
      const written = await this.transact(operation, planned.value.writes, id);
      if (written.ok) return { ok: true, value: planned.value.stored };
      if (written.error.code !== 'changed_concurrently' || attempt >= ATTEMPTS) return written;
    }
  }

  /** Memberships first (chunks), the resource and its index items last (one transaction, conditioned on the version). */
  private async deleteResource<T extends ResourceItemFields>(
    operation: string,
    pk: string,
    sk: string,
    id: string,
    memberships: () => Promise<Write[][]>,
    indexItems: (item: T) => Write[],
  ): Promise<Result<boolean>> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.getItem<T>(operation, pk, sk);
      if (!current) return { ok: true, value: false };
      const cleared = await this.transactInChunks(operation, [], await memberships(), id);
      if (!cleared.ok) return cleared;
      const deletes: Write[] = [
        { role: 'resource', item: { Delete: { TableName: this.table, Key: { pk, sk }, ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': current.version } } } },
        ...indexItems(current).map((write): Write => {
          const { pk: indexPk, sk: indexSk } = write.item.Put!.Item as { pk: string; sk: string };
          return { role: 'other', item: { Delete: { TableName: this.table, Key: { pk: indexPk, sk: indexSk } } } };
        }),
      ];
      const written = await this.transact(operation, deletes, id);
      if (written.ok) return { ok: true, value: true };
      if (written.error.code !== 'changed_concurrently' || attempt >= ATTEMPTS) return written;
    }
  }

  /**
   * `head` and as many membership pairs as fit in one transaction, then the other pairs in transactions of their
   * own: each transaction atomic, the whole not (see the top of this file).
   */
  private async transactInChunks(operation: string, head: Write[], pairs: Write[][], id: string): Promise<Result<void>> {
    let chunk: Write[] = [...head];
    const chunks: Write[][] = [];
    for (const pair of pairs) {
      if (chunk.length + pair.length > TRANSACTION_ITEMS) {
        chunks.push(chunk);
        chunk = [];
      }
      chunk.push(...pair);
    }
    if (chunk.length > 0) chunks.push(chunk);
    for (const writes of chunks) {
      const written = await this.transact(operation, writes, id);
      if (!written.ok) return written;
    }
    return { ok: true, value: undefined };
  }

  /**
   * One TransactWriteItems, its cancellation read item by item: a uniqueness item taken is `conflict`/`uniqueness`,
   * the resource's condition failing is `changed_concurrently` (the caller reads again), a transaction conflict is
   * retried here.
   */
  private async transact(operation: string, writes: Write[], id: string): Promise<Result<void>> {
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await this.client.send(new TransactWriteCommand({ TransactItems: writes.map((w) => w.item), ...this.capacity() }), this.abort());
        for (const consumed of answer.ConsumedCapacity ?? []) this.consumed(operation, consumed);
        return { ok: true, value: undefined };
      } catch (err) {
        const reasons = (err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
        if ((err as Error).name !== 'TransactionCanceledException' || !reasons) throw err;
        const failed = (role: Role) => reasons.some((reason, i) => reason.Code === 'ConditionalCheckFailed' && writes[i]?.role === role);
        if (failed('unique')) return { ok: false, error: new Failure('conflict', 'uniqueness', `${operation}: the ${operation.endsWith('Group') ? 'displayName' : 'userName'} is already taken`) };
        if (failed('resource')) return { ok: false, error: new Failure('transient', 'changed_concurrently', `${operation}: ${id} changed while it was being written`) };
        // An item DynamoDB refuses as such (over 400 KB, a key over 2 KB): asking again will not help.
        if (reasons.some((reason) => reason.Code === 'ValidationError')) return { ok: false, error: new Failure('permanent', 'invalid_value', `${operation}: DynamoDB refused an item of ${id} (ValidationError)`) };
        const conflicted = reasons.some((reason) => reason.Code === 'TransactionConflict');
        if (!conflicted || attempt >= ATTEMPTS) throw err;
        await pause(attempt);
      }
    }
  }

  // Plumbing

  private capacity(): { ReturnConsumedCapacity?: 'TOTAL' } {
    return this.options.onConsumedCapacity ? { ReturnConsumedCapacity: 'TOTAL' } : {};
  }

  private consumed(operation: string, capacity: { CapacityUnits?: number } | undefined): void {
    if (capacity?.CapacityUnits !== undefined) this.options.onConsumedCapacity?.(operation, capacity.CapacityUnits);
  }

  private abort(): { abortSignal: AbortSignal } {
    return { abortSignal: AbortSignal.timeout(this.timeoutMs) };
  }

  /** Runs `work`, turning what DynamoDB threw into a {@link Failure} that names the operation, never a value. */
  private async guard<T>(operation: string, work: () => Promise<Result<T>>): Promise<Result<T>> {
    try {
      return await work();
    } catch (err) {
      return { ok: false, error: failureOf(operation, err) };
    }
  }
}

/** A thrown DynamoDB (or network) error as a {@link Failure}: its name, never the request's values. */
export function failureOf(operation: string, err: unknown): Failure {
  const name = err instanceof Error ? err.name : 'Error';
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const message = `DynamoDB failed during ${operation} (${name})`;
  // A TypeError or RangeError that DynamoDB's client did not answer with is a fault of this code, not an outage.
  const fromSdk = (err as { $metadata?: unknown } | undefined)?.$metadata !== undefined;
  if (!fromSdk && (err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || err instanceof SyntaxError)) {
    return new Failure('permanent', 'internal', `${operation} failed in this code (${name})`);
  }
  if (DEPLOYMENT_ERRORS.has(name)) return new Failure('transient', 'DYNAMODB_UNAVAILABLE', message, { deploymentFault: true, ...(status && { status }) });
  // A request DynamoDB refuses as such (an item over 400 KB, a key over 2 KB): asking again will not help.
  if (name === 'ValidationException') return new Failure('permanent', 'invalid_value', message, { ...(status && { status }) });
  // Throttling, 5xx, timeouts, connection errors, transaction conflicts that outlasted the retries.
  return new Failure('transient', name === 'TimeoutError' || name === 'AbortError' ? 'TIMEOUT' : 'DYNAMODB_UNAVAILABLE', message, { ...(status && { status }) });
}

function userItem(id: string, version: number, created: string, lastModified: string, attributes: ScimAttributes): Result<UserItem> {
  const userName = attributes.userName;
  if (typeof userName !== 'string' || userName === '') return invalid('userName');
  const externalId = typeof attributes.externalId === 'string' && attributes.externalId !== '' ? attributes.externalId : undefined;
  const workEmailKeys = workEmails(attributes);
  return {
    ok: true,
    value: {
      pk: userPk(id),
      sk: USER_SK,
      id,
      version,
      created,
      lastModified,
      doc: JSON.stringify(attributes),
      userName,
      userNameKey: caseless(userName),
      ...(externalId !== undefined && { externalId }),
      ...(workEmailKeys.length > 0 && { workEmailKeys }),
    },
  };
}

function groupItem(id: string, version: number, created: string, lastModified: string, attributes: ScimAttributes): Result<GroupItem> {
  const displayName = attributes.displayName;
  if (typeof displayName !== 'string' || displayName === '') return invalid('displayName');
  const externalId = typeof attributes.externalId === 'string' && attributes.externalId !== '' ? attributes.externalId : undefined;
  return {
    ok: true,
    value: {
      pk: groupPk(id),
      sk: GROUP_SK,
      id,
      version,
      created,
      lastModified,
      doc: JSON.stringify(attributes),
      displayName,
      displayNameKey: caseless(displayName),
      ...(externalId !== undefined && { externalId }),
    },
  };
}

/** The lower-cased values of `emails[type eq "work"]`, each once. */
function workEmails(attributes: ScimAttributes): string[] {
  const emails = Array.isArray(attributes.emails) ? (attributes.emails as unknown[]) : [];
  const keys = new Set<string>();
  for (const email of emails) {
    if (typeof email !== 'object' || email === null) continue;
    const { type, value } = email as { type?: unknown; value?: unknown };
    if (typeof type === 'string' && caseless(type) === 'work' && typeof value === 'string' && value !== '') keys.add(caseless(value));
  }
  return [...keys];
}

function userMatches(user: UserItem, query: UserQuery): boolean {
  return (
    (query.userName === undefined || user.userNameKey === caseless(query.userName)) &&
    (query.externalId === undefined || user.externalId === query.externalId) &&
    (query.workEmail === undefined || (user.workEmailKeys ?? []).includes(caseless(query.workEmail)))
  );
}

function groupMatches(group: GroupItem, query: GroupQuery): boolean {
  return (query.displayName === undefined || group.displayNameKey === caseless(query.displayName)) && (query.externalId === undefined || group.externalId === query.externalId);
}

/** RFC 7644 paging over what matched: `startIndex` 1-based (below 1 counts as 1), `count` 0 for only the total. */
function pageOf<T>(all: T[], page: Page): Listed<T> {
  const start = Math.max(1, Math.floor(page.startIndex)) - 1;
  const count = Math.max(0, Math.floor(page.count));
  return { totalResults: all.length, resources: all.slice(start, start + count) };
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function notFound(kind: 'user' | 'group', id: string): Result<never> {
  return { ok: false, error: new Failure('permanent', 'not_found', `no ${kind} ${id}`) };
}

function versionMismatch(id: string, ifVersion: number): Result<never> {
  return { ok: false, error: new Failure('permanent', 'version_mismatch', `${id} is not at version ${ifVersion}`) };
}

function invalid(attribute: string): Result<never> {
  return { ok: false, error: new Failure('permanent', 'invalid_value', `${attribute} must be a non-empty string`) };
}

/** A short, jittered wait before retrying a transaction conflict or unprocessed keys. */
function pause(attempt: number): Promise<void> {
  const ms = Math.min(200, 10 * 2 ** attempt) * (0.5 + Math.random() / 2);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
