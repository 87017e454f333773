import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context, SQSRecord } from 'aws-lambda';

/**
 * The AWS event shapes the local tools hand the function: what API Gateway (HTTP API, payload 2.0) and the SQS event
 * source mapping would send.
 */

export const LOCAL_QUEUE_ARN = 'arn:aws:sqs:local-1:000000000000:atlas-onboarder-local';

export function httpApiEvent(request: { method: string; path: string; query?: URLSearchParams; headers?: Record<string, string>; body?: string }): APIGatewayProxyEventV2 {
  const query = request.query?.toString() ?? '';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: request.path,
    rawQueryString: query,
    headers: request.headers ?? { 'content-type': 'application/json' },
    ...(query && { queryStringParameters: Object.fromEntries(request.query!) }),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: '127.0.0.1',
      domainPrefix: 'local',
      http: { method: request.method, path: request.path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: request.headers?.['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    isBase64Encoded: false,
    ...(request.body && { body: request.body }),
  };
}

/**
 * One SQS record per body, as the event source mapping delivers them from the queue `queueArn`.
 *
 * @example
 * const event = { Records: sqsRecords([JSON.stringify(hire)]) };
 */
export function sqsRecords(bodies: readonly string[], queueArn = LOCAL_QUEUE_ARN): SQSRecord[] {
  return bodies.map((body) => ({
    messageId: randomUUID(),
    receiptHandle: randomUUID(),
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()), SenderId: 'local', ApproximateFirstReceiveTimestamp: String(Date.now()) },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: queueArn.split(':')[3]!,
  }));
}

/** A message body as SQS carries it: text as it is, anything else as its JSON. */
export function messageBody(body: unknown): string {
  return typeof body === 'string' ? body : JSON.stringify(body);
}

/** A Lambda-like context: 30 s per invocation, as the deployed function has. */
export function localContext(budgetMs = 30_000): Partial<Context> {
  const start = Date.now();
  return { awsRequestId: randomUUID(), getRemainingTimeInMillis: () => Math.max(0, budgetMs - (Date.now() - start)) };
}
