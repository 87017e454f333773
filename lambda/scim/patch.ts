import { booleanOf, canonicalName, ENTERPRISE_ATTRIBUTES, keyIn, memberIds, MULTI_VALUED } from './attributes';
import type { MemberChange, ScimAttributes } from './directory';
import { badRequest, ENTERPRISE_SCHEMA, GROUP_SCHEMA, isRecord, isUnsafeKey, PATCH_OP, USER_SCHEMA } from './protocol';

/**
 * PATCH (RFC 7644 section 3.5.2) as Entra and Okta really send it: `op` in any case, operations with and without
 * `path`, a no-path `value` keyed by attribute paths (`"name.givenName"`, a full enterprise URN path), enterprise
 * attributes with or without their URN (Entra's bare `manager`), `emails[type eq "work"].value`. A user's operations
 * are applied to a copy of its attributes (the service then stores the result if the version still holds); a group's
 * member operations become one {@link MemberChange}, never a read-modify-write of the member list.
 *
 * Where the RFC leaves a choice, the lenient one: `add`/`replace` through a filter that matches nothing adds an
 * element built from the filter (`emails[type eq "work"].value` on a user with no work e-mail), `remove` of what is
 * not there is no error.
 */

export type PatchOperation = { op: 'add' | 'replace' | 'remove'; path: string | undefined; value: unknown };

/** The operations of a PatchOp body; a 400 naming what is wrong. */
export function patchOperations(body: unknown): PatchOperation[] {
  if (!isRecord(body)) throw badRequest('invalidSyntax', 'the body must be a PatchOp object');
  if (Array.isArray(body.schemas) && !body.schemas.some((s) => typeof s === 'string' && s.toLowerCase() === PATCH_OP.toLowerCase())) {
    throw badRequest('invalidSyntax', `schemas must list ${PATCH_OP}`);
  }
  const operations = body.Operations ?? body.operations;
  if (!Array.isArray(operations) || operations.length === 0) throw badRequest('invalidSyntax', 'Operations must be a non-empty list');
  return operations.map((operation: unknown, index) => {
    if (!isRecord(operation)) throw badRequest('invalidSyntax', `Operations[${index}] must be an object`);
    const op = typeof operation.op === 'string' ? operation.op.toLowerCase() : undefined;
    if (op !== 'add' && op !== 'replace' && op !== 'remove') throw badRequest('invalidSyntax', `Operations[${index}].op must be add, replace or remove`);
    const path = operation.path;
    if (path !== undefined && path !== null && (typeof path !== 'string' || path.trim() === '')) throw badRequest('invalidPath', `Operations[${index}].path must be a non-empty string`);
    if (op !== 'remove' && !('value' in operation)) throw badRequest('invalidValue', `Operations[${index}].value is required for ${op}`);
    return { op, path: typeof path === 'string' ? path.trim() : undefined, value: operation.value };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------------------------------------------

interface Comparison {
  attribute: string;
  value: unknown;
}
/** A parsed path: the attribute (in the enterprise extension or not), an optional filter and sub-attribute. */
interface Target {
  enterprise: boolean;
  /** `undefined`: the enterprise extension as a whole. */
  attribute: string | undefined;
  filter?: Comparison[];
  sub?: string;
}

const PATH = /^([A-Za-z$][\w$-]*)(?:\[([^\]]*)\])?(?:\.([A-Za-z$][\w$-]*))?$/;
const FILTER_COMPARISON = /^\s*([A-Za-z$][\w$-]*)\s+eq\s+("(?:[^"\\]|\\.)*"|true|false|[^\s"]+)\s*$/i;

