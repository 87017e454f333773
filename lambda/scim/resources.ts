import type { GroupRef, MemberRef, StoredGroup, StoredResource, StoredUser } from './directory';
import { ENTERPRISE_SCHEMA, GROUP_SCHEMA, MAX_RESULTS, USER_SCHEMA } from './protocol';

/**
 * Resources as the service answers with them (RFC 7643): the stored attributes with `id`, `schemas` and `meta`, a
 * group's `members` and a user's read-only `groups`; and the projection of `attributes` / `excludedAttributes`.
 */

export type ResourceType = 'User' | 'Group';

export function versionTag(version: number): string {
  return `W/"${version}"`;
}

function meta(resource: StoredResource, resourceType: ResourceType, baseUrl: string) {
  return {
    resourceType,
    created: resource.created,
    lastModified: resource.lastModified,
    location: `${baseUrl}/${resourceType}s/${encodeURIComponent(resource.id)}`,
    version: versionTag(resource.version),
  };
}

export function userResource(user: StoredUser, groups: readonly GroupRef[] | undefined, baseUrl: string): Record<string, unknown> {
  const schemas = Object.hasOwn(user.attributes, ENTERPRISE_SCHEMA) ? [USER_SCHEMA, ENTERPRISE_SCHEMA] : [USER_SCHEMA];
  return {
    schemas,
    id: user.id,
    ...user.attributes,
    ...(groups && { groups: groups.map((g) => ({ value: g.id, display: g.displayName, $ref: `${baseUrl}/Groups/${encodeURIComponent(g.id)}`, type: 'direct' })) }),
    meta: meta(user, 'User', baseUrl),
  };
}

export function groupResource(group: StoredGroup, members: readonly MemberRef[] | undefined, baseUrl: string): Record<string, unknown> {
  return {
    schemas: [GROUP_SCHEMA],
    id: group.id,
    ...group.attributes,
    ...(members && { members: members.map((m) => ({ value: m.id, display: m.userName, $ref: `${baseUrl}/Users/${encodeURIComponent(m.id)}`, type: 'User' })) }),
    meta: meta(group, 'Group', baseUrl),
  };
}

/** `attributes` / `excludedAttributes` (RFC 7644 section 3.4.2.5), parsed: names in lower case, URN prefixes kept. */
export interface Projection {
  attributes: string[] | undefined;
  excluded: string[];
}

export function projectionOf(query: Readonly<Record<string, string | undefined>>): Projection {
  const list = (text: string | undefined) =>
    text === undefined
      ? undefined
      : text
          .split(',')
          .map((name) => name.trim().toLowerCase().replace(/^urn:ietf:params:scim:schemas:core:2\.0:(user|group):/, ''))
          .filter((name) => name !== '');
  return { attributes: list(query.attributes), excluded: list(query.excludedAttributes) ?? [] };
}

/** Whether the projection leaves `name` (a top-level attribute) in the answer: the service then reads it. */
export function wants(projection: Projection, name: string): boolean {
  const lower = name.toLowerCase();
  if (projection.attributes) return projection.attributes.some((a) => a === lower || a.startsWith(`${lower}.`));
  return !projection.excluded.includes(lower);
}

/** Always returned (RFC 7643 section 7, `returned: always`). */
const ALWAYS = new Set(['id', 'schemas', 'meta']);

