import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { build, type BuildOptions } from 'esbuild';
import { BUNDLE_FILE, esbuildOptions, functionBundle, PROJECT_ROOT } from '../infra/bundling';
import { startAtlasSandbox, startAwsEndpoints } from '../sandbox';

/**
 * Cold starts of bundling variants, interleaved in fresh processes, so that each bundling option is chosen by
 * measurement (the rule): `npx tsx bench/cold-variants.ts [runs]`. Each variant changes one option of the
 * shipped bundle (infra/bundling.ts), the figures there come from these.
 */

const RUNS = Number(process.argv[2] ?? 11);
const run = promisify(execFile);
const without = (...names: string[]) => Object.fromEntries(Object.entries(functionBundle.alias).filter(([name]) => !names.includes(name)));
/** Each variant: esbuild options over the shipped ones, and NODE_OPTIONS for the runtime. */
const variants: Record<string, { build: Partial<BuildOptions>; nodeOptions?: string }> = {
  shipped: { build: {} },
  'with --enable-source-maps': { build: {}, nodeOptions: '--enable-source-maps' },
  'not minified': { build: { minify: false } },
  'cjs-first (main,module)': { build: { mainFields: ['main', 'module'] } },
  'without the node:http shim': { build: { alias: without('http', 'node:http') } },
  "with the SDK's full credential chain": { build: { alias: without('@aws-sdk/credential-provider-node') } },
};

const files: Record<string, string> = {};
for (const [name, { build: overrides }] of Object.entries(variants)) {
  const dir = resolve(PROJECT_ROOT, `bench/.out/variant-${name.replace(/[^a-z0-9]+/gi, '-')}`);
  mkdirSync(dir, { recursive: true });
  await build({ ...esbuildOptions(dir), ...overrides });
  files[name] = resolve(dir, BUNDLE_FILE);
}

const atlas = await startAtlasSandbox({ clients: { id: 'secret-value' }, maxLiveTokens: 10_000 });
const aws = await startAwsEndpoints({ secrets: { s: JSON.stringify({ clientId: 'id', clientSecret: 'secret-value' }) } });
const env = {
  ...process.env,
  ATLAS_BASE_URL: atlas.url,
  ATLAS_SECRET_ID: 's',
  ROLE_MAPPING_FILE: resolve(PROJECT_ROOT, 'examples/rules.json'),
  DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/dlq',
  AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
  AWS_ENDPOINT_URL_SQS: aws.url,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKID',
  AWS_SECRET_ACCESS_KEY: 'x',
  AWS_LAMBDA_FUNCTION_NAME: 'variants',
};
const times: Record<string, { total: number[]; importMs: number[] }> = {};
let n = 0;
for (let i = 0; i < RUNS; i++) {
  for (const [name, file] of Object.entries(files)) {
    const nodeOptions = variants[name]!.nodeOptions;
    const { stdout } = await run(process.execPath, [resolve(PROJECT_ROOT, 'bench/cold-start.mjs'), file, `v${++n}@example.com`], {
      env: nodeOptions ? { ...env, NODE_OPTIONS: nodeOptions } : env,
      maxBuffer: 1 << 24,
    });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { totalMs: number; importMs: number };
    (times[name] ??= { total: [], importMs: [] }).total.push(result.totalMs);
    times[name].importMs.push(result.importMs);
  }
}
await atlas.close();
await aws.close();
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
for (const [name, t] of Object.entries(times)) {
  console.log(`${name.padEnd(22)} import+first invocation ${median(t.total).toFixed(0)} ms (import ${median(t.importMs).toFixed(0)} ms), ${RUNS} runs`);
}
