import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalGateway, type LocalGateway } from '../local/gateway';
import { localHookSecret } from '../local/hooks';
import { listenOnLoopback } from '../sandbox';

/**
 * `npm run send-webhook`: a Standard Webhooks sender against the webhook ingress `npm start` serves (the same
 * gateway, on a free port), run as a person runs it.
 */

const run = promisify(execFile);
const TSX = 'node_modules/.bin/tsx';
const HR_BRIDGE_SECRET = localHookSecret({ name: 'hr-bridge', kind: 'standard-webhooks' });

let gateway: LocalGateway;
let dir: string;
beforeAll(async () => {
  gateway = await startLocalGateway({ env: { PATH: process.env.PATH }, port: 0, logSink: () => undefined });
  dir = mkdtempSync(join(tmpdir(), 'send-webhook-'));
});
afterAll(async () => {
  await gateway.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the command with only PATH, PORT and what a test adds in its environment. */
async function sendWebhook(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(TSX, ['local/send-webhook.ts', ...args], { env: { PATH: process.env.PATH, PORT: String(gateway.port), ...env }, timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
const queued = () => gateway.hooks.queued.map((body) => JSON.parse(body) as { id: string; origin: { connection: string }; user: { email: string } });

describe('send-webhook: a signed event file to npm start', () => {
  it('is answered 202, lands on the onboarding queue and becomes an invitation, the secret never shown', async () => {
    const before = queued().length;
    const sent = await sendWebhook(['hr-bridge', 'examples/events/webhook-hire.json']);
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/^POST http:\/\/localhost:\d+\/hooks\/hr-bridge \(webhook-id msg_[0-9a-f]{32}\)\n202 Accepted\n\{"eventId":"msg_[0-9a-f]{32}"\}\n$/);
    const webhookId = /webhook-id (msg_[0-9a-f]{32})/.exec(sent.stdout)![1];
    // The file has no id: the event takes the webhook-id, and the connection it came through.
    expect(queued().slice(before)).toEqual([expect.objectContaining({ id: webhookId, source: 'hr', origin: { connection: 'hr-bridge' }, user: expect.objectContaining({ email: 'barbara@example.com' }) })]);
    await gateway.hooks.settled();
    expect(gateway.sandbox!.invitations().filter((i) => i.username === 'barbara@example.com')).toHaveLength(2);
    expect(`${sent.stdout}${sent.stderr}`).not.toContain(HR_BRIDGE_SECRET.slice('whsec_'.length));
  });

  it('sends the file byte for byte: the signature holds over odd spacing, key order and non-ASCII text', async () => {
    const file = join(dir, 'spaced.json');
    writeFileSync(file, '{"user":{"email":"zoe@example.com" ,  "location":"Zürich", "department":"Data Platform"},\n\t"type":"employee.hired","source":"hr",  "id":"evt-spaced-1"}\n');
    const sent = await sendWebhook(['hr-bridge', file, '--url', gateway.url], { WEBHOOK_SECRET: HR_BRIDGE_SECRET });
    expect(sent).toMatchObject({ code: 0, stdout: expect.stringContaining('202 Accepted\n{"eventId":"evt-spaced-1"}') });
  });

  it('is answered 401 with another secret, exits 1 and queues nothing', async () => {
    const before = queued().length;
    const wrong = `whsec_${Buffer.from('not the secret npm start gave hr-bridge').toString('base64')}`;
    const sent = await sendWebhook(['hr-bridge', 'examples/events/webhook-hire.json', '--url', gateway.url], { WEBHOOK_SECRET: wrong });
    expect(sent.code).toBe(1);
    expect(sent.stdout).toContain('401 Unauthorized\n{"error":"unauthorized"}');
    expect(`${sent.stdout}${sent.stderr}`).not.toContain(wrong.slice('whsec_'.length));
    expect(queued()).toHaveLength(before);
  });

  it('says an Okta connection is not a Standard Webhooks one, and sends nothing', async () => {
    const before = queued().length;
    const sent = await sendWebhook(['okta', 'examples/events/webhook-hire.json']);
    expect(sent.code).toBe(2);
    expect(sent.stderr).toContain('connection "okta" is an okta-event-hook connection (examples/connections.json), not standard-webhooks');
    expect(sent.stdout).toBe('');
    expect(queued()).toHaveLength(before);
  });

  it('names the connections there are, asks for WEBHOOK_SECRET where it cannot know it, and refuses a malformed one unshown', async () => {
    const unknown = await sendWebhook(['hr', 'examples/events/webhook-hire.json']);
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining('examples/connections.json has no connection "hr" (it has: okta, hr-bridge)') });
    const deployed = await sendWebhook(['hr-bridge', 'examples/events/webhook-hire.json', '--url', 'https://abc123.execute-api.eu-west-1.amazonaws.invalid/prod']);
    expect(deployed).toMatchObject({ code: 2, stderr: expect.stringContaining('set WEBHOOK_SECRET=whsec_...') });
    const malformed = await sendWebhook(['hr-bridge', 'examples/events/webhook-hire.json'], { WEBHOOK_SECRET: 'hunter2-not-whsec' });
    expect(malformed).toMatchObject({ code: 2, stderr: expect.stringContaining('WEBHOOK_SECRET must be a Standard Webhooks secret') });
    expect(malformed.stderr).not.toContain('hunter2');
  });

  it('says so when nothing listens at the URL', async () => {
    const server = createServer();
    const port = await listenOnLoopback(server, 0);
    await new Promise((resolve) => server.close(resolve));
    const sent = await sendWebhook(['hr-bridge', 'examples/events/webhook-hire.json', '--url', `http://127.0.0.1:${port}`]);
    expect(sent).toMatchObject({ code: 1, stderr: expect.stringContaining('failed (ECONNREFUSED): is npm start running?') });
  });
});
