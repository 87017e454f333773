import type { ProjectHolding } from '../atlas/project-users';
import { managedProjects, type RuleFile } from '../contract/rule-file';
import { PROJECT_ROLES, type ProjectRole } from '../contract/vocabulary';
import { isLeaving, type OnboardingEvent, type OnboardingRequest } from './requests';
import { disallowedDirectRoles, grantsFor, type ProjectGrant } from './rules';

/**
 * The plan seam (STYLE: event → plan → actions): a validated request and the rule file become a list of actions, one
 * per project, which `onboard.ts` carries out. Pure: no I/O, no clock.
 *
 * Under the rule file's default `lifecycle` (`movers: add`, `leavers: ignore`) a plan needs nothing but the request:
 * invite, or report `ignored`. Under `movers: sync` or `leavers: remove` (contract section 13) it needs what the person
 * holds in each managed project: {@link planFor} then answers a `reconcile` plan, the core reads the holdings, and
 * {@link reconcile} turns the desired and the held roles into actions.
 */

/**
 * What the person holds in one project, as Atlas says: a project user (`/groups/{id}/users`, active, or pending through
 * the users API) and a pending invitation through the invitations API (`/groups/{id}/invites`).
 */
export type Holding = ProjectHolding;

/** What to do in one project, and the rules (or `directInvites`) behind it. */
export type Action =
  | { kind: 'invite'; groupId: string; roles: ProjectRole[]; rules: string[] }
  /** Reported, never carried out. */
  | { kind: 'ignore'; groupId: string; roles: ProjectRole[]; rules: string[]; reason: string }
  /** Already in step: the person holds exactly `roles`. */
  | { kind: 'none'; groupId: string; roles: string[]; rules: string[] }
  /**
   * Change roles: on a project user, `add` each then `remove` each (a user must keep one role, so added before
   * removed); on a pending invitation, its roles replaced by `roles`. `roles` is what is held afterwards.
   */
  | { kind: 'update'; groupId: string; roles: string[]; add: string[]; remove: string[]; rules: string[]; holding: Holding }
  /** End access: the project user deleted and the pending invitation revoked, whichever exist. `roles`: what was held. */
  | { kind: 'remove'; groupId: string; roles: string[]; rules: string[]; holding: Holding };

export type Plan =
  | { kind: 'actions'; eventId: string; username: string; actions: Action[] }
  | { kind: 'refused'; eventId: string; code: 'direct_invite_not_allowed'; message: string; groupId: string; roles: ProjectRole[] }
  /** What the person should hold in each managed project; the holdings must be read before the actions are known. */
  | { kind: 'reconcile'; eventId: string; username: string; projects: string[]; desired: ReadonlyMap<string, ProjectGrant>; leaving: boolean };

/** Why a leaving event's projects are `ignored`. */
export const LEAVING_REASON = 'leaving event: the rule file keeps access (lifecycle.leavers is "ignore")';
/** Why a `group.member.removed` event's projects are `ignored` under `movers: add`. */
export const REMOVED_FROM_GROUP_REASON = 'group membership removed: the rule file only adds access (lifecycle.movers is "add")';

/** `GROUP_OWNER` is never taken away by `sync` (contract section 13). */
const KEPT_BY_SYNC = new Set<string>(['GROUP_OWNER']);

/**
 * The plan for one request. A direct invite is one invitation (or refused, when the rule file does not allow it). An
 * onboarding event, under the defaults, invites to every project its matching rules grant, or lists them as ignored
 * (a leaving event; `group.member.removed`). Under `movers: sync` (an event that is not leaving) or `leavers: remove`
 * (a leaving event) it is a `reconcile` plan over the managed projects. `fallbackId` names the event when it carries
 * no `id`.
 *
 * @example
 * planFor({ kind: 'event', event }, ruleFile, requestId);
 * // { kind: 'actions', eventId: 'evt-1', username: 'ada@example.com', actions: [{ kind: 'invite', groupId, roles, rules }] }
 */
