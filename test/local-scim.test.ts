import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalGateway, type LocalGateway } from '../local/gateway';
import { localScimToken } from '../local/scim';
import { DYNAMODB_WAIT_MS, dynamoDbEndpoint } from './scim-dynamodb';

/**
 * `npm start`'s SCIM service at /scim/v2 (contract sections 10 and 14): the composition `npm start` uses, on the test
 * run's DynamoDB Local (a table of its own), ending in invitations in the Atlas sandbox; and `npm start` itself, run
 * as a person runs it, stopped with Ctrl-C and leaving no DynamoDB Local behind.
 */

const TOKEN = localScimToken();
const EXAMPLE = (name: string) => readFileSync(`examples/scim/${name}`, 'utf8');

let gateway: LocalGateway;
const lines: string[] = [];
beforeAll(async () => {
  gateway = await startLocalGateway({ env: { PATH: process.env.PATH }, port: 0, logSink: (line) => lines.push(line), scim: { dynamoDbEndpoint: await dynamoDbEndpoint() } });
}, DYNAMODB_WAIT_MS);
afterAll(async () => {
  await gateway?.close();
  expect(lines.filter((line) => line.includes(TOKEN))).toEqual([]);
});

const scim = (method: string, path: string, body?: string, token = TOKEN) =>
  fetch(`${gateway.url}/scim/v2${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/scim+json; charset=utf-8' }) },
    ...(body !== undefined && { body }),
  });

/** One request over real HTTP with headers as given (fetch would set Host and Origin itself). */
function raw(path: string, options: { method?: string; headers?: Record<string, string>; body?: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${gateway.url}${path}`, { method: options.method ?? 'POST', headers: options.headers ?? {} }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const invitationsOf = async (username: string) =>
  ((await (await fetch(`${gateway.url}/sandbox/invitations`)).json()) as { invitations: { username: string; groupId: string; roles: string[] }[] }).invitations
    .filter((i) => i.username === username)
    .map((i) => [i.groupId, i.roles]);

describe('npm start: SCIM at /scim/v2 on DynamoDB Local', () => {
  it('serves the example: a user created, the group created, the member added, and the sandbox holds the invitation', async () => {
    const created = await scim('POST', '/Users', EXAMPLE('user.json'));
    expect(created.status).toBe(201);
    expect(created.headers.get('content-type')).toBe('application/scim+json');
    const user = (await created.json()) as { id: string; userName: string };
    expect(user.userName).toBe('katherine.johnson@example.com');
    const group = (await (await scim('POST', '/Groups', EXAMPLE('group.json'))).json()) as { id: string; displayName: string };
    expect(group.displayName).toBe('atlas-analytics-readers');
    await gateway.scim!.settled();
    // A new user in no group: the rules grant nothing yet.
    expect(await invitationsOf(user.userName)).toEqual([]);

    const added = await scim('PATCH', `/Groups/${group.id}`, EXAMPLE('add-member.json').replace('USER_ID', user.id));
    expect(added.status).toBe(204);
    await gateway.scim!.settled();
    // examples/rules.json: okta-analytics-readers (source sso, group atlas-analytics-readers).
    expect(await invitationsOf(user.userName)).toEqual([['5f1e2d3c4b5a69788796a5b4', ['GROUP_READ_ONLY']]]);
    expect(gateway.scim!.queued.map((body) => (JSON.parse(body) as { type: string; user: { groups: string[] } }).user.groups)).toEqual([[], ['atlas-analytics-readers']]);

    // Deactivated, as Entra sends it ("False"): examples/rules.json has no lifecycle, so the invitation stays.
    const deactivated = await scim('PATCH', `/Users/${user.id}`, EXAMPLE('deactivate.json'));
    expect(deactivated.status).toBe(200);
    await gateway.scim!.settled();
    expect((JSON.parse(gateway.scim!.queued.at(-1)!) as { type: string }).type).toBe('user.deactivated');
    expect(await invitationsOf(user.userName)).toHaveLength(1);
  });

  it('answers 401 to a wrong token or none', async () => {
    expect((await scim('GET', '/Users', undefined, 'scim-local-not-the-token')).status).toBe(401);
    expect((await fetch(`${gateway.url}/scim/v2/Users`)).status).toBe(401);
    expect((await scim('GET', '/Users')).status).toBe(200);
  });

  it('answers 403 to a Host that is not the loopback, and to a foreign Origin', async () => {
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/scim+json' };
    const body = EXAMPLE('user.json').replace('katherine.johnson@', 'browser@');
    expect(await raw('/scim/v2/Users', { headers: { ...headers, host: `attacker.example:${gateway.port}` }, body })).toBe(403);
    expect(await raw('/scim/v2/Users', { method: 'GET', headers: { ...headers, host: 'attacker.example' } })).toBe(403);
    expect(await raw('/scim/v2/Users', { headers: { ...headers, origin: 'https://attacker.example' }, body })).toBe(403);
    expect(await raw('/scim/v2/Users', { method: 'GET', headers: { ...headers, origin: `http://localhost:${gateway.port + 1}` } })).toBe(403);
    const found = (await (await scim('GET', '/Users?filter=userName%20eq%20%22browser%40example.com%22')).json()) as { totalResults: number };
    expect(found.totalResults).toBe(0);
  });

  it('takes application/scim+json and application/json under /scim/v2 only; text/plain is 415', async () => {
    const body = (name: string) => EXAMPLE('user.json').replace('katherine.johnson@', `${name}@`);
    const post = (path: string, type: string, text: string) => raw(path, { headers: { authorization: `Bearer ${TOKEN}`, 'content-type': type }, body: text });
    expect(await post('/scim/v2/Users', 'text/plain', body('plain'))).toBe(415);
    expect(await post('/scim/v2/Users', 'application/x-www-form-urlencoded', body('form'))).toBe(415);
    expect(await post('/scim/v2/Users', 'application/scim+json; charset=utf-8', body('scim'))).toBe(201);
    expect(await post('/scim/v2/Users', 'application/json', body('json'))).toBe(201);
    // Elsewhere a body is application/json only.
    expect(await post('/events', 'application/scim+json', readFileSync('examples/events/hire.json', 'utf8'))).toBe(415);
  });
});

/** The pids of `root`'s descendants whose command line contains `text`. */
function descendants(root: number, text: string): number[] {
  const rows = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s(.*)$/.exec(line))
    .filter((m) => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! }));
  const found = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const row of rows) {
      if (found.has(row.ppid) && !found.has(row.pid)) {
        found.add(row.pid);
        grew = true;
      }
    }
  }
  return rows.filter((row) => row.pid !== root && found.has(row.pid) && row.args.includes(text)).map((row) => row.pid);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Runs `npm start` (its script) in a process group of its own, on a free port, until its banner is printed. */
