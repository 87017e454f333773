import type { Result } from '../failure';
import { send, TimeoutError, type Answer, type Dispatcher, type SendOptions } from '../http/transport';
import { classifyFailure } from './classify';

/**
 * The Atlas client's transport: the shared one (`http/transport.ts`, the one door to undici), and what Atlas makes of
 * a call that got no answer.
 */

export { Agent, send, TimeoutError } from '../http/transport';
export type { Answer, Dispatcher, SendOptions } from '../http/transport';

/**
 * One request to Atlas within `timeoutMs`, any method. No answer at all (a timeout, a reset, a refused connection)
 * comes back as a classified failure; an answer, whatever its status, comes back for the caller to classify.
 *
 * @example
 * const sent = await exchange(agent, `${base}/api/oauth/token`, { method: 'POST', headers, body: 'grant_type=client_credentials', timeoutMs: 5_000 });
 * if (sent.ok) console.log(sent.value.statusCode);
 */
export async function exchange(dispatcher: Dispatcher, url: string, options: SendOptions): Promise<Result<Answer>> {
  try {
    return { ok: true, value: await send(dispatcher, url, options) };
  } catch (err) {
    return { ok: false, error: classifyFailure(err, err instanceof TimeoutError) };
  }
}