export function planFor(request: OnboardingRequest, file: RuleFile, fallbackId: string): Plan {
  if (request.kind === 'direct') {
    const { invite } = request;
    const eventId = invite.id ?? fallbackId;
    const refused = disallowedDirectRoles(invite, file);
    if (refused.length > 0) {
      const message = `the rule file does not allow direct invites to project ${invite.groupId} with ${refused.join(', ')}`;
      return { kind: 'refused', eventId, code: 'direct_invite_not_allowed', message, groupId: invite.groupId, roles: refused };
    }
    return {
      kind: 'actions',
      eventId,
      username: invite.username,
      actions: [{ kind: 'invite', groupId: invite.groupId, roles: invite.roles, rules: ['directInvites'] }],
    };
  }
  const { event } = request;
  const eventId = event.id ?? fallbackId;
  const username = event.user.email;
  const leaving = isLeaving(event);
  const onState = matchedOnState(event, file);
  if (reconciles(event, file)) {
    const desired = new Map(leaving ? [] : grantsFor(event, file.rules, onState).map((grant) => [grant.groupId, grant] as const));
    return { kind: 'reconcile', eventId, username, projects: managedProjects(file), desired, leaving };
  }
  const actions: Action[] = grantsFor(event, file.rules, onState).map((grant) =>
    onState ? { kind: 'ignore', ...grant, reason: leaving ? LEAVING_REASON : REMOVED_FROM_GROUP_REASON } : { kind: 'invite', ...grant },
  );
  return { kind: 'actions', eventId, username, actions };
}

/** Whether an event is planned against what the person holds: `movers: sync` (not leaving), `leavers: remove` (leaving). */
function reconciles(event: OnboardingEvent, file: RuleFile): boolean {
  const { movers, leavers } = file.lifecycle;
  return isLeaving(event) ? leavers === 'remove' : movers === 'sync';
}

/**
 * Whether an event is matched on the person's state, with `type` left out: a leaving event, `group.member.removed`,
 * and every event that is reconciled (the question is then what the person should hold now).
 *
 * @example
 * matchedOnState(terminated, ruleFile); // true
 */
export function matchedOnState(event: OnboardingEvent, file: RuleFile): boolean {
  return isLeaving(event) || event.type === 'group.member.removed' || reconciles(event, file);
}

/**
 * One managed project's action, from the roles the rules grant there (none: the person should hold nothing) and what
 * the person holds. `undefined` when there is nothing to do or report: nothing granted and nothing held.
 *
 * @example
 * reconcile('5f1e…', { groupId, roles: ['GROUP_READ_ONLY'], rules: ['readers'] }, { membership: { userId, roles: ['GROUP_OWNER'], status: 'ACTIVE' } }, false);
 * // { kind: 'update', roles: ['GROUP_OWNER', 'GROUP_READ_ONLY'], add: ['GROUP_READ_ONLY'], remove: [], … }
 */
export function reconcile(groupId: string, grant: ProjectGrant | undefined, holding: Holding, leaving: boolean): Action | undefined {
  const rules = grant?.rules ?? [];
  const { membership, invitation } = holding;
  const held = inRoleOrder([...new Set([...(membership?.roles ?? []), ...(invitation?.roles ?? [])])]);
  if (leaving) return membership || invitation ? { kind: 'remove', groupId, roles: held, rules, holding } : undefined;

  const desired: string[] = grant?.roles ?? [];
  if (!membership && !invitation) return desired.length ? { kind: 'invite', groupId, roles: grant!.roles, rules } : undefined;
  // What the person should hold: the granted roles, and any role sync never takes away.
  const kept = held.filter((role) => KEPT_BY_SYNC.has(role));
  const target = inRoleOrder([...new Set([...desired, ...kept])]);
  if (target.length === 0) return { kind: 'remove', groupId, roles: held, rules, holding };
  const current = membership ? membership.roles : invitation!.roles;
  const add = target.filter((role) => !current.includes(role));
  const remove = current.filter((role) => !target.includes(role));
  // A pending invitation beside a membership is brought to the same roles, so that accepting it changes nothing.
  const invitationDiffers = membership && invitation && !sameRoles(invitation.roles, target);
  if (add.length === 0 && remove.length === 0 && !invitationDiffers) return { kind: 'none', groupId, roles: target, rules };
  return { kind: 'update', groupId, roles: target, add, remove: inRoleOrder(remove), rules, holding };
}

/** Whether two role lists hold the same roles, in any order. */
export function sameRoles(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((role) => b.includes(role));
}

/** Roles in the contract's order, unknown ones (held in Atlas, not ours to name) after them. */
function inRoleOrder(roles: readonly string[]): string[] {
  const known = PROJECT_ROLES.filter((role) => roles.includes(role));
  return [...known, ...roles.filter((role) => !(PROJECT_ROLES as readonly string[]).includes(role)).sort()];
}
