import { parseMessageBody } from '../adapters/envelopes';
import type { RuleFile } from '../contract/rule-file';
import { matchedOnState, planFor, type Plan } from '../core/plan';
import type { DirectInvite, InputIssue, OnboardingEvent } from '../core/requests';
import { isComplete, isLeaving } from '../core/requests';
import { explain, type RuleExplanation } from '../core/rules';

/**
 * What the onboarder would do with a message body, worked out by its own code and calling nothing: the face of
 * `lambda/` that `npm run check-rules` reads besides the contract (eslint.config.js allows it no other).
 */

export type BodyExplanation =
  | { kind: 'invalid'; error: 'invalid_json' | 'invalid_event'; issues: InputIssue[] }
  | { kind: 'direct'; invite: DirectInvite; plan: Plan }
  | { kind: 'event'; event: OnboardingEvent; leaving: boolean; rules: RuleExplanation[]; plan: Plan };

/**
 * Parses a body as an SQS message body (raw, or in an SNS or EventBridge envelope), explains each rule against it
 * and plans it.
 *
 * @example
 * const explained = explainBody(readFileSync('examples/events/hire.json', 'utf8'), ruleFile);
 */
export function explainBody(text: string, file: RuleFile): BodyExplanation {
  const parsed = parseMessageBody(text);
  if (!parsed.ok) return { kind: 'invalid', error: parsed.error, issues: parsed.issues };
  const request = parsed.value;
  if (!isComplete(request)) {
    // The onboarder would read the person from the identity provider first (contract section 12); this calls nothing.
    const message = 'is not in the event: the onboarder reads the person from the connection its origin names, which check-rules does not call';
    return { kind: 'invalid', error: 'invalid_event', issues: [{ path: 'user.email', message }] };
  }
  const plan = planFor(request, file, '(no id)');
  if (request.kind === 'direct') return { kind: 'direct', invite: request.invite, plan };
  const { event } = request;
  const leaving = isLeaving(event);
  const onState = matchedOnState(event, file);
  return { kind: 'event', event, leaving, rules: file.rules.map((rule) => explain(event, rule, onState)), plan };
}
