import type { RuleFile } from '../contract/rule-file';
import type { Inviter, InviteOutcome } from '../atlas/invitations';
import type { ProjectAccess } from '../atlas/project-users';
import type { Deadline } from '../deadline';
import type { Failure, Result } from '../failure';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { ActionLedger } from './ledger';
import { actionKey } from './ledger';
import { mapConcurrently } from '../concurrency';
import { planFor, reconcile, sameRoles, type Action, type Plan } from './plan';
import { complete, type PersonSource } from './person';
import type { InputIssue, OnboardingRequest, ReceivedRequest } from './requests';

/**
 * The core: a validated request becomes a plan (rule file), the plan's actions are carried out (Atlas), and each
 * becomes a result. It knows no AWS event shape; the adapters turn its outcome into an HTTP answer or an SQS decision.
 */

export type ResultStatus = 'invited' | 'already_invited' | 'updated' | 'removed' | 'ignored' | 'dry_run' | 'failed';

/** One project's result, as the contract's result body lists it. */
export interface ProjectResult {
  groupId: string;
  username: string;
  roles: string[];
  status: ResultStatus;
  invitationId?: string;
  /** `updated`, and a dry run's `update`: the roles added and removed (contract section 13). */
  added?: string[];
  removed?: string[];
  /** A dry run's: what it would do (contract section 13). */
  action?: 'invite' | 'update' | 'remove' | 'none';
  error?: { code: string; message: string; retryable: boolean };
}

/** A result and what only the adapters need: how long Atlas asked to wait before a retry. */
export interface ProjectDecision {
  result: ProjectResult;
  retryAfterMs?: number;
}

export type OnboardingOutcome =
  | { kind: 'done'; eventId: string; decisions: ProjectDecision[] }
  | { kind: 'refused'; eventId: string; code: 'direct_invite_not_allowed'; message: string }
  /** **v2:** the event cannot be planned as it is (its origin names no known connection; no address and none to read). */
  | { kind: 'invalid'; eventId: string; issues: InputIssue[] }
  /** **v2:** the person could not be read from the identity provider (contract section 12); nothing was planned. */
  | { kind: 'unread'; eventId: string; error: Failure };

export interface OnboardingDeps {
  rules: RuleFile;
  /** The Atlas client; `undefined` when the function runs dry and has no credentials. */
  atlas: Inviter | undefined;
  ledger: ActionLedger<InviteOutcome>;
  /** Counts each project's result by status. */
  metrics?: Metrics;
  /** What a person holds and the calls that change it (movers and leavers); `undefined` without credentials. */
  access: ProjectAccess | undefined;
  /** Events about one person are applied one at a time within a container (contract section 13). */
  people: PersonQueue;
  /**
   * **v2:** the connections file and the identity providers behind it (contract section 12): an event whose origin
   * names a connection that reads people is planned on the person as read. `undefined` without a connections file:
   * events are used as they come (v1).
   */
  persons?: PersonSource;
}

/** Managed projects read at once for one event. */
const READ_CONCURRENCY = 5;

/**
 * One queue per person (by username, as Atlas compares them): a reconciliation reads what the person holds and then
 * changes it, and two of them at once about the same person would act on the same stale reading.
 */
export class PersonQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(username: string, work: () => Promise<T>): Promise<T> {
    const key = username.toLowerCase();
    const before = this.tails.get(key) ?? Promise.resolve();
    const mine = before.then(work, work);
    const tail = mine.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return mine;
  }
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
 * const outcome = await onboard({ kind: 'event', event }, { rules, atlas, access, ledger, people }, { dryRun: false, deadline, log, fallbackId: requestId });
 */
export async function onboard(received: ReceivedRequest, deps: OnboardingDeps, options: OnboardingOptions): Promise<OnboardingOutcome> {
  const completion = await complete(received, deps.persons, options.deadline);
  if (completion.kind !== 'ready') return unplanned(received, completion, options);
  const request = completion.request;
  if (completion.read && request.kind === 'event') {
    const { event } = request;
    options.log.child({ eventId: event.id ?? options.fallbackId }).info('person read from the identity provider', { connection: event.origin?.connection, type: event.type, groups: event.user.groups?.length ?? 0 });
  }
  const outcome = await decide(request, deps, options);
  if (outcome.kind === 'done') for (const { result } of outcome.decisions) deps.metrics?.result(result.status);
  return outcome;
}

