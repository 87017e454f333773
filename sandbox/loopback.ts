import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

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
