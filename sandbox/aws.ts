/**
 * Local Secrets Manager and SQS endpoints speaking the AWS JSON protocols, so the real AWS SDK v3 clients can be
 * pointed at them (`endpoint` option, or `AWS_ENDPOINT_URL_SECRETS_MANAGER` / `AWS_ENDPOINT_URL_SQS`). They serve
 * what atlas-onboarder uses: `GetSecretValue`, `SendMessage`, `SendMessageBatch` and `ChangeMessageVisibility`.
 * Signatures are not verified, only noticed.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer, readBody } from './loopback';

/** Account and region baked into the ARNs this sandbox makes up. */
export const SANDBOX_ACCOUNT = '123456789012';
export const SANDBOX_REGION = 'us-east-1';
/** SQS's message size limit as the contract states it; body and attributes count together, as in SQS. */
export const MAX_MESSAGE_BYTES = 262_144;
const MAX_VISIBILITY_TIMEOUT = 43_200;

export interface MessageAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

export interface SentMessage {
  readonly queueUrl: string;
  readonly body: string;
  readonly attributes: Record<string, MessageAttribute>;
  /** The MessageId the sandbox answered. */
  readonly id: string;
  readonly at: number;
}

export interface VisibilityChange {
  readonly queueUrl: string;
  readonly receiptHandle: string;
  readonly visibilityTimeout: number;
  readonly at: number;
}

export interface AwsCall {
  /** The operation, e.g. `GetSecretValue`. */
  readonly operation: string;
  /** The full `X-Amz-Target`. */
  readonly target: string;
  readonly at: number;
  /** An `Authorization: AWS4-HMAC-SHA256 ...` header was present (its value is not kept). */
  readonly signed: boolean;
  /** The status answered; 0 when the call was left without an answer (`failNext` with `hang`). */
  readonly status: number;
}

export interface AwsEndpoints {
  readonly url: string;
  /** Stores a secret, found afterwards by name, by its ARN, or by the ARN without its 6-character suffix. Returns the ARN. */
  setSecret(secretId: string, secretString: string): string;
  readonly secretRequests: readonly { readonly secretId: string; readonly at: number }[];
  /** Messages accepted by `SendMessage` and `SendMessageBatch`, in order. */
  readonly sentMessages: readonly SentMessage[];
  readonly visibilityChanges: readonly VisibilityChange[];
  /** Every call, in order, with the status answered. */
  readonly calls: readonly AwsCall[];
  /**
   * Make the next `times` (default 1) calls of `target` (`GetSecretValue`, `secretsmanager.GetSecretValue`, ...) fail
   * with `type` (default `InternalFailure`) and `status` (default 500), or, with `hang`, read and never answer.
   */
  failNext(target: string, opts?: { times?: number; type?: string; status?: number; hang?: boolean }): void;
  /** Forget calls, messages and pending failures, and restore the secrets given at start. */
  reset(): void;
  close(): Promise<void>;
}

interface StoredSecret {
  name: string;
  arn: string;
  secretString: string;
  versionId: string;
  createdDate: number;
}

interface PendingFailure {
  type: string;
  status: number;
  /** Leave the call without an answer (the connection is held until the client gives up or the endpoints close). */
  hang: boolean;
  remaining: number;
}

type Protocol = { service: 'secretsmanager'; contentType: 'application/x-amz-json-1.1' } | { service: 'sqs'; contentType: 'application/x-amz-json-1.0' };

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** No answer at all. */
const HANG: Reply = { status: 0, body: undefined };

/** Raised inside an operation to answer with an AWS error. */
class AwsFault extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const SECRETS_MANAGER: Protocol = { service: 'secretsmanager', contentType: 'application/x-amz-json-1.1' };
const SQS: Protocol = { service: 'sqs', contentType: 'application/x-amz-json-1.0' };
const ARN_PREFIX = `arn:aws:secretsmanager:${SANDBOX_REGION}:${SANDBOX_ACCOUNT}:secret:`;
const ARN_SUFFIX = /-[A-Za-z0-9]{6}$/;
/** SQS's awsQueryError codes where they differ from the error's name; the SDK maps them back to the modelled exception. */
const SQS_QUERY_CODES: Record<string, string> = {
  QueueDoesNotExist: 'AWS.SimpleQueueService.NonExistentQueue',
  TooManyEntriesInBatchRequest: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
  EmptyBatchRequest: 'AWS.SimpleQueueService.EmptyBatchRequest',
  BatchEntryIdsNotDistinct: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
  MessageNotInflight: 'AWS.SimpleQueueService.MessageNotInflight',
};
/** Characters SQS accepts in a message: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF. */
const INVALID_MESSAGE_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/**
 * Starts the Secrets Manager and SQS endpoints on 127.0.0.1.
 *
 * @example
 * const aws = await startAwsEndpoints({ secrets: { 'atlas/sa': '{"clientId":"id","clientSecret":"s"}' } });
 * const sqs = new SQSClient({ endpoint: aws.url, region: 'us-east-1', useQueueUrlAsEndpoint: false,
 *   credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
 * aws.failNext('SendMessage', { type: 'QueueDoesNotExist', status: 400 });
 */
