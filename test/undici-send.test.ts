import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { createAtlasAgent } from '../lambda/atlas/session';
import { Agent, send, TimeoutError, type Dispatcher } from '../lambda/atlas/transport';
import { listenOnLoopback, readBody } from '../sandbox';

// lambda/atlas/transport.ts sends through undici's dispatch with a handler of its own: what it reads, how it ends when
// its time is up (also while it waits for a connection), and what it does with no server at all. A real server on
// loopback.

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(handler: Handler) {
  const seen: string[] = [];
  const connections = { count: 0 };
  const http = createServer((req, res) => {
    seen.push(req.url ?? '');
    handler(req, res);
  });
  http.on('connection', () => connections.count++);
  const port = await listenOnLoopback(http, 0);
  cleanups.push(() => new Promise<void>((resolve) => http.close(() => resolve())), () => void http.closeAllConnections());
  return { url: `http://127.0.0.1:${port}`, seen, connections };
}
function agent(connections = 4) {
  const made = new Agent({ connections });
  cleanups.push(() => made.destroy());
  return made;
}
const post = (timeoutMs = 5_000) => ({ method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: '{"a":1}', timeoutMs });

describe('send', () => {
  it('sends the method, headers and body, and reads a body sent in several chunks whole, with its status and headers', async () => {
    const { url } = await server((req, res) => {
      void readBody(req).then((body) => {
        res.writeHead(201, { 'content-type': 'application/json', 'x-seen': `${req.method} ${req.headers['content-type']} ${body}` });
        res.write('{"id":"');
        setTimeout(() => res.end('a€b"}'), 20);
      });
    });
    const answer = await send(agent(), `${url}/api/x?q=1`, post());
    expect(answer.statusCode).toBe(201);
    expect(answer.headers['x-seen']).toBe('POST application/json {"a":1}');
    expect(JSON.parse(answer.body)).toEqual({ id: 'a€b' });
  });

  it('reads a character split across chunks, drops a byte-order mark, and keeps an error status with its headers', async () => {
    const { url } = await server((_req, res) => {
      res.writeHead(429, { 'retry-after': '7', 'set-cookie': ['a=1', 'b=2'] });
      const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"detail":"€"}')]);
      let at = 0;
      const next = () => (at < bytes.length ? res.write(bytes.subarray(at, ++at), () => setImmediate(next)) : res.end());
      next();
    });
    const answer = await send(agent(), url, post());
    expect(answer.statusCode).toBe(429);
    expect(answer.headers['retry-after']).toBe('7');
    expect(answer.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(JSON.parse(answer.body)).toEqual({ detail: '€' });
  });

  it('keeps its connection for the next call after an answer', async () => {
    const { url, connections } = await server((_req, res) => res.end('{}'));
    const pool = agent(1);
    for (let i = 0; i < 3; i++) expect((await send(pool, url, post())).body).toBe('{}');
    expect(connections.count).toBe(1);
  });

  it('ends with a TimeoutError when the answer is late, and the connection is closed', async () => {
    let closed = false;
    const { url } = await server((req) => req.socket.on('close', () => (closed = true)));
    await expect(send(agent(), url, post(50))).rejects.toBeInstanceOf(TimeoutError);
    await expect.poll(() => closed).toBe(true);
  });

  it('ends on time while waiting for a connection: that request is never sent, and no warm connection is lost', async () => {
    const { url, seen, connections } = await server((req, res) => {
      if (req.url === '/slow') setTimeout(() => res.end('late'), 300); // holds the only connection a while
      else res.end('ok');
    });
    const one = agent(1);
    const holding = send(one, `${url}/slow`, post());
    await expect.poll(() => seen.length).toBe(1);
    const started = Date.now();
    await expect(send(one, `${url}/queued`, post(50))).rejects.toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeLessThan(250);
    expect((await holding).body).toBe('late');
    expect((await send(one, `${url}/next`, post())).body).toBe('ok');
    expect(seen).toEqual(['/slow', '/next']);
    expect(connections.count).toBe(1);
  });

  it('answers once its connection is back in the pool: the next request, made at once, reuses it', async () => {
    // undici frees a kept-alive connection a turn of the event loop after the answer; the Atlas agent may open 32.
    const { url, seen, connections } = await server((_req, res) => res.end('ok'));
    const atlas = createAtlasAgent();
    cleanups.push(() => atlas.destroy());
    for (const path of ['/token', '/invite', '/retry']) expect((await send(atlas, `${url}${path}`, post())).body).toBe('ok');
    expect(seen).toEqual(['/token', '/invite', '/retry']);
    expect(connections.count).toBe(1);
  });

  it('sends nothing when no time is left', async () => {
    const { url, seen } = await server((_req, res) => res.end('x'));
    await expect(send(agent(), url, post(0))).rejects.toBeInstanceOf(TimeoutError);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual([]);
  });

  it('fails with the connection error when nothing listens', async () => {
    const { url } = await server(() => undefined);
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup(); // the server is closed: its port refuses
    await expect(send(agent(), url, post())).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('the Atlas agent', () => {
  /** The application protocols a client offers in its TLS hello, seen by a TLS server on loopback. */
  async function offeredProtocols(dispatcher: Dispatcher): Promise<string[]> {
    let offered: string[] = [];
    const tls = createTlsServer({
      key: readFileSync('test/fixtures/loopback-tls.key'),
      cert: readFileSync('test/fixtures/loopback-tls.crt'),
      ALPNCallback: ({ protocols }) => {
        offered = protocols;
        return protocols.includes('http/1.1') ? 'http/1.1' : undefined;
      },
    });
    tls.on('tlsClientError', () => undefined);
    const port = await listenOnLoopback(tls, 0);
    cleanups.push(() => new Promise<void>((resolve) => tls.close(() => resolve())));
    // The certificate is our own, not one the client trusts: the handshake fails after the hello was read.
    await expect(send(dispatcher, `https://127.0.0.1:${port}/`, post())).rejects.toThrow();
    return offered;
  }

  it('offers HTTP/1.1 alone: undici 8 offers HTTP/2 too, and the function is tested over HTTP/1.1 only', async () => {
    const atlas = createAtlasAgent();
    cleanups.push(() => atlas.destroy());
    expect(await offeredProtocols(atlas)).toEqual(['http/1.1']);
    // What undici does by default, which the agent turns off.
    expect(await offeredProtocols(agent())).toContain('h2');
  });
});
