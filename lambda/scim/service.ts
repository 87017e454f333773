import type { Failure, Result } from '../failure';
import type { Logger } from '../log';
import { groupAttributes, keyIn, memberIds, userAttributes } from './attributes';
import { tokenAccepted } from './bearer';
import type { Directory, Page } from './directory';
import { parseGroupFilter, parseUserFilter } from './filter';
import { applyGroupPatch, applyUserPatch, groupPatch, patchOperations } from './patch';
import {
  badRequest,
  isRecord,
  LIST_RESPONSE,
  MAX_BODY_BYTES,
  MAX_BODY_DEPTH,
  MAX_RESULTS,
  noContent,
  scimAnswer,
  ScimError,
  scimError,
  type ScimAnswer,
  type ScimRequest,
} from './protocol';
import { groupResource, projected, projectionOf, resourceTypes, schemas, serviceProviderConfig, userResource, wants } from './resources';

/**
 * The SCIM 2.0 service (contract section 14), pure of AWS: a request under `/scim/v2` and a {@link Directory} in, an
 * answer out. It authenticates, routes, reads and checks the body, and turns every refusal into RFC 7644's error
 * format; nothing a caller sends makes it answer a 5xx (a directory that fails for now is a 503 with `Retry-After`).
 */

export interface ScimDeps {
  directory: Directory;
  /** The accepted bearer token values (one, or two while rotating); a failure is a fault of the deployment. */
  tokens: (timeoutMs: number) => Promise<Result<readonly string[]>>;
  log: Logger;
}

const SECRET_TIMEOUT_MS = 2_000;
const RETRY_AFTER_SECONDS = '5';
/** How often a PATCH re-reads a resource that changed between its read and its write. */
const PATCH_ATTEMPTS = 3;
const MAX_ID_LENGTH = 256;
const ACCEPTED_MEDIA_TYPES = new Set(['application/scim+json', 'application/json']);

/** A directory failure on the way to an answer. */
class DirectoryFailure extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

function must<T>(result: Result<T>): T {
  if (!result.ok) throw new DirectoryFailure(result.error);
  return result.value;
}

/**
 * Answers one SCIM request.
 *
 * @example
 * const answer = await answerScimRequest({ method: 'GET', path: '/Users', query: { filter: 'userName eq "ada@example.com"' }, headers, body: undefined, baseUrl }, deps);
 */
export async function answerScimRequest(request: ScimRequest, deps: ScimDeps): Promise<ScimAnswer> {
  const { log } = deps;
  const route = routeOf(request.path);
  const done = (answer: ScimAnswer, fields: Record<string, unknown> = {}) => {
    log.info('scim request', { method: request.method, route: route?.name ?? 'unknown', status: answer.status, ...fields });
    return answer;
  };
  if (request.body !== undefined && Buffer.byteLength(request.body, 'utf8') > MAX_BODY_BYTES) {
    return done(scimError(413, `the body must be at most ${MAX_BODY_BYTES} bytes`));
  }
  const tokens = await deps.tokens(SECRET_TIMEOUT_MS);
  if (!tokens.ok) {
    log.error('the SCIM token secret could not be read', { status: 503, errorCode: tokens.error.code });
    return done(scimError(503, 'the service is unavailable; try again later', undefined, { 'retry-after': RETRY_AFTER_SECONDS }));
  }
  // The offered token never reaches a line: only whether there was one.
  const authorization = request.headers.get('authorization');
  if (!tokenAccepted(authorization, tokens.value)) {
    return done(scimError(401, 'authentication required', undefined, { 'www-authenticate': 'Bearer' }), { outcome: authorization === undefined ? 'no_credentials' : 'rejected_credentials' });
  }
  if (!route) return done(scimError(404, 'no such endpoint under /scim/v2'));
  const handler = route.methods[request.method];
  if (!handler) return done(scimError(405, `${route.name} accepts ${Object.keys(route.methods).join(', ')}`, undefined, { allow: Object.keys(route.methods).join(', ') }));
  try {
    const body = ['POST', 'PUT', 'PATCH'].includes(request.method) ? readBody(request) : undefined;
    return done(await handler({ request, body, id: route.id, deps }));
  } catch (err) {
    if (err instanceof ScimError) return done(scimError(err.status, err.message, err.scimType), { ...(err.scimType && { scimType: err.scimType }) });
    if (err instanceof DirectoryFailure) return done(directoryAnswer(err.failure, log), { errorCode: err.failure.code });
    throw err;
  }
}

