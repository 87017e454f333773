import {
  FUNCTION_DIMENSION,
  METRICS,
  METRICS_NAMESPACE,
  OTHER_VALUE,
  type AtlasCallOutcome,
  type MetricDefinition,
  type MetricFunction,
  type MetricName,
  type ResultStatusValue,
} from './contract/metrics';
import { stdoutSink, type LogSink } from './log';

/**
 * CloudWatch metrics in the Embedded Metric Format (contract section 8): counted in memory during an invocation and
 * written by {@link Metrics.flush} as JSON lines through the log sink, which CloudWatch Logs turns into metrics. No
 * API call, no IAM permission: it is log output. The catalogue (names, units, dimensions) is `contract/metrics.ts`.
 *
 * Our own writer, not Powertools Metrics 2.36.0, by measurement (`bench/metrics-cost.ts`: the shipped esbuild
 * options, one metric published per invocation, cold starts in fresh processes, interleaved, 41 runs each, twice):
 * - cold path: Powertools adds 13.4 KB (4.1 KB gzip) to the onboarder's 571 KB, this writer 2.2 KB (0.8 KB gzip);
 * - cold start of a handler that does nothing else: Powertools +4.2 / +6.5 ms (CPU +5.0 / +3.3 ms), this writer
 *   +1.1 / +2.4 ms (CPU +1.3 / +2.3 ms);
 * - around the onboarder (about 230 ms here) both differences are inside this busy 2-core machine's noise.
 * What we need is counts and one latency under a few bounded dimensions, which is this page; Powertools' validation,
 * metadata, cold-start metric and middleware are not. It would also write through a `Console` of its own, past the
 * log sink the tests and the local runner read, and each further value of a dimension in one invocation (`invited`
 * and `failed`) would need a `singleMetric()` of its own, which this writer packs into as few lines as EMF allows.
 */

/** EMF takes at most 100 values in one metric's array. */
const MAX_VALUES = 100;

type Definition<N extends MetricName> = (typeof METRICS)[N];
type CountName = { [N in MetricName]: Definition<N>['unit'] extends 'Count' ? N : never }[MetricName];
type TimingName = { [N in MetricName]: Definition<N>['unit'] extends 'Milliseconds' ? N : never }[MetricName];
/** The dimension value a broken-down metric needs, or nothing. */
type Breakdown<N extends MetricName> = Definition<N> extends { values: readonly (infer V)[] } ? [value: V] : [];

/** One EMF document being built: its dimension values and its metrics' values. */
interface Document {
  dimensions: Map<string, string>;
  values: Map<MetricName, number | number[]>;
}

/**
 * The metrics of one function. One instance per container; the handler calls {@link flush} before it answers, so
 * each invocation's figures leave with its log lines. Lambda runs one invocation at a time per container; where
 * invocations overlap (the local runner), a flush carries whatever was counted since the last one.
 *
 * @example
 * const metrics = new Metrics('onboarder', logSink);
 * metrics.result('invited');
 * metrics.atlasCall('ok', 182);
 * metrics.flush(); // {"_aws":{"Timestamp":…,"CloudWatchMetrics":[…]},"Function":"onboarder","Status":"invited","Results":1,…}
 */
export class Metrics {
  private readonly counts = new Map<MetricName, Map<string, number>>();
  private readonly timings = new Map<MetricName, number[]>();

