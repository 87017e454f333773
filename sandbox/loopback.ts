import type { IncomingMessage } from 'node:http';
import type { AddressInfo, Server } from 'node:net';

/**
 * Listens on 127.0.0.1 only (everything local in this project stays on loopback) and answers the port bound, so that
 * port 0 gives a free one. A port in use rejects with the `EADDRINUSE` error rather than crashing the process.
 *
 * @example
 * const port = await listenOnLoopback(createServer(handler), 0);
 */
export function listenOnLoopback(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * A request's body as text; `undefined` when it runs past `maxBytes` (the rest is left unread).
 *
 * @example
 * const body = await readBody(req, 1024 * 1024);
 */
export async function readBody(req: IncomingMessage, maxBytes = Infinity): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
