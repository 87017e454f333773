/**
 * `GET /api/v1/users/{id}/groups`: the user's groups, `Everyone` included, in pages of `limit` (default the sandbox's
 * page size) after the cursor `after` (the last group id of the page before), with Okta's `Link` header: `rel="self"`
 * always, `rel="next"` while more follow,
 * each as its own `Link` header line, as Okta sends them.
 */
import type { Answer } from './answers';
import type { Directory, StoredGroup } from './store';
import { userNotFound } from './users';
import type { OktaRequest } from './users';

export interface GroupsSettings {
  /** The `limit` used when a request sends none (Okta's default for this listing is 200). */
  groupsPageSize: number;
}

/** Okta's upper bound for `limit` on this listing ("limit integer, <= 200", default 200, in Okta's API reference). */
export const MAX_GROUPS_LIMIT = 200;

/** The JSON Okta answers for a group. */
export function groupView(group: StoredGroup, origin: string): Record<string, unknown> {
  const self = `${origin}/api/v1/groups/${group.id}`;
  return {
    id: group.id,
    created: group.created.toISOString(),
    lastUpdated: group.lastUpdated.toISOString(),
    lastMembershipUpdated: group.lastMembershipUpdated.toISOString(),
    objectClass: ['okta:user_group'],
    type: group.type,
    profile: { name: group.name, description: group.description },
    _links: {
      logo: [
        { name: 'medium', href: `${origin}/assets/img/logos/groups/okta-medium.png`, type: 'image/png' },
        { name: 'large', href: `${origin}/assets/img/logos/groups/okta-large.png`, type: 'image/png' },
      ],
      users: { href: `${self}/users` },
      apps: { href: `${self}/apps` },
    },
  };
}

export class UserGroupsEndpoint {
  constructor(
    private readonly deps: { directory: Directory; settings: () => GroupsSettings },
  ) {}

  list({ params, query, origin }: OktaRequest): Answer {
    const user = this.deps.directory.lookup(params.userId!);
    if (!user) return userNotFound(params.userId!);
    const limit = limitOf(query.get('limit'), this.deps.settings().groupsPageSize);
    const groups = user.groups.map((id) => this.deps.directory.group(id)).filter((g): g is StoredGroup => g !== undefined);
    const after = query.get('after');
    // An unknown cursor starts nowhere: the listing ends (Okta's cursors are opaque; a stale one gives an empty page).
    const start = after === null ? 0 : groups.findIndex((g) => g.id === after) + 1 || groups.length;
    const page = groups.slice(start, start + limit);
    const base = `${origin}/api/v1/users/${encodeURIComponent(params.userId!)}/groups`;
    const selfQuery = new URLSearchParams();
    if (after !== null) selfQuery.set('after', after);
    selfQuery.set('limit', String(limit));
    const links = [`<${base}?${selfQuery.toString()}>; rel="self"`];
    const last = page.at(-1);
    if (last && start + page.length < groups.length) links.push(`<${base}?after=${encodeURIComponent(last.id)}&limit=${limit}>; rel="next"`);
    return { status: 200, body: page.map((g) => groupView(g, origin)), headers: { link: links } };
  }
}

/** `limit` as given when it is a whole number of at least 1 (above Okta's maximum, the maximum); otherwise the default. */
function limitOf(raw: string | null, fallback: number): number {
  if (raw === null || !/^\d+$/.test(raw)) return fallback;
  const limit = Number(raw);
  return limit >= 1 ? Math.min(limit, MAX_GROUPS_LIMIT) : fallback;
}
