import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type AttributeValue as SdkAttributeValue,
  type _Record as SdkRecord,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type { AttributeValue, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';

/**
 * Lambda's DynamoDB event source mapping, emulated against DynamoDB Local for tests and `npm start`: reads every shard
 * of a table's stream (DescribeStream, GetShardIterator, GetRecords), hands batches to a handler as a
 * DynamoDBStreamEvent, and honours ReportBatchItemFailures: on a failure it retries from the record named (the whole
 * batch when the handler throws), after a backoff that doubles up to a bound, until the handler succeeds. A shard's
 * records are handed over in order, one batch at a time; a child shard waits for its parent.
 */

export type StreamHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>;

export interface StreamPollerOptions {
  endpoint: string;
  streamArn: string;
  handler: StreamHandler;
  /** Records per batch at most (Lambda's default: 100). */
  batchSize?: number;
  /** Where to start in the shards open at start: `TRIM_HORIZON` (everything kept) or `LATEST` (only new records). */
  startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** Wait between polls of a caught-up stream. */
  idleMs?: number;
  /** First and largest wait before retrying a failed batch. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Told about every failed batch (a handler that threw, or named a failed record). */
  onRetry?: (info: { shardId: string; fromSequenceNumber: string; attempt: number; error?: unknown }) => void;
  region?: string;
}

export interface StreamPoller {
  /** Resolves once every shard has been read to its end (nothing new, nothing to retry) since this call. */
  idle(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

interface ShardState {
  id: string;
  parentId?: string;
  iterator?: string;
  /** Closed and read to its end. */
  done: boolean;
  /** Failed batches in a row. */
  attempt: number;
  /** No records at the last read. */
  caughtUp: boolean;
}

/**
 * Starts polling; stop it with {@link StreamPoller.stop}.
 *
 * @example
 * const poller = startStreamPoller({ endpoint: dynamo.endpoint, streamArn, handler: (event) => relayStreamBatch(event, relay) });
 * await poller.idle();
 * await poller.stop();
 */
export function startStreamPoller(options: StreamPollerOptions): StreamPoller {
  const client = new DynamoDBStreamsClient({
    endpoint: options.endpoint,
    region: options.region ?? 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const shards = new Map<string, ShardState>();
  const idleMs = options.idleMs ?? 50;
  const retryBaseMs = options.retryBaseMs ?? 100;
  const retryMaxMs = options.retryMaxMs ?? 2_000;
  let stopped = false;
  let firstDescribe = true;
  /** Bumped after every pass over the shards; `caughtUpPass` is the last pass where all were caught up. */
  let pass = 0;
  let caughtUpPass = -1;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const describe = async () => {
    const found: Shard[] = [];
    let start: string | undefined;
    do {
      const answer = await client.send(new DescribeStreamCommand({ StreamArn: options.streamArn, ExclusiveStartShardId: start }));
      found.push(...(answer.StreamDescription?.Shards ?? []));
      start = answer.StreamDescription?.LastEvaluatedShardId;
    } while (start);
    for (const shard of found) {
      if (!shard.ShardId || shards.has(shard.ShardId)) continue;
      const open = shard.SequenceNumberRange?.EndingSequenceNumber === undefined;
      const position = firstDescribe && open ? (options.startingPosition ?? 'TRIM_HORIZON') : 'TRIM_HORIZON';
      // With LATEST, the shards already closed at start hold only what came before: skip them.
      const done = firstDescribe && !open && options.startingPosition === 'LATEST';
      shards.set(shard.ShardId, { id: shard.ShardId, ...(shard.ParentShardId && { parentId: shard.ParentShardId }), done, attempt: 0, caughtUp: done });
      if (!done) shards.get(shard.ShardId)!.iterator = await iterator(shard.ShardId, position);
    }
    firstDescribe = false;
  };

  const iterator = async (shardId: string, type: 'TRIM_HORIZON' | 'LATEST' | 'AT_SEQUENCE_NUMBER', sequenceNumber?: string) => {
    const answer = await client.send(
      new GetShardIteratorCommand({ StreamArn: options.streamArn, ShardId: shardId, ShardIteratorType: type, ...(sequenceNumber && { SequenceNumber: sequenceNumber }) }),
    );
    return answer.ShardIterator;
  };

  const poll = async (shard: ShardState) => {
    if (shard.done || !shard.iterator) return;
    const parent = shard.parentId ? shards.get(shard.parentId) : undefined;
    if (parent && !parent.done) return;
    const answer = await client.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: options.batchSize ?? 100 }));
    const records = answer.Records ?? [];
    shard.caughtUp = records.length === 0;
    if (records.length > 0) {
      const event: DynamoDBStreamEvent = { Records: records.map((record) => lambdaRecord(record, options.streamArn)) };
      let failedAt: string | undefined;
      let error: unknown;
      try {
        const response = await options.handler(event);
        failedAt = response?.batchItemFailures[0]?.itemIdentifier;
        // Lambda checkpoints at the lowest sequence number named.
        for (const failure of response?.batchItemFailures ?? []) if (compare(failure.itemIdentifier, failedAt!) < 0) failedAt = failure.itemIdentifier;
      } catch (err) {
        error = err;
        failedAt = records[0]!.dynamodb!.SequenceNumber!;
      }
      if (failedAt !== undefined) {
        shard.attempt += 1;
        shard.caughtUp = false;
        options.onRetry?.({ shardId: shard.id, fromSequenceNumber: failedAt, attempt: shard.attempt, ...(error !== undefined && { error }) });
        await sleep(Math.min(retryMaxMs, retryBaseMs * 2 ** (shard.attempt - 1)));
        shard.iterator = await iterator(shard.id, 'AT_SEQUENCE_NUMBER', failedAt);
        return;
      }
      shard.attempt = 0;
    }
    shard.iterator = answer.NextShardIterator;
    if (!shard.iterator) {
      shard.done = true;
      shard.caughtUp = true;
    }
  };

  const loop = async () => {
    while (!stopped) {
      try {
        await describe();
        for (const shard of shards.values()) if (!stopped) await poll(shard);
        pass += 1;
        if ([...shards.values()].every((shard) => shard.caughtUp || shard.done)) caughtUpPass = pass;
      } catch (err) {
        // DynamoDB Local stopped, or a call failed: try again after a pause, as the event source mapping would.
        if (!stopped) options.onRetry?.({ shardId: '', fromSequenceNumber: '', attempt: 0, error: err });
      }
      if (!stopped) await sleep(caughtUpPass === pass ? idleMs : 0);
    }
  };
  const running = loop();

  return {
    async idle(timeoutMs = 20_000) {
      const since = pass;
      const deadline = Date.now() + timeoutMs;
      // Two passes after the call, so that a change written before it has been seen.
      while (!(caughtUpPass >= since + 2)) {
        if (Date.now() > deadline) throw new Error(`the stream poller was not idle within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async stop() {
      stopped = true;
      wake?.();
      await running;
      client.destroy();
    },
  };
}

/** A record as GetRecords answers it, in the shape Lambda hands to a function. */
function lambdaRecord(record: SdkRecord, streamArn: string): DynamoDBRecord {
  const stream = record.dynamodb ?? {};
  const image = (values: Record<string, SdkAttributeValue> | undefined) => values && Object.fromEntries(Object.entries(values).map(([k, v]) => [k, attributeValue(v)]));
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion ?? 'us-east-1',
    eventSourceARN: streamArn,
    dynamodb: {
      ...(stream.ApproximateCreationDateTime && { ApproximateCreationDateTime: Math.floor(stream.ApproximateCreationDateTime.getTime() / 1000) }),
      Keys: image(stream.Keys),
      ...(stream.NewImage && { NewImage: image(stream.NewImage) }),
      ...(stream.OldImage && { OldImage: image(stream.OldImage) }),
      SequenceNumber: stream.SequenceNumber,
      SizeBytes: stream.SizeBytes,
      StreamViewType: stream.StreamViewType,
    },
  };
}

/** The SDK's attribute value (binaries as bytes) as Lambda's JSON (binaries in base64). */
function attributeValue(value: SdkAttributeValue): AttributeValue {
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.BS !== undefined) return { BS: value.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (value.L !== undefined) return { L: value.L.map(attributeValue) };
  if (value.M !== undefined) return { M: Object.fromEntries(Object.entries(value.M).map(([k, v]) => [k, attributeValue(v)])) };
  return value as AttributeValue;
}

function compare(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}
