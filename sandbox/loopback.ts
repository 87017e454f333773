import { createServer } from 'node:http';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
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

/**
 * What every stand-in's HTTP server shares: it listens on loopback, outlives its clients' keep-alive idle time (so the
 * client, not the server, closes an idle socket and a reused one is never closed under a request in flight), drops a
 * request whose client went away, holds answers back with waits that `close()` cancels, and closes whole, hung
 * sockets included.
 *
 * @example
 * private readonly http = new LoopbackServer((req, res) => this.handle(req, res));
 * await this.http.listen(0); // this.http.url is http://127.0.0.1:PORT
 */
export class LoopbackServer {
  private readonly server: HttpServer;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closing: Promise<void> | undefined;
  private boundPort = 0;

  constructor(handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>) {
    this.server = createServer((req, res) => {
      // The client went away mid-request (reset, abort): nothing left to answer.
      handle(req, res).catch(() => res.destroy());
    });
    this.server.keepAliveTimeout = 65_000;
    this.server.headersTimeout = 66_000;
  }

  get url(): string {
    return `http://127.0.0.1:${this.boundPort}`;
  }

  get port(): number {
    return this.boundPort;
  }

  async listen(port: number): Promise<void> {
    this.boundPort = await listenOnLoopback(this.server, port);
  }

  /** Waits `ms`; a wait cut short by close() never resumes, which drops the answer it was holding. */
  pause(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  /** Stops listening and ends every connection, hung ones included (they would otherwise hold close() open). */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const timer of this.timers) clearTimeout(timer);
      this.timers.clear();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }
}
