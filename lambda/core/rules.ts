import { normalise, type ConditionKey, type Rule, type RuleCondition, type RuleFile } from '../contract/rule-file';
import { PROJECT_ROLES, type ProjectRole } from '../contract/vocabulary';
import type { DirectInvite, OnboardingEvent } from './requests';

/**
 * The rule engine (contract section 5): pure, no I/O, no clock.
 */

/** The roles one person gets in one project, and the rules that granted them. */
export interface ProjectGrant {
  groupId: string;
  roles: ProjectRole[];
  rules: string[];
}

/**
 * The groups a `group` condition compares against: the event's `group` and `user.groups`; for `group.member.removed`
 * (contract section 3, v2), `user.groups` without the group the person left, which is the event's `group`.
 */
export function groupsOf(event: OnboardingEvent): string[] {
  const groups = event.user.groups ?? [];
  if (event.type !== 'group.member.removed') return event.group === undefined ? groups : [event.group, ...groups];
  const left = event.group === undefined ? undefined : normalise(event.group);
  return left === undefined ? groups : groups.filter((g) => normalise(g) !== left);
}

/** The event's values that a `when` key compares against (any may equal the rule's value). */
function eventValues(event: OnboardingEvent, key: ConditionKey): string[] {
  switch (key) {
    case 'source':
      return [event.source];
    case 'type':
      return [event.type];
    case 'group':
      return groupsOf(event);
    case 'emailDomain':
      return [event.user.email.slice(event.user.email.lastIndexOf('@') + 1)];
    default: {
      const value = event.user[key];
      return value === undefined ? [] : [value];
    }
  }
}

/** A `when` with its values normalised once, into sets: what every event is compared against. */
type PreparedCondition = readonly (readonly [key: ConditionKey, wanted: ReadonlySet<string>])[];
const prepared = new WeakMap<RuleCondition, PreparedCondition>();

function prepare(when: RuleCondition): PreparedCondition {
  let condition = prepared.get(when);
  if (!condition) {
    condition = (Object.entries(when) as [ConditionKey, string[] | undefined][])
      .filter((entry): entry is [ConditionKey, string[]] => entry[1] !== undefined)
      .map(([key, wanted]) => [key, new Set(wanted.map(normalise))] as const);
    prepared.set(when, condition);
  }
  return condition;
}

/**
 * The event's values for each `when` key, normalised once per event, on first use: matching then costs one
 * normalisation per value of the event (up to 1,000 groups), not one per value per rule. Each rule looks its wanted
 * values up in the event's, as a set once they outnumber the rule's.
 */
class EventValues {
  private readonly normalised: Partial<Record<ConditionKey, readonly string[]>> = {};
  private readonly sets: Partial<Record<ConditionKey, ReadonlySet<string>>> = {};

  constructor(private readonly event: OnboardingEvent) {}

  /** Whether the event has any of `wanted` (normalised) for `key`. */
  hasAny(key: ConditionKey, wanted: ReadonlySet<string>): boolean {
    const values = (this.normalised[key] ??= eventValues(this.event, key).map(normalise));
    if (values.length <= wanted.size) return values.some((value) => wanted.has(value));
    const set = (this.sets[key] ??= new Set(values));
    for (const value of wanted) if (set.has(value)) return true;
    return false;
  }
}

function holds(when: RuleCondition, values: EventValues, ignore: readonly ConditionKey[]): boolean {
  for (const [key, wanted] of prepare(when)) {
    if (ignore.includes(key)) continue;
    if (!values.hasAny(key, wanted)) return false;
  }
  return true;
}

/** Whether every key of `when` holds for `event`; `ignore` lists keys to leave out of the comparison. */
export function conditionHolds(when: RuleCondition, event: OnboardingEvent, ignore: readonly ConditionKey[] = []): boolean {
  return holds(when, new EventValues(event), ignore);
}

/**
 * The keys left out when an event is matched on the person's state rather than on what happened: its `type`. So are
 * leaving events and `group.member.removed` matched (their type is no rule's invitation trigger), and every event under
 * `movers: sync`, which asks what the person should hold now, whatever event says so.
 */
function ignoredKeys(ignoreType: boolean): readonly ConditionKey[] {
  return ignoreType ? ['type'] : [];
}

/** The rules that match an event; with `ignoreType`, on the person's state alone (see {@link ignoredKeys}). */
export function matchingRules(event: OnboardingEvent, rules: readonly Rule[], ignoreType: boolean): Rule[] {
  const values = new EventValues(event);
  const ignore = ignoredKeys(ignoreType);
  return rules.filter((rule) => holds(rule.when, values, ignore));
}

/** Why a rule matched an event or not: the `when` keys that do not hold (none: it matches). */
export interface RuleExplanation {
  rule: string;
  matches: boolean;
  /** The keys of `when` whose values the event does not have, in the rule's order. */
  failing: ConditionKey[];
  /** The keys left out of the comparison (`type`, when matched on the person's state). */
  ignored: ConditionKey[];
}

/**
 * Explains one rule against one event, with the very comparison {@link matchingRules} makes.
 *
 * @example
 * explain(event, rule, false); // { rule: 'finance', matches: false, failing: ['department'], ignored: [] }
 */
export function explain(event: OnboardingEvent, rule: Rule, ignoreType: boolean): RuleExplanation {
  const ignore = ignoredKeys(ignoreType);
  const values = new EventValues(event);
  const keys = prepare(rule.when).map(([key]) => key);
  const failing = keys.filter((key) => !ignore.includes(key) && !holds(rule.when, values, keys.filter((other) => other !== key)));
  return { rule: rule.name, matches: failing.length === 0, failing, ignored: keys.filter((key) => ignore.includes(key)) };
}

/**
 * The projects and roles an event grants: every matching rule contributes, grants for the same project merge into
 * one with the union of the roles (in the contract's role order), projects in the order the rules name them.
 *
 * @example
 * const grants = grantsFor(event, ruleFile.rules, false);
 * // [{ groupId: '5f1e2d3c4b5a69788796a5b4', roles: ['GROUP_READ_ONLY'], rules: ['okta-analytics-readers'] }]
 */
export function grantsFor(event: OnboardingEvent, rules: readonly Rule[], ignoreType: boolean): ProjectGrant[] {
  const byProject = new Map<string, { roles: Set<ProjectRole>; rules: string[] }>();
  for (const rule of matchingRules(event, rules, ignoreType)) {
    for (const grant of rule.invite) {
      let merged = byProject.get(grant.groupId);
      if (!merged) byProject.set(grant.groupId, (merged = { roles: new Set(), rules: [] }));
      for (const role of grant.roles) merged.roles.add(role);
      if (!merged.rules.includes(rule.name)) merged.rules.push(rule.name);
    }
  }
  return [...byProject].map(([groupId, { roles, rules: names }]) => ({
    groupId,
    roles: PROJECT_ROLES.filter((role) => roles.has(role)),
    rules: names,
  }));
}

/** The roles the rule file does not allow a direct invite to ask for in its project (empty: allowed). */
export function disallowedDirectRoles(invite: DirectInvite, file: RuleFile): ProjectRole[] {
  const allowed = new Set(file.directInvites.filter((d) => d.groupId === invite.groupId).flatMap((d) => d.roles));
  return invite.roles.filter((role) => !allowed.has(role));
}
