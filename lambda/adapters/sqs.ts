import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { mapConcurrently } from '../concurrency';
import type { OnboardingOutcome, ProjectResult } from '../core/onboard';
import type { InputIssue, OnboardingRequest } from '../core/requests';
import { verdictOf } from '../core/verdict';
import type { Deadline } from '../deadline';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import { parseMessageBody } from './envelopes';

/**
 * The SQS adapter (contract section 7): every record ends acknowledged (done, or dead-lettered with its reason) or
 * named in `batchItemFailures` for redelivery. Nothing is dropped, and no record's failure throws.
 */

/** What the adapter needs of SQS. Each call gives up after `timeoutMs`. */
export interface QueueActions {
  /** Sends `body` unchanged to the dead-letter queue with `errorCode` / `errorMessage` attributes. */
  deadLetter(queueUrl: string, body: string, errorCode: string, errorMessage: string, timeoutMs: number): Promise<void>;
  /** Hides a received message for `seconds` (ChangeMessageVisibility). */
  delay(queueUrl: string, receiptHandle: string, seconds: number, timeoutMs: number): Promise<void>;
}

/** The core, as the queue runs it. */
export type RunQueuedRequest = (request: OnboardingRequest, options: { fallbackId: string; log: Logger }) => Promise<OnboardingOutcome>;

export interface SqsAdapterOptions {
  run: RunQueuedRequest;
  queue: QueueActions;
  deadLetterQueueUrl: string;
  concurrency: number;
  /** Until when Atlas may be called. */
  deadline: Deadline;
  /**
   * Until when SQS may be called: later than `deadline` (the margin is kept for this), earlier than the invocation's
   * end, so that a slow SQS makes a message return rather than the whole batch time out and run again.
   */
  queueDeadline: Deadline;
  log: Logger;
  /** Counts each message dead-lettered. */
  metrics?: Metrics;
}

type RecordDecision = 'done' | 'dead_lettered' | 'redeliver';

/** SQS's longest visibility timeout, in seconds. */
const MAX_VISIBILITY_SECONDS = 43_200;

export function isSqsEvent(event: unknown): event is SQSEvent {
  const records = (event as Partial<SQSEvent> | null)?.Records;
  return Array.isArray(records) && records.length > 0 && (records[0] as Partial<SQSRecord>)?.eventSource === 'aws:sqs';
}

/**
 * Processes one batch, records concurrently up to `concurrency`, and names the records to redeliver.
 *
 * @example
 * const { batchItemFailures } = await answerSqsBatch(event, { run, queue, deadLetterQueueUrl, concurrency: 10, deadline, log });
 */
export async function answerSqsBatch(event: SQSEvent, options: SqsAdapterOptions): Promise<SQSBatchResponse> {
  const decisions = await mapConcurrently(event.Records, options.concurrency, async (record) => {
    const log = options.log.child({ messageId: record.messageId });
    try {
      return await decide(record, { ...options, log });
    } catch (err) {
      log.error('message failed unexpectedly; leaving it for redelivery', { error: err as Error, outcome: 'redeliver' });
      return 'redeliver' as const;
    }
  });
  const batchItemFailures = event.Records.filter((_, i) => decisions[i] === 'redeliver').map((r) => ({ itemIdentifier: r.messageId }));
  options.log.info('batch done', {
    records: event.Records.length,
    redeliver: batchItemFailures.length,
    deadLettered: decisions.filter((d) => d === 'dead_lettered').length,
  });
  return { batchItemFailures };
}

async function decide(record: SQSRecord, options: SqsAdapterOptions): Promise<RecordDecision> {
  const { log } = options;
  const parsed = parseMessageBody(record.body);
  if (!parsed.ok) return deadLetter(record, parsed.error, describeIssues(parsed.issues), options);

  const outcome = await options.run(parsed.value, { fallbackId: record.messageId, log });
  // The message's own decision lines carry its event id beside the message id (contract section 8).
  const eventLog = log.child({ eventId: outcome.eventId });
  if (outcome.kind === 'refused') return deadLetter(record, outcome.code, outcome.message, { ...options, log: eventLog });

  const verdict = verdictOf(outcome.decisions);
  if (verdict.kind === 'retry') {
    // Atlas asked for a wait the invocation could not afford: hide the message until then instead of waiting.
    if (verdict.retryAfterMs !== undefined && verdict.retryAfterMs > options.deadline.remainingMs()) {
      const seconds = Math.min(MAX_VISIBILITY_SECONDS, Math.max(1, Math.ceil(verdict.retryAfterMs / 1000)));
      try {
        await options.queue.delay(sourceQueueUrl(record.eventSourceARN), record.receiptHandle, seconds, queueTimeout(options.queueDeadline));
        eventLog.info('message delayed as Atlas asked', { outcome: 'redeliver', visibilityTimeoutSeconds: seconds });
      } catch (err) {
        eventLog.warn('could not change the message visibility; it returns after the queue default', { awsError: (err as Error).name });
      }
    }
    eventLog.info('message left for redelivery', { outcome: 'redeliver' });
    return 'redeliver';
  }
  if (verdict.kind === 'reject') {
    const first = verdict.failures[0]!.error!;
    // The projects' own lines carry the details (without the address Atlas may quote); this one says where it went.
    return deadLetter(record, first.code, describeFailures(verdict.failures), { ...options, log: eventLog }, false);
  }
  return 'done';
}

async function deadLetter(
  record: SQSRecord,
  errorCode: string,
  errorMessage: string,
  options: { queue: QueueActions; deadLetterQueueUrl: string; queueDeadline: Deadline; log: Logger; metrics?: Metrics },
  logMessage = true,
): Promise<RecordDecision> {
  try {
    await options.queue.deadLetter(options.deadLetterQueueUrl, record.body, errorCode, errorMessage, queueTimeout(options.queueDeadline));
    options.metrics?.deadLetter();
    options.log.warn('message dead-lettered', { outcome: 'dead_lettered', errorCode, ...(logMessage && { errorMessage }) });
    return 'dead_lettered';
  } catch (err) {
    options.log.error('could not dead-letter the message; leaving it for redelivery', { outcome: 'redeliver', errorCode, awsError: (err as Error).name });
    return 'redeliver';
  }
}

/** One line naming each input problem, for a dead letter's `errorMessage`. */
export function describeIssues(issues: readonly InputIssue[]): string {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
}

/** One line naming each project that failed for good, for a dead letter's `errorMessage`. */
export function describeFailures(failures: readonly ProjectResult[]): string {
  return failures.map((f) => `${f.groupId}: ${f.error?.code ?? 'FAILED'}: ${f.error?.message ?? ''}`).join('; ');
}

/** At least a moment: a call with no time at all would fail without trying, where a fast SQS could still answer. */
function queueTimeout(deadline: Deadline): number {
  return Math.max(50, deadline.remainingMs());
}

/**
 * The source queue's URL from a record's `eventSourceARN` (`arn:aws:sqs:REGION:ACCOUNT:NAME`).
 *
 * @example
 * sourceQueueUrl('arn:aws:sqs:eu-west-1:123456789012:onboarding'); // https://sqs.eu-west-1.amazonaws.com/123456789012/onboarding
 */
export function sourceQueueUrl(arn: string): string {
  const [, partition, , region, account, name] = arn.split(':');
  if (!partition || !region || !account || !name) throw new Error(`not an SQS queue ARN: ${arn}`);
  const domain = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://sqs.${region}.${domain}/${account}/${name}`;
}
