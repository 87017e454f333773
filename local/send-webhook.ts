import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import type { Connection } from '../lambda/contract/connections';
import { DEFAULT_CONNECTIONS, localConnections, localHookSecret } from './hooks';

/**
 * `npm run send-webhook -- CONNECTION FILE [--url URL]`: sends FILE to `/hooks/CONNECTION` as a Standard Webhooks
 * sender would (contract section 11): `webhook-id`, `webhook-timestamp` and `webhook-signature` over the file's bytes,
 * which are sent exactly as they are. To `npm start` (http://localhost:PORT, 3000 by default) unless `--url` names a
 * deployed API (`https://<api-id>.execute-api.<region>.amazonaws.com/<stage>`). The secret is `WEBHOOK_SECRET`
 * (`whsec_...`), or locally the one `npm start` gave the connection; it is never printed. Prints the status and the
 * answer; exit code 1 on anything but a 2xx, 2 on a usage error.
 */

const USAGE = 'usage: npm run send-webhook -- CONNECTION FILE [--url URL]   (secret: WEBHOOK_SECRET=whsec_..., or npm start\'s own for a local URL)';
const SECRET_FORMAT = /^whsec_[A-Za-z0-9+/]+={0,2}$/;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

class UsageError extends Error {}

function parseArguments(argv: readonly string[]): { connection: string; file: string; url: string | undefined } {
  const positional: string[] = [];
  let url: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--url') {
      url = argv[++i];
      if (url === undefined) throw new UsageError('--url needs a URL');
    } else if (arg.startsWith('--url=')) url = arg.slice('--url='.length);
    else if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`);
    else positional.push(arg);
  }
  if (positional.length !== 2) throw new UsageError(USAGE);
  return { connection: positional[0]!, file: positional[1]!, url };
}

/** The hook's URL: `<base>/hooks/<connection>`, the base being the API's stage URL or `npm start`'s. */
function hookUrl(base: string | undefined, connection: string): URL {
  const root = base ?? `http://localhost:${process.env.PORT ?? 3000}`;
  let url: URL;
  try {
    url = new URL(root);
  } catch {
    throw new UsageError(`--url must be a URL such as https://abc123.execute-api.eu-west-1.amazonaws.com/prod, not ${JSON.stringify(root)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`--url must be an http: or https: URL, not ${url.protocol}`);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/hooks/${encodeURIComponent(connection)}`;
  return url;
}

/** The connection as the local connections file knows it, when it does; an error when it is not a Standard Webhooks one. */
function knownConnection(name: string, local: boolean): Connection | undefined {
  const origin = process.env.CONNECTIONS ? 'CONNECTIONS' : (process.env.CONNECTIONS_FILE ?? DEFAULT_CONNECTIONS);
  let connections: Connection[];
  try {
    connections = localConnections(process.env);
  } catch (err) {
    if (local) throw new UsageError(`cannot read the connections npm start serves (${origin}): ${(err as Error).message}`);
    return undefined;
  }
  const connection = connections.find((c) => c.name === name);
  if (!connection) {
    if (!local) return undefined;
    throw new UsageError(`${origin} has no connection ${JSON.stringify(name)} (it has: ${connections.map((c) => c.name).join(', ') || 'none'})`);
  }
  if (connection.kind !== 'standard-webhooks') {
    throw new UsageError(
      `connection ${JSON.stringify(name)} is an ${connection.kind} connection (${origin}), not standard-webhooks: ` +
        `Okta authenticates with a header value (${connection.kind === 'okta-event-hook' ? connection.header : 'see README'}), not a signature; ` +
        'send-webhook signs Standard Webhooks deliveries only',
    );
  }
  return connection;
}

function secretFor(connection: Connection | undefined, local: boolean): string {
  const secret = process.env.WEBHOOK_SECRET;
  if (secret !== undefined && secret !== '') {
    if (!SECRET_FORMAT.test(secret)) throw new UsageError('WEBHOOK_SECRET must be a Standard Webhooks secret, whsec_ followed by base64 (its value is not shown)');
    return secret;
  }
  if (local && connection) return localHookSecret(connection);
  throw new UsageError('set WEBHOOK_SECRET=whsec_... to the connection\'s secret (one of the values in its Secrets Manager secret)');
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseArguments(argv);
  const url = hookUrl(args.url, args.connection);
  const local = LOOPBACK.has(url.hostname);
  const connection = knownConnection(args.connection, local);
  const secret = secretFor(connection, local);
  let body: Buffer;
  try {
    body = readFileSync(args.file);
  } catch (err) {
    throw new UsageError(`cannot read ${args.file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  // The library signs text; a file that is not UTF-8 would be signed over other bytes than those sent.
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new UsageError(`${args.file} is not UTF-8 text`);
  }

  const id = `msg_${randomUUID().replaceAll('-', '')}`;
  const now = new Date();
  const headers = {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, now, body),
  };
  let answer: Response;
  try {
    answer = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const detail = cause?.code ?? cause?.message ?? (err as Error).message;
    console.error(`POST ${url.href} failed (${detail})${local ? ': is npm start running?' : ''}`);
    return 1;
  }
  const text = await answer.text();
  console.log(`POST ${url.href} (webhook-id ${id})`);
  console.log(`${answer.status} ${answer.statusText}`);
  if (text !== '') console.log(text.trimEnd());
  return answer.ok ? 0 : 1;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  console.error(err.message);
  process.exitCode = 2;
}
