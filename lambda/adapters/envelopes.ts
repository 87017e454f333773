import { isRecord, parseAnyRequest, parseJson, type OnboardingRequest, type Parsed } from '../core/requests';

/**
 * The envelopes an SQS message body may come in (contract section 3): SNS notifications, whose `Message` is the
 * request's JSON text, and EventBridge events, whose `detail` is the request. Transport shapes, so they live with the
 * adapters; the core sees only the request inside.
 */

// The envelopes are recognised by plain checks, not schemas: every raw body is tested against both, and a schema
// that fails builds an error object each time.
function isSnsNotification(value: unknown): value is { Type: 'Notification'; Message: string } {
  return isRecord(value) && value.Type === 'Notification' && typeof value.Message === 'string';
}
function isEventBridgeEvent(value: unknown): value is { version: string; 'detail-type': string; detail: unknown } {
  return isRecord(value) && typeof value.version === 'string' && typeof value['detail-type'] === 'string' && 'detail' in value;
}

/**
 * Parses an SQS message body: raw JSON, or an SNS notification (whose `Message` is the event's JSON text), or an
 * EventBridge event (whose `detail` is the event). Envelopes are opened once; an envelope inside an envelope is not.
 *
 * @example
 * const parsed = parseMessageBody(record.body);
 * if (parsed.ok) await run(parsed.value);
 */
export function parseMessageBody(text: string): Parsed<OnboardingRequest> {
  const json = parseJson(text);
  if (!json.ok) return json;
  if (isSnsNotification(json.value)) {
    const inner = parseJson(json.value.Message);
    if (!inner.ok) return { ...inner, issues: inner.issues.map((i) => ({ ...i, path: 'Message' })) };
    return prefixed(parseAnyRequest(inner.value), 'Message');
  }
  if (isEventBridgeEvent(json.value)) return prefixed(parseAnyRequest(json.value.detail), 'detail');
  return parseAnyRequest(json.value);
}

/** An envelope's field name in front of each issue's path: `detail.user.email`, `Message`. */
function prefixed<T>(parsed: Parsed<T>, prefix: string): Parsed<T> {
  if (parsed.ok) return parsed;
  return { ...parsed, issues: parsed.issues.map((i) => ({ ...i, path: i.path ? `${prefix}.${i.path}` : prefix })) };
}