/** A request that was not planned: refused as invalid, or its person not read (an error line for a deployment fault). */
function unplanned(received: ReceivedRequest, completion: { kind: 'invalid'; issues: InputIssue[] } | { kind: 'unread'; error: Failure }, options: OnboardingOptions): OnboardingOutcome {
  const eventId = (received.kind === 'event' ? received.event.id : received.invite.id) ?? options.fallbackId;
  const log = options.log.child({ eventId, ...(received.kind === 'event' && received.event.origin && { connection: received.event.origin.connection }) });
  if (completion.kind === 'invalid') {
    log.info('event refused before planning', { outcome: 'invalid_event', issues: completion.issues.map((i) => i.path) });
    return { kind: 'invalid', eventId, issues: completion.issues };
  }
  const { error } = completion;
  const fields = { outcome: 'unread', errorCode: error.code, kind: error.kind, retryable: error.retryable, ...(error.details.retryAfterMs !== undefined && { retryAfterMs: error.details.retryAfterMs }) };
  if (error.details.deploymentFault) {
    // Not the event's fault: an operator must fix the connection's API token or its oktaOrgUrl; the message waits.
    log.error('deployment fault: the person cannot be read from the identity provider; events wait until it is fixed', { ...fields, deploymentFault: true });
  } else log.warn('could not read the person from the identity provider', fields);
  return { kind: 'unread', eventId, error };
}

async function decide(request: OnboardingRequest, deps: OnboardingDeps, options: OnboardingOptions): Promise<OnboardingOutcome> {
  const plan = planFor(request, deps.rules, options.fallbackId);
  const { eventId } = plan;
  const log = options.log.child({ eventId });
  if (plan.kind === 'refused') {
    log.warn('direct invite refused', { groupId: plan.groupId, outcome: plan.code, roles: plan.roles });
    return { kind: 'refused', eventId, code: plan.code, message: plan.message };
  }
  if (plan.kind === 'reconcile') return deps.people.run(plan.username, () => reconcilePlan(plan, deps, options, log));
  if (plan.actions.length === 0 && request.kind === 'event') {
    log.info('no rule matched', { source: request.event.source, type: request.event.type, outcome: 'no_match' });
  }
  const carryOutAll = async (): Promise<OnboardingOutcome> => ({
    kind: 'done',
    eventId,
    decisions: await Promise.all(plan.actions.map((action) => carryOut(action, plan.username, deps, options, log))),
  });
  // Once the rule file changes existing access, every event about a person waits for the one before (contract
  // section 13); with the defaults, events only invite and run as they come (the ledger joins equal invitations).
  const { movers, leavers } = deps.rules.lifecycle;
  return movers === 'add' && leavers === 'ignore' ? carryOutAll() : deps.people.run(plan.username, carryOutAll);
}

/**
 * Movers and leavers (contract section 13): reads what the person holds in every managed project, concurrently, and
 * carries out each project's action. A project whose reading failed fails on its own; the others go on. A transient
 * failure leaves the message for redelivery, which reads again and converges.
 */
async function reconcilePlan(plan: Plan & { kind: 'reconcile' }, deps: OnboardingDeps, options: OnboardingOptions, log: Logger): Promise<OnboardingOutcome> {
  const { username, eventId } = plan;
  const access = deps.access;
  // A few projects at a time: each reads twice, and a large rule file would otherwise queue its reads behind one another
  // in the connection pool, where the waiting counts against each call's timeout.
  const decisions = await mapConcurrently(
    plan.projects,
    READ_CONCURRENCY,
    async (groupId): Promise<ProjectDecision | undefined> => {
      const grant = plan.desired.get(groupId);
      if (!access) {
        // A dry run without credentials: what the rules grant, with nothing read.
        return grant ? decided(log.child({ groupId, rules: grant.rules }), { groupId, username, roles: [...grant.roles], status: 'dry_run', action: 'invite' }) : undefined;
      }
      const held = await access.holding(groupId, username, options.deadline);
      if (!held.ok) return failed(log.child({ groupId, rules: grant?.rules ?? [] }), { groupId, username, roles: [...(grant?.roles ?? [])] }, held.error);
      const action = reconcile(groupId, grant, held.value, plan.leaving);
      return action && carryOut(action, username, deps, options, log, true);
    },
  );
  const listed = decisions.filter((d): d is ProjectDecision => d !== undefined);
  if (listed.length === 0) log.info('nothing to change in the managed projects', { outcome: 'no_match', leaving: plan.leaving });
  return { kind: 'done', eventId, decisions: listed };
}

