import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PortInUseError, startLocalGateway, type LocalGateway } from '../local/gateway';
import { localHookSecret } from '../local/hooks';
import { OKTA_SANDBOX_TOKEN } from '../sandbox';

const run = promisify(execFile);
const TSX = 'node_modules/.bin/tsx';
const EXAMPLE = (name: string) => readFileSync(`examples/events/${name}`, 'utf8');

/** Runs a local tool as a person would, and keeps its exit code and both outputs. */
async function tool(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(TSX, args, { env: { ...process.env, ...env }, timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let gateway: LocalGateway;
const lines: string[] = [];
beforeAll(async () => {
  // SCIM (and its DynamoDB Local) is test/local-scim.test.ts's.
  gateway = await startLocalGateway({ env: { PATH: process.env.PATH }, port: 0, logSink: (line) => lines.push(line), scim: false });
});
afterAll(() => gateway.close());

const post = (path: string, body: string) => fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('npm start: the local gateway', () => {
  it('turns the example hire into two invitations in the sandbox', async () => {
    const answer = await post('/events', EXAMPLE('hire.json'));
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { results: { status: string }[] };
    expect(body.results.map((r) => r.status)).toEqual(['invited', 'invited']);
    const held = (await (await fetch(`${gateway.url}/sandbox/invitations`)).json()) as { invitations: { username: string; groupId: string }[] };
    expect(held.invitations.filter((i) => i.username === 'ada@example.com').map((i) => i.groupId)).toEqual(['5f1e2d3c4b5a69788796a5b4', '64b7c8d9e0f1a2b3c4d5e6f7']);
  });

  it('shows the sandbox members beside the invitations: status, via, roles and the listings that see them', async () => {
    gateway.sandbox?.seed({ groupId: '5f1e2d3c4b5a69788796a5b4', username: 'grace@example.com', roles: ['GROUP_OWNER'], status: 'ACTIVE', via: 'users' });
    const held = (await (await fetch(`${gateway.url}/sandbox/invitations`)).json()) as {
      invitations: unknown[];
      members: { username: string; status: string; via: string; roles: string[]; listedBy: string[] }[];
    };
    expect(held.members).toHaveLength(held.invitations.length);
    expect(held.members.find((m) => m.username === 'grace@example.com')).toMatchObject({ status: 'ACTIVE', via: 'users', roles: ['GROUP_OWNER'], listedBy: ['users'] });
    expect(held.members.find((m) => m.username === 'ada@example.com')).toMatchObject({ status: 'PENDING', via: 'invites', listedBy: ['invites'] });
  });

  it('starts the Okta stand-in with its demo people and shows them at /sandbox/okta', async () => {
    const held = (await (await fetch(`${gateway.url}/sandbox/okta`)).json()) as {
      url: string;
      users: { id: string; status: string; profile: { login: string }; groups: string[] }[];
      groups: { profile: { name: string } }[];
    };
    expect(held.url).toBe(gateway.okta.url);
    expect(held.users.map((u) => [u.profile.login, u.status, u.groups])).toEqual([
      ['grace@example.com', 'ACTIVE', ['Everyone', 'atlas-analytics-readers', 'engineering']],
      ['alan@example.com', 'SUSPENDED', ['Everyone', 'engineering']],
      ['lwei', 'ACTIVE', ['Everyone', 'atlas-analytics-readers']],
    ]);
    expect(held.groups.map((g) => g.profile.name)).toEqual(['Everyone', 'atlas-analytics-readers', 'engineering']);
    // The stand-in itself answers as Okta: by login, with the demo token.
    const user = await fetch(`${gateway.okta.url}/api/v1/users/grace@example.com`, { headers: { authorization: `SSWS ${OKTA_SANDBOX_TOKEN}`, accept: 'application/json' } });
    expect(user.status).toBe(200);
    expect(((await user.json()) as { id: string }).id).toBe(held.users[0]!.id);
  });

  it('serves the webhook ingress at /hooks/okta: a delivery naming a person by id becomes an invitation at the address Okta holds', async () => {
    const secret = localHookSecret({ name: 'okta', kind: 'okta-event-hook' });
    expect(gateway.hooks.connections.find((c) => c.name === 'okta')).toEqual(expect.objectContaining({ oktaOrgUrl: gateway.okta.url }));
    const delivery = readFileSync('examples/okta/delivery.json', 'utf8');
    const refused = await fetch(`${gateway.url}/hooks/okta`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'wrong' }, body: delivery });
    expect(refused.status).toBe(401);
    const answer = await fetch(`${gateway.url}/hooks/okta`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: secret }, body: delivery });
    expect([answer.status, await answer.text()]).toEqual([204, '']);
    await gateway.hooks.settled();
    const held = (await (await fetch(`${gateway.url}/sandbox/invitations`)).json()) as { invitations: { username: string; groupId: string; roles: string[] }[] };
    expect(held.invitations.filter((i) => i.username === 'lin.wei@example.com')).toEqual([expect.objectContaining({ groupId: '5f1e2d3c4b5a69788796a5b4', roles: ['GROUP_READ_ONLY'] })]);
    expect(gateway.okta.requests.map((r) => `${r.endpoint} ${r.path}`)).toEqual(
      expect.arrayContaining(['users:get /api/v1/users/00udemolinwei0000001', 'users:groups /api/v1/users/00udemolinwei0000001/groups']),
    );
    expect(lines.some((line) => line.includes(OKTA_SANDBOX_TOKEN) || line.includes(secret.replace(/^Basic /, '')))).toBe(false);
  });

  it('serves POST /invites and answers the contract statuses', async () => {
    expect((await post('/invites', EXAMPLE('direct-invite.json'))).status).toBe(200);
    expect((await post('/events', EXAMPLE('invalid.json'))).status).toBe(400);
    expect((await fetch(`${gateway.url}/events`)).status).toBe(405);
    expect((await post('/nowhere', '{}')).status).toBe(404);
  });

  it('puts a bad /queue message among the dead letters with its reason', async () => {
    const answer = await post('/queue', JSON.stringify([JSON.parse(EXAMPLE('sso-group-added.json')), { source: 'hr' }]));
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { batchItemFailures: unknown[]; deadLetters: { errorCode: string; errorMessage: string; body: string }[] };
    expect(body.batchItemFailures).toEqual([]);
    expect(body.deadLetters).toEqual([expect.objectContaining({ errorCode: 'invalid_event', body: '{"source":"hr"}', errorMessage: expect.stringContaining('type: is required') })]);
    const listed = (await (await fetch(`${gateway.url}/queue/dead-letters`)).json()) as { deadLetters: unknown[] };
    expect(listed.deadLetters).toContainEqual(body.deadLetters[0]);
  });

  it('takes the example SQS batch file as it is', async () => {
    const body = (await (await post('/queue', EXAMPLE('sqs-batch.json'))).json()) as { batchItemFailures: unknown[]; deadLetters: { errorCode: string }[] };
    expect(body.batchItemFailures).toEqual([]);
    expect(body.deadLetters.map((d) => d.errorCode)).toEqual(['invalid_json']);
  });

  it('logs one decision per project', () => {
    const decisions = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.eventId === 'evt-2026-0001' && e.outcome === 'invited');
    expect(decisions).toHaveLength(2);
  });

  it('says clearly when the port is taken', async () => {
    await expect(startLocalGateway({ env: {}, port: gateway.port })).rejects.toThrow(PortInUseError);
    const started = await tool(['local/start.ts'], { PORT: String(gateway.port) });
    expect(started.code).toBe(1);
    expect(started.stderr.trim()).toBe(`port ${gateway.port} is already in use on 127.0.0.1: stop what is using it, or choose another with PORT=3001 npm start`);
  });
});