export async function startAwsEndpoints(opts: { port?: number; secrets?: Record<string, string> } = {}): Promise<AwsEndpoints> {
  const endpoints = new LocalAwsEndpoints(opts.secrets ?? {});
  await endpoints.listen(opts.port ?? 0);
  return endpoints;
}

class LocalAwsEndpoints implements AwsEndpoints {
  private readonly http = new LoopbackServer((req, res) => this.handle(req, res));
  private secrets = new Map<string, StoredSecret>();
  private failures = new Map<string, PendingFailure[]>();
  private secretLog: { secretId: string; at: number }[] = [];
  private messages: SentMessage[] = [];
  private visibility: VisibilityChange[] = [];
  private callLog: AwsCall[] = [];

  constructor(private readonly initialSecrets: Record<string, string>) {
    this.restoreSecrets();
  }

  get url(): string {
    return this.http.url;
  }

  get secretRequests(): readonly { secretId: string; at: number }[] {
    return this.secretLog;
  }

  get sentMessages(): readonly SentMessage[] {
    return this.messages;
  }

  get visibilityChanges(): readonly VisibilityChange[] {
    return this.visibility;
  }

  get calls(): readonly AwsCall[] {
    return this.callLog;
  }

  listen(port: number): Promise<void> {
    return this.http.listen(port);
  }

  setSecret(secretId: string, secretString: string): string {
    const { name, arn } = secretIdentity(secretId);
    this.secrets.set(name, { name, arn, secretString, versionId: randomUUID(), createdDate: Math.floor(Date.now() / 1000) });
    return arn;
  }

  failNext(target: string, opts: { times?: number; type?: string; status?: number; hang?: boolean } = {}): void {
    const times = opts.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new RangeError(`failNext: times must be a positive integer, got ${times}`);
    const operation = operationOf(target);
    const queue = this.failures.get(operation) ?? [];
    queue.push({ type: opts.type ?? 'InternalFailure', status: opts.status ?? 500, hang: opts.hang ?? false, remaining: times });
    this.failures.set(operation, queue);
  }

