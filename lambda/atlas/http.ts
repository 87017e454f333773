import { classifyFailure } from './classify';
import type { AtlasError } from './errors';
import { send, TimeoutError, type Dispatcher } from './undici';

/** What Atlas answered, read whole. */
export interface AtlasAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One POST to Atlas within `timeoutMs`. No answer at all (a timeout, a reset, a refused connection) comes back as a
 * classified {@link AtlasError}; an answer, whatever its status, comes back for the caller to classify.
 *
 * @example
 * const answer = await postToAtlas(agent, `${base}/api/oauth/token`, { authorization }, 'grant_type=client_credentials', 5_000);
 */
export async function postToAtlas(
  dispatcher: Dispatcher,
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<AtlasAnswer | AtlasError> {
  try {
    const answer = await send(dispatcher, url, { method: 'POST', headers, body, timeoutMs });
    return { status: answer.statusCode, headers: answer.headers, body: answer.body };
  } catch (err) {
    return classifyFailure(err, err instanceof TimeoutError);
  }
}
