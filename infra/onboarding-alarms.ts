import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

/** Props of {@link OnboardingAlarms}. */
export interface OnboardingAlarmsProps {
  readonly deadLetterQueueDepth: cloudwatch.Metric;
  readonly functionErrors: cloudwatch.Metric;
  readonly functionThrottles: cloudwatch.Metric;
  readonly apiServerErrors: cloudwatch.Metric;
  /** The function's `DeploymentFaults` metric: a secret or credentials to fix. */
  readonly deploymentFaults: cloudwatch.Metric;
  /** The webhook ingress's `RejectedSignatures` metric, when there is an ingress. */
  readonly rejectedSignatures?: cloudwatch.Metric;
  /** The scim function's metrics, when SCIM is deployed. */
  readonly scim?: ScimAlarmMetrics;
  /** Where alarms are e-mailed; the address must confirm the subscription. @default - no subscription */
  readonly email?: string;
}

/** What the SCIM alarms watch. */
export interface ScimAlarmMetrics {
  /** Its answers with a 5xx status (`ScimRequests`, Status 500 and 503, summed). */
  readonly serverErrors: cloudwatch.MathExpression;
  /** Age of the newest record the relay has read from the table's stream, in milliseconds (Lambda's `IteratorAge`). */
  readonly iteratorAge: cloudwatch.Metric;
  /** Messages on the relay-failure queue: stream records given up on. */
  readonly relayFailures: cloudwatch.Metric;
  readonly functionErrors: cloudwatch.Metric;
  readonly functionThrottles: cloudwatch.Metric;
}

/** The SCIM alarms, one property each. */
export interface ScimAlarms {
  readonly serverErrors: cloudwatch.Alarm;
  readonly iteratorAge: cloudwatch.Alarm;
  readonly relayFailures: cloudwatch.Alarm;
  readonly functionErrors: cloudwatch.Alarm;
  readonly functionThrottles: cloudwatch.Alarm;
}

/**
 * How far behind the relay may fall before the `ScimIteratorAge` alarm: changes answered 2xx but not yet on the
 * queue. A healthy relay is seconds behind (a batching window of 1 s); 15 minutes of retries is an outage of SQS or
 * of the directory reads, or a record the relay keeps failing on, well before records are given up (12 hours).
 */
export const SCIM_ITERATOR_AGE_THRESHOLD = Duration.minutes(15);

/** Rejected webhook requests in 5 minutes that raise the `RejectedSignatures` alarm (why: {@link OnboardingAlarms}). */
export const REJECTED_SIGNATURES_THRESHOLD = 20;

/**
 * The alarms someone must act on, published to an encrypted SNS topic. Each fires on the first occurrence: at
 * onboarding volumes, one lost invitation or one failing call is already worth a look. All but one: the hooks are
 * public, so a stray 401 (a scanner that found the URL, a test from the sender's console) is not worth a page;
 * {@link REJECTED_SIGNATURES_THRESHOLD} in 5 minutes is. A sender whose secret went stale after a rotation reaches it
 * within a busy hour (Okta sends every change and retries no 401), and so does anyone trying secrets, while it stays
 * far below what guessing a secret would take.
 */
export class OnboardingAlarms extends Construct {
  readonly topic: sns.Topic;
  readonly deadLetters: cloudwatch.Alarm;
  readonly functionErrors: cloudwatch.Alarm;
  readonly functionThrottles: cloudwatch.Alarm;
  readonly apiServerErrors: cloudwatch.Alarm;
  readonly deploymentFaults: cloudwatch.Alarm;
  readonly rejectedSignatures: cloudwatch.Alarm | undefined;
  readonly scim: ScimAlarms | undefined;

