import { Duration, type ILocalBundling, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { REDELIVERY, type InviteApi, type LogLevel, type OnboarderEnvironment } from '../lambda/contract';
import { AtlasCredentials } from './atlas-credentials';
import { bundleFunction, handlerOf } from './bundling';
import { ConnectionSecrets } from './connection-secrets';
import { connectionSecretIds, loadConnections, type Connections } from './connections';
import { bundledCode, ownLogsAndRole } from './function-parts';
import { OnboardingAlarms } from './onboarding-alarms';
import { functionMetric, OnboardingDashboard } from './onboarding-dashboard';
import { OnboardingApi, type ApiClient } from './onboarding-api';
import { copyRoleMappingInto, loadRoleMapping, roleMappingEnvironment, type RoleMapping } from './role-mapping';
import { ScimProvisioning } from './scim';
import { WebhookIngress } from './webhook-ingress';

export type { ApiClient } from './onboarding-api';
/** Levels the function's `LOG_LEVEL` accepts. */
export type { LogLevel };

/**
 * Defaults of {@link AtlasOnboarderProps}, in one place so the README and the tests can name them.
 *
 * Memory: 1024 MB. The work is waiting on HTTPS (Secrets Manager, Atlas), but a cold start is not: evaluating the
 * bundle (AWS SDK, undici's agent, zod/mini; 560 KiB minified on the cold path) and its first invocation took about
 * 150 ms on one full core (`npm run bench`, cold starts in fresh processes), and Lambda gives CPU in proportion to
 * memory, one vCPU at 1,769 MB. That is roughly 0.25–0.3 s of start-up at 1024 MB, 0.5–0.6 s at 512 MB and
 * 2–2.5 s at 128 MB, paid by an API caller waiting on a synchronous answer. Warm invocations are dominated by Atlas
 * latency, and at onboarding volumes the difference in cost is cents a month.
 *
 * Timeout: 20 s, under API Gateway's 29 s integration timeout with room for a cold start, so an API caller always
 * gets the function's own answer (a 503 with Retry-After) rather than the gateway's 504 while the function keeps
 * working. The function stops retrying before its deadline and hands long Atlas waits back to SQS
 * (ChangeMessageVisibility), so a longer timeout would buy nothing for queued events either.
 */
export const ATLAS_ONBOARDER_DEFAULTS = {
  atlasBaseUrl: 'https://cloud.mongodb.com',
  atlasInviteApi: 'invites',
  dryRun: false,
  logLevel: 'info',
  logRetention: logs.RetentionDays.ONE_YEAR,
  memorySize: 1024,
  timeout: Duration.seconds(20),
  batchSize: 10,
  maxBatchingWindow: Duration.seconds(5),
  maxConcurrency: 2,
  apiRateLimit: 10,
  apiBurstLimit: 20,
  hookRateLimit: 20,
  hookBurstLimit: 40,
  scim: false,
  scimRateLimit: 25,
  scimBurstLimit: 50,
  configureApiGatewayAccountLogging: true,
} as const;

/** Props of {@link AtlasOnboarder}. Everything but the rule file has a default. */
export interface AtlasOnboarderProps {
  /**
   * Path of the rule file (contract section 5), absolute or relative to the working directory. It is validated when
   * the construct is built, with the function's own schema, so a bad rule fails `cdk synth` and names the rule.
   * Up to 2 KB of compact JSON it is passed inline (`ROLE_MAPPING`); larger, it is bundled (`ROLE_MAPPING_FILE`).
   */
  readonly ruleFile: string;
  /**
   * Existing Secrets Manager secret, by name or ARN, holding `{"clientId","clientSecret"}` of an Atlas service account.
   *
   * @default - a new secret with that structure and a placeholder value
   */
  readonly atlasSecret?: string;
  /**
   * Customer managed KMS key (ARN) that encrypts the secret; the function may decrypt with it through Secrets Manager.
   *
   * @default - the secret uses the AWS managed key
   */
  readonly atlasSecretKmsKeyArn?: string;
  /** Atlas origin (`ATLAS_BASE_URL`). @default 'https://cloud.mongodb.com' */
  readonly atlasBaseUrl?: string;
  /** Which invitation endpoint to call (`ATLAS_INVITE_API`). @default 'invites' */
  readonly atlasInviteApi?: InviteApi;
  /** Map and report without calling Atlas (`DRY_RUN`). @default false */
  readonly dryRun?: boolean;
  /** `LOG_LEVEL` of the function. @default 'info' */
  readonly logLevel?: LogLevel;
  /** Retention of the function's log and the API access log: they are the audit trail of who was invited. @default one year */
  readonly logRetention?: logs.RetentionDays;
  /** @default 1024 (see {@link ATLAS_ONBOARDER_DEFAULTS}) */
  readonly memorySize?: number;
  /** @default 20 seconds (see {@link ATLAS_ONBOARDER_DEFAULTS}) */
  readonly timeout?: Duration;
  /** Messages per invocation from the queue. @default 10 */
  readonly batchSize?: number;
  /** How long the queue gathers a batch before invoking. @default 5 seconds */
  readonly maxBatchingWindow?: Duration;
  /**
   * Most concurrent invocations the queue may drive (2 is the lowest SQS allows). Atlas rate-limits invitations, so
   * this, times the function's `BATCH_CONCURRENCY`, bounds the calls in flight. @default 2
   */
  readonly maxConcurrency?: number;
  /** Records of one batch processed at once (`BATCH_CONCURRENCY`). @default - the function's default, 10 */
  readonly batchConcurrency?: number;
  /** Steady requests per second across the API stage. @default 10 */
  readonly apiRateLimit?: number;
  /** Burst across the API stage. @default 20 */
  readonly apiBurstLimit?: number;
  /** Calling systems that each get an API key and usage plan; when any is given, every method requires a key. @default - none */
  readonly apiClients?: readonly ApiClient[];
  /** Address that receives alarms. @default - alarms go to the topic only */
  readonly alarmEmail?: string;
  /**
   * Set the account's API Gateway CloudWatch role, which API Gateway needs to write any log. It is one setting per
   * account and region: turn this off when another stack or the platform team already manages it. @default true
   */
  readonly configureApiGatewayAccountLogging?: boolean;
  /**
   * Path of the connections file (contract section 11). With it, the webhook ingress is deployed behind
   * `GET`/`POST /hooks/{name}` on the same API, each connection's secrets are created (or referred to), and the
   * onboarder gets `CONNECTIONS` to read people from Okta (section 12). Validated when the construct is built, with the
   * functions' own schema, so a bad connection fails `cdk synth` and is named.
   *
   * @default - no webhook ingress, no public route
   */
  readonly connectionsFile?: string;
  /**
   * Connection secrets that exist already, referred to by name instead of created: `true` for all of them, or a list
   * of secret ids from the connections file. A secret id that is an ARN always exists. @default false
   */
  readonly existingConnectionSecrets?: boolean | readonly string[];
  /**
   * Customer managed KMS key (ARN) that encrypts the connection secrets; their readers may decrypt with it through
   * Secrets Manager. @default - the AWS managed key
   */
  readonly connectionSecretsKmsKeyArn?: string;
  /**
   * Steady requests per second on each `/hooks/{name}` method, apart from the stage's limit. Okta may deliver 400,000
   * events a day (4.6 a second on average), amalgamated into fewer requests, and does not retry a 429: this leaves it
   * four times that. @default 20
   */
  readonly hookRateLimit?: number;
  /** Burst on each `/hooks/{name}` method: Okta may deliver a backlog all at once after a delay. @default 40 */
  readonly hookBurstLimit?: number;
  /**
   * Deploy SCIM 2.0 provisioning (contract section 14): the scim function behind the SCIM methods of
   * `/scim/v2/{proxy+}` on the same API, its DynamoDB directory and stream relay, its token secret and alarms. Off
   * by default, as the webhook ingress: it opens public routes, which a deployment should ask for.
   *
   * @default false
   */
  readonly scim?: boolean;
  /**
   * Existing SCIM token secret, by name or ARN, holding `{"values": ["<token>"]}`. @default - a new secret named
   * `<stack name>/scim-token` with a placeholder the function refuses (every SCIM request is a 503 until it is filled)
   */
  readonly scimTokenSecret?: string;
  /** Customer managed KMS key (ARN) that encrypts the SCIM directory's table. @default - the AWS managed key */
  readonly scimTableKmsKeyArn?: string;
  /**
   * Steady requests per second on each SCIM method, apart from the stage's limit. Microsoft's guideline for SCIM
   * endpoints is to take 25 requests a second from Entra's provisioning service; Okta slows down on a 429. @default 25
   */
  readonly scimRateLimit?: number;
  /** Burst on each SCIM method: an initial provisioning cycle starts with a rush of lookups. @default 50 */
  readonly scimBurstLimit?: number;
}

/**
 * atlas-onboarder, ready to deploy: the function, its queue and dead-letter queue, the IAM-authorized REST API, the
 * Atlas credentials secret and the alarms, each permission limited to the one resource it is for.
 *
 * @example
 * import { Stack } from 'aws-cdk-lib';
 * import { AtlasOnboarder } from './atlas-onboarder';
 *
 * const onboarder = new AtlasOnboarder(stack, 'Onboarder', {
 *   ruleFile: 'config/atlas-rules.json',
 *   atlasSecret: 'platform/atlas-onboarder',
 *   apiClients: [{ name: 'workday', rateLimit: 2, burstLimit: 5 }],
 *   alarmEmail: 'platform-oncall@example.com',
 * });
 * onboarder.queue.grantSendMessages(hrEventsRole); // let another system enqueue events
 */
export class AtlasOnboarder extends Construct {
  readonly function: lambda.Function;
  /** Onboarding events, as SQS messages (raw, or wrapped by SNS or EventBridge). */
  readonly queue: sqs.Queue;
  /** Messages that can never succeed: sent by the function with errorCode/errorMessage, or moved by SQS after 20 receives. */
  readonly deadLetterQueue: sqs.Queue;
  readonly api: OnboardingApi;
  readonly credentials: AtlasCredentials;
  readonly alarms: OnboardingAlarms;
  /** What the function decided, how Atlas answered, the queues, the function and the API, on one page. */
  readonly dashboard: OnboardingDashboard;
  readonly roleMapping: RoleMapping;
  /** The connections file, validated, when given. */
  readonly connections: Connections | undefined;
  /** The connections' secrets, when there is a connections file. */
  readonly connectionSecrets: ConnectionSecrets | undefined;
  /** The webhook ingress, when there is a connections file. */
  readonly webhookIngress: WebhookIngress | undefined;
  /** SCIM provisioning, when asked for (`scim`). */
  readonly scim: ScimProvisioning | undefined;

  constructor(scope: Construct, id: string, props: AtlasOnboarderProps) {
    super(scope, id);
    const defaults = ATLAS_ONBOARDER_DEFAULTS;
    // First, before any bundling: a bad rule file stops synth here, naming the rule.
    this.roleMapping = loadRoleMapping(props.ruleFile);
    // And a bad connections file, naming the connection.
    const connections = props.connectionsFile === undefined ? undefined : loadConnections(props.connectionsFile);
    this.connections = connections;

    const timeout = props.timeout ?? defaults.timeout;
    const maxBatchingWindow = props.maxBatchingWindow ?? defaults.maxBatchingWindow;
    const logRetention = props.logRetention ?? defaults.logRetention;

    this.credentials = new AtlasCredentials(this, 'AtlasCredentials', {
      existingSecret: props.atlasSecret,
      kmsKeyArn: props.atlasSecretKmsKeyArn,
    });
    this.connectionSecrets =
      connections &&
      new ConnectionSecrets(this, 'ConnectionSecrets', {
        connections: connections.connections,
        existing: props.existingConnectionSecrets,
        kmsKeyArn: props.connectionSecretsKmsKeyArn,
      });

    // SQS-managed encryption: encrypted at rest without a KMS key that every producer (an HR system, an SNS topic,
    // an EventBridge rule) would also need to be granted.
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The longest SQS allows: a dead letter is an onboarding someone is waiting for; give people time to act.
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // At least AWS's rule for Lambda consumers (six times the function timeout plus the batching window, so a message
      // is not handed out again while an invocation may still hold it), and at least the redelivery schedule's own
      // (lambda/contract/queue.ts): what a message waits when the function could not set its visibility itself.
      visibilityTimeout: Duration.seconds(Math.max(REDELIVERY.visibilityTimeoutSeconds, 6 * timeout.toSeconds() + maxBatchingWindow.toSeconds())),
      // With the function backing each failed receive off (30 s, 60 s … 15 min), an hour's outage is over long
      // before this many receives: nothing good is dead-lettered by SQS (contract section 7, v2).
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: REDELIVERY.maxReceiveCount },
    });

    const { logGroup, role } = ownLogsAndRole(this, { logs: 'FunctionLogs', role: 'FunctionRole' }, {
      retention: logRetention,
      description: 'atlas-onboarder function: its log group, its secret, its queues',
    });

    const roleMapping = this.roleMapping;
    this.function = new lambda.Function(this, 'Function', {
      description: 'atlas-onboarder: onboarding events to MongoDB Atlas project invitations',
      // Its bundle, and the rule file beside it when it is bundled rather than inline.
      code: bundledCode('onboarder', new FunctionBundling(roleMapping)),
      handler: handlerOf('onboarder'),
      runtime: lambda.Runtime.NODEJS_24_X,
      // Graviton: about 20% cheaper per GB-second, and the bundle is pure JavaScript, so nothing ties it to x86.
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? defaults.memorySize,
      timeout,
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      role,
      environment: {
        ATLAS_SECRET_ID: this.credentials.secretId,
        ATLAS_BASE_URL: props.atlasBaseUrl ?? defaults.atlasBaseUrl,
        ATLAS_INVITE_API: props.atlasInviteApi ?? defaults.atlasInviteApi,
        DEAD_LETTER_QUEUE_URL: this.deadLetterQueue.queueUrl,
        DRY_RUN: String(props.dryRun ?? defaults.dryRun),
        LOG_LEVEL: props.logLevel ?? defaults.logLevel,
        ...(props.batchConcurrency === undefined ? {} : { BATCH_CONCURRENCY: String(props.batchConcurrency) }),
        ...roleMappingEnvironment(roleMapping),
        ...(connections && { CONNECTIONS: connections.json }),
        // No NODE_OPTIONS=--enable-source-maps: it costs every cold start the source map's load (infra/bundling.ts).
      } satisfies OnboarderEnvironment,
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the X-Ray statement that active tracing adds (xray:PutTraceSegments, xray:PutTelemetryRecords): X-Ray ' +
        'defines no resource types for these actions, so "*" is the only resource they accept. Every other statement ' +
        'names its one resource, which test/infra.test.ts asserts.',
    });

    this.credentials.grantGetSecretValue(this.function);
    // The Okta API tokens, to read people (contract section 12); never the hooks' secrets, which are the ingress's.
    if (connections) this.connectionSecrets!.grantGetSecretValue(role, connectionSecretIds(connections.connections).oktaApi, 'ReadOktaApiTokens');
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ sid: 'DeadLetterPermanentFailures', actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }),
    );
    // The function calls ChangeMessageVisibility itself (a Retry-After longer than the invocation has left), so it is
    // stated here and not left to the event source mapping's grant, which includes it today; without a Sid, CDK
    // merges the two into one statement on this queue.
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['sqs:ChangeMessageVisibility'], resources: [this.queue.queueArn] }));
    this.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: props.batchSize ?? defaults.batchSize,
        maxBatchingWindow,
        // The function names the messages to retry; the others are deleted even when a sibling failed.
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency ?? defaults.maxConcurrency,
      }),
    );

    this.webhookIngress =
      connections &&
      new WebhookIngress(this, 'WebhookIngress', {
        connections,
        secrets: this.connectionSecrets!,
        queue: this.queue,
        deadLetterQueue: this.deadLetterQueue,
        logLevel: props.logLevel ?? defaults.logLevel,
        logRetention,
      });

    this.scim = (props.scim ?? defaults.scim)
      ? new ScimProvisioning(this, 'Scim', {
          queue: this.queue,
          logLevel: props.logLevel ?? defaults.logLevel,
          logRetention,
          tokenSecret: props.scimTokenSecret,
          tableKmsKeyArn: props.scimTableKmsKeyArn,
        })
      : undefined;
    const scim = this.scim;

    this.api = new OnboardingApi(this, 'Api', {
      handler: this.function,
      rateLimit: props.apiRateLimit ?? defaults.apiRateLimit,
      burstLimit: props.apiBurstLimit ?? defaults.apiBurstLimit,
      clients: props.apiClients ?? [],
      logRetention,
      configureAccountLogging: props.configureApiGatewayAccountLogging ?? defaults.configureApiGatewayAccountLogging,
      ...(this.webhookIngress && {
        hooks: {
          handler: this.webhookIngress.function,
          rateLimit: props.hookRateLimit ?? defaults.hookRateLimit,
          burstLimit: props.hookBurstLimit ?? defaults.hookBurstLimit,
        },
      }),
      ...(scim && {
        scim: {
          handler: scim.function,
          rateLimit: props.scimRateLimit ?? defaults.scimRateLimit,
          burstLimit: props.scimBurstLimit ?? defaults.scimBurstLimit,
        },
      }),
    });

    this.alarms = new OnboardingAlarms(this, 'Alarms', {
      deadLetterQueueDepth: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible(),
      functionErrors: this.function.metricErrors(),
      functionThrottles: this.function.metricThrottles(),
      apiServerErrors: this.api.restApi.deploymentStage.metricServerError(),
      // Published by the function itself (Embedded Metric Format, lambda/contract/metrics.ts): it is log output, so
      // the function's role needs nothing beyond writing its log group.
      deploymentFaults: functionMetric('onboarder', 'DeploymentFaults'),
      ...(this.webhookIngress && { rejectedSignatures: functionMetric('webhook-ingress', 'RejectedSignatures') }),
      ...(scim && {
        scim: {
          serverErrors: new cloudwatch.MathExpression({
            expression: 'FILL(m500, 0) + FILL(m503, 0)',
            usingMetrics: { m500: functionMetric('scim', 'ScimRequests', { value: '500' }), m503: functionMetric('scim', 'ScimRequests', { value: '503' }) },
            label: 'SCIM 5xx answers',
          }),
          iteratorAge: scim.function.metric('IteratorAge'),
          relayFailures: scim.relayFailures.metricApproximateNumberOfMessagesVisible(),
          functionErrors: scim.function.metricErrors(),
          functionThrottles: scim.function.metricThrottles(),
        },
      }),
      email: props.alarmEmail,
    });
    const alarms = this.alarms;
    this.dashboard = new OnboardingDashboard(this, 'Dashboard', {
      publishedAs: 'onboarder',
      function: this.function,
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      stage: this.api.restApi.deploymentStage,
      alarms: [
        alarms.deploymentFaults,
        alarms.deadLetters,
        alarms.functionErrors,
        alarms.functionThrottles,
        alarms.apiServerErrors,
        ...(alarms.rejectedSignatures ? [alarms.rejectedSignatures] : []),
        ...(alarms.scim
          ? [alarms.scim.serverErrors, alarms.scim.iteratorAge, alarms.scim.relayFailures, alarms.scim.functionErrors, alarms.scim.functionThrottles]
          : []),
      ],
      ...(this.webhookIngress && { webhookIngress: this.webhookIngress.function }),
      ...(scim && { scim: { function: scim.function, relayFailures: scim.relayFailures } }),
    });
  }
}

/**
 * The function's asset, bundled locally: the code (infra/bundling.ts) and a bundled rule file beside it. Within an
 * app CDK reuses a staged asset whose bundling options serialize the same, and functions do not serialize: the rule
 * file's digest does, so each onboarder gets the asset of its own rule file.
 */
class FunctionBundling implements ILocalBundling {
  /** What of the rule file the asset holds: its SHA-256 when bundled beside the code, `inline` when it holds none. */
  readonly ruleFile: string;

  constructor(private readonly roleMapping: RoleMapping) {
    this.ruleFile = roleMapping.delivery === 'bundled' ? roleMapping.sha256 : 'inline';
  }

  tryBundle(outputDir: string): boolean {
    bundleFunction(outputDir, 'onboarder');
    copyRoleMappingInto(this.roleMapping, outputDir);
    return true;
  }
}
