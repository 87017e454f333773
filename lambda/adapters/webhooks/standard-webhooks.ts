import type { StandardWebhooksConnection } from '../../contract/connections';
import { quoted } from '../../contract/quote';
import { isRecord, parseOnboardingEvent, type InputIssue, type OnboardingEvent } from '../../core/requests';

/**
 * Standard Webhooks deliveries (contract section 11): the body is one onboarding event, which may claim only its
 * connection's source. The signature is checked before this runs (`signatures.ts`).
 */

export type SenderEvent = { ok: true; event: OnboardingEvent } | { ok: false; issues: InputIssue[] };

/**
 * The event a verified body carries: `id` defaulting to `webhook-id`, `origin.connection` set to the connection
 * (an `origin.userId` the sender gives is kept).
 *
 * @example
 * senderEvent(JSON.parse(body), { name: 'hr-bridge', source: 'hr', ... }, 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W');
 */
export function senderEvent(body: unknown, connection: StandardWebhooksConnection, webhookId: string): SenderEvent {
  if (!isRecord(body)) return { ok: false, issues: [{ path: '', message: 'must be a JSON object (one onboarding event)' }] };
  const issues: InputIssue[] = [];
  // Checked first and by itself: a sender may speak only for its own source, whatever else is wrong.
  if (body.source !== connection.source) issues.push({ path: 'source', message: `must be ${quoted(connection.source)}: the only source connection ${quoted(connection.name)} may claim` });
  const origin = isRecord(body.origin) ? body.origin : {};
  const parsed = parseOnboardingEvent({ ...body, id: body.id ?? webhookId, origin: { ...origin, connection: connection.name } });
  if (!parsed.ok) issues.push(...parsed.issues.filter((i) => !(i.path === 'source' && issues.length > 0)));
  if (issues.length > 0 || !parsed.ok) return { ok: false, issues };
  if (parsed.value.kind !== 'event') return { ok: false, issues: [{ path: '', message: 'must be an onboarding event' }] };
  return { ok: true, event: parsed.value.event };
}
