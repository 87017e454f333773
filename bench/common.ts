import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { Metafile } from 'esbuild';
import { functionFiles, PROJECT_ROOT } from '../infra/bundling';
import { startAtlasSandbox, startAwsEndpoints, type AtlasSandbox, type AwsEndpoints } from '../sandbox';

/** What the benchmarks share: the world a bundle runs against, one cold start, and a median. */

export const CLIENT_ID = 'bench-client-id';
export const CLIENT_SECRET = 'bench-client-secret-value';

export interface BenchWorld {
  atlas: AtlasSandbox;
  aws: AwsEndpoints;
  /** The function's environment, as deployed (no NODE_OPTIONS) but pointed at the sandbox and the AWS endpoints. */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/**
 * The Atlas sandbox and the AWS endpoints on loopback, with the service account's secret stored.
 *
 * @example
 * const world = await startBenchWorld();
 * const cold = await coldStart(bundleFile, 'ada@example.com', world.env);
 */
export async function startBenchWorld(): Promise<BenchWorld> {
  const atlas = await startAtlasSandbox({ clients: { [CLIENT_ID]: CLIENT_SECRET }, maxLiveTokens: 10_000 });
  const aws = await startAwsEndpoints({ secrets: { 'atlas/bench': JSON.stringify({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }) } });
  const env = {
    ...process.env,
    ATLAS_BASE_URL: atlas.url,
    ATLAS_SECRET_ID: 'atlas/bench',
    ROLE_MAPPING_FILE: resolve(PROJECT_ROOT, 'examples/rules.json'),
    DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/onboarding-dlq',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
    AWS_ENDPOINT_URL_SQS: aws.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCH',
    AWS_SECRET_ACCESS_KEY: 'bench-secret-access-key',
    // No AWS_LAMBDA_FUNCTION_NAME: inside Lambda the function takes only an https: Atlas, and the sandbox speaks http:.
    LOG_LEVEL: 'info',
  };
  return {
    atlas,
    aws,
    env,
    close: async () => {
      await atlas.close();
      await aws.close();
    },
  };
}

export interface ColdStart {
  importMs: number;
  firstInvocationMs: number;
  totalMs: number;
  /** CPU time (user + system) of the whole process, Node's start-up included. */
  cpuMs: number;
}

const run = promisify(execFile);

/** One cold start of `bundleFile` in a fresh process (bench/cold-start.mjs): import and one SQS record for `email`. */
export async function coldStart(bundleFile: string, email: string, env: NodeJS.ProcessEnv): Promise<ColdStart> {
  const { stdout } = await run(process.execPath, [resolve(PROJECT_ROOT, 'bench/cold-start.mjs'), bundleFile, email], {
    env,
    timeout: 30_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as ColdStart & { ok: boolean };
  if (!result.ok) throw new Error(`the cold start of ${bundleFile} for ${email} did not invite`);
  return result;
}

export const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * Runs `loop` and answers what it returned, with the CPU time (user + system) this process spent on it divided by
 * `count`, in microseconds.
 *
 * @example
 * const { value: rate, cpuUs } = await cpuPer(500, () => handlerRate(handler, batches));
 */
export async function cpuPer<T>(count: number, loop: () => Promise<T>): Promise<{ value: T; cpuUs: number }> {
  const before = process.cpuUsage();
  const value = await loop();
  const used = process.cpuUsage(before);
  return { value, cpuUs: (used.user + used.system) / count };
}

/** Bytes, as shipped and gzipped. */
export interface Size {
  raw: number;
  gzip: number;
}

/** The size of `files` (relative to `dir`), raw and gzipped. */
export function sizeOf(dir: string, files: readonly string[]): Size {
  let raw = 0;
  let gzip = 0;
  for (const file of files) {
    const bytes = readFileSync(resolve(dir, file));
    raw += bytes.length;
    gzip += gzipSync(bytes).length;
  }
  return { raw, gzip };
}

/** One function's bundle in `dir`: all its files, how many, and its cold path. */
export function bundleOf(dir: string, metafile: Metafile, name: string): Size & { files: number; coldPath: Size } {
  const all = functionFiles(metafile, name, 'all');
  return { ...sizeOf(dir, all), files: all.length, coldPath: sizeOf(dir, functionFiles(metafile, name, 'cold')) };
}

/** The commit measured, with `+` when the code in the work tree differs from it (bench/results.json aside). */
export function commitMeasured(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'lambda', 'infra', 'local', 'bench', 'package.json', ':!bench/results.json'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${head}+` : head;
  } catch {
    return 'unknown';
  }
}
