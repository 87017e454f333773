import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { mapConcurrently } from '../concurrency';
import { redeliveryDelaySeconds } from '../contract/queue';
import type { OnboardingOutcome, ProjectResult } from '../core/onboard';
import type { InputIssue, ReceivedRequest } from '../core/requests';
import { verdictOf } from '../core/verdict';
import type { Deadline } from '../deadline';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import { parseMessageBody } from './envelopes';

/**
 * The SQS adapter (contract section 7): every record ends acknowledged (done, or dead-lettered with its reason) or
 * named in `batchItemFailures` for redelivery. Nothing is dropped, and no record's failure throws. A message that
 * failed for now is hidden for longer on every receive (`contract/queue.ts`); on a FIFO queue, the messages of a group
 * after one that failed are not processed; a message this container dead-lettered before is not dead-lettered again.
 */

/** What the adapter needs of SQS. Each call gives up after `timeoutMs`. */
export interface QueueActions {
  /** Sends `body` unchanged to the dead-letter queue with `errorCode` / `errorMessage` (and `originalMessageId`) attributes. */
  deadLetter(queueUrl: string, body: string, errorCode: string, errorMessage: string, timeoutMs: number, originalMessageId?: string): Promise<void>;
  /** Hides a received message for `seconds` (ChangeMessageVisibility). */
  delay(queueUrl: string, receiptHandle: string, seconds: number, timeoutMs: number): Promise<void>;
}

/** The core, as the queue runs it. */
export type RunQueuedRequest = (request: ReceivedRequest, options: { fallbackId: string; log: Logger }) => Promise<OnboardingOutcome>;

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
  /** The messages this container dead-lettered (by message id), kept across invocations. */
  deadLettered: DeadLetterMemory;
  /** When the invocation started (ms since the epoch): the receipt was shortly before. */
  invokedAt: number;
  log: Logger;
  /** Counts each message dead-lettered. */
  metrics?: Metrics;
}

type RecordDecision = 'done' | 'dead_lettered' | 'redeliver';

/** SQS's limit: a message is hidden at most 12 hours in all, counted from its receipt. */
const MAX_VISIBILITY_SECONDS = 43_200;
/** Kept back from that limit for the time between the receipt and the invocation (the batching window, polling). */
const RECEIPT_MARGIN_SECONDS = 60;

/**
 * The message ids this container has dead-lettered, so that a redelivery of one (the invocation that sent it crashed
 * before SQS heard of the acknowledgement) is acknowledged without a second dead letter. Bounded: the oldest are
 * forgotten first.
 */
export class DeadLetterMemory {
  private readonly ids = new Set<string>();
  constructor(private readonly maxEntries = 10_000) {}

  has(messageId: string): boolean {
    return this.ids.has(messageId);
  }

  add(messageId: string): void {
    this.ids.add(messageId);
    if (this.ids.size > this.maxEntries) this.ids.delete(this.ids.values().next().value!);
  }
}

export function isSqsEvent(event: unknown): event is SQSEvent {
  const records = (event as Partial<SQSEvent> | null)?.Records;
  return Array.isArray(records) && records.length > 0 && (records[0] as Partial<SQSRecord>)?.eventSource === 'aws:sqs';
}

/**
 * Processes one batch, records concurrently up to `concurrency`, and names the records to redeliver.
 *
 * @example
 * const { batchItemFailures } = await answerSqsBatch(event, { run, queue, deadLetterQueueUrl, concurrency: 10, deadline, queueDeadline, deadLettered, invokedAt, log });
 */
export async function answerSqsBatch(event: SQSEvent, options: SqsAdapterOptions): Promise<SQSBatchResponse> {
  const decideOne = async (record: SQSRecord): Promise<RecordDecision> => {
    const log = options.log.child({ messageId: record.messageId });
    try {
      return await decide(record, { ...options, log });
    } catch (err) {
      log.error('message failed unexpectedly; leaving it for redelivery', { error: err as Error, outcome: 'redeliver' });
      return 'redeliver';
    }
  };
  const decisions = isFifo(event.Records) ? await decideInGroups(event.Records, options, decideOne) : await mapConcurrently(event.Records, options.concurrency, decideOne);
  const batchItemFailures = event.Records.filter((_, i) => decisions[i] === 'redeliver').map((r) => ({ itemIdentifier: r.messageId }));
  options.log.info('batch done', {
    records: event.Records.length,
    redeliver: batchItemFailures.length,
    deadLettered: decisions.filter((d) => d === 'dead_lettered').length,
  });
  return { batchItemFailures };
}

/** A FIFO queue's ARN ends in `.fifo`; a batch comes from one queue. */
function isFifo(records: readonly SQSRecord[]): boolean {
  return records[0]?.eventSourceARN.endsWith('.fifo') ?? false;
}

/**
 * A FIFO batch (Powertools' `SqsFifoPartialProcessor` with `skipGroupOnError`): the groups run concurrently, each
 * group's messages one after another in order, and once one of a group fails, the later ones of that group are not
 * processed but reported failed too, so that they come back after it and in order.
 */
