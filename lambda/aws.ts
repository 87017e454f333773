import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { QueueActions } from './adapters/sqs';

/**
 * The AWS clients, built once per container. They honour the SDK's standard variables, including
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER` and `AWS_ENDPOINT_URL_SQS` for local runs and tests.
 */

type Env = Record<string, string | undefined>;

export function createSecretsManagerClient(env: Env): SecretsManagerClient {
  const endpoint = env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? env.AWS_ENDPOINT_URL;
  return new SecretsManagerClient({ ...(env.AWS_REGION && { region: env.AWS_REGION }), ...(endpoint && { endpoint }) });
}

export function createSqsClient(env: Env): SQSClient {
  const endpoint = env.AWS_ENDPOINT_URL_SQS ?? env.AWS_ENDPOINT_URL;
  // The SQS client sends to the host of a command's QueueUrl unless told otherwise; a configured endpoint must win.
  return new SQSClient({
    ...(env.AWS_REGION && { region: env.AWS_REGION }),
    ...(endpoint && { endpoint, useQueueUrlAsEndpoint: false }),
  });
}

/** SQS attribute values take XML characters only; anything else would make SendMessage fail and the message loop. */
function attributeText(text: string, maxLength: number): string {
   
  const clean = text.replace(/[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '\ufffd');
  return clean.length > maxLength ? `${clean.slice(0, maxLength - 1)}…` : clean;
}

/** {@link QueueActions} over a real SQS client. */
export function sqsQueueActions(client: SQSClient): QueueActions {
  return {
    async deadLetter(queueUrl, body, errorCode, errorMessage) {
      await client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: body,
          MessageAttributes: {
            errorCode: { DataType: 'String', StringValue: attributeText(errorCode, 256) },
            errorMessage: { DataType: 'String', StringValue: attributeText(errorMessage || errorCode, 2048) },
          },
        }),
      );
    },
    async delay(queueUrl, receiptHandle, seconds) {
      await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }));
    },
  };
}