  reset(): void {
    this.failures = new Map();
    this.secretLog = [];
    this.messages = [];
    this.visibility = [];
    this.callLog = [];
    this.restoreSecrets();
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private restoreSecrets(): void {
    this.secrets = new Map();
    for (const [id, value] of Object.entries(this.initialSecrets)) this.setSecret(id, value);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = (await readBody(req)) ?? '';
    const target = headerValue(req.headers['x-amz-target']) ?? '';
    const operation = operationOf(target);
    const protocol = target.startsWith('secretsmanager.') ? SECRETS_MANAGER : target.startsWith('AmazonSQS.') ? SQS : undefined;
    const reply = this.reply(req, raw, protocol, operation);
    this.callLog.push({
      operation,
      target,
      at: Date.now(),
      signed: /^AWS4-HMAC-SHA256\s+Credential=/.test(req.headers.authorization ?? ''),
      status: reply.status,
    });
    if (reply === HANG) return;
    const payload = JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': (protocol ?? SQS).contentType,
      'content-length': String(Buffer.byteLength(payload)),
      'x-amzn-requestid': randomUUID(),
      ...reply.headers,
    });
    res.end(payload);
  }

  private reply(req: IncomingMessage, raw: string, protocol: Protocol | undefined, operation: string): Reply {
    try {
      if (req.method !== 'POST') throw new AwsFault('UnknownOperationException', 'Only POST is supported.', 405);
      if (!protocol) throw new AwsFault('UnknownOperationException', 'Unknown X-Amz-Target.');
      if (req.headers['content-type']?.split(';')[0]?.trim() !== protocol.contentType) {
        throw new AwsFault('SerializationException', `Expected Content-Type ${protocol.contentType}.`);
      }
      const input = parseInput(raw);
      const failure = this.takeFailure(operation);
      if (failure?.hang) return HANG;
      if (failure) throw new AwsFault(failure.type, `Injected failure: ${failure.type}.`, failure.status);
      return { status: 200, body: this.perform(protocol, operation, input) };
    } catch (err) {
      if (!(err instanceof AwsFault)) throw err;
      return awsErrorReply(protocol ?? SQS, err);
    }
  }

  private takeFailure(operation: string): PendingFailure | undefined {
    const queue = this.failures.get(operation);
    const next = queue?.[0];
    if (!queue || !next) return undefined;
    next.remaining -= 1;
    if (next.remaining === 0) queue.shift();
    return next;
  }

  private perform(protocol: Protocol, operation: string, input: Record<string, unknown>): unknown {
    const key = `${protocol.service}.${operation}`;
    switch (key) {
      case 'secretsmanager.GetSecretValue':
        return this.getSecretValue(input);
      case 'sqs.SendMessage':
        return this.sendMessage(input);
      case 'sqs.SendMessageBatch':
        return this.sendMessageBatch(input);
      case 'sqs.ChangeMessageVisibility':
        return this.changeMessageVisibility(input);
      default:
        throw new AwsFault(protocol.service === 'sqs' ? 'UnsupportedOperation' : 'UnknownOperationException', `The sandbox does not serve ${operation}.`);
    }
  }

  private getSecretValue(input: Record<string, unknown>): unknown {
    const secretId = input.SecretId;
    if (typeof secretId !== 'string' || secretId === '') throw new AwsFault('InvalidParameterException', 'SecretId is required.');
    this.secretLog.push({ secretId, at: Date.now() });
    const secret = this.findSecret(secretId);
    if (!secret) throw new AwsFault('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return {
      ARN: secret.arn,
      Name: secret.name,
      SecretString: secret.secretString,
      VersionId: secret.versionId,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: secret.createdDate,
    };
  }

  private findSecret(secretId: string): StoredSecret | undefined {
    const byName = this.secrets.get(secretId);
    if (byName) return byName;
    // A partial ARN (without the random suffix) is accepted by Secrets Manager too.
    return [...this.secrets.values()].find((s) => s.arn === secretId || s.arn.replace(ARN_SUFFIX, '') === secretId);
  }

  private sendMessage(input: Record<string, unknown>): unknown {
    const queueUrl = requiredQueueUrl(input);
    const message = acceptMessage(input.MessageBody, input.MessageAttributes);
    const id = randomUUID();
    this.messages.push({ queueUrl, body: message.body, attributes: message.attributes, id, at: Date.now() });
    return { MessageId: id, MD5OfMessageBody: md5Hex(message.body) };
  }

  private sendMessageBatch(input: Record<string, unknown>): unknown {
    const queueUrl = requiredQueueUrl(input);
    const entries = input.Entries;
    if (!Array.isArray(entries) || entries.length === 0) throw new AwsFault('EmptyBatchRequest', 'There should be at least one SendMessageBatchRequestEntry in the request.');
    if (entries.length > 10) throw new AwsFault('TooManyEntriesInBatchRequest', `Maximum number of entries per request are 10. You have sent ${entries.length}.`);
    const ids = entries.map((e: unknown) => (isRecord(e) ? e.Id : undefined));
    if (new Set(ids).size !== ids.length) throw new AwsFault('BatchEntryIdsNotDistinct', 'Id of a batch entry in a batch request is not distinct.');
    const bytes = (entries as unknown[]).reduce<number>((sum, e) => sum + (isRecord(e) && typeof e.MessageBody === 'string' ? Buffer.byteLength(e.MessageBody) : 0), 0);
    if (bytes > MAX_MESSAGE_BYTES) throw new AwsFault('BatchRequestTooLong', `Batch requests cannot be longer than ${MAX_MESSAGE_BYTES} bytes. You have sent ${bytes} bytes.`);
    const successful: unknown[] = [];
    const failed: unknown[] = [];
    for (const entry of entries as unknown[]) {
      const entryId = isRecord(entry) && typeof entry.Id === 'string' ? entry.Id : '';
      try {
        if (!isRecord(entry) || !/^[A-Za-z0-9_-]{1,80}$/.test(entryId)) throw new AwsFault('InvalidBatchEntryId', 'A batch entry id can only contain alphanumeric characters, hyphens and underscores.');
        const message = acceptMessage(entry.MessageBody, entry.MessageAttributes);
        const id = randomUUID();
        this.messages.push({ queueUrl, body: message.body, attributes: message.attributes, id, at: Date.now() });
        successful.push({ Id: entryId, MessageId: id, MD5OfMessageBody: md5Hex(message.body) });
      } catch (err) {
        if (!(err instanceof AwsFault)) throw err;
        failed.push({ Id: entryId, SenderFault: true, Code: err.type, Message: err.message });
      }
    }
    return { Successful: successful, Failed: failed };
  }

  private changeMessageVisibility(input: Record<string, unknown>): unknown {
    const queueUrl = requiredQueueUrl(input);
    const { ReceiptHandle: receiptHandle, VisibilityTimeout: timeout } = input;
    if (typeof receiptHandle !== 'string' || receiptHandle === '') throw new AwsFault('ReceiptHandleIsInvalid', 'The input receipt handle is invalid.');
    if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 0 || timeout > MAX_VISIBILITY_TIMEOUT) {
      throw new AwsFault(
        'InvalidParameterValue',
        `Value ${String(timeout)} for parameter VisibilityTimeout is invalid. Reason: VisibilityTimeout must be an integer between 0 and ${MAX_VISIBILITY_TIMEOUT}.`,
      );
    }
    this.visibility.push({ queueUrl, receiptHandle, visibilityTimeout: timeout, at: Date.now() });
    return {};
  }
}