function directoryAnswer(failure: Failure, log: Logger): ScimAnswer {
  if (failure.kind === 'conflict') return scimError(409, 'a resource with that userName or displayName already exists', 'uniqueness');
  if (failure.code === 'not_found') return scimError(404, 'no such resource');
  // What DynamoDB refuses as such (a key or an item too large) is the caller's value: asking again will not help.
  if (failure.code === 'invalid_value') {
    log.warn('the directory refused a value', { errorCode: failure.code });
    return scimError(400, 'a value is too large or otherwise not one the directory can keep', 'invalidValue');
  }
  // A fault of this code (a TypeError, a RangeError), not of DynamoDB: no retry will help, and none is suggested.
  if (failure.code === 'internal') {
    log.error('the scim function failed', { errorCode: failure.code, error: failure.message });
    return scimError(500, 'the service failed');
  }
  // A resource changed under every attempt, or the directory failed for now: a retry may succeed.
  if (failure.kind === 'permanent' && failure.code !== 'version_mismatch') log.error('the directory refused a request', { errorCode: failure.code });
  else log.warn('the directory could not answer for now', { errorCode: failure.code });
  return scimError(503, 'the service is unavailable; try again later', undefined, { 'retry-after': RETRY_AFTER_SECONDS });
}

/** The body as a JSON object; 415 for a media type other than SCIM's or JSON's, 400 `invalidSyntax` for bad JSON. */
function readBody(request: ScimRequest): Record<string, unknown> {
  const mediaType = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (mediaType === undefined || !ACCEPTED_MEDIA_TYPES.has(mediaType)) {
    throw new ScimError(415, undefined, 'the body must be application/scim+json or application/json');
  }
  if (request.body !== undefined && nestedDeeperThan(request.body, MAX_BODY_DEPTH)) throw badRequest('invalidSyntax', `the body must not nest deeper than ${MAX_BODY_DEPTH} levels`);
  let value: unknown;
  try {
    value = JSON.parse(request.body ?? '') as unknown;
  } catch {
    throw badRequest('invalidSyntax', request.body === undefined || request.body.trim() === '' ? 'the body is empty' : 'the body is not valid JSON');
  }
  if (!isRecord(value)) throw badRequest('invalidSyntax', 'the body must be a JSON object');
  return value;
}

/** Whether JSON text nests arrays and objects deeper than `limit` (strings skipped); linear, no recursion. */
function nestedDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------------------------------

interface Call {
  request: ScimRequest;
  body: Record<string, unknown> | undefined;
  id: string | undefined;
  deps: ScimDeps;
}
type Handler = (call: Call) => Promise<ScimAnswer>;
interface Route {
  name: string;
  id: string | undefined;
  methods: Record<string, Handler>;
}

const USERS: Record<string, Handler> = { GET: listUsers, POST: createUser };
const USER: Record<string, Handler> = { GET: getUser, PUT: replaceUser, PATCH: patchUser, DELETE: deleteUser };
const GROUPS: Record<string, Handler> = { GET: listGroups, POST: createGroup };
const GROUP: Record<string, Handler> = { GET: getGroup, PUT: replaceGroup, PATCH: patchGroup, DELETE: deleteGroup };

function routeOf(path: string): Route | undefined {
  const segments = path.split('/');
  if (segments[0] !== '' || segments.length < 2 || segments.length > 3) return undefined;
  const [, collection, id] = segments as [string, string, string | undefined];
  if (id !== undefined && (id === '' || id.length > MAX_ID_LENGTH)) return undefined;
  const one = (name: string, methods: Record<string, Handler>): Route => ({ name, id, methods });
  switch (collection) {
    case 'Users':
      return id === undefined ? one('/Users', USERS) : one('/Users/{id}', USER);
    case 'Groups':
      return id === undefined ? one('/Groups', GROUPS) : one('/Groups/{id}', GROUP);
    case 'ServiceProviderConfig':
      return id === undefined ? one('/ServiceProviderConfig', { GET: ({ request }) => Promise.resolve(scimAnswer(200, serviceProviderConfig(request.baseUrl))) }) : undefined;
    case 'ResourceTypes':
      return one('/ResourceTypes', { GET: ({ request }) => Promise.resolve(discovery(resourceTypes(request.baseUrl), id)) });
    case 'Schemas':
      return one('/Schemas', { GET: ({ request }) => Promise.resolve(discovery(schemas(request.baseUrl), id)) });
    default:
      return undefined;
  }
}