/** Carries out one project's action; `reconciling` (movers and leavers) makes a dry run say which action it would take. */
async function carryOut(action: Action, username: string, deps: OnboardingDeps, options: OnboardingOptions, log: Logger, reconciling = false): Promise<ProjectDecision> {
  const base = { groupId: action.groupId, username, roles: [...action.roles] };
  const projectLog = log.child({ groupId: action.groupId, rules: action.rules });
  if (action.kind === 'ignore') return decided(projectLog, { ...base, status: 'ignored' }, action.reason);
  if (action.kind === 'none') return decided(projectLog, options.dryRun ? { ...base, status: 'dry_run', action: 'none' } : { ...base, status: 'already_invited' });
  if (action.kind === 'update' || action.kind === 'remove') {
    const changes = action.kind === 'update' ? { added: action.add, removed: action.remove } : { removed: [...action.roles] };
    if (options.dryRun || !deps.access) return decided(projectLog, { ...base, status: 'dry_run', action: action.kind, ...changes });
    const done = await change(action, deps.access, options.deadline);
    if (!done.ok) return failed(projectLog, base, done.error);
    return decided(projectLog, { ...base, roles: action.kind === 'remove' ? [] : [...action.roles], status: action.kind === 'update' ? 'updated' : 'removed', ...changes });
  }
  if (options.dryRun || !deps.atlas) return decided(projectLog, { ...base, status: 'dry_run', ...(reconciling && { action: 'invite' as const }) });
  const atlas = deps.atlas;
  const invitation = { groupId: action.groupId, username, roles: action.roles };
  const key = actionKey(action.kind, action.groupId, username, action.roles);
  // A reconciliation has just read that the person holds nothing here: the ledger's memory of an earlier invitation
  // (since removed, or the person left and came back) must not answer for Atlas.
  const { outcome, duplicate } = reconciling
    ? { outcome: await atlas.inviteToProject(invitation, options.deadline), duplicate: false }
    : await deps.ledger.once(key, () => atlas.inviteToProject(invitation, options.deadline));
  if (outcome.ok) {
    // A repeat answered from this container's memory: the person was invited by the first ask (contract section 7).
    const status = duplicate ? 'already_invited' : outcome.status;
    return decided(projectLog, { ...base, status, ...(outcome.invitationId && { invitationId: outcome.invitationId }) }, undefined, duplicate);
  }
  return failed(projectLog, base, outcome.error, duplicate);
}

/** Changes one project's access: roles added before any is removed (a user must keep one), or access ended. */
async function change(action: Action & { kind: 'update' | 'remove' }, access: ProjectAccess, deadline: Deadline): Promise<Result<void>> {
  const { groupId, holding } = action;
  const { membership, invitation } = holding;
  if (action.kind === 'remove') {
    if (membership) {
      const removed = await access.removeMember(groupId, membership.userId, deadline);
      if (!removed.ok) return removed;
    }
    return invitation ? access.revokeInvitation(groupId, invitation.invitationId, deadline) : { ok: true, value: undefined };
  }
  if (membership) {
    for (const role of action.add) {
      const added = await access.addRole(groupId, membership.userId, role, deadline);
      if (!added.ok) return added;
    }
    for (const role of action.remove) {
      const removed = await access.removeRole(groupId, membership.userId, role, deadline);
      if (!removed.ok) return removed;
    }
  }
  if (invitation && !sameRoles(invitation.roles, action.roles)) return access.updateInvitation(groupId, invitation.invitationId, action.roles, deadline);
  return { ok: true, value: undefined };
}

/** A project that failed: its result, an error line for a deployment fault, and Atlas's wait for the adapters. */
function failed(log: Logger, base: Pick<ProjectResult, 'groupId' | 'username' | 'roles'>, error: Failure, duplicate = false): ProjectDecision {
  if (error.details.deploymentFault) {
    // Not the event's fault: an operator must fix the secret or the credentials; the message waits on the queue.
    log.error('deployment fault: the Atlas credentials cannot be used; events wait until they are fixed', { errorCode: error.code, deploymentFault: true });
  }
  const result: ProjectResult = { ...base, status: 'failed', error: { code: error.code, message: error.message, retryable: error.retryable } };
  const decision = decided(log, result, undefined, duplicate);
  return error.details.retryAfterMs === undefined ? decision : { ...decision, retryAfterMs: error.details.retryAfterMs };
}

function decided(log: Logger, result: ProjectResult, reason?: string, duplicate = false): ProjectDecision {
  const fields = {
    outcome: result.status,
    ...(result.invitationId && { invitationId: result.invitationId }),
    ...(result.action && { action: result.action }),
    ...(result.added?.length && { added: result.added }),
    ...(result.removed?.length && { removed: result.removed }),
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
