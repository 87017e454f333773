import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { LogLevel, ScimEnvironment } from '../lambda/contract';
import { handlerOf } from './bundling';
import { bundledCode, ownLogsAndRole } from './function-parts';
import { referToSecret } from './secret-reference';

/** The function's folder (`lambda/functions/scim/`): its bundle, its handler, its metrics' `Function`. */
export const SCIM = 'scim';

/** What a created token secret says until the operator puts a token in; the function refuses it as malformed. */
export const SCIM_TOKEN_PLACEHOLDER = '{"values": ["<a bearer token: openssl rand -base64 32>"]}';

/**
 * Defaults of {@link ScimProvisioningProps}.
 *
 * Memory: 512 MB, as the webhook ingress. SCIM requests are synchronous: Entra and Okta wait on each answer, and a
 * slow one makes a provisioning cycle slower (neither gives up within seconds, as an Okta hook does after 3 s). The
 * cold path is the same size as the ingress's (276 KiB against 262 KiB: the Secrets Manager, DynamoDB and SQS
 * clients, zod/mini), whose cold start and first request took 0.29 s of CPU on a full core; Lambda gives CPU in
 * proportion to memory (one vCPU at 1,769 MB), so about 1 s at 512 MB and 2 s at 256 MB before the TLS handshakes.
 * Warm requests wait on DynamoDB, not on the CPU.
 *
 * Timeout: 25 s, under API Gateway's 29 s integration timeout, so a request the directory makes slow (up to 5
 * read-modify-write rounds; a group PATCH of hundreds of members is several transactions) still ends in the
 * function's own answer where it can. The relay shares it: a stream batch of {@link SCIM_DEFAULTS.streamBatchSize}
 * records sends at most that many events, 10 to a SendMessageBatch of at most 3 s each, one after the other: 15 s at
 * worst, plus the directory reads.
 *
 * Stream retries: the relay answers the first record it could not relay (its sequence number), and Lambda retries
 * from there. During an SQS outage every retry fails, so what bounds the wait is `maxRecordAge`: 12 hours. A change
 * answered 2xx reaches the queue if SQS is back within 12 hours; past that, the record's metadata (shard, sequence
 * numbers) goes to the relay-failure queue (alarmed) while the records themselves can still be read from the stream
 * for 12 more hours (a stream keeps records 24 hours). Waiting longer would leave no time to read them, and records
 * the stream trims are lost without any notice. `retryAttempts` is 10,000, the most Lambda allows short of
 * unbounded, so that the age and not the count ends the retries of an outage; it still ends a retry loop Lambda could
 * otherwise spin for the whole age. Bisection on error splits a batch that fails as a whole (a timeout, a crash) to
 * isolate the record at fault.
 */
export const SCIM_DEFAULTS = {
  memorySize: 512,
  timeout: Duration.seconds(25),
  streamBatchSize: 50,
  streamMaxBatchingWindow: Duration.seconds(1),
  streamMaxRecordAge: Duration.hours(12),
  streamRetryAttempts: 10_000,
} as const;

/** Props of {@link ScimProvisioning}. */
export interface ScimProvisioningProps {
  /** Where the relay puts onboarding events (`ONBOARDING_QUEUE_URL`). */
  readonly queue: sqs.IQueue;
  readonly logLevel: LogLevel;
  readonly logRetention: logs.RetentionDays;
  /**
   * An existing token secret, by name or ARN, holding `{"values": ["<token>"]}`.
   *
   * @default - a new secret named `<stack name>/scim-token`, holding a placeholder the function refuses
   */
  readonly tokenSecret?: string;
  /**
   * Customer managed KMS key (ARN) that encrypts the directory's table (and so its stream).
   *
   * @default - the AWS managed key (`aws/dynamodb`), which needs no grant
   */
  readonly tableKmsKeyArn?: string;
  /** @default 512 (see {@link SCIM_DEFAULTS}) */
  readonly memorySize?: number;
  /** @default 25 seconds (see {@link SCIM_DEFAULTS}) */
  readonly timeout?: Duration;
}

