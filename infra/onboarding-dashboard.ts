import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FUNCTION_DIMENSION, METRICS, METRICS_NAMESPACE, type MetricFunction, type MetricName } from '../lambda/contract';

/** The one dimension value a broken-down metric of the catalogue takes (`lambda/contract/metrics.ts`). */
type ValueOf<N extends MetricName> = (typeof METRICS)[N] extends { values: readonly (infer V)[] } ? V : never;

/** The graphs' period: onboarding comes in bursts (a hiring day), and five minutes shows them without flicker. */
const PERIOD = Duration.minutes(5);

/**
 * One of the metrics a function publishes in the Embedded Metric Format, by the contract's catalogue: its name, the
 * function and, for a broken-down metric, one value of its dimension.
 *
 * @example
 * functionMetric('onboarder', 'Results', { value: 'failed', statistic: cloudwatch.Stats.SUM });
 * functionMetric('onboarder', 'DeploymentFaults');
 */
export function functionMetric<N extends MetricName>(
  fn: MetricFunction,
  name: N,
  options: { value?: ValueOf<N>; statistic?: string; label?: string; period?: Duration } = {},
): cloudwatch.Metric {
  const definition = METRICS[name];
  const dimension = 'dimension' in definition ? definition.dimension : undefined;
  if ((dimension === undefined) !== (options.value === undefined)) throw new Error(`metric ${name}: a value is needed exactly when it has a dimension`);
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { [FUNCTION_DIMENSION]: fn, ...(dimension && options.value !== undefined && { [dimension]: options.value }) },
    statistic: options.statistic ?? cloudwatch.Stats.SUM,
    period: options.period ?? PERIOD,
    ...(options.label && { label: options.label }),
  });
}

/** Props of {@link OnboardingDashboard}. */
export interface OnboardingDashboardProps {
  /** The `Function` dimension the function publishes its metrics under (`onboarder`). */
  readonly publishedAs: MetricFunction;
  readonly function: lambda.IFunction;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly stage: apigateway.Stage;
  /** Shown at the top, with their state. */
  readonly alarms: readonly cloudwatch.IAlarm[];
  /** The webhook ingress, when there is one: a row of its own. @default - no row */
  readonly webhookIngress?: lambda.IFunction;
  /** The scim function and its relay-failure queue, when SCIM is deployed: a row of their own. @default - no row */
  readonly scim?: { readonly function: lambda.IFunction; readonly relayFailures: sqs.IQueue };
}

/**
 * The operator's page: what the function decided and how Atlas answered (the metrics it publishes, namespace
 * `AtlasOnboarder`), then the queues, the function and the API as AWS measures them.
 */