export function projected(resource: Record<string, unknown>, projection: Projection): Record<string, unknown> {
  if (!projection.attributes && projection.excluded.length === 0) return resource;
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) {
    const lower = key.toLowerCase();
    if (ALWAYS.has(lower)) result[key] = value;
    else if (projection.attributes) {
      if (projection.attributes.includes(lower)) result[key] = value;
      else {
        const subs = projection.attributes.filter((a) => a.startsWith(`${lower}.`) || a.startsWith(`${lower}:`)).map((a) => a.slice(lower.length + 1));
        const pick = (element: unknown) =>
          typeof element === 'object' && element !== null ? Object.fromEntries(Object.entries(element).filter(([sub]) => subs.includes(sub.toLowerCase()))) : element;
        // A complex attribute keeps the sub-attributes asked for; a multi-valued one keeps them in each value.
        if (subs.length > 0 && typeof value === 'object' && value !== null) result[key] = Array.isArray(value) ? value.map(pick) : pick(value);
      }
    } else if (!projection.excluded.includes(lower)) result[key] = value;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Discovery (RFC 7644 section 4, RFC 7643 sections 5 to 7)
// ---------------------------------------------------------------------------------------------------------------

const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

export function serviceProviderConfig(baseUrl: string): Record<string, unknown> {
  return {
    schemas: [SPC_SCHEMA],
    documentationUri: 'https://www.rfc-editor.org/rfc/rfc7644',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      { type: 'oauthbearertoken', name: 'OAuth Bearer Token', description: 'Authentication with the bearer token configured in the identity provider', primary: true },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}

export function resourceTypes(baseUrl: string): Record<string, unknown>[] {
  return [
    {
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'User Account',
      schema: USER_SCHEMA,
      schemaExtensions: [{ schema: ENTERPRISE_SCHEMA, required: false }],
      meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/User` },
    },
    {
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: 'Group',
      schema: GROUP_SCHEMA,
      meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/Group` },
    },
  ];
}

type Attribute = Record<string, unknown>;
const attribute = (name: string, extra: Partial<Attribute> = {}): Attribute => ({
  name,
  type: 'string',
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...extra,
});
const complex = (name: string, subAttributes: Attribute[], extra: Partial<Attribute> = {}) => attribute(name, { type: 'complex', subAttributes, ...extra });
const multi = (name: string, subs: string[]) =>
  complex(name, [...subs.map((s) => attribute(s)), attribute('primary', { type: 'boolean' })], { multiValued: true });

export function schemas(baseUrl: string): Record<string, unknown>[] {
  const withMeta = (id: string, name: string, description: string, attributes: Attribute[]) => ({
    schemas: [SCHEMA_SCHEMA],
    id,
    name,
    description,
    attributes,
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${id}` },
  });
  return [
    withMeta(USER_SCHEMA, 'User', 'User Account', [
      attribute('userName', { required: true, uniqueness: 'server' }),
      complex('name', ['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix'].map((s) => attribute(s))),
      attribute('displayName'),
      attribute('nickName'),
      attribute('title'),
      attribute('userType'),
      attribute('preferredLanguage'),
      attribute('locale'),
      attribute('timezone'),
      attribute('active', { type: 'boolean' }),
      attribute('password', { mutability: 'writeOnly', returned: 'never' }),
      attribute('externalId', { caseExact: true }),
      multi('emails', ['value', 'display', 'type']),
      multi('phoneNumbers', ['value', 'display', 'type']),
      multi('addresses', ['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country', 'type']),
      multi('roles', ['value', 'display', 'type']),
      complex('groups', ['value', '$ref', 'display', 'type'].map((s) => attribute(s, { mutability: 'readOnly' })), { multiValued: true, mutability: 'readOnly' }),
    ]),
    withMeta(ENTERPRISE_SCHEMA, 'EnterpriseUser', 'Enterprise User', [
      attribute('employeeNumber'),
      attribute('costCenter'),
      attribute('organization'),
      attribute('division'),
      attribute('department'),
      complex('manager', [attribute('value'), attribute('$ref', { type: 'reference' }), attribute('displayName', { mutability: 'readOnly' })]),
    ]),
    withMeta(GROUP_SCHEMA, 'Group', 'Group', [
      attribute('displayName', { required: true, uniqueness: 'server' }),
      attribute('externalId', { caseExact: true }),
      complex('members', [attribute('value', { mutability: 'immutable' }), attribute('display', { mutability: 'readOnly' }), attribute('$ref', { type: 'reference', mutability: 'immutable' })], {
        multiValued: true,
      }),
    ]),
  ];
}
