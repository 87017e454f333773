import type { RuleFile } from '../contract/rule-file';
import type { Inviter, InviteOutcome } from '../atlas/invitations';
import type { Deadline } from '../deadline';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { ActionLedger } from './ledger';
import { actionKey } from './ledger';
import { planFor, type Action } from './plan';
import type { OnboardingRequest } from './requests';

/**
 * The core: a validated request becomes a plan (rule file), the plan's actions are carried out (Atlas), and each
 * becomes a result. It knows no AWS event shape; the adapters turn its outcome into an HTTP answer or an SQS decision.
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
  ledger: ActionLedger<InviteOutcome>;
  /** Counts each project's result by status. */
  metrics?: Metrics;
}

export interface OnboardingOptions {
  dryRun: boolean;
  deadline: Deadline;
  log: Logger;
  /** The event id when the request carries none: the API request id or the SQS message id. */
  fallbackId: string;
}

/**
 * Plans a request and carries out its actions, concurrently; never throws for an Atlas failure.
 *
 * @example
 * const outcome = await onboard({ kind: 'event', event }, { rules, atlas, ledger }, { dryRun: false, deadline, log, fallbackId: requestId });
 */
export async function onboard(request: OnboardingRequest, deps: OnboardingDeps, options: OnboardingOptions): Promise<OnboardingOutcome> {
  const plan = planFor(request, deps.rules, options.fallbackId);
  const { eventId } = plan;
  const log = options.log.child({ eventId });
  if (plan.kind === 'refused') {
    log.warn('direct invite refused', { groupId: plan.groupId, outcome: plan.code, roles: plan.roles });
    return { kind: 'refused', eventId, code: plan.code, message: plan.message };
  }
  if (plan.actions.length === 0 && request.kind === 'event') {
    log.info('no rule matched', { source: request.event.source, type: request.event.type, outcome: 'no_match' });
  }
  const decisions = await Promise.all(plan.actions.map((action) => carryOut(action, plan.username, deps, options, log)));
  for (const { result } of decisions) deps.metrics?.result(result.status);
  return { kind: 'done', eventId, decisions };
}

async function carryOut(action: Action, username: string, deps: OnboardingDeps, options: OnboardingOptions, log: Logger): Promise<ProjectDecision> {
  const base = { groupId: action.groupId, username, roles: [...action.roles] };
  const projectLog = log.child({ groupId: action.groupId, rules: action.rules });
  if (action.kind === 'ignore') return decided(projectLog, { ...base, status: 'ignored' }, action.reason);
  if (options.dryRun || !deps.atlas) return decided(projectLog, { ...base, status: 'dry_run' });
  const atlas = deps.atlas;
  const invitation = { groupId: action.groupId, username, roles: action.roles };
  const key = actionKey(action.kind, action.groupId, username, action.roles);
  const { outcome, duplicate } = await deps.ledger.once(key, () => atlas.inviteToProject(invitation, options.deadline));
  if (outcome.ok) {
    // A repeat answered from this container's memory: the person was invited by the first ask (contract section 7).
    const status = duplicate ? 'already_invited' : outcome.status;
    return decided(projectLog, { ...base, status, ...(outcome.invitationId && { invitationId: outcome.invitationId }) }, undefined, duplicate);
  }
  const { error } = outcome;
  const result: ProjectResult = { ...base, status: 'failed', error: { code: error.code, message: error.message, retryable: error.retryable } };
  const decision = decided(projectLog, result, undefined, duplicate);
  return error.details.retryAfterMs === undefined ? decision : { ...decision, retryAfterMs: error.details.retryAfterMs };
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
