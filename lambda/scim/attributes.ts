import type { ScimAttributes } from './directory';
import { badRequest, ENTERPRISE_SCHEMA, isRecord, isUnsafeKey, MAX_KEY_VALUE_BYTES, MAX_MULTI_VALUES } from './protocol';

/**
 * A resource's attributes as the directory keeps them (RFC 7643 sections 4 and 8), made from what a provider sent:
 * what the directory owns (`id`, `meta`, `members`, `groups`) and passwords dropped, known attribute names spelled as
 * the RFC spells them whatever case they came in, booleans sent as strings (`"True"`, Entra's habit) made booleans,
 * Entra's `manager` forms made the `{"value": id}` of the enterprise extension. Everything else is stored as sent
 * ("values sent should be stored in the same format they were sent", Entra's guidance).
 */

/** Top-level names a request may not set: the directory owns them, or they never reach it. */
const DROPPED = new Set(['id', 'meta', 'schemas', 'members', 'groups', 'password']);

/** RFC 7643's attribute names, by their lower-case form (names are case-insensitive, section 2.1). */
const CANONICAL = new Map(
  [
    'userName', 'name', 'displayName', 'nickName', 'profileUrl', 'title', 'userType', 'preferredLanguage', 'locale', 'timezone', 'active',
    'emails', 'phoneNumbers', 'ims', 'photos', 'addresses', 'entitlements', 'roles', 'x509Certificates', 'externalId',
    'formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix', 'value', 'display', 'type', 'primary',
    'streetAddress', 'locality', 'region', 'postalCode', 'country',
    'employeeNumber', 'costCenter', 'organization', 'division', 'department', 'manager',
    // What the directory owns and what never reaches it: spelled canonically so that DROPPED and PATCH's checks see
    // `Password`, `PASSWORD`, `Members` and `META` as what they are.
    'id', 'meta', 'schemas', 'members', 'groups', 'password',
  ].map((name) => [name.toLowerCase(), name]),
);

/** The multi-valued attributes of the core User schema: `add` appends to them. */
export const MULTI_VALUED = new Set(['emails', 'phoneNumbers', 'ims', 'photos', 'addresses', 'entitlements', 'roles', 'x509Certificates']);
/** The enterprise extension's attributes: Entra addresses some of them without the URN (`manager`). */
export const ENTERPRISE_ATTRIBUTES = new Set(['employeeNumber', 'costCenter', 'organization', 'division', 'department', 'manager']);

export function canonicalName(name: string): string {
  return CANONICAL.get(name.toLowerCase()) ?? name;
}

/** The key of `record` that names `name` case-insensitively, else the name as the RFC spells it. */
export function keyIn(record: Record<string, unknown>, name: string): string {
  const lower = name.toLowerCase();
  for (const key of Object.keys(record)) if (key.toLowerCase() === lower) return key;
  return canonicalName(name);
}

/** `"true"` / `"false"` in any case as a boolean; anything else as it is. */
export function booleanOf(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const lower = value.trim().toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : value;
}

/** A user's attributes from a POST or PUT body, or from the result of a PATCH; a 400 naming the field when wrong. */
export function userAttributes(body: Record<string, unknown>): ScimAttributes {
  const attributes = cleaned(body);
  const enterpriseKey = Object.keys(attributes).find((key) => key.toLowerCase() === ENTERPRISE_SCHEMA.toLowerCase());
  let extension: unknown = undefined;
  if (enterpriseKey !== undefined) {
    extension = attributes[enterpriseKey];
    delete attributes[enterpriseKey];
    if (extension !== null && extension !== undefined && !isRecord(extension)) throw badRequest('invalidValue', `${ENTERPRISE_SCHEMA} must be an object`);
  }
  // The enterprise attributes sent at the top level (`department`, as PATCH's path `department` names it) belong to
  // the extension, where events read them; a value given inside the extension wins.
  const lifted: Record<string, unknown> = {};
  for (const name of ENTERPRISE_ATTRIBUTES) {
    if (attributes[name] === undefined) continue;
    lifted[name] = attributes[name];
    delete attributes[name];
  }
  const combined = { ...lifted, ...(isRecord(extension) ? extension : {}) };
  if (Object.keys(combined).length > 0) {
    const normalised = enterpriseAttributes(combined);
    if (Object.keys(normalised).length > 0) attributes[ENTERPRISE_SCHEMA] = normalised;
  }
  if (typeof attributes.userName !== 'string' || attributes.userName.trim() === '') throw badRequest('invalidValue', 'userName is required (a non-empty string)');
  if (attributes.active !== undefined) {
    attributes.active = booleanOf(attributes.active);
    if (typeof attributes.active !== 'boolean') throw badRequest('invalidValue', 'active must be a boolean');
  }
  for (const name of ['externalId', 'displayName', 'title', 'nickName', 'userType', 'locale', 'preferredLanguage', 'timezone'] as const) {
    if (attributes[name] !== undefined && typeof attributes[name] !== 'string') throw badRequest('invalidValue', `${name} must be a string`);
  }
  for (const name of ['userName', 'externalId', 'displayName'] as const) withinKeyLimit(attributes[name], name);
  if (attributes.name !== undefined && !isRecord(attributes.name)) throw badRequest('invalidValue', 'name must be an object');
  for (const name of MULTI_VALUED) {
    const values = attributes[name];
    if (values === undefined) continue;
    if (!Array.isArray(values)) throw badRequest('invalidValue', `${name} must be a list`);
    if (values.length > MAX_MULTI_VALUES) throw badRequest('invalidValue', `${name} may hold at most ${MAX_MULTI_VALUES} values`);
    values.forEach((element, index) => {
      if (!isRecord(element)) throw badRequest('invalidValue', `${name}[${index}] must be an object`);
      if (name === 'emails') withinKeyLimit(element[keyIn(element, 'value')], `emails[${index}].value`);
      if (element.primary !== undefined) {
        element.primary = booleanOf(element.primary);
        if (typeof element.primary !== 'boolean') throw badRequest('invalidValue', `${name}[${index}].primary must be a boolean`);
      }
    });
  }
  return attributes;
}

