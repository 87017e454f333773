/**
 * `GET /api/v1/users/{id}`: Okta's User object. `{id}` may be the user's id, login or short login, as Okta accepts.
 */
import { errorAnswer } from './answers';
import type { Answer } from './answers';
import type { Directory, StoredUser } from './store';

/** The user type every sandbox user has (a real org's default type has its own id). */
export const DEFAULT_USER_TYPE_ID = 'oty1defaulttype0sand';

export interface OktaRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  /** `http://127.0.0.1:PORT`: the org URL links are built from. */
  origin: string;
}

/** The JSON Okta answers for a user. */
export function userView(user: StoredUser, origin: string): Record<string, unknown> {
  const self = `${origin}/api/v1/users/${user.id}`;
  return {
    id: user.id,
    status: user.status,
    created: user.created.toISOString(),
    activated: user.activated?.toISOString() ?? null,
    statusChanged: user.statusChanged?.toISOString() ?? null,
    lastLogin: null,
    lastUpdated: user.lastUpdated.toISOString(),
    passwordChanged: null,
    type: { id: DEFAULT_USER_TYPE_ID },
    profile: { ...user.profile },
    credentials: { provider: { type: 'OKTA', name: 'OKTA' } },
    _links: { self: { href: self }, type: { href: `${origin}/api/v1/meta/types/user/${DEFAULT_USER_TYPE_ID}` }, schema: { href: `${origin}/api/v1/meta/schemas/user/default` } },
  };
}

/** 404 `E0000007` for a user that is not there, worded as Okta words it. */
export function userNotFound(id: string): Answer {
  return errorAnswer(404, 'E0000007', `Not found: Resource not found: ${id} (User)`);
}

export class UsersEndpoint {
  constructor(private readonly directory: Directory) {}

  get({ params, origin }: OktaRequest): Answer {
    const user = this.directory.lookup(params.userId!);
    if (!user) return userNotFound(params.userId!);
    return { status: 200, body: userView(user, origin) };
  }
}
