import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HttpAnswer } from '../lambda/adapters/api-gateway';
import { Failure } from '../lambda/failure';
import { createScimApp, type ScimHandler, type TokenSource } from '../lambda/functions/scim/app';
import { Logger } from '../lambda/log';
import { Metrics } from '../lambda/metrics';
import type { Directory } from '../lambda/scim/directory';
import { httpApiEvent, restEvent } from '../local/events';
import { MemoryDirectory } from './scim-memory-directory';

/**
 * The in-memory world of the SCIM unit tests: the scim function's app (API Gateway events in, answers out) with a
 * directory from {@link directoryFactory}, the bearer tokens, and every log line written. The provider replays run
 * against the built function on DynamoDB Local instead (test/scim-built.ts), with the same requests and replies.
 */

export const TOKEN = 'scim-bearer-T0ken-that-must-never-be-logged-4d1c';
export const NEXT_TOKEN = 'scim-bearer-N3xt-token-during-rotation-77a0';

/** The in-memory directory: what a unit test inspects (`calls`) or makes fail (`failNext`). */
export function directoryFactory(): MemoryDirectory {
  return new MemoryDirectory();
}

export interface ScimCall {
  method?: string;
  /** The path under `/scim/v2` with its query string, as the provider sends it: `/Users?filter=...`. */
  path: string;
  /** Text as it is, anything else as its JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Default: `Bearer ${TOKEN}`; `null` sends no Authorization header. */
  authorization?: string | null;
  /** Default `rest`. */
  api?: 'rest' | 'http';
  base64?: boolean;
}

export interface ScimReply {
  status: number;
  headers: Record<string, string>;
  /** The body as JSON (`undefined` for an empty one). */
  json: Record<string, unknown> | undefined;
  text: string;
}

export interface ScimWorld {
  directory: MemoryDirectory;
  handler: ScimHandler;
  logs: string[];
  call(request: ScimCall): Promise<ScimReply>;
  /** Makes the token source fail as an unreadable secret would. */
  failTokens(fail: boolean): void;
}

export function scimWorld(options: { tokens?: readonly string[]; directory?: Directory } = {}): ScimWorld {
  const directory = directoryFactory();
  const logs: string[] = [];
  let tokensFail = false;
  const tokens: TokenSource = () =>
    Promise.resolve(tokensFail ? { ok: false, error: new Failure('transient', 'SECRET_UNAVAILABLE', 'could not read the SCIM token secret') } : { ok: true, value: options.tokens ?? [TOKEN] });
  const log = new Logger('debug', (line) => logs.push(line), { service: 'atlas-onboarder-scim' });
  const handler = createScimApp({ directory: options.directory ?? directory, tokens, log, metrics: new Metrics('scim', (line) => logs.push(line)) });
  return {
    directory,
    handler,
    logs,
    failTokens: (fail) => (tokensFail = fail),
    async call(request) {
      return scimReply((await handler(scimEvent(request))) as HttpAnswer);
    },
  };
}

/** The API Gateway event (REST API unless `api` says `http`) a provider's request arrives as. */
export function scimEvent({ method = 'GET', path, body, headers, authorization, api = 'rest', base64 }: ScimCall): APIGatewayProxyEvent | APIGatewayProxyEventV2 {
  const [pathname, search = ''] = splitOnce(path, '?');
  const allHeaders: Record<string, string> = {
    ...(body !== undefined && { 'content-type': 'application/scim+json; charset=utf-8' }),
    ...(authorization !== null && { authorization: authorization ?? `Bearer ${TOKEN}` }),
    ...headers,
  };
  const request = { method, path: `/scim/v2${pathname}`, body, headers: allHeaders, query: new URLSearchParams(search), ...(base64 && { base64 }) };
  return api === 'rest' ? restEvent(request) : httpApiEvent(request);
}

/** The handler's answer as the provider reads it. */
export function scimReply(answer: HttpAnswer): ScimReply {
  return { status: answer.statusCode, headers: answer.headers, text: answer.body, json: answer.body === '' ? undefined : (JSON.parse(answer.body) as Record<string, unknown>) };
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}
