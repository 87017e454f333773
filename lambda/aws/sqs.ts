import type * as SqsSdk from '@aws-sdk/client-sqs';
import type { QueueActions } from '../adapters/sqs';
import type { OnboardingQueue } from '../adapters/webhooks/ingress';

/**
 * SQS behind the adapter's port: dead letters and visibility changes. The client honours the SDK's standard
 * variables, including `AWS_ENDPOINT_URL_SQS` for local runs and tests.
 */

type Env = Record<string, string | undefined>;

/** The most entries SQS takes in one SendMessageBatch. */
const BATCH_ENTRIES = 10;

/** The most SQS takes in one message, body and attributes (names, types and values) counted together. */
export const MAX_MESSAGE_BYTES = 262_144;
const MAX_ERROR_MESSAGE_BYTES = 2048;

/** Cuts `text` to at most `maxBytes` of UTF-8 without splitting a character, marking the cut with an ellipsis. */
function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let kept = '';
  let bytes = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > maxBytes - 3) break;
    kept += char;
    bytes += size;
  }
  return kept ? `${kept}…` : '';
}

/**
 * A dead letter's `errorCode` and `errorMessage` attributes, cut to fit beside a body of `bodyBytes`: SQS refuses the
 * whole message otherwise, and the message would loop until the queue's redrive. Characters SQS refuses are
 * replaced; an attribute that cannot fit at all is left out (the log line keeps the full reason).
 *
 * @example
 * deadLetterAttributes(100, 'invalid_json', 'Unexpected token'); // { errorCode: {...}, errorMessage: {...} }
 */
export function deadLetterAttributes(
  bodyBytes: number,
  errorCode: string,
  errorMessage: string,
  originalMessageId?: string,
): Record<string, { DataType: 'String'; StringValue: string }> {
  const attributes: Record<string, { DataType: 'String'; StringValue: string }> = {};
  let room = MAX_MESSAGE_BYTES - bodyBytes;
  // The original message's id tells an operator that two dead letters are one message (a crash between the send and
  // the acknowledgement, contract section 7): kept before the message, after the code.
  const fields: [string, string, number][] = [
    ['errorCode', errorCode, 256],
    ...(originalMessageId ? [['originalMessageId', originalMessageId, 128] as [string, string, number]] : []),
    ['errorMessage', errorMessage || errorCode, MAX_ERROR_MESSAGE_BYTES],
  ];
  for (const [name, text, cap] of fields) {
    const overhead = Buffer.byteLength(name) + 'String'.length;
    const value = truncateUtf8(sqsText(text), Math.min(cap, room - overhead));
    if (!value) continue;
    attributes[name] = { DataType: 'String', StringValue: value };
    room -= overhead + Buffer.byteLength(value);
  }
  return attributes;
}

/** SQS takes XML characters only; anything else would make SendMessage fail. */
function sqsText(text: string): string {
  return text.replace(/[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '\ufffd');
}

/**
 * {@link QueueActions} over a real SQS client. The client is loaded on the first dead letter or visibility change:
 * most invocations need neither, and the SQS client is a sizeable part of a cold start.
 */
export function sqsQueueActions(env: Env): QueueActions & OnboardingQueue {
  let sqs: Promise<{ client: SqsSdk.SQSClient; sdk: typeof SqsSdk }> | undefined;
  const load = () =>
    (sqs ??= import('@aws-sdk/client-sqs').then((sdk) => {
      const endpoint = env.AWS_ENDPOINT_URL_SQS ?? env.AWS_ENDPOINT_URL;
      // The SQS client sends to the host of a command's QueueUrl unless told otherwise; a configured endpoint must win.
      const client = new sdk.SQSClient({
        ...(env.AWS_REGION && { region: env.AWS_REGION }),
        ...(endpoint && { endpoint, useQueueUrlAsEndpoint: false }),
      });
      return { client, sdk };
    }));
  return {
    async deadLetter(queueUrl, body, errorCode, errorMessage, timeoutMs, originalMessageId) {
      const { client, sdk } = await load();
      await client.send(
        new sdk.SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: body,
          MessageAttributes: deadLetterAttributes(Buffer.byteLength(body), errorCode, errorMessage, originalMessageId),
        }),
        { abortSignal: AbortSignal.timeout(Math.ceil(timeoutMs)) },
      );
    },
    async enqueue(queueUrl, bodies, timeoutMs) {
      if (bodies.length === 0) return;
      const { client, sdk } = await load();
      const abortSignal = AbortSignal.timeout(Math.ceil(timeoutMs));
      if (bodies.length === 1) {
        await client.send(new sdk.SendMessageCommand({ QueueUrl: queueUrl, MessageBody: bodies[0] }), { abortSignal });
        return;
      }
      const chunks: string[][] = [];
      // At most 10 entries and 256 KiB in all per SendMessageBatch: a batch over SQS's size is refused whole, again and
      // again on every retry.
      let size = 0;
      for (const body of bodies) {
        const bytes = Buffer.byteLength(body);
        const last = chunks.at(-1);
        if (last && last.length < BATCH_ENTRIES && size + bytes <= MAX_MESSAGE_BYTES) {
          last.push(body);
          size += bytes;
        } else {
          chunks.push([body]);
          size = bytes;
        }
      }
      const answers = await Promise.all(
        chunks.map((chunk) =>
          client.send(new sdk.SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: chunk.map((body, i) => ({ Id: String(i), MessageBody: body })) }), { abortSignal }),
        ),
      );
      // A batch SQS took only part of is a failure: the sender redelivers the whole, and the duplicates are harmless.
      const failed = answers.reduce((n, answer) => n + (answer.Failed?.length ?? 0), 0);
      if (failed > 0) throw new PartialEnqueueError(failed, bodies.length, answers.flatMap((a) => a.Failed ?? []).map((f) => f.Code ?? 'unknown')[0] ?? 'unknown');
    },
    async delay(queueUrl, receiptHandle, seconds, timeoutMs) {
      const { client, sdk } = await load();
      await client.send(new sdk.ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }), {
        abortSignal: AbortSignal.timeout(Math.ceil(timeoutMs)),
      });
    },
  };
}

/** SendMessageBatch accepted some entries and refused others. */
export class PartialEnqueueError extends Error {
  override readonly name = 'PartialEnqueueError';
  constructor(
    readonly failed: number,
    readonly total: number,
    readonly code: string,
  ) {
    super(`SQS refused ${failed} of ${total} messages (${code})`);
  }
}