function parsePath(raw: string, resource: 'user' | 'group'): Target {
  let rest = raw;
  let enterprise = false;
  const lower = raw.toLowerCase();
  if (lower.startsWith('urn:')) {
    const schemas = resource === 'user' ? [ENTERPRISE_SCHEMA, USER_SCHEMA] : [GROUP_SCHEMA];
    const schema = schemas.find((s) => lower === s.toLowerCase() || lower.startsWith(`${s.toLowerCase()}:`));
    if (schema === undefined) throw badRequest('invalidPath', 'the path names a schema this service does not hold');
    enterprise = schema === ENTERPRISE_SCHEMA;
    if (lower === schema.toLowerCase()) {
      if (!enterprise) throw badRequest('invalidPath', 'the path must name an attribute');
      return { enterprise, attribute: undefined };
    }
    rest = raw.slice(schema.length + 1);
  }
  const match = PATH.exec(rest);
  if (!match) throw badRequest('invalidPath', 'the path must be attribute, attribute.subAttribute or attribute[filter].subAttribute');
  const [, attributeName, filterText, subName] = match as unknown as [string, string, string | undefined, string | undefined];
  if ([attributeName, subName].some((name) => name !== undefined && isUnsafeKey(name))) throw badRequest('invalidPath', 'the path names an attribute that is not allowed');
  const attribute = canonicalName(attributeName);
  if (resource === 'user' && !enterprise && ENTERPRISE_ATTRIBUTES.has(attribute)) enterprise = true;
  return {
    enterprise,
    attribute,
    ...(filterText !== undefined && { filter: parseValueFilter(filterText) }),
    ...(subName !== undefined && { sub: canonicalName(subName) }),
  };
}

/** A value filter inside brackets: `eq` comparisons joined by `and` (`type eq "work"`, `value eq "id"`). */
function parseValueFilter(text: string): Comparison[] {
  return text.split(/\s+and\s+/i).map((part) => {
    const match = FILTER_COMPARISON.exec(part);
    if (!match) throw badRequest('invalidFilter', 'a filter in a path must be "<subAttribute> eq <value>" comparisons joined by "and"');
    const [, attribute, raw] = match as unknown as [string, string, string];
    if (isUnsafeKey(attribute)) throw badRequest('invalidPath', 'the path names an attribute that is not allowed');
    return { attribute: canonicalName(attribute), value: raw.startsWith('"') ? quotedValue(raw) : booleanOf(raw) };
  });
}

function quotedValue(raw: string): string {
  try {
    return JSON.parse(raw) as string;
  } catch {
    throw badRequest('invalidFilter', 'a filter in a path holds a quoted value that is not a valid string');
  }
}