/** One request over real HTTP with headers as given (fetch would set Host and Origin itself). */
function raw(path: string, options: { method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${gateway.url}${path}`, { method: options.method ?? 'POST', headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

let people = 0;
/** A hire that maps to two projects, for a person no other test invites. */
const browserHire = () => JSON.stringify({ ...JSON.parse(EXAMPLE('hire.json')), id: `evt-browser-${++people}`, user: { email: `browser${people}@example.com`, department: 'Data Platform' } });
const invitedPeople = async () =>
  ((await (await fetch(`${gateway.url}/sandbox/invitations`)).json()) as { invitations: { username: string }[] }).invitations.map((i) => i.username).filter((u) => u.startsWith('browser'));

describe('npm start: what a web page in the browser cannot make it do', () => {
  it('answers 403 to a request whose Host is not the loopback name or address (DNS rebinding)', async () => {
    for (const host of ['attacker.example', `attacker.example:${gateway.port}`, `localhost.attacker.example:${gateway.port}`, '127.0.0.2', `10.0.0.1:${gateway.port}`]) {
      const headers = { host, 'content-type': 'application/json' };
      expect([host, (await raw('/events', { headers, body: browserHire() })).status]).toEqual([host, 403]);
      expect([host, (await raw('/sandbox/invitations', { method: 'GET', headers })).status]).toEqual([host, 403]);
      expect([host, (await raw('/sandbox/okta', { method: 'GET', headers })).status]).toEqual([host, 403]);
    }
    expect(await invitedPeople()).toEqual([]);
  });

  it('serves the loopback names and addresses, with or without the port', async () => {
    for (const host of ['localhost', `localhost:${gateway.port}`, `LOCALHOST:${gateway.port}`, '127.0.0.1', `127.0.0.1:${gateway.port}`, '[::1]', `[::1]:${gateway.port}`]) {
      expect([host, (await raw('/queue/dead-letters', { method: 'GET', headers: { host } })).status]).toEqual([host, 200]);
    }
  });

  it('answers 403 to a request carrying an Origin other than the local page itself', async () => {
    for (const origin of ['https://attacker.example', 'null', `http://localhost:${gateway.port + 1}`, `https://localhost:${gateway.port}`, `http://127.0.0.1.attacker.example:${gateway.port}`]) {
      const headers = { origin, 'content-type': 'application/json' };
      expect([origin, (await raw('/events', { headers, body: browserHire() })).status]).toEqual([origin, 403]);
      expect([origin, (await raw('/queue', { headers, body: browserHire() })).status]).toEqual([origin, 403]);
      expect([origin, (await raw('/sandbox/invitations', { method: 'GET', headers: { origin } })).status]).toEqual([origin, 403]);
      expect([origin, (await raw('/sandbox/okta', { method: 'GET', headers: { origin } })).status]).toEqual([origin, 403]);
    }
    expect(await invitedPeople()).toEqual([]);
  });

  it('takes a body only as JSON: any other content type, or none, is 415 (a form or a text/plain fetch)', async () => {
    for (const type of ['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp', undefined]) {
      const headers: Record<string, string> = type === undefined ? {} : { 'content-type': type };
      expect([type, (await raw('/events', { headers, body: browserHire() })).status]).toEqual([type, 415]);
      expect([type, (await raw('/invites', { headers, body: EXAMPLE('direct-invite.json') })).status]).toEqual([type, 415]);
      expect([type, (await raw('/queue', { headers, body: browserHire() })).status]).toEqual([type, 415]);
    }
    expect(await invitedPeople()).toEqual([]);
  });

  it('serves the local page itself: its Origin, and JSON (application/scim+json only under /scim/v2)', async () => {
    const before = (await invitedPeople()).length;
    for (const [origin, type] of [
      [`http://localhost:${gateway.port}`, 'application/json'],
      [`http://127.0.0.1:${gateway.port}`, 'application/json; charset=utf-8'],
    ] as const) {
      const headers: Record<string, string> = { 'content-type': type, ...(origin && { origin }) };
      expect([origin, type, (await raw('/events', { headers, body: browserHire() })).status]).toEqual([origin, type, 200]);
    }
    expect((await raw('/events', { headers: { 'content-type': 'application/scim+json' }, body: browserHire() })).status).toBe(415);
    expect(await invitedPeople()).toHaveLength(before + 4);
  });
});

