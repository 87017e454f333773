import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { entryFile, esbuildOptions, functionBundle, PROJECT_ROOT } from '../infra/bundling';
import { coldStart, median, startBenchWorld } from './common';

/**
 * Cold starts of bundling variants, interleaved in fresh processes, so that each bundling option is chosen by
 * measurement (the rule): `npx tsx bench/cold-variants.ts [runs]`. Each variant changes one option of the
 * shipped bundle (infra/bundling.ts), the figures there come from these.
 */

const RUNS = Number(process.argv[2] ?? 11);
const without = (...names: string[]) => Object.fromEntries(Object.entries(functionBundle.alias).filter(([name]) => !names.includes(name)));
/** Each variant: esbuild options over the shipped ones, and NODE_OPTIONS for the runtime. */
const variants: Record<string, { build: Partial<BuildOptions>; nodeOptions?: string }> = {
  shipped: { build: {} },
  'one file (no code splitting)': { build: { splitting: false } },
  'with --enable-source-maps': { build: {}, nodeOptions: '--enable-source-maps' },
  'not minified': { build: { minify: false } },
  'cjs-first (main,module)': { build: { mainFields: ['main', 'module'] } },
  'without the node:http shim': { build: { alias: without('http', 'node:http') } },
  "with the SDK's full credential chain": { build: { alias: without('@aws-sdk/credential-provider-node') } },
};

const files: Record<string, string> = {};
for (const [name, { build: overrides }] of Object.entries(variants)) {
  const dir = resolve(PROJECT_ROOT, `bench/.out/variant-${name.replace(/[^a-z0-9]+/gi, '-')}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await build({ ...esbuildOptions(dir), ...overrides });
  files[name] = resolve(dir, entryFile('onboarder'));
}

const world = await startBenchWorld();
const times: Record<string, { total: number[]; importMs: number[] }> = {};
let n = 0;
for (let i = 0; i < RUNS; i++) {
  for (const [name, file] of Object.entries(files)) {
    const nodeOptions = variants[name]!.nodeOptions;
    const result = await coldStart(file, `v${++n}@example.com`, nodeOptions ? { ...world.env, NODE_OPTIONS: nodeOptions } : world.env);
    (times[name] ??= { total: [], importMs: [] }).total.push(result.totalMs);
    times[name].importMs.push(result.importMs);
  }
}
await world.close();
for (const [name, t] of Object.entries(times)) {
  console.log(`${name.padEnd(22)} import+first invocation ${median(t.total).toFixed(0)} ms (import ${median(t.importMs).toFixed(0)} ms), ${RUNS} runs`);
}
