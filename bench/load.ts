import type { SQSEvent } from 'aws-lambda';
import type { OnboarderHandler } from '../lambda/functions/onboarder/app';
import { localContext, sqsRecords } from '../local/events';

/**
 * A queue and its Lambda pollers, simulated on one machine: `events` messages go through the real handler in batches,
 * as the SQS event source mapping would deliver them. Batch item failures return to the queue (after the visibility
 * the function asked for, capped at `maxRequeueDelayMs` to keep runs short); dead letters leave it. Used by the load
 * test (correctness) and the benchmark (throughput).
 */

export interface LoadOptions {
  /** Message bodies, one per event. */
  bodies: unknown[];
  /** One handler per concurrent container (each its own token cache and ledger, as in Lambda). */
  containers: OnboarderHandler[];
  batchSize: number;
  /** Per-invocation budget given to the handler. */
  invocationBudgetMs: number;
  /** Stop here whatever is left: the run is bounded in time. */
  maxRunMs: number;
  /** Visibility changes the function asks for, found by receipt handle. */
  visibilityOf?: (receiptHandle: string) => number | undefined;
  maxRequeueDelayMs?: number;
}

export interface LoadReport {
  messages: number;
  invocations: number;
  deliveries: number;
  redeliveries: number;
  acknowledged: number;
  leftInQueue: number;
  elapsedMs: number;
}

/**
 * Runs the queue dry (or until `maxRunMs`), and says what happened to every message.
 *
 * @example
 * const report = await runQueue({ bodies, containers: [world.handler()], batchSize: 10, invocationBudgetMs: 30_000, maxRunMs: 60_000 });
 */
export async function runQueue(options: LoadOptions): Promise<LoadReport> {
  const started = Date.now();
  // Each message keeps its record (and so its messageId) across deliveries, as SQS does.
  const records = sqsRecords(options.bodies);
  const ready = [...records];
  const delayed = new Set<Promise<void>>();
  let invocations = 0;
  let deliveries = 0;
  let acknowledged = 0;

  const poll = async (handler: OnboarderHandler) => {
    while (Date.now() - started < options.maxRunMs) {
      const taken = ready.splice(0, options.batchSize);
      if (taken.length === 0) {
        if (delayed.size === 0) return;
        await Promise.race([...delayed, new Promise((r) => setTimeout(r, 20))]);
        continue;
      }
      invocations++;
      deliveries += taken.length;
      const event: SQSEvent = { Records: taken };
      const answer = (await handler(event, localContext(options.invocationBudgetMs))) as {
        batchItemFailures: { itemIdentifier: string }[];
      };
      const failed = new Set(answer.batchItemFailures.map((f) => f.itemIdentifier));
      for (const record of taken) {
        if (!failed.has(record.messageId)) {
          acknowledged++;
          continue;
        }
        const visibilitySeconds = options.visibilityOf?.(record.receiptHandle);
        const delayMs = Math.min(options.maxRequeueDelayMs ?? 1000, visibilitySeconds === undefined ? 0 : visibilitySeconds * 1000);
        if (delayMs === 0) ready.push(record);
        else {
          const back = new Promise<void>((resolve) => setTimeout(resolve, delayMs)).then(() => {
            ready.push(record);
            delayed.delete(back);
          });
          delayed.add(back);
        }
      }
    }
  };
  await Promise.all(options.containers.map(poll));
  return {
    messages: records.length,
    invocations,
    deliveries,
    redeliveries: deliveries - records.length,
    acknowledged,
    leftInQueue: ready.length + delayed.size,
    elapsedMs: Date.now() - started,
  };
}
