import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, send } from '../lambda/atlas/undici';
import { listenOnLoopback, readBody } from '../sandbox/loopback';

// lambda/atlas/undici.ts sends through undici's dispatch with a handler of its own: what it reads, how it ends when
// aborted (also while it waits for a connection), and what it does with no server at all. A real server on loopback.

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(handler: Handler) {
  const seen: string[] = [];
  const http = createServer((req, res) => {
    seen.push(req.url ?? '');
    handler(req, res);
  });
  const port = await listenOnLoopback(http, 0);
  cleanups.push(() => new Promise<void>((resolve) => http.close(() => resolve())), () => void http.closeAllConnections());
  return { url: `http://127.0.0.1:${port}`, seen };
}
function agent(connections = 4) {
  const made = new Agent({ connections });
  cleanups.push(() => made.destroy());
  return made;
}
const post = (signal = new AbortController().signal) => ({ method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: '{"a":1}', signal });

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

  it('ends with the signal’s reason when aborted while the answer is awaited, and the connection is closed', async () => {
    let closed = false;
    const { url } = await server((req) => req.socket.on('close', () => (closed = true)));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('too slow')), 50);
    await expect(send(agent(), url, post(controller.signal))).rejects.toThrow('too slow');
    await expect.poll(() => closed).toBe(true);
  });

  it('ends at once when aborted while waiting for a connection, and that request is never sent', async () => {
    const { url, seen } = await server((req) => void req.resume()); // never answers: holds the only connection
    const one = agent(1);
    const first = new AbortController();
    const holding = send(one, `${url}/first`, post(first.signal)).catch((err: Error) => err.message);
    await expect.poll(() => seen.length).toBe(1);
    const queued = new AbortController();
    const waiting = send(one, `${url}/second`, post(queued.signal));
    queued.abort(new Error('gave up in the queue'));
    await expect(waiting).rejects.toThrow('gave up in the queue');
    first.abort(new Error('done'));
    expect(await holding).toBe('done');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual(['/first']);
  });

  it('ends at once with an already aborted signal, sending nothing', async () => {
    const { url, seen } = await server((_req, res) => res.end('x'));
    const controller = new AbortController();
    controller.abort(new Error('never mind'));
    await expect(send(agent(), url, post(controller.signal))).rejects.toThrow('never mind');
    expect(seen).toEqual([]);
  });

  it('fails with the connection error when nothing listens', async () => {
    const { url } = await server(() => undefined);
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup(); // the server is closed: its port refuses
    await expect(send(agent(), url, post())).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