export class OnboardingDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: OnboardingDashboardProps) {
    super(scope, id);
    const fn = props.publishedAs;
    const sum = cloudwatch.Stats.SUM;
    const max = cloudwatch.Stats.MAXIMUM;
    const percentiles = (metric: (statistic: string, label: string) => cloudwatch.IMetric) => [
      metric(cloudwatch.Stats.p(50), 'p50'),
      metric(cloudwatch.Stats.p(90), 'p90'),
      metric(max, 'max'),
    ];
    const graph = (title: string, left: cloudwatch.IMetric[], options: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width: 8, height: 6, ...options });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.days(1) });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          '# atlas-onboarder\nFirst what the function decided and how Atlas answered (metrics it publishes, namespace ' +
          '`AtlasOnboarder`), then the queues, the function and the API, then the webhook ingress and SCIM if deployed; counts ' +
          'are sums per 5 minutes. Each alarm\'s description says what to do.',
        width: 12,
        height: 3,
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 12, height: 3 }),
    );
    this.dashboard.addWidgets(
      graph('Results by status (projects)', METRICS.Results.values.map((value) => functionMetric(fn, 'Results', { value, label: value })), {
        width: 12,
        stacked: true,
      }),
      graph('Atlas calls by outcome', METRICS.AtlasCalls.values.map((value) => functionMetric(fn, 'AtlasCalls', { value, label: value })), {
        width: 12,
        stacked: true,
      }),
    );
    this.dashboard.addWidgets(
      graph(
        'Atlas latency (ms)',
        percentiles((statistic, label) => functionMetric(fn, 'AtlasLatency', { statistic, label })),
      ),
      graph('Rate-limited waits', [functionMetric(fn, 'RateLimitedWaits', { label: 'waits' })]),
      graph('Dead letters and deployment faults', [
        functionMetric(fn, 'DeadLetters', { label: 'dead letters sent' }),
        functionMetric(fn, 'DeploymentFaults', { label: 'deployment faults' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Queue: messages waiting', [props.queue.metricApproximateNumberOfMessagesVisible({ statistic: max, period: PERIOD, label: 'visible' })], {
        right: [props.queue.metricApproximateAgeOfOldestMessage({ statistic: max, period: PERIOD, label: 'age of oldest (s)' })],
      }),
      graph('Dead-letter queue: messages', [
        props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: max, period: PERIOD, label: 'visible' }),
      ]),
      graph('API: 4xx and 5xx', [
        props.stage.metricClientError({ statistic: sum, period: PERIOD, label: '4xx' }),
        props.stage.metricServerError({ statistic: sum, period: PERIOD, label: '5xx' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Function: errors and throttles', [
        props.function.metricErrors({ statistic: sum, period: PERIOD, label: 'errors' }),
        props.function.metricThrottles({ statistic: sum, period: PERIOD, label: 'throttles' }),
      ], { width: 12 }),
      graph(
        'Function: duration (ms)',
        percentiles((statistic, label) => props.function.metricDuration({ statistic, period: PERIOD, label })),
        { width: 12 },
      ),
    );
    const ingress = props.webhookIngress;
    if (ingress) {
      const options = (statistic: string, label: string) => ({ statistic, period: PERIOD, label });
      this.dashboard.addWidgets(
        graph('Webhook ingress: invocations, errors, throttles', [
          ingress.metricInvocations(options(sum, 'invocations')),
          ingress.metricErrors(options(sum, 'errors')),
          ingress.metricThrottles(options(sum, 'throttles')),
        ]),
        graph('Webhook ingress: duration (ms)', [
          ingress.metricDuration(options(cloudwatch.Stats.p(50), 'p50')),
          ingress.metricDuration(options(cloudwatch.Stats.p(99), 'p99')),
          ingress.metricDuration(options(max, 'max')),
        ]),
        graph('Webhook ingress: rejected signatures', [functionMetric('webhook-ingress', 'RejectedSignatures', { label: 'rejected (401)' })]),
      );
    }
    const scim = props.scim;
    if (scim) {
      const options = (statistic: string, label: string) => ({ statistic, period: PERIOD, label });
      this.dashboard.addWidgets(
        graph('SCIM: requests by status', METRICS.ScimRequests.values.map((value) => functionMetric('scim', 'ScimRequests', { value, label: value })), {
          width: 12,
          stacked: true,
        }),
        graph('SCIM: duration (ms)', [
          scim.function.metricDuration(options(cloudwatch.Stats.p(50), 'p50')),
          scim.function.metricDuration(options(cloudwatch.Stats.p(99), 'p99')),
          scim.function.metricDuration(options(max, 'max')),
        ], { width: 12 }),
      );
      this.dashboard.addWidgets(
        graph('SCIM relay: iterator age (ms)', [scim.function.metric('IteratorAge', options(max, 'max'))], {
          right: [scim.relayFailures.metricApproximateNumberOfMessagesVisible(options(max, 'given up (relay-failure queue)'))],
        }),
        graph('SCIM: errors and throttles', [
          scim.function.metricErrors(options(sum, 'errors')),
          scim.function.metricThrottles(options(sum, 'throttles')),
        ]),
        graph('SCIM: deployment faults and rejected tokens', [
          functionMetric('scim', 'DeploymentFaults', { label: 'deployment faults (token secret)' }),
          functionMetric('scim', 'ScimRequests', { value: '401', label: 'rejected tokens (401)' }),
        ]),
      );
    }
  }
}
