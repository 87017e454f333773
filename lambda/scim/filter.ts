import type { GroupQuery, UserQuery } from './directory';
import { badRequest, MAX_KEY_VALUE_BYTES } from './protocol';

/**
 * The `filter` query parameter (RFC 7644 section 3.4.2.2), as far as the identity providers use it: `eq` on
 * `userName`, `externalId` and `emails[type eq "work"].value` for users, `displayName` and `externalId` for groups,
 * joined by `and` (Entra: "only uses the following operators: eq, and"). Attribute names, operators and the schema
 * URN prefix are case-insensitive; a value may be unquoted, as in Entra's documented `externalId eq jyoung`. Anything
 * else is a 400 `invalidFilter`, never a silent "match all".
 */

/** A parsed filter: the query for the directory, or `none` when its comparisons contradict each other. */
export type Filtered<Q> = { kind: 'query'; query: Q } | { kind: 'none' };

const USER_FIELDS: Record<string, keyof UserQuery> = { username: 'userName', externalid: 'externalId' };
const GROUP_FIELDS: Record<string, keyof GroupQuery> = { displayname: 'displayName', externalid: 'externalId' };
const WORK_EMAIL = /^emails\[\s*type\s+eq\s+"work"\s*\]\.value$/i;
const URN_PREFIX = /^urn:ietf:params:scim:schemas:core:2\.0:(user|group):/i;
const COMPARISON = /^\s*([^\s[\]]+(?:\[[^\]]*\](?:\.[^\s]+)?)?)\s+([A-Za-z]+)\s+("(?:[^"\\]|\\.)*"|[^\s()"]+)\s*/;
const AND = /^and\s+/i;
const MAX_FILTER_LENGTH = 2048;
const SUPPORTED = 'userName, externalId, emails[type eq "work"].value (users) or displayName, externalId (groups)';

export function parseUserFilter(filter: string | undefined): Filtered<UserQuery> {
  return parseFilter<UserQuery>(filter, (attribute) => (WORK_EMAIL.test(attribute) ? 'workEmail' : USER_FIELDS[attribute.toLowerCase()]), 'userName');
}

export function parseGroupFilter(filter: string | undefined): Filtered<GroupQuery> {
  return parseFilter<GroupQuery>(filter, (attribute) => GROUP_FIELDS[attribute.toLowerCase()], undefined);
}

function parseFilter<Q extends object>(
  filter: string | undefined,
  fieldOf: (attribute: string) => keyof Q | undefined,
  caseInsensitive: keyof Q | undefined,
): Filtered<Q> {
  if (filter === undefined) return { kind: 'query', query: {} as Q };
  if (filter.trim() === '') throw badRequest('invalidFilter', 'the filter is empty');
  if (filter.length > MAX_FILTER_LENGTH) throw badRequest('invalidFilter', `the filter must be at most ${MAX_FILTER_LENGTH} characters`);
  const query: Record<string, string> = {};
  let rest = filter;
  let contradicts = false;
  for (;;) {
    const match = COMPARISON.exec(rest);
    if (!match) throw badRequest('invalidFilter', 'the filter must be comparisons "<attribute> eq <value>" joined by "and"');
    const [whole, rawAttribute, operator, rawValue] = match as unknown as [string, string, string, string];
    const field = fieldOf(rawAttribute.replace(URN_PREFIX, ''));
    if (field === undefined) throw badRequest('invalidFilter', `the filter names an attribute that cannot be filtered on; use ${SUPPORTED}`);
    if (operator.toLowerCase() !== 'eq') throw badRequest('invalidFilter', 'the filter supports the operator "eq" only');
    const value = valueOf(rawValue);
    if (Buffer.byteLength(value, 'utf8') > MAX_KEY_VALUE_BYTES) throw badRequest('invalidFilter', `a filter's value must be at most ${MAX_KEY_VALUE_BYTES} bytes (UTF-8)`);
    const key = field as string;
    const previous = query[key];
    if (previous !== undefined && !sameValue(previous, value, field === caseInsensitive)) contradicts = true;
    query[key] = value;
    rest = rest.slice(whole.length);
    if (rest === '') break;
    const and = AND.exec(rest);
    if (!and) throw badRequest('invalidFilter', 'comparisons in a filter may only be joined by "and"');
    rest = rest.slice(and[0].length);
  }
  return contradicts ? { kind: 'none' } : { kind: 'query', query: query as Q };
}

function valueOf(raw: string): string {
  if (!raw.startsWith('"')) return raw;
  try {
    return JSON.parse(raw) as string;
  } catch {
    throw badRequest('invalidFilter', 'the filter holds a quoted value that is not a valid string');
  }
}

function sameValue(a: string, b: string, caseInsensitive: boolean): boolean {
  return caseInsensitive ? a.toLowerCase() === b.toLowerCase() : a === b;
}
