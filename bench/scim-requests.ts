import type { APIGatewayProxyEvent } from 'aws-lambda';
import { restEvent } from '../local/events';

/**
 * The SCIM requests the scim bench sends, shaped as Microsoft Entra ID sends them (test/fixtures/scim/entra.json:
 * its createUser, updateUserMultiValued and group member Add), as API Gateway REST events under `/scim/v2`.
 */

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export interface ScimRequests {
  createUser(userName: string): APIGatewayProxyEvent;
  userByName(userName: string): APIGatewayProxyEvent;
  patchUser(id: string, round: number): APIGatewayProxyEvent;
  createGroup(displayName: string): APIGatewayProxyEvent;
  addMembers(groupId: string, userIds: readonly string[]): APIGatewayProxyEvent;
}

/** The user names the bench creates: distinct per `tag` and `n`, shaped as Entra's (an address). */
export const benchUserName = (tag: string, n: number) => `${tag}-${n}@bench.example.com`;

/** Requests carrying `token` as the bearer token. */
export function scimRequests(token: string): ScimRequests {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' };
  const event = (method: string, path: string, body?: unknown, query?: Record<string, string>) =>
    restEvent({ method, path: `/scim/v2${path}`, headers, ...(body !== undefined && { body }), ...(query && { query }), stage: 'v1' });
  return {
    createUser: (userName) =>
      event('POST', '/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
        externalId: `ext-${userName}`,
        userName,
        active: true,
        emails: [{ primary: true, type: 'work', value: userName }],
        meta: { resourceType: 'User' },
        name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
        roles: [],
      }),
    userByName: (userName) => event('GET', '/Users', undefined, { filter: `userName eq "${userName}"` }),
    // Entra's "updateUserMultiValued": a new work address (its lookup item moves) and a family name.
    patchUser: (id, round) =>
      event('PATCH', `/Users/${id}`, {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'Replace', path: 'emails[type eq "work"].value', value: `updated-${round}-${id}@bench.example.com` },
          { op: 'Replace', path: 'name.familyName', value: `familyName${round}` },
        ],
      }),
    createGroup: (displayName) => event('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName, externalId: `ext-${displayName}` }),
    addMembers: (groupId, userIds) =>
      event('PATCH', `/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: userIds.map((value) => ({ $ref: null, value })) }] }),
  };
}