async function startNpmStart(env: Record<string, string | undefined>) {
  const child = spawn(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'local/start.ts'], { env: { ...env, PORT: '0' }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (!stdout.includes('Decisions as they happen') && child.exitCode === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  // stderr is written after the banner.
  await new Promise((resolve) => setTimeout(resolve, 200));
  return {
    pid: child.pid!,
    output: () => ({ stdout, stderr }),
    /** Ctrl-C at a terminal: SIGINT to the whole foreground process group. */
    interrupt: async () => {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      process.kill(-child.pid!, 'SIGINT');
      return exited;
    },
  };
}

describe('npm start itself', () => {
  it('prints the SCIM base URL and token, and Ctrl-C leaves no DynamoDB Local process behind', async () => {
    const started = await startNpmStart(process.env);
    const { stdout } = started.output();
    const line = /^ {2}SCIM +(http:\/\/localhost:(\d+)\/scim\/v2) \(token: Bearer (\S+)\)\n +directory: table \S+ in DynamoDB Local at http:\/\/127\.0\.0\.1:\d+$/m.exec(stdout);
    expect(line, stdout).not.toBeNull();
    expect(line![3]).toBe(TOKEN);
    const java = descendants(started.pid, 'DynamoDBLocal.jar');
    expect(java.length).toBeGreaterThan(0);
    try {
      // What the banner says is served.
      const answer = await fetch(`${line![1]}/ServiceProviderConfig`, { headers: { authorization: `Bearer ${line![3]}` } });
      expect(answer.status).toBe(200);
    } finally {
      // 0 once start.ts has closed everything; 130 when tsx, not hearing within 30 ms that the script got the signal
      // (a busy machine), SIGKILLs it: then the guard, its pipe closed, stops Java (dynamodb-local.ts).
      expect([0, 130]).toContain(await started.interrupt());
    }
    const deadline = Date.now() + 10_000;
    while (java.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(java.filter(alive)).toEqual([]);
  }, 90_000);

  it('without Java, says what to install and serves everything else, /scim/v2 answering 503', async () => {
    // A PATH with node and sh only.
    const bin = mkdtempSync(join(tmpdir(), 'no-java-'));
    symlinkSync(process.execPath, join(bin, 'node'));
    symlinkSync('/bin/sh', join(bin, 'sh'));
    try {
      const started = await startNpmStart({ ...process.env, PATH: bin });
      try {
        const { stdout, stderr } = started.output();
        expect(stdout).toMatch(/^ {2}SCIM +not served: see below$/m);
        expect(stderr).toContain('SCIM is not served: no `java` on PATH');
        expect(stderr).toContain('install one, e.g. `apt-get install openjdk-17-jre-headless`');
        const base = /API \(as API Gateway\) +(http:\/\/localhost:\d+)\/events/.exec(stdout)![1]!;
        expect((await fetch(`${base}/scim/v2/Users`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(503);
        const hire = await fetch(`${base}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: readFileSync('examples/events/hire.json', 'utf8') });
        expect(hire.status).toBe(200);
      } finally {
        expect([0, 130]).toContain(await started.interrupt());
      }
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  }, 60_000);
});
