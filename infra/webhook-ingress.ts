import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { LogLevel, WebhookIngressEnvironment } from '../lambda/contract';
import { handlerOf } from './bundling';
import type { ConnectionSecrets } from './connection-secrets';
import { connectionSecretIds, type Connections } from './connections';
import { bundledCode, ownLogsAndRole } from './function-parts';

/** The function's folder (`lambda/functions/webhook-ingress/`): its bundle, its handler, its metrics' `Function`. */
export const WEBHOOK_INGRESS = 'webhook-ingress';

/**
 * Defaults of {@link WebhookIngressProps}.
 *
 * Memory: 512 MB. Okta gives up on a hook after 3 seconds, cold start included, and does not retry a timeout more
 * than once. A cold start (loading the 262 KiB it loads on its cold path: the Secrets Manager and SQS clients, zod/mini)
 * and its first request (one secret read, one SendMessage) took 0.29 s of CPU on one full core here (fresh processes,
 * loopback AWS endpoints, median of 9), and Lambda gives CPU in proportion to memory, one vCPU at 1,769 MB: about 1 s
 * at 512 MB and 2 s at 256 MB, before the TLS handshakes with Secrets Manager and SQS, which are CPU-bound too. 256 MB
 * would leave no margin; warm requests take a few milliseconds at any size, and at webhook volumes the difference is
 * cents a year.
 *
 * Timeout: 10 s. The function gives the secret read 1 s and SQS 1.5 s and answers 503 itself when they do not come
 * back (`adapters/webhooks/ingress.ts`); the timeout only has to let that answer out after a slow cold start, well
 * under API Gateway's 29 s.
 */
export const WEBHOOK_INGRESS_DEFAULTS = {
  memorySize: 512,
  timeout: Duration.seconds(10),
} as const;

/** Props of {@link WebhookIngress}. */
export interface WebhookIngressProps {
  /** The connections file, validated (`infra/connections.ts`). */
  readonly connections: Connections;
  /** Their secrets; the function may read each connection's `secretId`, nothing else. */
  readonly secrets: ConnectionSecrets;
  /** Where verified events go (`ONBOARDING_QUEUE_URL`). */
  readonly queue: sqs.IQueue;
  /** Where an Okta event that names no person goes (`DEAD_LETTER_QUEUE_URL`). */
  readonly deadLetterQueue: sqs.IQueue;
  readonly logLevel: LogLevel;
  readonly logRetention: logs.RetentionDays;
  /** @default 512 (see {@link WEBHOOK_INGRESS_DEFAULTS}) */
  readonly memorySize?: number;
  /** @default 10 seconds (see {@link WEBHOOK_INGRESS_DEFAULTS}) */
  readonly timeout?: Duration;
}

/**
 * The webhook ingress (contract sections 9 and 11): verifies `/hooks/{name}` requests against each connection's
 * secret, translates them and puts the events on the onboarding queue. It holds no Atlas code and may do only that:
 * write its own log group, read its connections' secrets, send to the two queues.
 */
export class WebhookIngress extends Construct {
  readonly function: lambda.Function;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: WebhookIngressProps) {
    super(scope, id);
    const { logGroup, role } = ownLogsAndRole(this, { logs: 'Logs', role: 'Role' }, {
      retention: props.logRetention,
      description: 'atlas-onboarder webhook ingress: its log group, its connections\' secrets, the onboarding queues',
    });
    this.logGroup = logGroup;

    this.function = new lambda.Function(this, 'Function', {
      description: 'atlas-onboarder webhook ingress: verified /hooks/{name} requests to onboarding events on the queue',
      // Bundled like the onboarder: its entry and the shared chunks it reaches, no Atlas code.
      code: bundledCode(WEBHOOK_INGRESS),
      handler: handlerOf(WEBHOOK_INGRESS),
      runtime: lambda.Runtime.NODEJS_24_X,
      // Graviton, as the onboarder: cheaper per GB-second, and the bundle is pure JavaScript.
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? WEBHOOK_INGRESS_DEFAULTS.memorySize,
      timeout: props.timeout ?? WEBHOOK_INGRESS_DEFAULTS.timeout,
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      role,
      environment: {
        CONNECTIONS: props.connections.json,
        ONBOARDING_QUEUE_URL: props.queue.queueUrl,
        DEAD_LETTER_QUEUE_URL: props.deadLetterQueue.queueUrl,
        LOG_LEVEL: props.logLevel,
      } satisfies WebhookIngressEnvironment,
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the X-Ray statement that active tracing adds (xray:PutTraceSegments, xray:PutTelemetryRecords): X-Ray ' +
        'defines no resource types for these actions, so "*" is the only resource they accept. Every other statement ' +
        'names its resources, which test/infra.test.ts asserts.',
    });

    props.secrets.grantGetSecretValue(role, connectionSecretIds(props.connections.connections).hook, 'ReadConnectionSecrets');
    // SendMessageBatch is authorized by sqs:SendMessage. Both queues use SQS-managed encryption: no KMS key to grant.
    role.addToPolicy(
      new iam.PolicyStatement({ sid: 'QueueVerifiedEvents', actions: ['sqs:SendMessage'], resources: [props.queue.queueArn, props.deadLetterQueue.queueArn] }),
    );
    // Should a queue ever be given a KMS key: what a producer needs of it, on that key alone.
    for (const queue of [props.queue, props.deadLetterQueue]) queue.encryptionMasterKey?.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
  }
}

