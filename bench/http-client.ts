import { fork } from 'node:child_process';
import { once } from 'node:events';
import { Agent as FullAgent, request } from 'undici';
import { Agent, send } from '../lambda/atlas/transport';
import { cpuPer, median } from './common';

/**
 * `npx tsx bench/http-client.ts [rounds]`: CPU per Atlas request in this process, undici's `request` against the
 * Atlas client's `send` (dispatch with its own handler), in alternating rounds of 1,000 requests sent ten at a time
 * to the sandbox on loopback, which runs in a process of its own. Prints the median of each.
 */

const ROUNDS = Number(process.argv[2] ?? 8);
const sandbox = fork(new URL('sandbox-process.ts', import.meta.url), { execArgv: ['--import', 'tsx'] });
const [{ url: atlasUrl }] = (await once(sandbox, 'message')) as [{ url: string }];
const atlas = { url: atlasUrl };
const headers = { authorization: `Basic ${Buffer.from('bench:bench-secret-value').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' };
const tokenAnswer = await send(new Agent(), `${atlas.url}/api/oauth/token`, { method: 'POST', headers, body: 'grant_type=client_credentials', timeoutMs: 5_000 });
const token = (JSON.parse(tokenAnswer.body) as { access_token: string }).access_token;
const media = 'application/vnd.atlas.2023-01-01+json';
const url = `${atlas.url}/api/atlas/v2/groups/5f1e2d3c4b5a69788796a5b4/invites`;
const inviteHeaders = () => ({ authorization: `Bearer ${token}`, accept: media, 'content-type': media });
let people = 0;
const body = () => JSON.stringify({ roles: ['GROUP_READ_ONLY'], username: `http-${++people}@example.com` });

const full = new FullAgent({ connections: 32 });
const ours = new Agent({ connections: 32 });
const clients: Record<string, () => Promise<unknown>> = {
  'undici request()': async () => {
    const answer = await request(url, { method: 'POST', dispatcher: full, headers: inviteHeaders(), body: body(), signal: AbortSignal.timeout(10_000) });
    return answer.body.text();
  },
  'send() (dispatch)': () => send(ours, url, { method: 'POST', headers: inviteHeaders(), body: body(), timeoutMs: 10_000 }),
};

async function cpuPerRequest(call: () => Promise<unknown>, count: number): Promise<number> {
  const sent = async () => {
    for (let done = 0; done < count; done += 10) await Promise.all(Array.from({ length: 10 }, call));
  };
  return (await cpuPer(count, sent)).cpuUs;
}

const results: Record<string, number[]> = {};
for (const call of Object.values(clients)) await cpuPerRequest(call, 1_000);
for (let round = 0; round < ROUNDS; round++) {
  const entries = Object.entries(clients);
  for (const [name, call] of round % 2 ? entries.reverse() : entries) (results[name] ??= []).push(await cpuPerRequest(call, 1_000));
  sandbox.send({ cmd: 'reset' });
  await once(sandbox, 'message');
}
for (const [name, values] of Object.entries(results)) console.log(`${name.padEnd(20)} ${median(values).toFixed(0)} µs of CPU per request (median of ${ROUNDS} rounds)`);
await Promise.all([full.close(), ours.close()]);
sandbox.disconnect();
