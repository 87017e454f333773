import { createHandler, type OnboarderHandler } from '../lambda/functions/onboarder/app';
import type { QueueActions } from '../lambda/adapters/sqs';
import { startAtlasSandbox, type AtlasSandbox } from '../sandbox';

/**
 * The function as local tools run it: the real handler, the Atlas sandbox behind it unless `ATLAS_BASE_URL` points
 * at real Atlas, and a dead-letter queue kept in memory.
 */

export const SANDBOX_CLIENT_ID = 'sandbox-client-id';
export const SANDBOX_CLIENT_SECRET = 'sandbox-client-secret';
export const DEFAULT_RULES = 'examples/rules.json';

export interface DeadLetter {
  at: string;
  body: string;
  errorCode: string;
  errorMessage: string;
}

export interface LocalFunction {
  handler: OnboarderHandler;
  /** The embedded Atlas sandbox; `undefined` when real Atlas is used. */
  sandbox: AtlasSandbox | undefined;
  atlasUrl: string;
  deadLetters: DeadLetter[];
  close(): Promise<void>;
}

/**
 * Builds the handler from `env`, filling in local defaults: the example rule file, the sandbox and its demo
 * credentials, an in-memory dead-letter queue.
 *
 * @example
 * const local = await startLocalFunction(process.env, (line) => console.log(line));
 * await local.handler(event, context);
 * await local.close();
 */
export async function startLocalFunction(env: Record<string, string | undefined>, logSink?: (line: string) => void): Promise<LocalFunction> {
  const sandbox = env.ATLAS_BASE_URL ? undefined : await startAtlasSandbox();
  const deadLetters: DeadLetter[] = [];
  const queue: QueueActions = {
    deadLetter: (_url, body, errorCode, errorMessage) => {
      deadLetters.push({ at: new Date().toISOString(), body, errorCode, errorMessage });
      return Promise.resolve();
    },
    // Nothing to hide locally: the message is answered at once, redelivery is the caller's to try.
    delay: () => Promise.resolve(),
  };
  const functionEnv = {
    ...(!env.ROLE_MAPPING && !env.ROLE_MAPPING_FILE && { ROLE_MAPPING_FILE: DEFAULT_RULES }),
    DEAD_LETTER_QUEUE_URL: 'http://127.0.0.1/local/dead-letters',
    ...env,
    ...(sandbox && { ATLAS_BASE_URL: sandbox.url, ATLAS_CLIENT_ID: SANDBOX_CLIENT_ID, ATLAS_CLIENT_SECRET: SANDBOX_CLIENT_SECRET, ATLAS_SECRET_ID: undefined }),
  };
  try {
    const handler = createHandler(functionEnv, { queue, ...(logSink && { logSink }) });
    return { handler, sandbox, atlasUrl: functionEnv.ATLAS_BASE_URL ?? 'https://cloud.mongodb.com', deadLetters, close: async () => sandbox?.close() };
  } catch (err) {
    await sandbox?.close();
    throw err;
  }
}
