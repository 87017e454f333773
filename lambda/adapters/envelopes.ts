import { isRecord, parseAnyRequest, parseJson, type Parsed, type ReceivedRequest } from '../core/requests';

/**
 * The envelopes an SQS message body may come in (contract section 3): SNS notifications, whose `Message` is the
 * request's JSON text, and EventBridge events, whose `detail` is the request. Transport shapes, so they live with the
 * adapters; the core sees only the request inside.
 */

// The envelopes are recognised by their whole shape (contract section 3, v2), with plain checks rather than schemas:
// a schema that fails builds an error object each time.
function isSnsNotification(value: Record<string, unknown>): value is { Type: 'Notification'; Message: string } {
  return value.Type === 'Notification' && typeof value.Message === 'string' && typeof value.TopicArn === 'string' && typeof value.MessageId === 'string';
}
const EVENTBRIDGE_FIELDS = ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region'] as const;
function isEventBridgeEvent(value: Record<string, unknown>): value is { detail: unknown } {
  return EVENTBRIDGE_FIELDS.every((field) => typeof value[field] === 'string') && isRecord(value.detail);
}

/**
 * Parses an SQS message body: a request as it is, or one inside an SNS notification (whose `Message` is the request's
 * JSON text) or an EventBridge event (whose `detail` is the request). A body that is a valid request is that request,
 * whatever else it carries: the request executed is the one a filter on the message body sees. Envelopes are opened
 * once; an envelope inside an envelope is not.
 *
 * @example
 * const parsed = parseMessageBody(record.body);
 * if (parsed.ok) await run(parsed.value);
 */
export function parseMessageBody(text: string): Parsed<ReceivedRequest> {
  const json = parseJson(text);
  if (!json.ok) return json;
  const raw = parseAnyRequest(json.value);
  if (raw.ok || !isRecord(json.value)) return raw;
  if (isSnsNotification(json.value)) {
    const inner = parseJson(json.value.Message);
    if (!inner.ok) return { ...inner, issues: inner.issues.map((i) => ({ ...i, path: 'Message' })) };
    return prefixed(parseAnyRequest(inner.value), 'Message');
  }
  if (isEventBridgeEvent(json.value)) return prefixed(parseAnyRequest(json.value.detail), 'detail');
  return raw;
}

/** An envelope's field name in front of each issue's path: `detail.user.email`, `Message`. */
function prefixed<T>(parsed: Parsed<T>, prefix: string): Parsed<T> {
  if (parsed.ok) return parsed;
  return { ...parsed, issues: parsed.issues.map((i) => ({ ...i, path: i.path ? `${prefix}.${i.path}` : prefix })) };
}
