/**
 * What every Admin API endpoint of the Atlas sandbox does before its own work, in the order the sandbox has always
 * checked it: the shared rate-limit bucket, the Bearer token, the versioned media types, a sunset version, then the
 * project or organization in the path. Also what several endpoints read the same way: a JSON body, the paginated
 * envelope (`results`, `totalCount`, `links`) and the `orgMembershipStatuses` filter.
 */
import type { IncomingMessage } from 'node:http';
import { acceptsMediaType, errorAnswer, mediaTypeOf } from './answers';
import type { Answer } from './answers';
import { INVITES_SUNSET } from './members';
import type { MemberStatus } from './members';
import type { RateLimits } from './rate-limits';

/** Media type of the `/invites` family, the only version that resource has. */
export const INVITES_MEDIA_TYPE = 'application/vnd.atlas.2023-01-01+json';
/** Media type of the users family (`/groups/{groupId}/users…`, `/orgs/{orgId}/users`). */
export const USERS_MEDIA_TYPE = 'application/vnd.atlas.2025-02-19+json';

/** One request to an Admin API endpoint, as the server's route found it. */
export interface AdminRequest {
  readonly req: IncomingMessage;
  /** Path parameters by the route's names (`groupId`, `orgId`, `userId`, `invitationId`), decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly rawBody: string;
  /** `http://127.0.0.1:PORT`: where the links in answers point. */
  readonly origin: string;
}

export interface AdminSettings {
  invitesGone: boolean;
  /** groupIds that exist; undefined: any 24-hex id exists. */
  projects: ReadonlySet<string> | undefined;
  /** Projects the service account may not touch: 401 `USER_UNAUTHORIZED` with any valid token, as Atlas answers. */
  unauthorizedProjects: ReadonlySet<string> | undefined;
  /** The organization every project belongs to. */
  orgId: string;
}

export interface AdminDeps {
  /** Read on every request, so configure() takes effect at once. */
  settings: () => AdminSettings;
  /** The token bucket every Admin API endpoint shares. */
  rateLimits: RateLimits;
  /** The clientId behind a live Bearer token, or undefined. */
  bearerClient: (authorization: string | undefined) => string | undefined;
}

/** What the endpoint is, for the checks every request passes. */
export interface Resource {
  /** The one version the sandbox serves here: `Accept` must name it, and `Content-Type` too when there is a body. */
  mediaType: string;
  /** The request carries a body; a body-less request needs no `Content-Type`. */
  body: boolean;
  /** The path names a project (`groupId`) or the organization (`orgId`). */
  scope: 'group' | 'org';
  /** The sunset `/invites` family: 410 `VERSION_GONE` when `invitesGone`, and a `Sunset` header on its answers. */
  sunset?: boolean;
}

/** A request let through the checks. */
export interface Admitted {
  /** The service account's clientId. */
  readonly client: string;
  /** An ApiError answer, with the rate-limit headers. */
  reject(status: number, errorCode: string, detail: string): Answer;
  /** A success in the resource's media type, with the rate-limit (and sunset) headers; `body` undefined for 204. */
  answer(status: number, body: unknown): Answer;
}

export type Admission = { admitted: Admitted } | { refused: Answer };

const HEX24 = /^[a-f0-9]{24}$/;

export function isHex24(id: string): boolean {
  return HEX24.test(id);
}

export class AdminGate {
  constructor(private readonly deps: AdminDeps) {}

  admit({ req, params }: AdminRequest, resource: Resource): Admission {
    const settings = this.deps.settings();
    const limit = this.deps.rateLimits.takeRateToken();
    if (limit && !limit.allowed) {
      return {
        refused: {
          ...errorAnswer(429, 'RATE_LIMITED', `Please retry after ${limit.retryAfterSeconds} seconds.`),
          headers: { ...limit.headers, 'retry-after': String(limit.retryAfterSeconds) },
        },
      };
    }
    const rateHeaders = limit?.headers ?? {};
    const reject = (status: number, errorCode: string, detail: string): Answer => ({ ...errorAnswer(status, errorCode, detail), headers: rateHeaders });
    const refuse = (status: number, errorCode: string, detail: string): Admission => ({ refused: reject(status, errorCode, detail) });

    const client = this.deps.bearerClient(req.headers.authorization);
    if (client === undefined) {
      return { refused: { ...reject(401, 'UNAUTHORIZED', 'You are not authorized for this resource.'), headers: { ...rateHeaders, 'www-authenticate': 'Bearer' } } };
    }
    const { mediaType } = resource;
    if (!acceptsMediaType(req.headers.accept, mediaType)) return refuse(406, 'INVALID_VERSION_DATE', 'Invalid accept header or version date.');
    if (resource.body && mediaTypeOf(req.headers['content-type']) !== mediaType) {
      return refuse(415, 'UNSUPPORTED_MEDIA_TYPE', `Invalid content type header or version date; this resource accepts ${mediaType}.`);
    }
    if (resource.sunset && settings.invitesGone) {
      return refuse(
        410,
        'VERSION_GONE',
        `This happens when a resource is marked for sunset and the sunset date is in the past: version 2023-01-01 of /groups/{groupId}/invites reached its sunset on ${INVITES_SUNSET}; use /groups/{groupId}/users (2025-02-19).`,
      );
    }
    if (resource.scope === 'group') {
      const groupId = params.groupId ?? '';
      if (!isHex24(groupId)) return refuse(400, 'INVALID_GROUP_ID', `An invalid group ID ${groupId} was specified.`);
      if (settings.projects && !settings.projects.has(groupId)) return refuse(404, 'GROUP_NOT_FOUND', `No group with ID ${groupId} exists.`);
      if (settings.unauthorizedProjects?.has(groupId)) return refuse(401, 'USER_UNAUTHORIZED', 'Current user is not authorized to perform this action.');
    } else {
      const orgId = params.orgId ?? '';
      if (!isHex24(orgId)) return refuse(400, 'INVALID_ORG_ID', `An invalid organization ID ${orgId} was specified.`);
      if (orgId !== settings.orgId) return refuse(404, 'ORG_NOT_FOUND', `No organization with ID ${orgId} exists.`);
    }

    const successHeaders = resource.sunset ? { ...rateHeaders, sunset: new Date(`${INVITES_SUNSET}T00:00:00Z`).toUTCString() } : rateHeaders;
    return {
      admitted: {
        client,
        reject,
        answer: (status, body) => ({ status, body, contentType: mediaType, headers: successHeaders }),
      },
    };
  }
}