/** Name and ARN of a secret given either; the ARN suffix is derived from the name so it is stable across runs. */
function secretIdentity(secretId: string): { name: string; arn: string } {
  if (secretId.startsWith('arn:aws:secretsmanager:')) {
    const afterSecret = secretId.split(':secret:')[1] ?? secretId;
    return { name: afterSecret.replace(ARN_SUFFIX, ''), arn: secretId };
  }
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const digest = createHash('sha256').update(secretId).digest();
  const suffix = Array.from(digest.subarray(0, 6), (byte) => alphabet[byte % alphabet.length]).join('');
  return { name: secretId, arn: `${ARN_PREFIX}${secretId}-${suffix}` };
}

function requiredQueueUrl(input: Record<string, unknown>): string {
  const queueUrl = input.QueueUrl;
  if (typeof queueUrl !== 'string' || queueUrl === '') throw new AwsFault('MissingParameter', 'The request must contain the parameter QueueUrl.');
  return queueUrl;
}

function acceptMessage(body: unknown, rawAttributes: unknown): { body: string; attributes: Record<string, MessageAttribute> } {
  if (typeof body !== 'string' || body === '') throw new AwsFault('InvalidParameterValue', 'The request must contain a non-empty MessageBody.');
  if (INVALID_MESSAGE_CHAR.test(body)) throw new AwsFault('InvalidMessageContents', 'Invalid characters found in the message body.');
  const attributes = messageAttributes(rawAttributes);
  let size = Buffer.byteLength(body);
  for (const [name, value] of Object.entries(attributes)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(value.DataType);
    size += value.StringValue === undefined ? 0 : Buffer.byteLength(value.StringValue);
    size += value.BinaryValue === undefined ? 0 : Buffer.from(value.BinaryValue, 'base64').length;
  }
  if (size > MAX_MESSAGE_BYTES) {
    throw new AwsFault('InvalidParameterValue', `One or more parameters are invalid. Reason: Message must be shorter than ${MAX_MESSAGE_BYTES} bytes.`);
  }
  return { body, attributes };
}

function messageAttributes(raw: unknown): Record<string, MessageAttribute> {
  if (raw === undefined) return {};
  if (!isRecord(raw)) throw new AwsFault('InvalidParameterValue', 'MessageAttributes must be a map.');
  const entries = Object.entries(raw);
  if (entries.length > 10) throw new AwsFault('InvalidParameterValue', 'Number of message attributes cannot exceed 10.');
  const attributes: Record<string, MessageAttribute> = {};
  for (const [name, value] of entries) {
    if (!isRecord(value) || typeof value.DataType !== 'string' || value.DataType === '') {
      throw new AwsFault('InvalidParameterValue', `The message attribute '${name}' must contain a non-empty attribute type.`);
    }
    const binary = value.DataType.startsWith('Binary');
    const field = binary ? value.BinaryValue : value.StringValue;
    if (typeof field !== 'string' || field === '') {
      throw new AwsFault('InvalidParameterValue', `The message attribute '${name}' with type '${value.DataType}' must use field '${binary ? 'Binary' : 'String'}'.`);
    }
    attributes[name] = binary ? { DataType: value.DataType, BinaryValue: field } : { DataType: value.DataType, StringValue: field };
  }
  return attributes;
}

function awsErrorReply(protocol: Protocol, err: AwsFault): Reply {
  if (protocol.service === 'secretsmanager') return { status: err.status, body: { __type: err.type, message: err.message } };
  // SQS is "awsQueryCompatible": the SDK names the exception after this header when it is present.
  const queryCode = SQS_QUERY_CODES[err.type] ?? err.type;
  return {
    status: err.status,
    body: { __type: `com.amazonaws.sqs#${err.type}`, message: err.message },
    headers: { 'x-amzn-query-error': `${queryCode};${err.status < 500 ? 'Sender' : 'Receiver'}` },
  };
}

function parseInput(raw: string): Record<string, unknown> {
  if (raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new AwsFault('SerializationException', 'The request body is not valid JSON.');
  }
  if (!isRecord(parsed)) throw new AwsFault('SerializationException', 'The request body must be a JSON object.');
  return parsed;
}

function operationOf(target: string): string {
  return target.slice(target.lastIndexOf('.') + 1);
}

function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