async function decideInGroups(
  records: readonly SQSRecord[],
  options: SqsAdapterOptions,
  decideOne: (record: SQSRecord) => Promise<RecordDecision>,
): Promise<RecordDecision[]> {
  const decisions = new Array<RecordDecision>(records.length);
  const groups = new Map<string, number[]>();
  records.forEach((record, i) => {
    const group = (record.attributes as { MessageGroupId?: string }).MessageGroupId ?? '';
    const members = groups.get(group);
    if (members) members.push(i);
    else groups.set(group, [i]);
  });
  await mapConcurrently([...groups.values()], options.concurrency, async (members) => {
    let failed = false;
    for (const i of members) {
      const record = records[i]!;
      if (failed) {
        options.log.info('message not processed: an earlier message of its group failed', { messageId: record.messageId, outcome: 'redeliver' });
        decisions[i] = 'redeliver';
        continue;
      }
      decisions[i] = await decideOne(record);
      failed = decisions[i] === 'redeliver';
    }
  });
  return decisions;
}

async function decide(record: SQSRecord, options: SqsAdapterOptions): Promise<RecordDecision> {
  const { log } = options;
  if (options.deadLettered.has(record.messageId)) {
    // The invocation that dead-lettered it did not get its acknowledgement through: it is done already.
    log.warn('message dead-lettered before by this container; acknowledged without a second dead letter', { outcome: 'dead_lettered' });
    return 'dead_lettered';
  }
  const parsed = parseMessageBody(record.body);
  if (!parsed.ok) return deadLetter(record, parsed.error, describeIssues(parsed.issues), options);

  const outcome = await options.run(parsed.value, { fallbackId: record.messageId, log });
  // The message's own decision lines carry its event id beside the message id (contract section 8).
  const eventLog = log.child({ eventId: outcome.eventId });
  if (outcome.kind === 'refused') return deadLetter(record, outcome.code, outcome.message, { ...options, log: eventLog });
  if (outcome.kind === 'invalid') return deadLetter(record, 'invalid_event', describeIssues(outcome.issues), { ...options, log: eventLog });
  if (outcome.kind === 'unread') {
    // The person could not be read (contract section 12): for now (Okta's limit, an outage, a deployment fault: the
    // message waits, backed off), or for good.
    if (!outcome.error.retryable) return deadLetter(record, outcome.error.code, outcome.error.message, { ...options, log: eventLog });
    await backOff(record, outcome.error.details.retryAfterMs, { ...options, log: eventLog }, 'the identity provider');
    eventLog.info('message left for redelivery', { outcome: 'redeliver' });
    return 'redeliver';
  }

  const verdict = verdictOf(outcome.decisions);
  if (verdict.kind === 'retry') {
    await backOff(record, verdict.retryAfterMs, { ...options, log: eventLog });
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
  options: { queue: QueueActions; deadLetterQueueUrl: string; queueDeadline: Deadline; deadLettered: DeadLetterMemory; log: Logger; metrics?: Metrics },
  logMessage = true,
): Promise<RecordDecision> {
  try {
    await options.queue.deadLetter(options.deadLetterQueueUrl, record.body, errorCode, errorMessage, queueTimeout(options.queueDeadline), record.messageId);
    options.deadLettered.add(record.messageId);
    options.metrics?.deadLetter();
    options.log.warn('message dead-lettered', { outcome: 'dead_lettered', errorCode, ...(logMessage && { errorMessage }) });
    return 'dead_lettered';
  } catch (err) {
    options.log.error('could not dead-letter the message; leaving it for redelivery', { outcome: 'redeliver', errorCode, awsError: (err as Error).name });
    return 'redeliver';
  }
}

/**
 * Hides a message that failed for now until its next try: the redelivery schedule's wait for its receive count, or the
 * wait Atlas asked for when longer, never past SQS's 12 hours from the receipt. If SQS refuses, the message returns
 * after the queue's own visibility timeout.
 */
async function backOff(record: SQSRecord, retryAfterMs: number | undefined, options: SqsAdapterOptions, asker = 'Atlas'): Promise<void> {
  const receiveCount = Number(record.attributes.ApproximateReceiveCount) || 1;
  const scheduled = redeliveryDelaySeconds(receiveCount);
  const asked = retryAfterMs === undefined ? 0 : Math.ceil(retryAfterMs / 1000);
  const sinceInvoked = Math.ceil(Math.max(0, Date.now() - options.invokedAt) / 1000);
  const seconds = Math.max(1, Math.min(Math.max(scheduled, asked), MAX_VISIBILITY_SECONDS - RECEIPT_MARGIN_SECONDS - sinceInvoked));
  try {
    await options.queue.delay(sourceQueueUrl(record.eventSourceARN), record.receiptHandle, seconds, queueTimeout(options.queueDeadline));
    const fields = { outcome: 'redeliver', visibilityTimeoutSeconds: seconds, receiveCount };
    if (asked > scheduled) options.log.info(`message delayed as ${asker} asked`, fields);
    else options.log.info('message backed off for redelivery', fields);
  } catch (err) {
    options.log.warn('could not change the message visibility; it returns after the queue default', { awsError: (err as Error).name });
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
