/**
 * The words of SCIM 2.0 the service speaks (RFC 7643, RFC 7644): schema URNs, the answer shape, and the error body
 * every refusal carries.
 */

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** The largest body accepted, in bytes (contract section 10). */
export const MAX_BODY_BYTES = 256 * 1024;
/** The most bytes (UTF-8) of a userName, displayName, externalId or e-mail value, and of a filter's value: DynamoDB keys hold 2,048. */
export const MAX_KEY_VALUE_BYTES = 512;
/** The most elements of one multi-valued attribute (emails, addresses, ...): a user's work e-mails are items of one transaction. */
export const MAX_MULTI_VALUES = 20;
/** The deepest a body's JSON may nest (arrays and objects). */
export const MAX_BODY_DEPTH = 32;
/** The most resources one list answer holds (`filter.maxResults`); `totalResults` still counts them all. */
export const MAX_RESULTS = 100;

/** The `scimType`s of RFC 7644 section 3.12 this service answers with. */
export type ScimType = 'invalidFilter' | 'invalidValue' | 'invalidSyntax' | 'invalidPath' | 'noTarget' | 'uniqueness' | 'mutability' | 'tooMany';

/** A request as the service takes it: the transport (API Gateway) already undone. */
export interface ScimRequest {
  method: string;
  /** The path under `/scim/v2`: `/Users`, `/Groups/{id}`. */
  path: string;
  /** Query parameters, decoded. */
  query: Readonly<Record<string, string | undefined>>;
  /** Header names in lower case. */
  headers: ReadonlyMap<string, string>;
  /** The body as text; `undefined` when there is none. */
  body: string | undefined;
  /** Where `/scim/v2` is reached from outside (`https://host/stage/scim/v2`), for `meta.location` and `Location`. */
  baseUrl: string;
}

export interface ScimAnswer {
  status: number;
  headers: Record<string, string>;
  /** JSON text, or `''` for 204. */
  body: string;
}

const COMMON_HEADERS = { 'content-type': 'application/scim+json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } as const;

export function scimAnswer(status: number, body: unknown, headers: Record<string, string> = {}): ScimAnswer {
  return { status, headers: { ...COMMON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export function noContent(): ScimAnswer {
  return { status: 204, headers: { 'cache-control': 'no-store' }, body: '' };
}

/**
 * A refusal in RFC 7644's error format: `status` a string, `scimType` where the RFC defines one, `detail` naming the
 * field (never the caller's value: it may be an address or a pasted secret).
 */
export function scimError(status: number, detail: string, scimType?: ScimType, headers: Record<string, string> = {}): ScimAnswer {
  return scimAnswer(status, { schemas: [ERROR_SCHEMA], status: String(status), ...(scimType && { scimType }), detail }, headers);
}

/** A failure on the way to an answer, thrown inside the service's pure steps and turned into {@link scimError}. */
export class ScimError extends Error {
  override readonly name = 'ScimError';
  constructor(
    readonly status: number,
    readonly scimType: ScimType | undefined,
    detail: string,
  ) {
    super(detail);
  }
}

export const badRequest = (scimType: ScimType, detail: string) => new ScimError(400, scimType, detail);

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keys that would reach a prototype when assigned: refused wherever a caller names a key. */
export function isUnsafeKey(key: string): boolean {
  return key === '__proto__' || key === 'constructor' || key === 'prototype';
}
