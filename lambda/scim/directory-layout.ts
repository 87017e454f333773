import type { ScimAttributes, StoredResource } from './directory';

/**
 * The DynamoDB directory's item keys, shared by the directory (`lambda/aws/directory.ts`, which writes them) and the
 * change relay's stream adapter (`lambda/adapters/dynamodb-stream.ts`, which reads them back from stream records).
 * Pure: no SDK. The full layout and its reasons are in the comment at the top of `lambda/aws/directory.ts`.
 */

export const KEY = { partition: 'pk', sort: 'sk' } as const;

/** The sort key of a user's or group's own item. */
export const USER_SK = 'USER';
export const GROUP_SK = 'GROUP';

export const userPk = (id: string) => `USER#${id}`;
export const groupPk = (id: string) => `GROUP#${id}`;
/** A membership, kept twice: in the user's partition (a user's groups) and in the group's (its members). */
export const userSideMembershipSk = (groupId: string) => `GROUP#${groupId}`;
export const groupSideMembershipSk = (userId: string) => `MEMBER#${userId}`;

export const USER_PREFIX = 'USER#';
export const GROUP_PREFIX = 'GROUP#';
export const MEMBER_PREFIX = 'MEMBER#';

/**
 * What a resource item holds besides its keys: `doc` is the resource's attributes as JSON text (exact round trip,
 * nothing inside it is ever queried); `version`, `created`, `lastModified` and `id` are the directory's own.
 */
export interface ResourceItemFields {
  id: string;
  version: number;
  created: string;
  lastModified: string;
  doc: string;
}

/** A resource item's fields, as read from the table or from a stream image, back into the port's shape. */
export function storedResourceOf(item: ResourceItemFields): StoredResource {
  return {
    id: item.id,
    version: item.version,
    created: item.created,
    lastModified: item.lastModified,
    attributes: JSON.parse(item.doc) as ScimAttributes,
  };
}
