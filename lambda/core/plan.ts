import type { RuleFile } from '../contract/rule-file';
import type { ProjectRole } from '../contract/vocabulary';
import { isLeaving, type OnboardingRequest } from './requests';
import { disallowedDirectRoles, grantsFor } from './rules';

/**
 * The plan seam (STYLE: event → plan → actions): a validated request and the rule file become a list of actions, one
 * per project, which `onboard.ts` carries out. Pure: no I/O, no clock.
 */

/** What to do in one project, and the rules (or `directInvites`) behind it. */
export type Action =
  | { kind: 'invite'; groupId: string; roles: ProjectRole[]; rules: string[] }
  /** Reported, never carried out: a leaving event names the projects the person's attributes map to. */
  | { kind: 'ignore'; groupId: string; roles: ProjectRole[]; rules: string[]; reason: string };

export type Plan =
  | { kind: 'actions'; eventId: string; username: string; actions: Action[] }
  | { kind: 'refused'; eventId: string; code: 'direct_invite_not_allowed'; message: string; groupId: string; roles: ProjectRole[] };

/** Why a leaving event's projects are `ignored`. */
export const LEAVING_REASON = 'leaving event: atlas-onboarder never removes access';

/**
 * The plan for one request: a direct invite is one invitation (or refused, when the rule file does not allow it);
 * an onboarding event invites to every project its matching rules grant, or, when it is a leaving event, lists them
 * as ignored. `fallbackId` names the event when it carries no `id`.
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
  const leaving = isLeaving(event);
  const actions: Action[] = grantsFor(event, file.rules, leaving).map((grant) =>
    leaving ? { kind: 'ignore', ...grant, reason: LEAVING_REASON } : { kind: 'invite', ...grant },
  );
  return { kind: 'actions', eventId: event.id ?? fallbackId, username: event.user.email, actions };
}