/**
 * The request's body as a JSON object whose attributes are all among `allowed` (Atlas refuses attributes it does not
 * know; undefined: any attribute), or the 400 Atlas answers instead.
 */
export function jsonObjectBody(rawBody: string, allowed: readonly string[] | undefined, call: Admitted): { body: Record<string, unknown> } | { refused: Answer } {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    return { refused: call.reject(400, 'INVALID_JSON', 'Received JSON is malformed.') };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { refused: call.reject(400, 'INVALID_ATTRIBUTE', 'The request body must be a JSON object.') };
  }
  const unknown = allowed && Object.keys(body).find((key) => !allowed.includes(key));
  if (unknown !== undefined) return { refused: call.reject(400, 'INVALID_ATTRIBUTE', `Invalid attribute ${unknown} specified.`) };
  return { body: body as Record<string, unknown> };
}

export interface Link {
  href: string;
  rel: string;
}

/**
 * One page of `items` in Atlas's paginated envelope, by the `itemsPerPage` (1 to 500, default 100), `pageNum` (from
 * 1, default 1) and `includeCount` (default true) query parameters; or the 400 for a value out of range.
 */
export function paginated<T>(items: readonly T[], { query, origin, req }: AdminRequest, call: Admitted): { page: { results: T[]; totalCount?: number; links: Link[] } } | { refused: Answer } {
  const itemsPerPage = intParam(query, 'itemsPerPage', 100);
  const pageNum = intParam(query, 'pageNum', 1);
  const includeCount = query.get('includeCount') ?? 'true';
  if (itemsPerPage === undefined || itemsPerPage < 1 || itemsPerPage > 500) {
    return { refused: call.reject(400, 'VALIDATION_ERROR', 'itemsPerPage must be an integer from 1 to 500.') };
  }
  if (pageNum === undefined || pageNum < 1) return { refused: call.reject(400, 'VALIDATION_ERROR', 'pageNum must be an integer from 1.') };
  if (includeCount !== 'true' && includeCount !== 'false') return { refused: call.reject(400, 'VALIDATION_ERROR', 'includeCount must be true or false.') };

  const start = (pageNum - 1) * itemsPerPage;
  const results = items.slice(start, start + itemsPerPage);
  const pathname = (req.url ?? '/').split('?')[0] ?? '/';
  const link = (rel: string, page: number): Link => {
    const params = new URLSearchParams(query);
    params.set('pageNum', String(page));
    params.set('itemsPerPage', String(itemsPerPage));
    return { href: `${origin}${pathname}?${params.toString()}`, rel };
  };
  const links = [link('self', pageNum)];
  if (pageNum > 1) links.unshift(link('previous', pageNum - 1));
  if (start + itemsPerPage < items.length) links.push(link('next', pageNum + 1));
  return { page: { results, ...(includeCount === 'true' ? { totalCount: items.length } : {}), links } };
}

function intParam(query: URLSearchParams, name: string, fallback: number): number | undefined {
  const value = query.get(name);
  if (value === null) return fallback;
  return /^\d{1,9}$/.test(value) ? Number(value) : undefined;
}

const MEMBERSHIP_STATUSES = ['PENDING', 'ACTIVE', 'INVITATION_EXPIRED', 'INVITATION_REJECTED'] as const;

/**
 * The membership statuses a users listing returns: `orgMembershipStatuses` (repeatable) or the deprecated
 * `orgMembershipStatus`, never both; ACTIVE and PENDING when neither is given. The sandbox holds no expired or
 * rejected invitations, so those two match nothing.
 */
export function membershipStatuses(query: URLSearchParams, call: Admitted): { statuses: ReadonlySet<string> } | { refused: Answer } {
  const many = query.getAll('orgMembershipStatuses').flatMap((v) => v.split(','));
  const one = query.getAll('orgMembershipStatus');
  if (many.length > 0 && one.length > 0) {
    return { refused: call.reject(400, 'VALIDATION_ERROR', 'orgMembershipStatuses cannot be combined with orgMembershipStatus.') };
  }
  const given = many.length > 0 ? many : one;
  const unknown = given.find((s) => !(MEMBERSHIP_STATUSES as readonly string[]).includes(s));
  if (unknown !== undefined) return { refused: call.reject(400, 'VALIDATION_ERROR', `Invalid organization membership status ${unknown}.`) };
  return { statuses: new Set<string>(given.length > 0 ? given : (['ACTIVE', 'PENDING'] satisfies MemberStatus[])) };
}
