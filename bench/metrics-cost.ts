import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { coldPathFiles, entryFile, esbuildOptions, PROJECT_ROOT } from '../infra/bundling';
import { coldStart, median, startBenchWorld } from './common';

/**
 * What publishing metrics costs a cold start: our own EMF writer (lambda/metrics.ts) against Powertools Metrics,
 * each wrapped around the onboarder's handler and publishing one metric per invocation, beside the same wrapper
 * publishing nothing. Bundled with the shipped esbuild options, cold starts interleaved in fresh processes. The
 * figures in lambda/metrics.ts come from this.
 *
 * Powertools is not a dependency; install it for the run without saving it:
 *   npm i --no-save @aws-lambda-powertools/metrics@2.36.0 && npx tsx bench/metrics-cost.ts [runs]
 * (`npm ci` afterwards takes it away again).
 *
 * Measured against the onboarder before it published metrics itself (commit 87260fe); on a later tree the "own" and
 * "none" rows both carry the function's own metrics, and the difference shows Powertools' extra cost only.
 */

const RUNS = Number(process.argv[2] ?? 21);
const POWERTOOLS = '@aws-lambda-powertools/metrics';
if (!existsSync(resolve(PROJECT_ROOT, 'node_modules', POWERTOOLS))) {
  console.error(`bench/metrics-cost.ts: ${POWERTOOLS} is not installed; run: npm i --no-save ${POWERTOOLS}@2.36.0`);
  process.exit(1);
}

const onboarder = resolve(PROJECT_ROOT, 'lambda/functions/onboarder/handler.ts');
const ownMetrics = resolve(PROJECT_ROOT, 'lambda/metrics.ts');
const log = resolve(PROJECT_ROOT, 'lambda/log.ts');
/** Publishing one metric after the handler, with each library; `flushLogs` writes our line before the harness's last. */
const publish = {
  'no metrics': { imports: '', after: '' },
  'own EMF writer': {
    imports: `import { Metrics } from ${JSON.stringify(ownMetrics)};\nimport { flushLogs } from ${JSON.stringify(log)};\nconst metrics = new Metrics('onboarder');`,
    after: `metrics.count('Results', 'invited'); metrics.flush(); flushLogs();`,
  },
  'Powertools Metrics': {
    imports: `import { Metrics, MetricUnit } from '${POWERTOOLS}';\nconst metrics = new Metrics({ namespace: 'AtlasOnboarder', serviceName: 'onboarder' });`,
    after: `metrics.addDimension('Status', 'invited'); metrics.addMetric('Results', MetricUnit.Count, 1); metrics.publishStoredMetrics();`,
  },
};
/**
 * Each variant's entry, plain JavaScript (esbuild reads the TypeScript it imports; tsc does not read these): around
 * the onboarder, and alone (a handler that does nothing else), where the difference stands out of less noise.
 */
const variants: Record<string, string> = {};
for (const [name, { imports, after }] of Object.entries(publish)) {
  variants[name] = `import { handler as onboarder } from ${JSON.stringify(onboarder)};
${imports}
export const handler = async (event, context) => { try { return await onboarder(event, context); } finally { ${after} } };
`;
  // process.stdout is made on first use, which costs milliseconds: every variant alone makes it, as the onboarder's logs do.
  variants[`${name}, alone`] = `${imports}
export const handler = async () => { process.stdout.write(''); try { return { batchItemFailures: [] }; } finally { ${after} } };
`;
}

const sizeOf = (dir: string, files: string[]) =>
  files.reduce(
    (sum, file) => {
      const bytes = readFileSync(resolve(dir, file));
      return { raw: sum.raw + bytes.length, gzip: sum.gzip + gzipSync(bytes).length };
    },
    { raw: 0, gzip: 0 },
  );

const files: Record<string, string> = {};
const sizes: Record<string, { raw: number; gzip: number }> = {};
for (const [name, source] of Object.entries(variants)) {
  const dir = resolve(PROJECT_ROOT, `bench/.out/metrics-${name.replace(/[^a-z0-9]+/gi, '-')}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const entry = resolve(dir, 'entry.mjs');
  writeFileSync(entry, source);
  const out = resolve(dir, 'out');
  const { metafile } = await build({ ...esbuildOptions(out), entryPoints: { [entryFile('onboarder').replace(/\.mjs$/, '')]: entry }, metafile: true });
  files[name] = resolve(out, entryFile('onboarder'));
  sizes[name] = sizeOf(out, coldPathFiles(metafile));
}

const world = await startBenchWorld();
const wall: Record<string, number[]> = {};
const cpu: Record<string, number[]> = {};
let n = 0;
const order = Object.keys(files);
for (let i = 0; i < RUNS; i++) {
  // Each round starts with another variant: the first process of a round is not always the same one's.
  for (const name of [...order.slice(i % order.length), ...order.slice(0, i % order.length)]) {
    const file = files[name]!;
    const result = await coldStart(file, `m${++n}@example.com`, world.env);
    (wall[name] ??= []).push(result.totalMs);
    (cpu[name] ??= []).push(result.cpuMs);
  }
}
await world.close();
/** The median of the differences round by round (each round runs the variants one after the other): drift cancels out. */
const pairedDelta = (values: number[], base: number[]) => median(values.map((v, i) => v - base[i]!));
for (const name of order) {
  const BASE = name.endsWith(', alone') ? 'no metrics, alone' : 'no metrics';
  const size = sizes[name]!;
  const baseSize = sizes[BASE]!;
  console.log(
    `${name.padEnd(27)} import+first invocation ${median(wall[name]!).toFixed(1)} ms (${pairedDelta(wall[name]!, wall[BASE]!).toFixed(1)} ms), ` +
      `CPU ${median(cpu[name]!).toFixed(1)} ms (${pairedDelta(cpu[name]!, cpu[BASE]!).toFixed(1)} ms), ` +
      `cold path ${size.raw} B (+${size.raw - baseSize.raw}), gzip ${size.gzip} B (+${size.gzip - baseSize.gzip}), ${RUNS} runs`,
  );
}