/**
 * SCIM 2.0 provisioning (contract sections 9 and 14): the scim function, the directory's DynamoDB table, the token
 * secret, and the table's stream back into the same function (the change relay), whose exhausted records go to a
 * queue of their own. The function may do only that: write its log group, read and write its table, read its stream,
 * read the token secret, send to the onboarding queue (and Lambda, on its behalf, to the relay-failure queue).
 */
export class ScimProvisioning extends Construct {
  readonly function: lambda.Function;
  readonly logGroup: logs.LogGroup;
  readonly table: dynamodb.Table;
  /** Metadata of stream records the relay could not relay in {@link SCIM_DEFAULTS.streamMaxRecordAge}. */
  readonly relayFailures: sqs.Queue;
  readonly tokenSecret: secretsmanager.ISecret;
  /** The token secret as an operator names it: the name created, or the name or ARN given. */
  readonly tokenSecretName: string;
  /** `SCIM_TOKEN_SECRET_ID`: the created secret's ARN, or the name or ARN given. */
  readonly tokenSecretId: string;
  private readonly tokenSecretPolicyResource: string;

  constructor(scope: Construct, id: string, props: ScimProvisioningProps) {
    super(scope, id);
    const tableKey = props.tableKmsKeyArn ? kms.Key.fromKeyArn(this, 'TableKey', props.tableKmsKeyArn) : undefined;

    // Layout and access patterns: lambda/aws/directory.ts. No index: every read must see the write just answered.
    this.table = new dynamodb.Table(this, 'Directory', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      // Provisioning comes in bursts (an initial cycle of thousands of users, then a trickle): pay per request.
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: tableKey ? dynamodb.TableEncryption.CUSTOMER_MANAGED : dynamodb.TableEncryption.AWS_MANAGED,
      ...(tableKey && { encryptionKey: tableKey }),
      // The relay needs both images: a deleted user's last state (OLD) and a new one's (NEW).
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      // The directory is what the providers believe they have provisioned: losing it means re-provisioning everyone.
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    if (props.tokenSecret) {
      const reference = referToSecret(this, 'TokenSecret', props.tokenSecret);
      this.tokenSecret = reference.secret;
      this.tokenSecretName = props.tokenSecret;
      this.tokenSecretPolicyResource = reference.policyResource;
      this.tokenSecretId = props.tokenSecret;
    } else {
      const name = `${Stack.of(this).stackName}/scim-token`;
      const secret = new secretsmanager.Secret(this, 'TokenSecret', {
        secretName: name,
        description: `atlas-onboarder SCIM bearer token(s): ${SCIM_TOKEN_PLACEHOLDER}`,
        // A shape the function refuses (no "values"), with a random part so nothing guessable sits in the secret or
        // the template: every request is answered 503 until the operator puts a token in. Keep the template stable:
        // CloudFormation regenerates the value when it changes, overwriting the token.
        generateSecretString: { secretStringTemplate: JSON.stringify({ replaceWith: SCIM_TOKEN_PLACEHOLDER }), generateStringKey: 'placeholder' },
        // The token is also entered in Entra or Okta: keep it when the stack goes; redeploy with scimTokenSecret.
        removalPolicy: RemovalPolicy.RETAIN,
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The token is shared with the identity providers (Entra\'s Secret Token, Okta\'s API Token or Authorization ' +
          'header), which cannot fetch it from Secrets Manager: a rotation Lambda could change only our side and stop ' +
          'provisioning. Rotation is by hand without downtime: put {"values": [old, new]}, change the provider, then ' +
          'put {"values": [new]} (README, "The SCIM token").',
      });
      this.tokenSecret = secret;
      this.tokenSecretName = name;
      this.tokenSecretPolicyResource = secret.secretArn;
      this.tokenSecretId = secret.secretArn;
    }

    // Its own queue, not the dead-letter queue: what Lambda sends here is metadata (the shard, the first and last
    // sequence numbers), not an onboarding event, so the DLQ's redrive to the onboarding queue would be wrong for it.
    this.relayFailures = new sqs.Queue(this, 'RelayFailures', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.relayFailures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the on-failure destination of the directory stream: Lambda puts the metadata of records ' +
        'the relay could not deliver here, and nothing consumes it but an operator (alarmed on the first message, ' +
        'kept 14 days). A dead-letter queue behind it would have no receives to count.',
    });

    const { logGroup, role } = ownLogsAndRole(this, { logs: 'Logs', role: 'Role' }, {
      retention: props.logRetention,
      description: 'atlas-onboarder scim function: its log group, its table and stream, its token secret, the onboarding queue',
    });
    this.logGroup = logGroup;

    this.function = new lambda.Function(this, 'Function', {
      description: 'atlas-onboarder scim: SCIM 2.0 under /scim/v2 for Entra ID and Okta, and the relay of its directory changes to the queue',
      // Bundled like the onboarder: its entry and the shared chunks it reaches, no Atlas code.
      code: bundledCode(SCIM),
      handler: handlerOf(SCIM),
      runtime: lambda.Runtime.NODEJS_24_X,
      // Graviton, as the others: cheaper per GB-second, and the bundle is pure JavaScript.
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? SCIM_DEFAULTS.memorySize,
      timeout: props.timeout ?? SCIM_DEFAULTS.timeout,
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      role,
      environment: {
        SCIM_TOKEN_SECRET_ID: this.tokenSecretId,
        SCIM_TABLE_NAME: this.table.tableName,
        ONBOARDING_QUEUE_URL: props.queue.queueUrl,
        LOG_LEVEL: props.logLevel,
      } satisfies ScimEnvironment,
    });

    // What lambda/aws/directory.ts calls: GetItem, Query, BatchGetItem with ConsistentRead, and TransactWriteItems,
    // which IAM authorizes item by item as the actions of its items: Put, Update and Delete (it has no ConditionCheck
    // item; add dynamodb:ConditionCheckItem if it ever does). No Scan, no BatchWriteItem, nothing on indexes (none).
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadWriteDirectory',
        actions: [
          'dynamodb:GetItem',
          'dynamodb:Query',
          'dynamodb:BatchGetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
        ],
        resources: [this.table.tableArn],
      }),
    );
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadTokenSecret', actions: ['secretsmanager:GetSecretValue'], resources: [this.tokenSecretPolicyResource] }));
    // SendMessageBatch is authorized by sqs:SendMessage. The queue uses SQS-managed encryption: no KMS key to grant.
    role.addToPolicy(new iam.PolicyStatement({ sid: 'QueueDirectoryChanges', actions: ['sqs:SendMessage'], resources: [props.queue.queueArn] }));
    props.queue.encryptionMasterKey?.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
    if (tableKey) {
      // The table's data and its stream are encrypted with it: reads decrypt, writes encrypt (what DynamoDB asks of
      // the caller's key permissions; no wildcard action).
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'UseDirectoryKey',
          actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
          resources: [tableKey.keyArn],
        }),
      );
    }

    // The stream, into the same function (its handler tells stream batches from API Gateway events). The mapping
    // grants what it needs itself: DescribeStream, GetRecords, GetShardIterator on this stream, ListStreams (which
    // takes no resource but "*"), and SendMessage on the failure queue.
    this.function.addEventSource(
      new DynamoEventSource(this.table, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: SCIM_DEFAULTS.streamBatchSize,
        // A group PATCH writes many items at once: a second gathers them, so each member gets one event, not several.
        maxBatchingWindow: SCIM_DEFAULTS.streamMaxBatchingWindow,
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: SCIM_DEFAULTS.streamRetryAttempts,
        maxRecordAge: SCIM_DEFAULTS.streamMaxRecordAge,
        // One batch per shard at a time: one user's changes stay in order.
        parallelizationFactor: 1,
        onFailure: new SqsDlq(this.relayFailures),
      }),
    );

    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Two statements only: the X-Ray statement that active tracing adds (xray:PutTraceSegments, ' +
        'xray:PutTelemetryRecords) and dynamodb:ListStreams, which the stream\'s event source mapping needs; neither ' +
        'action accepts a resource but "*". Every other statement names its resources (this table, its stream, the ' +
        'token secret, the two queues), which test/infra.test.ts asserts.',
    });
  }
}