function discovery(resources: Record<string, unknown>[], id: string | undefined): ScimAnswer {
  if (id === undefined) return scimAnswer(200, listResponse(resources, resources.length, 1));
  const found = resources.find((r) => r.id === id);
  return found ? scimAnswer(200, found) : scimError(404, 'no such resource');
}

function listResponse(resources: unknown[], totalResults: number, startIndex: number) {
  return { schemas: [LIST_RESPONSE], totalResults, startIndex, itemsPerPage: resources.length, Resources: resources };
}

/** `startIndex` (1-based; below 1 is 1) and `count` (negative is 0; at most {@link MAX_RESULTS}), RFC 7644 section 3.4.2.4. */
function pageOf(query: ScimRequest['query']): Page {
  const integer = (name: string, fallback: number) => {
    const text = query[name];
    if (text === undefined || text.trim() === '') return fallback;
    if (!/^\s*[-+]?\d{1,15}\s*$/.test(text)) throw badRequest('invalidValue', `${name} must be an integer`);
    return Number(text);
  };
  return { startIndex: Math.max(1, integer('startIndex', 1)), count: Math.min(MAX_RESULTS, Math.max(0, integer('count', MAX_RESULTS))) };
}

async function respondList<T>(
  resources: { totalResults: number; resources: T[] },
  page: Page,
  render: (resource: T) => Promise<Record<string, unknown>>,
  projection: ReturnType<typeof projectionOf>,
): Promise<ScimAnswer> {
  const rendered = await Promise.all(resources.resources.slice(0, page.count).map(render));
  return scimAnswer(200, listResponse(rendered.map((r) => projected(r, projection)), resources.totalResults, page.startIndex));
}

// ---------------------------------------------------------------------------------------------------------------
// Users
// ---------------------------------------------------------------------------------------------------------------

async function listUsers({ request, deps }: Call): Promise<ScimAnswer> {
  const filter = parseUserFilter(request.query.filter);
  const page = pageOf(request.query);
  const projection = projectionOf(request.query);
  if (filter.kind === 'none') return scimAnswer(200, listResponse([], 0, page.startIndex));
  const found = must(await deps.directory.listUsers(filter.query, page));
  const withGroups = wants(projection, 'groups');
  return respondList(found, page, async (user) => userResource(user, withGroups ? must(await deps.directory.groupsOf(user.id)) : undefined, request.baseUrl), projection);
}

async function createUser({ request, body, deps }: Call): Promise<ScimAnswer> {
  const user = must(await deps.directory.createUser(userAttributes(body!)));
  const resource = userResource(user, [], request.baseUrl);
  return scimAnswer(201, resource, { location: (resource.meta as { location: string }).location });
}

async function getUser({ request, id, deps }: Call): Promise<ScimAnswer> {
  const user = must(await deps.directory.getUser(id!));
  if (!user) return scimError(404, 'no such User');
  const projection = projectionOf(request.query);
  const groups = wants(projection, 'groups') ? must(await deps.directory.groupsOf(user.id)) : undefined;
  return scimAnswer(200, projected(userResource(user, groups, request.baseUrl), projection));
}

async function replaceUser({ request, body, id, deps }: Call): Promise<ScimAnswer> {
  const user = must(await deps.directory.replaceUser(id!, userAttributes(body!)));
  return scimAnswer(200, userResource(user, must(await deps.directory.groupsOf(user.id)), request.baseUrl));
}

/** Read, apply, write if the version still holds; a user changed in between is read again. */
async function patchUser({ request, body, id, deps }: Call): Promise<ScimAnswer> {
  const operations = patchOperations(body);
  for (let attempt = 1; ; attempt++) {
    const user = must(await deps.directory.getUser(id!));
    if (!user) return scimError(404, 'no such User');
    const next = userAttributes(applyUserPatch(user.attributes, operations));
    // Entra re-sends values that did not change: no write, no new version, no event.
    let stored = user;
    if (JSON.stringify(next) !== JSON.stringify(user.attributes)) {
      const written = await deps.directory.replaceUser(user.id, next, user.version);
      if (!written.ok && written.error.code === 'version_mismatch' && attempt < PATCH_ATTEMPTS) continue;
      stored = must(written);
    }
    return scimAnswer(200, userResource(stored, must(await deps.directory.groupsOf(stored.id)), request.baseUrl));
  }
}