  constructor(
    private readonly functionName: MetricFunction,
    private readonly sink: LogSink = stdoutSink,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Counts one occurrence of a `Count` metric, under its dimension value when it has a dimension.
   *
   * @example
   * metrics.count('Results', 'invited');
   * metrics.count('DeadLetters');
   */
  count<N extends CountName>(name: N, ...breakdown: Breakdown<N>): void {
    const definition: MetricDefinition = METRICS[name];
    const value = definition.dimension === undefined ? '' : boundedValue(definition.values, breakdown[0] as string | undefined);
    const byValue = this.counts.get(name) ?? new Map<string, number>();
    this.counts.set(name, byValue);
    byValue.set(value, (byValue.get(value) ?? 0) + 1);
  }

  /**
   * Records one duration of a `Milliseconds` metric (EMF keeps each value, so CloudWatch has its percentiles).
   *
   * @example
   * metrics.time('AtlasLatency', 182);
   */
  time(name: TimingName, ms: number): void {
    if (!Number.isFinite(ms)) return;
    const values = this.timings.get(name) ?? [];
    this.timings.set(name, values);
    values.push(Math.max(0, Math.round(ms)));
  }

  /** A project decided, by its result status. */
  result(status: ResultStatusValue): void {
    this.count('Results', status);
  }

  /** A request to the Atlas Administration API, by how Atlas answered, and its latency when an answer came. */
  atlasCall(outcome: AtlasCallOutcome, latencyMs?: number): void {
    this.count('AtlasCalls', outcome);
    if (latencyMs !== undefined) this.time('AtlasLatency', latencyMs);
  }

  /** Atlas asked to wait (429 or a rate-limit errorCode), or a pacer held a call back. */
  rateLimitedWait(): void {
    this.count('RateLimitedWaits');
  }

  /** A message sent to the dead-letter queue. */
  deadLetter(): void {
    this.count('DeadLetters');
  }

  /**
   * A fault of the deployment, not of a message (contract section 7, v2): an unreadable or malformed secret,
   * credentials Atlas refuses. The stack alarms on the first one. `code` (ours: `SECRET_MALFORMED`,
   * `INVALID_CREDENTIALS`…) goes on the error log line the caller writes, not into a dimension.
   *
   * @example
   * metrics.deploymentFault('SECRET_MALFORMED');
   */
  deploymentFault(_code: string): void {
    this.count('DeploymentFaults');
  }

  /**
   * A webhook request refused as unauthenticated (401): a wrong or missing secret header, a bad signature, a stale or
   * future timestamp. What was offered never reaches the metric or a log line.
   */
  rejectedSignature(): void {
    this.count('RejectedSignatures');
  }

  /**
   * Writes what was counted since the last flush as EMF lines through the sink, and starts again from nothing. One
   * line, unless a dimension took several values (EMF gives a dimension one value per document: `invited` and
   * `failed` in one invocation are two lines) or a duration has more than 100 values. Nothing counted, no line.
   *
   * @example
   * try { return await handle(event, context); } finally { metrics.flush(); flushLogs(); }
   */
  flush(): void {
    if (this.counts.size === 0 && this.timings.size === 0) return;
    const documents: Document[] = [];
    for (const name of Object.keys(METRICS) as MetricName[]) {
      const definition: MetricDefinition = METRICS[name];
      for (const [value, count] of this.counts.get(name) ?? []) place(documents, name, definition.dimension, value, count);
      const timings = this.timings.get(name) ?? [];
      for (let i = 0; i < timings.length; i += MAX_VALUES) place(documents, name, undefined, '', timings.slice(i, i + MAX_VALUES));
    }
    this.counts.clear();
    this.timings.clear();
    const timestamp = this.now();
    for (const document of documents) this.sink(this.serialized(document, timestamp));
  }

  private serialized(document: Document, timestamp: number): string {
    // One directive per dimension set: a directive's dimensions apply to every metric it names.
    const directives = new Map<string, { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }>();
    for (const name of document.values.keys()) {
      const dimension = METRICS[name] as MetricDefinition;
      const key = dimension.dimension ?? '';
      let directive = directives.get(key);
      if (!directive) {
        directive = { Namespace: METRICS_NAMESPACE, Dimensions: [key ? [FUNCTION_DIMENSION, key] : [FUNCTION_DIMENSION]], Metrics: [] };
        directives.set(key, directive);
      }
      directive.Metrics.push({ Name: name, Unit: dimension.unit });
    }
    return JSON.stringify({
      _aws: { Timestamp: timestamp, CloudWatchMetrics: [...directives.values()] },
      [FUNCTION_DIMENSION]: this.functionName,
      ...Object.fromEntries(document.dimensions),
      ...Object.fromEntries(document.values),
    });
  }
}

/** Into the first document that has no value of `name` yet and whose `dimension`, if set, holds `dimensionValue`. */
function place(documents: Document[], name: MetricName, dimension: string | undefined, dimensionValue: string, value: number | number[]): void {
  let document = documents.find((d) => !d.values.has(name) && (dimension === undefined || (d.dimensions.get(dimension) ?? dimensionValue) === dimensionValue));
  if (!document) {
    document = { dimensions: new Map(), values: new Map() };
    documents.push(document);
  }
  if (dimension !== undefined) document.dimensions.set(dimension, dimensionValue);
  document.values.set(name, value);
}

function boundedValue(values: readonly string[], value: string | undefined): string {
  return value !== undefined && values.includes(value) ? value : OTHER_VALUE;
}