  constructor(scope: Construct, id: string, props: OnboardingAlarmsProps) {
    super(scope, id);
    const stack = Stack.of(this);

    // A customer managed key, because CloudWatch cannot publish to a topic encrypted with the AWS managed SNS key
    // (its key policy cannot be changed to let cloudwatch.amazonaws.com use it).
    const key = new kms.Key(this, 'TopicKey', {
      description: 'atlas-onboarder: encrypts the alarm topic',
      enableKeyRotation: true,
      // Only transient alarm notifications depend on it: do not leave a billed key behind when the stack goes.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // Only on behalf of this account's alarms (confused deputy): CloudWatch names the alarm in both keys, for the
    // KMS call as for the SNS one.
    const thisAccountsAlarms = {
      ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*` },
      StringEquals: { 'aws:SourceAccount': stack.account },
    };
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'LetCloudWatchAlarmsPublishEncrypted',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: thisAccountsAlarms,
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'atlas-onboarder alarms', masterKey: key, enforceSSL: true });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'LetThisAccountsAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: thisAccountsAlarms,
      }),
    );
    if (props.email) this.topic.addSubscription(new EmailSubscription(props.email));

    this.deadLetters = this.alarm('DeadLetters', props.deadLetterQueueDepth, {
      description:
        'A message reached the dead-letter queue: an onboarding event that can never succeed as sent. Read its ' +
        'errorCode/errorMessage attributes, fix the event or the rule file, then redrive or delete it.',
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(1),
    });
    this.functionErrors = this.alarm('FunctionErrors', props.functionErrors, {
      description:
        'The function failed an invocation (crash, timeout or bad configuration at start-up): SQS will redeliver, ' +
        'the API caller got a 5xx. See the function log group.',
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
    });
    this.functionThrottles = this.alarm('FunctionThrottles', props.functionThrottles, {
      description:
        'Lambda throttled the function: the account concurrency is exhausted. API callers got errors; SQS messages wait ' +
        'for redelivery.',
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
    });
    this.apiServerErrors = this.alarm('ApiServerErrors', props.apiServerErrors, {
      description:
        'The API answered 5xx: Atlas failing (502/503 from the function), the function failing, or the integration ' +
        'timing out. See the access log and the function log group.',
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
    });
    this.deploymentFaults = this.alarm('DeploymentFaults', props.deploymentFaults, {
      description:
        'The deployment is at fault, not a message: the Atlas credentials secret cannot be read or does not hold ' +
        '{"clientId","clientSecret"}, or Atlas refuses those credentials. Fix the secret (infra/README.md: put the ' +
        'service-account credentials into the secret); the error lines in the function log group name the fault. The ' +
        'messages wait on the queue, backed off, and go through once the secret is right: nothing to redrive.',
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
    });
    this.rejectedSignatures =
      props.rejectedSignatures &&
      this.alarm('RejectedSignatures', props.rejectedSignatures, {
        description:
          `The webhook ingress refused at least ${REJECTED_SIGNATURES_THRESHOLD} requests to /hooks/{name} as unauthenticated ` +
          'in 5 minutes (wrong or missing secret header, bad Standard Webhooks signature, timestamp more than 5 minutes ' +
          'off). Either a sender holds a stale secret (a rotation half done: its events are being refused and lost for ' +
          'Okta, which does not retry a 401) or someone is trying secrets. The "request rejected" lines in the ingress ' +
          'log group name the connection; compare the sender\'s secret with the connection\'s secret.',
        statistic: cloudwatch.Stats.SUM,
        period: Duration.minutes(5),
        threshold: REJECTED_SIGNATURES_THRESHOLD,
      });
    this.scim = props.scim && this.scimAlarms(props.scim);
  }

  private scimAlarms(metrics: ScimAlarmMetrics): ScimAlarms {
    return {
      serverErrors: this.alarm('ScimServerErrors', metrics.serverErrors, {
        description:
          'The scim function answered Entra ID or Okta with a 5xx: 503 when the directory table or the token secret ' +
          'cannot be read (a token secret still holding its placeholder, or not {"values": [...]}: fill it, README ' +
          '"Deploying", SCIM), 500 for an unexpected failure. The providers retry later; nothing was written. The ' +
          'error lines in the scim log group name the cause.',
        statistic: cloudwatch.Stats.SUM,
        period: Duration.minutes(5),
      }),
      iteratorAge: this.alarm('ScimIteratorAge', metrics.iteratorAge, {
        description:
          `The SCIM change relay is more than ${SCIM_ITERATOR_AGE_THRESHOLD.toMinutes()} minutes behind the directory's ` +
          'stream: changes the providers were told succeeded have not reached the onboarding queue. It retries by ' +
          'itself (SQS or the table failing; see the "could not" warnings in the scim log group); records older than ' +
          '12 hours are given up and their positions put on the relay-failure queue (alarm ScimRelayFailures).',
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(5),
        threshold: SCIM_ITERATOR_AGE_THRESHOLD.toMilliseconds(),
      }),
      relayFailures: this.alarm('ScimRelayFailures', metrics.relayFailures, {
        description:
          'The SCIM change relay gave up on stream records after 12 hours of retries: directory changes that never ' +
          'became onboarding events. Each message on the relay-failure queue names the shard and the first and last ' +
          'sequence numbers; the records stay readable on the stream until 24 hours after their write (aws ' +
          'dynamodbstreams get-shard-iterator / get-records). The directory holds every user\'s current state: make ' +
          'the provider send the affected users again (Entra: provision on demand or restart provisioning; Okta: ' +
          'push the users) once the cause is fixed.',
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(1),
      }),
      functionErrors: this.alarm('ScimFunctionErrors', metrics.functionErrors, {
        description:
          'The scim function failed an invocation (crash, timeout or bad configuration at start-up): a provider got ' +
          'a 5xx from API Gateway, or a stream batch is being retried. See the scim log group.',
        statistic: cloudwatch.Stats.SUM,
        period: Duration.minutes(5),
      }),
      functionThrottles: this.alarm('ScimFunctionThrottles', metrics.functionThrottles, {
        description:
          'Lambda throttled the scim function: the account concurrency is exhausted. Providers got 5xx answers and ' +
          'retry; the relay waits.',
        statistic: cloudwatch.Stats.SUM,
        period: Duration.minutes(5),
      }),
    };
  }

  private alarm(
    id: string,
    metric: cloudwatch.Metric | cloudwatch.MathExpression,
    options: { description: string; statistic: string; period: Duration; threshold?: number },
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmDescription: options.description,
      // A math expression carries its own statistics; only its period is set here.
      metric:
        metric instanceof cloudwatch.Metric
          ? metric.with({ statistic: options.statistic, period: options.period })
          : metric.with({ period: options.period }),
      // By default the first occurrence; a threshold given is reached at that count.
      threshold: options.threshold ?? 0,
      comparisonOperator:
        options.threshold === undefined ? cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD : cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // No data means nothing happened: no messages, no invocations, no requests.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const action = new SnsAction(this.topic);
    alarm.addAlarmAction(action);
    // Tell the on-call when it is over, too.
    alarm.addOkAction(action);
    return alarm;
  }
}