describe('npm run invoke', () => {
  it('runs the handler once on a bare event file and prints the answer', async () => {
    const { code, stdout, stderr } = await tool(['local/invoke.ts', 'examples/events/hire.json']);
    expect(code).toBe(0);
    const answer = JSON.parse(stdout) as { statusCode: number; body: { results: { status: string }[] } };
    expect(answer.statusCode).toBe(200);
    expect(answer.body.results.map((r) => r.status)).toEqual(['invited', 'invited']);
    expect(stderr).toContain('invited');
    // The invocation's metrics, as a person reads them.
    expect(stderr).toContain('· metrics Results[invited] 2, AtlasCalls[ok] 2, AtlasLatency ');
  });

  it('maps without calling Atlas with --dry-run, and takes an SQS event file', async () => {
    const { code, stdout } = await tool(['local/invoke.ts', 'examples/events/sqs-batch.json', '--dry-run']);
    expect(code).toBe(0);
    const answer = JSON.parse(stdout) as { batchItemFailures: unknown[]; deadLetters: { errorCode: string }[] };
    expect(answer.batchItemFailures).toEqual([]);
    expect(answer.deadLetters.map((d) => d.errorCode)).toEqual(['invalid_json']);
  });

  it('says which file is missing', async () => {
    const { code, stderr } = await tool(['local/invoke.ts', 'examples/events/missing.json']);
    expect([code, stderr.trim()]).toEqual([2, 'examples/events/missing.json: no such file']);
  });
});

