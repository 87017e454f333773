import { createHash, randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, Context, SQSEvent, SQSRecord } from 'aws-lambda';

/**
 * The AWS events the function receives, shaped as AWS sends them: API Gateway proxy events (REST API, payload 1.0, and
 * HTTP API, payload 2.0), SQS records as the event source mapping delivers them, and a Lambda context. The one
 * builder for the local tools, the tests (through test/harness.ts, which adds its defaults) and the benchmark.
 */

const ACCOUNT_ID = '000000000000';
export const LOCAL_QUEUE_ARN = `arn:aws:sqs:local-1:${ACCOUNT_ID}:atlas-onboarder-local`;

/** One request to API Gateway. */
export interface ApiRequest {
  /** Default `POST`. */
  method?: string;
  path: string;
  /** Text as it is, anything else as its JSON. API Gateway sends no body for none or an empty one. */
  body?: unknown;
  /** Send the body base64-encoded, as API Gateway does for a binary media type. */
  base64?: boolean;
  query?: Record<string, string> | URLSearchParams;
  /** Default `content-type: application/json`. */
  headers?: Record<string, string>;
  /** Default `prod` for a REST API, `$default` for an HTTP API. */
  stage?: string;
}

/**
 * A REST API (payload 1.0) event as API Gateway sends it for a request that reached the `/{proxy+}` resource (or the
 * root resource, for `/`): the route is what the proxy matched.
 *
 * @example
 * restEvent({ path: '/events', body: { source: 'hr', ... }, query: { dryRun: 'true' } });
 */
export function restEvent(request: ApiRequest): APIGatewayProxyEvent {
  const method = request.method ?? 'POST';
  const headers = request.headers ?? { 'content-type': 'application/json' };
  const query = queryOf(request.query);
  const stage = request.stage ?? 'prod';
  const { body, isBase64Encoded } = bodyOf(request);
  const now = new Date();
  const resource = request.path === '/' ? '/' : '/{proxy+}';
  return {
    resource,
    path: request.path,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    // API Gateway's REST API keeps the last value of a repeated parameter.
    queryStringParameters: query.size ? Object.fromEntries([...query].map(([name, values]) => [name, values.at(-1)])) : null,
    multiValueQueryStringParameters: query.size ? Object.fromEntries(query) : null,
    pathParameters: resource === '/' ? null : { proxy: request.path.slice(1) },
    stageVariables: null,
    requestContext: {
      accountId: ACCOUNT_ID,
      apiId: 'local',
      authorizer: undefined,
      domainName: '127.0.0.1',
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '127.0.0.1',
        user: null,
        userAgent: headers['user-agent'] ?? null,
        userArn: null,
      },
      path: `/${stage}${request.path}`,
      protocol: 'HTTP/1.1',
      requestId: randomUUID(),
      requestTime: clfTime(now),
      requestTimeEpoch: now.getTime(),
      resourceId: 'local',
      resourcePath: resource,
      stage,
    },
    body,
    isBase64Encoded,
  };
}

/**
 * An HTTP API (payload 2.0) event on the `$default` route.
 *
 * @example
 * httpApiEvent({ method: 'GET', path: '/events', query: url.searchParams, headers });
 */
export function httpApiEvent(request: ApiRequest): APIGatewayProxyEventV2 {
  const method = request.method ?? 'POST';
  const headers = request.headers ?? { 'content-type': 'application/json' };
  const query = queryOf(request.query);
  const { body, isBase64Encoded } = bodyOf(request);
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: request.path,
    rawQueryString: new URLSearchParams(request.query).toString(),
    headers,
    // The HTTP API joins the values of a repeated parameter with commas.
    ...(query.size > 0 && { queryStringParameters: Object.fromEntries([...query].map(([name, values]) => [name, values.join(',')])) }),
    requestContext: {
      accountId: ACCOUNT_ID,
      apiId: 'local',
      domainName: '127.0.0.1',
      domainPrefix: 'local',
      http: { method, path: request.path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: request.stage ?? '$default',
      time: clfTime(now),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded,
    ...(body !== null && { body }),
  };
}

function bodyOf(request: ApiRequest): { body: string | null; isBase64Encoded: boolean } {
  const text = request.body === undefined ? '' : messageBody(request.body);
  if (text === '') return { body: null, isBase64Encoded: false };
  return request.base64 ? { body: Buffer.from(text).toString('base64'), isBase64Encoded: true } : { body: text, isBase64Encoded: false };
}

/** Each parameter's values, in order. */
function queryOf(query: ApiRequest['query']): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const [name, value] of new URLSearchParams(query)) values.set(name, [...(values.get(name) ?? []), value]);
  return values;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** API Gateway's request time: `28/Nov/2026:09:00:00 +0000`. */
