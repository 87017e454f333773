import type { Inviter } from './atlas/client';
import type { Deadline } from './deadline';
import { isLeaving, type OnboardingRequest } from './events';
import type { InviteLedger } from './ledger';
import type { Logger } from './log';
import { disallowedDirectRoles, grantsFor, type ProjectGrant } from './rules/engine';
import type { RuleFile } from './rules/schema';

/**
 * The core: a validated request becomes grants (rule file), grants become invitations (Atlas), invitations become
 * results. It knows no AWS event shape; the adapters turn its outcome into an HTTP answer or an SQS decision.
 */

export type ResultStatus = 'invited' | 'already_invited' | 'ignored' | 'dry_run' | 'failed';

/** One project's result, as the contract's result body lists it. */
export interface ProjectResult {
  groupId: string;
  username: string;
  roles: string[];
  status: ResultStatus;
  invitationId?: string;
  error?: { code: string; message: string; retryable: boolean };
}

/** A result and what only the adapters need: how long Atlas asked to wait before a retry. */
export interface ProjectDecision {
  result: ProjectResult;
  retryAfterMs?: number;
}

export type OnboardingOutcome =
  | { kind: 'done'; eventId: string; decisions: ProjectDecision[] }
  | { kind: 'refused'; eventId: string; code: 'direct_invite_not_allowed'; message: string };

export interface OnboardingDeps {
  rules: RuleFile;
  /** The Atlas client; `undefined` when the function runs dry and has no credentials. */
  atlas: Inviter | undefined;
  ledger: InviteLedger;
}

export interface OnboardingOptions {
  dryRun: boolean;
  deadline: Deadline;
  log: Logger;
  /** The event id when the request carries none: the API request id or the SQS message id. */
  fallbackId: string;
}

/**
 * Maps a request to projects and invites the person to each, concurrently; never throws for an Atlas failure.
 *
 * @example
 * const outcome = await onboard({ kind: 'event', event }, { rules, atlas, ledger }, { dryRun: false, deadline, log, fallbackId: requestId });
 */
export async function onboard(request: OnboardingRequest, deps: OnboardingDeps, options: OnboardingOptions): Promise<OnboardingOutcome> {
  const eventId = (request.kind === 'event' ? request.event.id : request.invite.id) ?? options.fallbackId;
  const log = options.log.child({ eventId });

  let username: string;
  let grants: ProjectGrant[];
  let leaving = false;
  if (request.kind === 'direct') {
    const { invite } = request;
    const refused = disallowedDirectRoles(invite, deps.rules);
    if (refused.length > 0) {
      const message = `the rule file does not allow direct invites to project ${invite.groupId} with ${refused.join(', ')}`;
      log.warn('direct invite refused', { groupId: invite.groupId, outcome: 'direct_invite_not_allowed', roles: refused });
      return { kind: 'refused', eventId, code: 'direct_invite_not_allowed', message };
    }
    username = invite.username;
    grants = [{ groupId: invite.groupId, roles: invite.roles, rules: ['directInvites'] }];
  } else {
    const { event } = request;
    username = event.user.email;
    leaving = isLeaving(event);
    grants = grantsFor(event, deps.rules.rules, leaving);
    if (grants.length === 0) log.info('no rule matched', { source: event.source, type: event.type, outcome: 'no_match' });
  }

  const decisions = await Promise.all(
    grants.map(async (grant): Promise<ProjectDecision> => {
      const base = { groupId: grant.groupId, username, roles: [...grant.roles] };
      const projectLog = log.child({ groupId: grant.groupId, rules: grant.rules });
      if (leaving) return decided(projectLog, { ...base, status: 'ignored' }, 'leaving event: atlas-onboarder never removes access');
      if (options.dryRun || !deps.atlas) return decided(projectLog, { ...base, status: 'dry_run' });
      const atlas = deps.atlas;
      const invitation = { groupId: grant.groupId, username, roles: grant.roles };
      const { outcome, duplicate } = await deps.ledger.once(invitation, () => atlas.inviteToProject(invitation, options.deadline));
      if (outcome.ok) {
        // A repeat answered from this container's memory: the person was invited by the first ask (contract section 7).
        const status = duplicate ? 'already_invited' : outcome.status;
        return decided(projectLog, { ...base, status, ...(outcome.invitationId && { invitationId: outcome.invitationId }) }, undefined, duplicate);
      }
      const { error } = outcome;
      const result: ProjectResult = { ...base, status: 'failed', error: { code: error.code, message: error.message, retryable: error.retryable } };
      const decision = decided(projectLog, result, undefined, duplicate);
      return error.details.retryAfterMs === undefined ? decision : { ...decision, retryAfterMs: error.details.retryAfterMs };
    }),
  );
  return { kind: 'done', eventId, decisions };
}

function decided(log: Logger, result: ProjectResult, reason?: string, duplicate = false): ProjectDecision {
  const fields = {
    outcome: result.status,
    ...(result.invitationId && { invitationId: result.invitationId }),
    ...(result.error && { errorCode: result.error.code, retryable: result.error.retryable, detail: withoutAddress(result.error.message, result.username) }),
    ...(reason && { reason }),
    ...(duplicate && { duplicate }),
  };
  if (result.status === 'failed') log.warn('invitation failed', fields);
  else log.info('invitation decided', fields);
  return { result };
}

/** Atlas's details often quote the username; logs carry the event id instead of the person's address. */
function withoutAddress(text: string, username: string): string {
  return text.replace(new RegExp(username.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), '[username]');
}