describe('npm run check-rules', () => {
  it('validates a connections file with --connections, naming a bad connection', async () => {
    const good = await tool(['local/check-rules.ts', '--connections', 'examples/connections.json', 'examples/rules.json']);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('✔ examples/connections.json: valid (/hooks/okta okta-event-hook, /hooks/hr-bridge standard-webhooks)');
    const bad = await tool(['local/check-rules.ts', '--connections', 'test/fixtures/bad-connections.json', 'examples/rules.json']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('connection "workday" at source: must be one of hr, sso');
  });

  it('validates the rule file and shows the matches and invitations for each sample event', async () => {
    const { code, stdout } = await tool(['local/check-rules.ts', 'examples/rules.json', 'examples/events/hire.json', 'examples/events/terminated.json']);
    expect(code).toBe(0);
    expect(stdout).toContain('✔ examples/rules.json: valid (3 rules, direct invites allowed to 1 project)');
    expect(stdout).toContain('✔ data-platform-hires: matches');
    expect(stdout).toContain('· okta-analytics-readers: no match (source, group differ)');
    expect(stdout).toMatch(/5f1e2d3c4b5a69788796a5b4 {2}GROUP_DATA_ACCESS_READ_WRITE {2}\(from data-platform-hires\)/);
    expect(stdout).toContain('→ a leaving event: nothing is invited; 2 projects reported "ignored"');
  });

  it('shows the plan of a mover and a leaver under lifecycle sync and remove: projects changed or left, and why', async () => {
    const { code, stdout } = await tool(['local/check-rules.ts', 'examples/rules-lifecycle.json', 'examples/events/mover.json', 'examples/events/leaver.json']);
    expect(code).toBe(0);
    expect(stdout).toContain("→ movers: sync: ada@example.com's access in each managed project becomes:");
    expect(stdout).toMatch(/5f1e2d3c4b5a69788796a5b4 {2}nothing: removed if they hold anything \(GROUP_OWNER is kept\)/);
    expect(stdout).toMatch(/64b7c8d9e0f1a2b3c4d5e6f7 {2}GROUP_DATA_ACCESS_READ_ONLY {2}\(from finance\)/);
    expect(stdout).toContain('→ a leaving event (leavers: remove): ada@example.com is removed from every managed project where they hold anything:');
  });

  it('fails on a bad rule file, naming the rule', async () => {
    const { code, stderr } = await tool(['local/check-rules.ts', 'test/fixtures/bad-rules.json']);
    expect(code).toBe(1);
    expect(stderr).toContain('rule "engineers" at invite.0.roles.0: unknown Atlas project role "GROUP_ADMIN"');
  });

  it('fails on an invalid sample event, naming the field', async () => {
    const { code, stdout } = await tool(['local/check-rules.ts', 'examples/rules.json', 'examples/events/invalid.json']);
    expect(code).toBe(1);
    expect(stdout).toContain('user.email: must not contain control or bidirectional-override characters');
  });
});