async function deleteUser({ id, deps }: Call): Promise<ScimAnswer> {
  return must(await deps.directory.deleteUser(id!)) ? noContent() : scimError(404, 'no such User');
}

// ---------------------------------------------------------------------------------------------------------------
// Groups
// ---------------------------------------------------------------------------------------------------------------

async function listGroups({ request, deps }: Call): Promise<ScimAnswer> {
  const filter = parseGroupFilter(request.query.filter);
  const page = pageOf(request.query);
  const projection = projectionOf(request.query);
  if (filter.kind === 'none') return scimAnswer(200, listResponse([], 0, page.startIndex));
  const found = must(await deps.directory.listGroups(filter.query, page));
  const withMembers = wants(projection, 'members');
  return respondList(found, page, async (group) => groupResource(group, withMembers ? must(await deps.directory.membersOf(group.id)) : undefined, request.baseUrl), projection);
}

async function createGroup({ request, body, deps }: Call): Promise<ScimAnswer> {
  const ids = memberIds(body![keyIn(body!, 'members')]);
  const group = must(await deps.directory.createGroup(groupAttributes(body!), ids));
  const members = ids.length === 0 ? [] : must(await deps.directory.membersOf(group.id));
  const resource = groupResource(group, members, request.baseUrl);
  return scimAnswer(201, resource, { location: (resource.meta as { location: string }).location });
}

async function getGroup({ request, id, deps }: Call): Promise<ScimAnswer> {
  const group = must(await deps.directory.getGroup(id!));
  if (!group) return scimError(404, 'no such Group');
  const projection = projectionOf(request.query);
  const members = wants(projection, 'members') ? must(await deps.directory.membersOf(group.id)) : undefined;
  return scimAnswer(200, projected(groupResource(group, members, request.baseUrl), projection));
}

/** PUT replaces the attributes and, when the body lists `members`, the member list (Okta's AIW apps send it whole). */
async function replaceGroup({ request, body, id, deps }: Call): Promise<ScimAnswer> {
  const attributes = groupAttributes(body!);
  const members = body![keyIn(body!, 'members')];
  const ids = members === undefined ? undefined : memberIds(members);
  let group = must(await deps.directory.replaceGroup(id!, attributes));
  if (ids !== undefined) group = must(await deps.directory.changeMembers(group.id, { replaceAll: ids }));
  return scimAnswer(200, groupResource(group, must(await deps.directory.membersOf(group.id)), request.baseUrl));
}

/**
 * Attribute operations (a rename) are read, applied and written if the version holds; member operations are one
 * `changeMembers`. Answered 204, as Entra's documentation asks ("should yield an HTTP 204 No Content") and Okta
 * accepts; Entra needs no resource back ("It isn't necessary to include the entire resource in the PATCH response").
 */
async function patchGroup({ body, id, deps }: Call): Promise<ScimAnswer> {
  const { attributeOperations, members } = groupPatch(patchOperations(body));
  if (attributeOperations.length > 0 || !members) {
    for (let attempt = 1; ; attempt++) {
      const group = must(await deps.directory.getGroup(id!));
      if (!group) return scimError(404, 'no such Group');
      const next = groupAttributes(applyGroupPatch(group.attributes, attributeOperations));
      if (JSON.stringify(next) === JSON.stringify(group.attributes)) break;
      const written = await deps.directory.replaceGroup(group.id, next, group.version);
      if (!written.ok && written.error.code === 'version_mismatch' && attempt < PATCH_ATTEMPTS) continue;
      must(written);
      break;
    }
  }
  if (members) must(await deps.directory.changeMembers(id!, members));
  return noContent();
}

async function deleteGroup({ id, deps }: Call): Promise<ScimAnswer> {
  return must(await deps.directory.deleteGroup(id!)) ? noContent() : scimError(404, 'no such Group');
}