function matches(element: unknown, filter: Comparison[]): boolean {
  if (!isRecord(element)) return false;
  return filter.every(({ attribute, value }) => {
    const actual = booleanOf(element[keyIn(element, attribute)]);
    // `type` and friends are caseExact false in RFC 7643; ids compare as they are.
    if (typeof actual === 'string' && typeof value === 'string') return attribute === 'value' ? actual === value : actual.toLowerCase() === value.toLowerCase();
    return actual === value;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Users
// ---------------------------------------------------------------------------------------------------------------

/** What a PATCH leaves of a user's attributes (a copy; the input is not changed). Validation is the caller's. */
export function applyUserPatch(attributes: ScimAttributes, operations: readonly PatchOperation[]): ScimAttributes {
  const document = structuredClone(attributes);
  for (const operation of operations) applyOperation(document, operation, 'user');
  return document;
}

/** Applies one operation to a group's or a user's attributes (a group's `members` are handled before). */
function applyOperation(document: Record<string, unknown>, { op, path, value }: PatchOperation, resource: 'user' | 'group'): void {
  if (path === undefined) {
    if (op === 'remove') throw badRequest('noTarget', 'a remove operation needs a path');
    if (!isRecord(value)) throw badRequest('invalidValue', 'an operation without a path needs an object value');
    for (const [key, each] of Object.entries(value)) {
      if (isUnsafeKey(key)) throw badRequest('invalidPath', 'the value names an attribute that is not allowed');
      // Okta's group rename carries the id; what the directory owns is not the caller's to change, and a password
      // never reaches the directory.
      if (['id', 'meta', 'schemas', 'password'].includes(key.toLowerCase())) continue;
      applyTarget(document, parsePath(key, resource), op, each);
    }
    return;
  }
  applyTarget(document, parsePath(path, resource), op, value);
}

function applyTarget(document: Record<string, unknown>, target: Target, op: PatchOperation['op'], value: unknown): void {
  const { attribute } = target;
  if (attribute !== undefined && ['id', 'meta', 'groups', 'members', 'schemas'].includes(attribute)) {
    throw badRequest('mutability', `${attribute} cannot be changed with PATCH here`);
  }
  if (attribute === 'password') return;
  let container = document;
  if (target.enterprise) {
    const key = keyIn(document, ENTERPRISE_SCHEMA);
    if (attribute === undefined) {
      if (op === 'remove') delete document[key];
      else if (!isRecord(value)) throw badRequest('invalidValue', `${ENTERPRISE_SCHEMA} must be an object`);
      else document[key] = merged(isRecord(document[key]) ? document[key] : {}, value);
      return;
    }
    if (!isRecord(document[key])) {
      if (op === 'remove') return;
      document[key] = {};
    }
    container = document[key] as Record<string, unknown>;
  }
  const key = keyIn(container, attribute!);
  const current = container[key];
  if (target.filter) return applyFiltered(container, key, target.filter, target.sub, op, value);
  if (target.sub !== undefined) {
    if (op === 'remove') {
      if (isRecord(current)) delete current[keyIn(current, target.sub)];
      return;
    }
    if (!isRecord(current)) container[key] = {};
    const parent = container[key] as Record<string, unknown>;
    parent[keyIn(parent, target.sub)] = value;
    return;
  }
  if (op === 'remove') {
    if (MULTI_VALUED.has(key) && Array.isArray(current) && value !== undefined) {
      // The elements equal to those given go (every sub-attribute given matches); an element given without `value`
      // (`{"type": "home"}`) is no reason to remove every element, which has no `value` either.
      const gone = Array.isArray(value) ? (value as unknown[]) : [value];
      container[key] = current.filter((element) => !gone.some((given) => sameElement(element, given)));
    } else delete container[key];
    return;
  }
  if (MULTI_VALUED.has(key)) {
    const values: unknown[] = value === null ? [] : Array.isArray(value) ? (value as unknown[]) : [value];
    if (op === 'replace' || !Array.isArray(current)) container[key] = values;
    else container[key] = [...(current as unknown[]), ...values.filter((v) => !current.some((c) => JSON.stringify(c) === JSON.stringify(v)))];
    return;
  }
  // A complex attribute: the sub-attributes given replace or add, the others stay (RFC 7644 section 3.5.2.3).
  container[key] = isRecord(value) && isRecord(current) && key !== 'manager' ? merged(current, value) : value;
}

function applyFiltered(container: Record<string, unknown>, key: string, filter: Comparison[], sub: string | undefined, op: PatchOperation['op'], value: unknown): void {
  const list = container[key];
  if (list !== undefined && !Array.isArray(list)) throw badRequest('invalidPath', `${key} is not multi-valued`);
  const elements = (list ?? []) as unknown[];
  const hits = elements.filter((element) => matches(element, filter));
  if (op === 'remove') {
    if (sub === undefined) container[key] = elements.filter((element) => !hits.includes(element));
    else for (const hit of hits as Record<string, unknown>[]) delete hit[keyIn(hit, sub)];
    return;
  }
  if (hits.length === 0) {
    const element: Record<string, unknown> = Object.fromEntries(filter.map(({ attribute, value: v }) => [attribute, v]));
    if (sub === undefined) {
      if (!isRecord(value)) throw badRequest('invalidValue', `a value for ${key}[...] must be an object`);
      Object.assign(element, merged({}, value));
    } else element[sub] = value;
    container[key] = [...elements, element];
    return;
  }
  if (sub !== undefined) {
    for (const hit of hits as Record<string, unknown>[]) hit[keyIn(hit, sub)] = value;
    return;
  }
  if (!isRecord(value)) throw badRequest('invalidValue', `a value for ${key}[...] must be an object`);
  // `replace` replaces each matched value whole (RFC 7644 section 3.5.2.3), keeping what the filter says of it;
  // `add` adds the sub-attributes given.
  const filterFields: Record<string, unknown> = Object.fromEntries(filter.map(({ attribute, value: v }) => [attribute, v]));
  container[key] = elements.map((element) => {
    if (!hits.includes(element)) return element;
    return op === 'replace' ? merged(filterFields, value) : merged(element as Record<string, unknown>, value);
  });
}

/** Whether a stored multi-valued element is one a `remove` names: a scalar its `value`, an object all of its members. */
function sameElement(element: unknown, given: unknown): boolean {
  if (!isRecord(element)) return deepEqual(element, given);
  if (!isRecord(given)) return given !== undefined && deepEqual(element[keyIn(element, 'value')], given);
  const entries = Object.entries(given).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return false;
  return entries.every(([name, v]) => {
    const key = Object.keys(element).find((k) => k.toLowerCase() === name.toLowerCase());
    return key !== undefined && deepEqual(booleanOf(element[key]), booleanOf(v));
  });
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((each, i) => deepEqual(each, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** `base` with `value`'s members over it, keys matched case-insensitively; unsafe keys refused. */
function merged(base: Record<string, unknown>, value: Record<string, unknown>): Record<string, unknown> {
  const result = { ...base };
  for (const [key, each] of Object.entries(value)) {
    if (isUnsafeKey(key)) throw badRequest('invalidValue', 'the value names an attribute that is not allowed');
    result[keyIn(result, key)] = each;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Groups
// ---------------------------------------------------------------------------------------------------------------

export interface GroupPatch {
  /** The operations on the group's own attributes (`displayName`, `externalId`), in order; may be none. */
  attributeOperations: PatchOperation[];
  /** `undefined` when the PATCH changes no member. */
  members: MemberChange | undefined;
}

const MEMBERS_PATH = /^members(?:\[\s*value\s+eq\s+("(?:[^"\\]|\\.)*"|[^\s"\]]+)\s*\])?$/i;

/**
 * Splits a group's PATCH into attribute operations and one member change: `add` appends (no duplicates), `remove` by
 * `members[value eq "id"]` removes that one member, by a value list those members, with neither all of them;
 * `replace` (`[]` too) replaces the list. Later operations act on what earlier ones left.
 */
export function groupPatch(operations: readonly PatchOperation[]): GroupPatch {
  const attributeOperations: PatchOperation[] = [];
  const change = new MemberChangeBuilder();
  for (const operation of operations) {
    const { op, path, value } = operation;
    if (path === undefined) {
      if (op === 'remove') throw badRequest('noTarget', 'a remove operation needs a path');
      if (!isRecord(value)) throw badRequest('invalidValue', 'an operation without a path needs an object value');
      const rest: Record<string, unknown> = {};
      for (const [key, each] of Object.entries(value)) {
        if (key.toLowerCase() === 'members') change.apply(op, memberIds(each));
        else rest[key] = each;
      }
      if (Object.keys(rest).length > 0) attributeOperations.push({ op, path: undefined, value: rest });
      continue;
    }
    const members = MEMBERS_PATH.exec(path.replace(/^urn:ietf:params:scim:schemas:core:2\.0:group:/i, ''));
    if (!members) {
      attributeOperations.push(operation);
      continue;
    }
    const filtered = members[1];
    if (filtered !== undefined) {
      if (op !== 'remove') throw badRequest('invalidPath', 'members[value eq ...] may only be removed');
      change.remove([filterValue(filtered)]);
    } else if (op === 'remove') {
      if (value === undefined || value === null) change.replace([]);
      else change.remove(memberIds(value));
    } else change.apply(op, memberIds(value));
  }
  return { attributeOperations, members: change.build() };
}

/** Applies a group's attribute operations to a copy of its attributes. */
export function applyGroupPatch(attributes: ScimAttributes, operations: readonly PatchOperation[]): ScimAttributes {
  const document = structuredClone(attributes);
  for (const operation of operations) applyOperation(document, operation, 'group');
  return document;
}

function filterValue(raw: string): string {
  return raw.startsWith('"') ? quotedValue(raw) : raw;
}

class MemberChangeBuilder {
  private replaceAll: Set<string> | undefined;
  private readonly add = new Set<string>();
  private readonly remove_ = new Set<string>();
  private touched = false;

  apply(op: 'add' | 'replace', ids: string[]): void {
    if (op === 'replace') this.replace(ids);
    else this.append(ids);
  }
  replace(ids: string[]): void {
    this.touched = true;
    this.replaceAll = new Set(ids);
    this.add.clear();
    this.remove_.clear();
  }
  append(ids: string[]): void {
    this.touched = true;
    for (const id of ids) {
      if (this.replaceAll) this.replaceAll.add(id);
      else {
        this.add.add(id);
        this.remove_.delete(id);
      }
    }
  }
  remove(ids: string[]): void {
    this.touched = true;
    for (const id of ids) {
      if (this.replaceAll) this.replaceAll.delete(id);
      else {
        this.remove_.add(id);
        this.add.delete(id);
      }
    }
  }
  build(): MemberChange | undefined {
    if (!this.touched) return undefined;
    return {
      ...(this.replaceAll && { replaceAll: [...this.replaceAll] }),
      ...(this.add.size > 0 && { add: [...this.add] }),
      ...(this.remove_.size > 0 && { remove: [...this.remove_] }),
    };
  }
}