/** A group's attributes from a POST or PUT body, or from the result of a PATCH. */
export function groupAttributes(body: Record<string, unknown>): ScimAttributes {
  const attributes = cleaned(body);
  if (typeof attributes.displayName !== 'string' || attributes.displayName.trim() === '') throw badRequest('invalidValue', 'displayName is required (a non-empty string)');
  if (attributes.externalId !== undefined && typeof attributes.externalId !== 'string') throw badRequest('invalidValue', 'externalId must be a string');
  for (const name of ['displayName', 'externalId'] as const) withinKeyLimit(attributes[name], name);
  return attributes;
}

/** A 400 naming the attribute when a string the directory keys on is longer than {@link MAX_KEY_VALUE_BYTES}. */
function withinKeyLimit(value: unknown, name: string): void {
  if (typeof value === 'string' && Buffer.byteLength(value, 'utf8') > MAX_KEY_VALUE_BYTES) {
    throw badRequest('invalidValue', `${name} must be at most ${MAX_KEY_VALUE_BYTES} bytes (UTF-8)`);
  }
}

/** The ids a body's `members` names (`[{"value": id}]`), for creating or replacing a group. */
export function memberIds(value: unknown, field = 'members'): string[] {
  if (value === null || value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((member, index) => {
    if (!isRecord(member) || typeof member.value !== 'string' || member.value === '') throw badRequest('invalidValue', `${field}[${index}].value must be a member's id`);
    return member.value;
  });
}

/** Top-level keys spelled canonically, with what the directory owns and nulls (Entra's "no value") left out. */
function cleaned(body: Record<string, unknown>): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (isUnsafeKey(key)) throw badRequest('invalidValue', 'an attribute name is not allowed');
    const name = key.toLowerCase().startsWith('urn:') ? key : canonicalName(key);
    if (DROPPED.has(name) || value === null) continue;
    attributes[name] = value;
  }
  return attributes;
}

function enterpriseAttributes(extension: Record<string, unknown>): Record<string, unknown> {
  const attributes = cleaned(extension);
  if (attributes.manager !== undefined) {
    const manager = managerOf(attributes.manager);
    if (manager === undefined) delete attributes.manager;
    else attributes.manager = manager;
  }
  for (const name of ['employeeNumber', 'costCenter', 'organization', 'division', 'department'] as const) {
    if (attributes[name] !== undefined && typeof attributes[name] !== 'string') throw badRequest('invalidValue', `${ENTERPRISE_SCHEMA}:${name} must be a string`);
  }
  return attributes;
}

/**
 * The enterprise `manager` (`{"value": id}`) from the forms Entra sends: that object, a one-element list of it
 * (tutorial example 5), or the bare id; `undefined` for an empty one (the manager removed).
 */
function managerOf(value: unknown): Record<string, string> | undefined {
  const single = Array.isArray(value) ? (value.length === 0 ? undefined : value.length === 1 ? (value[0] as unknown) : tooMany()) : value;
  if (single === undefined || single === null || single === '') return undefined;
  if (typeof single === 'string') return { value: single };
  if (isRecord(single) && (single.value === undefined || single.value === null || single.value === '')) return undefined;
  if (isRecord(single) && typeof single.value === 'string') return { value: single.value, ...(typeof single.displayName === 'string' && { displayName: single.displayName }) };
  throw badRequest('invalidValue', `${ENTERPRISE_SCHEMA}:manager must be {"value": "<the manager's id>"}`);
}

function tooMany(): never {
  throw badRequest('invalidValue', `${ENTERPRISE_SCHEMA}:manager is single-valued`);
}