function clfTime(at: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(at.getUTCDate())}/${MONTHS[at.getUTCMonth()]}/${at.getUTCFullYear()}:${two(at.getUTCHours())}:${two(at.getUTCMinutes())}:${two(at.getUTCSeconds())} +0000`;
}

export interface SqsRecordOptions {
  /** The queue the record comes from (its URL is derived from this); default {@link LOCAL_QUEUE_ARN}. */
  queueArn?: string;
  /** How many times SQS has handed the message out, this delivery included; default 1. */
  receiveCount?: number;
  /** A FIFO queue's message group: the record then carries it, a deduplication id and a sequence number. */
  messageGroupId?: string;
}

let sequence = 0;

/**
 * One SQS record: `body` as the message body (text as it is, anything else as its JSON), with a fresh message id and
 * receipt handle unless `messageId` is given.
 */
export function sqsRecord(body: unknown, options: SqsRecordOptions & { messageId?: string } = {}): SQSRecord {
  const text = messageBody(body);
  const queueArn = options.queueArn ?? LOCAL_QUEUE_ARN;
  const now = String(Date.now());
  return {
    messageId: options.messageId ?? randomUUID(),
    receiptHandle: randomUUID(),
    body: text,
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: now,
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: now,
      ...(options.messageGroupId !== undefined && {
        MessageGroupId: options.messageGroupId,
        MessageDeduplicationId: createHash('sha256').update(text).digest('hex'),
        SequenceNumber: String(++sequence).padStart(20, '0'),
      }),
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(text).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: queueArn.split(':')[3]!,
  };
}

/**
 * One SQS record per body, as the event source mapping delivers them.
 *
 * @example
 * const event = { Records: sqsRecords([hire, 'not json'], { queueArn }) };
 */
export function sqsRecords(bodies: readonly unknown[], options: SqsRecordOptions = {}): SQSRecord[] {
  return bodies.map((body) => sqsRecord(body, options));
}

/** An SQS event: one record per body. */
export function sqsEvent(bodies: readonly unknown[], options: SqsRecordOptions = {}): SQSEvent {
  return { Records: sqsRecords(bodies, options) };
}

/** A message body as SQS carries it: text as it is, anything else as its JSON. */
export function messageBody(body: unknown): string {
  return typeof body === 'string' ? body : JSON.stringify(body);
}

/** A Lambda-like context whose remaining time runs down with the clock: 30 s per invocation, as the deployed function has. */
export function localContext(budgetMs = 30_000): Partial<Context> {
  const start = Date.now();
  return { awsRequestId: randomUUID(), getRemainingTimeInMillis: () => Math.max(0, budgetMs - (Date.now() - start)) };
}

/**
 * An SNS notification as an SQS subscription delivers it (raw message delivery off): the whole shape AWS sends, so
 * that the function's envelope check (contract section 3) sees what it would in production.
 *
 * @example
 * sqsEvent([snsNotification(JSON.stringify(hire))]);
 */
export function snsNotification(message: string, topicArn = `arn:aws:sns:us-east-1:${ACCOUNT_ID}:hr-events`): Record<string, string> {
  return {
    Type: 'Notification',
    MessageId: randomUUID(),
    TopicArn: topicArn,
    Message: message,
    Timestamp: new Date().toISOString(),
    SignatureVersion: '1',
    Signature: 'bG9jYWw=',
    SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-local.pem',
    UnsubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${topicArn}:local`,
  };
}

/**
 * An EventBridge event as a rule with an SQS target delivers it: the whole shape AWS sends.
 *
 * @example
 * sqsEvent([eventBridgeEvent(hire, 'employee.hired')]);
 */
export function eventBridgeEvent(detail: unknown, detailType = 'Onboarding Event', source = 'hr.workday'): Record<string, unknown> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source,
    account: ACCOUNT_ID,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: 'us-east-1',
    resources: [],
    detail,
  };
}
