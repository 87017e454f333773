import { execFileSync, fork } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { BUNDLE_FILE, coldPathFiles, entryFile, esbuildOptions, FUNCTION_ENTRY, functionFiles, PROJECT_ROOT } from '../infra/bundling';
import { CLIENT_ID, CLIENT_SECRET, coldStart, startBenchWorld, type ColdStart } from './common';
import { ingressRows, measureIngress } from './ingress';
import { lifecycleTable, measureLifecycleCalls } from './lifecycle';
import { measureScim, scimRows } from './scim';

/**
 * `npm run bench`: what each invitation costs, measured on this machine. Builds the function exactly as `cdk synth`
 * ships it and a naive bundle of the same handler, measures bundle size, cold starts in fresh processes, warm
 * throughput beside a bare undici loop, calls per invitation, batch latency and rate-limited throughput, prints a
 * table and writes bench/results.json. Loopback only; every loop is bounded. The webhook ingress's rows come from
 * bench/ingress.ts; `npm run bench -- ingress` measures those alone and updates only their part of the results. The
 * scim function's rows come from bench/scim.ts (DynamoDB Local, so Java 17); `npm run bench -- scim` measures them alone.
 */

const COLD_STARTS = Number(process.env.BENCH_COLD_STARTS ?? 21);
const out = resolve(PROJECT_ROOT, 'bench/.out');

// --- bundles -------------------------------------------------------------------------------------------------------
const shippedDir = resolve(out, 'shipped');
const naiveDir = resolve(out, 'naive');
rmSync(shippedDir, { recursive: true, force: true });
mkdirSync(shippedDir, { recursive: true });
mkdirSync(naiveDir, { recursive: true });
const shipped = await build({ ...esbuildOptions(shippedDir), metafile: true });

const resultsFile = resolve(PROJECT_ROOT, 'bench/results.json');
const printRows = (rows: readonly [string, string, string][]) => {
  const width = Math.max(...rows.map((r) => r[0].length));
  for (const [name, value, compared] of rows) console.log(`${name.padEnd(width)}  ${value}${compared ? `\n${''.padEnd(width)}  ${compared}` : ''}`);
};
if (process.argv[2] === 'ingress') {
  const ingress = await measureIngress(shippedDir, shipped.metafile, COLD_STARTS);
  const earlier = JSON.parse(readFileSync(resultsFile, 'utf8')) as Record<string, unknown>;
  writeFileSync(resultsFile, `${JSON.stringify({ ...earlier, ingress }, null, 2)}\n`);
  console.log(`\natlas-onboarder bench, webhook ingress only, ${process.version}, ${ingress.measuredAt}, at ${ingress.commit}\n`);
  printRows(ingressRows(ingress));
  console.log('\nwritten: bench/results.json (its "ingress" part)');
  process.exit(0);
} else if (process.argv[2] === 'scim') {
  const scim = await measureScim(shippedDir, shipped.metafile, COLD_STARTS);
  const earlier = JSON.parse(readFileSync(resultsFile, 'utf8')) as Record<string, unknown>;
  writeFileSync(resultsFile, `${JSON.stringify({ ...earlier, scim }, null, 2)}\n`);
  console.log(`\natlas-onboarder bench, scim function only, ${process.version}, ${scim.measuredAt}, at ${scim.commit}\n`);
  printRows(scimRows(scim));
  console.log('\nwritten: bench/results.json (its "scim" part)');
  process.exit(0);
} else if (process.argv[2] !== undefined) {
  console.error(`usage: npm run bench [-- ingress | scim]   (not ${JSON.stringify(process.argv[2])})`);
  process.exit(2);
}
// The naive baseline the issue names: esbuild --bundle --platform=node --format=esm, plus the one thing without which
// it cannot run at all: a `require` for the CommonJS dependencies (undici's require('node:assert') throws otherwise).
const naiveBuild = {
  entryPoints: [FUNCTION_ENTRY],
  bundle: true,
  platform: 'node',
  format: 'esm',
  banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  outfile: resolve(naiveDir, BUNDLE_FILE),
  logLevel: 'error',
} satisfies BuildOptions;
await build(naiveBuild);
const shippedFile = resolve(shippedDir, entryFile('onboarder'));
const naiveFile = resolve(naiveDir, BUNDLE_FILE);

// The "before": the handler as it was before the performance work (BENCH_BASELINE_REV, from git), bundled the same
// naive way. The naive bundle above is of today's handler, so it gains from every change to the code; this one does
// not, and shows what the work as a whole changed. Skipped where git or the revision is not at hand.
const BASELINE_REV = process.env.BENCH_BASELINE_REV ?? 'd3a5abd';
const baselineFile = await (async () => {
  const source = resolve(out, 'baseline-src');
  rmSync(source, { recursive: true, force: true });
  mkdirSync(source, { recursive: true });
  try {
    execFileSync('sh', ['-c', 'git archive "$0" lambda | tar -x -C "$1"', BASELINE_REV, source], { cwd: PROJECT_ROOT, stdio: ['ignore', 'ignore', 'ignore'] });
  } catch {
    console.warn(`bench: revision ${BASELINE_REV} not available from git; the "before" row is left out`);
    return undefined;
  }
  const dir = resolve(out, 'baseline');
  mkdirSync(dir, { recursive: true });
  await build({ ...naiveBuild, entryPoints: [resolve(source, 'lambda/handler.ts')], outfile: resolve(dir, BUNDLE_FILE) });
  return resolve(dir, BUNDLE_FILE);
})();

function sizeOf(...files: string[]) {
  const sizes = files.map((file) => {
    const bytes = readFileSync(file);
    return { raw: bytes.length, gzip: gzipSync(bytes).length };
  });
  return { raw: sizes.reduce((sum, size) => sum + size.raw, 0), gzip: sizes.reduce((sum, size) => sum + size.gzip, 0) };
}
/** Bytes in the output per package (or our own source), largest first. */
function contributors(metafile: Metafile, top = 8) {
  const byPackage = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const name = match ? match[1]! : input.startsWith('lambda/') ? 'lambda/ (ours)' : input;
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, bytes]) => ({ name, bytes }));
}
// The onboarder's files (its entry and the chunks it loads, now or when first used): what its asset ships.
const shippedFiles = functionFiles(shipped.metafile, 'onboarder', 'all');
const bundle = {
  // Every file of the bundle (the entry and its chunks), gzip per file; and the files a cold start loads.
  shipped: {
    ...sizeOf(...shippedFiles.map((file) => resolve(shippedDir, file))),
    files: shippedFiles.length,
    sourceMaps: shippedFiles.reduce((sum, file) => sum + statSync(resolve(shippedDir, `${file}.map`)).size, 0),
    coldPath: sizeOf(...coldPathFiles(shipped.metafile).map((file) => resolve(shippedDir, file))),
  },
  naive: sizeOf(naiveFile),
  largest: contributors(shipped.metafile),
};

// --- the world the function talks to ---------------------------------------------------------------------------------
const world = await startBenchWorld();
const { atlas, aws, env: functionEnv } = world;

// --- cold starts: fresh processes, the two bundles interleaved -----------------------------------------------------
const coldRun = (file: string, n: number) => coldStart(file, `cold-${n}@example.com`, functionEnv);
const cold: Record<'shipped' | 'naive' | 'before', ColdStart[]> = { shipped: [], naive: [], before: [] };
for (let i = 0; i < COLD_STARTS; i++) {
  cold.shipped.push(await coldRun(shippedFile, 3 * i));
  cold.naive.push(await coldRun(naiveFile, 3 * i + 1));
  if (baselineFile) cold.before.push(await coldRun(baselineFile, 3 * i + 2));
}
function spread(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { median: at(0.5), p10: at(0.1), p90: at(0.9), min: sorted[0]!, max: sorted.at(-1)! };
}
const coldStarts = {
  runs: COLD_STARTS,
  // Each shipped start against the naive start right after it, under the same conditions of a shared machine.
  pairedRatio: spread(cold.shipped.map((c, i) => c.totalMs / cold.naive[i]!.totalMs)).median,
  shipped: { total: spread(cold.shipped.map((c) => c.totalMs)), import: spread(cold.shipped.map((c) => c.importMs)) },
  naive: { total: spread(cold.naive.map((c) => c.totalMs)), import: spread(cold.naive.map((c) => c.importMs)) },
  ...(baselineFile && {
    before: { revision: BASELINE_REV, total: spread(cold.before.map((c) => c.totalMs)), import: spread(cold.before.map((c) => c.importMs)) },
  }),
};

// --- warm measurements, in a process of their own ------------------------------------------------------------------
type Warm = {
  warm: {
    rounds: number;
    ratioToBare: number;
    ratioToBareBatched: number;
    handlerPerSecond: number;
    barePerSecond: number;
    bareBatchedPerSecond: number;
    handlerCpuUsPerInvitation: number;
    bareCpuUsPerInvitation: number;
  };
  callsPerInvitation: { atlas: number; token: number; secrets: number; invitations: number };
  batchLatency: { singleMs: number; batchOf10Ms: number };
  rateLimited: {
    limitPerSecond: number;
    invitations: number;
    elapsedMs: number;
    perSecond: number;
    floorMs: number;
    rateLimitedAnswers: number;
    callsPerInvitation: number;
    redeliveries: number;
    leftInQueue: number;
  };
};
const warm = await new Promise<Warm>((resolvePromise, reject) => {
  const child = fork(resolve(PROJECT_ROOT, 'bench/warm.ts'), [shippedFile], {
    env: { ...functionEnv, ATLAS_CLIENT_ID: CLIENT_ID, ATLAS_CLIENT_SECRET: CLIENT_SECRET },
    execArgv: ['--import', 'tsx'],
    // The function's log lines are written (their cost is measured) to /dev/null: read through a pipe by this
    // process, which also serves the sandbox, they would slow the sandbox down for the handler's run alone.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  child.on('message', (message: { id: number; cmd?: string; options?: Record<string, unknown>; result?: Warm }) => {
    if (message.result) return resolvePromise(message.result);
    if (message.cmd === 'reset') {
      // Back to the world as started (bench/common.ts), the service account's client and token limit included.
      atlas.reset();
      aws.reset();
    }
    if (message.cmd === 'configure') atlas.configure(message.options ?? {});
    const value =
      message.cmd === 'counts'
        ? {
            invites: atlas.count('invites') + atlas.count('users'),
            tokens: atlas.count('token'),
            secrets: aws.secretRequests.length,
            invitations: atlas.invitations().length,
            rateLimited: atlas.requests.filter((r) => r.status === 429).length,
          }
        : null;
    child.send({ id: message.id, value });
  });
  child.on('exit', (code) => (code === 0 ? undefined : reject(new Error(`bench/warm.ts exited ${code}`))));
});
await world.close();

// --- movers and leavers: Atlas calls per event under each lifecycle (contract section 13) ---------------------------
const lifecycleCalls = await measureLifecycleCalls();

// --- the webhook ingress ---------------------------------------------------------------------------------------------
const ingress = await measureIngress(shippedDir, shipped.metafile, COLD_STARTS);

// --- the scim function -----------------------------------------------------------------------------------------------
const scim = await measureScim(shippedDir, shipped.metafile, COLD_STARTS);

// --- report -------------------------------------------------------------------------------------------------------
const ratios = {
  coldStart: coldStarts.shipped.total.median / coldStarts.naive.total.median,
  warmThroughput: warm.warm.ratioToBare,
  batchLatency: warm.batchLatency.batchOf10Ms / warm.batchLatency.singleMs,
  rateLimited: warm.rateLimited.perSecond / warm.rateLimited.limitPerSecond,
};
// Rate-limited: contract section 6, v2 (pacing): at least 95% of the limit, at most 1.05 Atlas calls per invitation.
const targets = { coldStart: 0.6, warmThroughput: 0.8, batchLatency: 1.5, rateLimited: 0.95, rateLimitedCallsPerInvitation: 1.05 };
const results = {
  measuredAt: new Date().toISOString(),
  node: process.version,
  machine: `${(await import('node:os')).cpus().length} cores`,
  bundle,
  coldStarts,
  ...warm,
  lifecycleCalls,
  ingress,
  scim,
  ratios,
  targets,
  met: {
    coldStart: ratios.coldStart <= targets.coldStart,
    warmThroughput: ratios.warmThroughput >= targets.warmThroughput,
    batchLatency: ratios.batchLatency <= targets.batchLatency,
    rateLimited: ratios.rateLimited >= targets.rateLimited,
    rateLimitedCallsPerInvitation: warm.rateLimited.callsPerInvitation <= targets.rateLimitedCallsPerInvitation,
    callsPerInvitation: warm.callsPerInvitation.atlas === 1 && warm.callsPerInvitation.token <= 1 / 1000 && warm.callsPerInvitation.secrets <= 1 / 1000,
  },
};
writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
const ms = (value: number) => `${value.toFixed(0)} ms`;
const mark = (ok: boolean) => (ok ? 'met' : 'MISSED');
const rows: [string, string, string][] = [
  [
    'bundle (as shipped)',
    `${kib(bundle.shipped.raw)} raw, ${kib(bundle.shipped.gzip)} gzip in ${bundle.shipped.files} files; ` +
      `cold path ${kib(bundle.shipped.coldPath.raw)} raw, ${kib(bundle.shipped.coldPath.gzip)} gzip; maps ${kib(bundle.shipped.sourceMaps)}`,
    `naive ${kib(bundle.naive.raw)} raw, ${kib(bundle.naive.gzip)} gzip`,
  ],
  ['largest contributors', bundle.largest.map((c) => `${c.name} ${kib(c.bytes)}`).join(', '), ''],
  [
    `cold start, import + 1st SQS invocation (${COLD_STARTS} runs)`,
    `median ${ms(coldStarts.shipped.total.median)} (p10 ${ms(coldStarts.shipped.total.p10)}, p90 ${ms(coldStarts.shipped.total.p90)}); import ${ms(coldStarts.shipped.import.median)}`,
    `naive ${ms(coldStarts.naive.total.median)}; ratio ${ratios.coldStart.toFixed(2)} (target ≤ ${targets.coldStart}: ${mark(results.met.coldStart)}); ` +
      `run by run ${coldStarts.pairedRatio.toFixed(2)}`,
  ],
  ...(coldStarts.before
    ? [
        [
          `  against the handler before the work (${coldStarts.before.revision})`,
          `its naive bundle ${ms(coldStarts.before.total.median)} (import ${ms(coldStarts.before.import.median)})`,
          `ratio ${(coldStarts.shipped.total.median / coldStarts.before.total.median).toFixed(2)}`,
        ] as [string, string, string],
      ]
    : []),
  [
    `warm throughput (SQS, batches of 10; ${warm.warm.rounds} rounds)`,
    `${warm.warm.handlerPerSecond.toFixed(0)} invitations/s`,
    `bare undici loop ${warm.warm.barePerSecond.toFixed(0)}/s; ratio ${ratios.warmThroughput.toFixed(2)} (target ≥ ${targets.warmThroughput}: ${mark(results.met.warmThroughput)}); ` +
      `bare loop in batches of 10 ${warm.warm.bareBatchedPerSecond.toFixed(0)}/s (ratio ${warm.warm.ratioToBareBatched.toFixed(2)}); ` +
      'ratios are medians of the per-round ratios',
  ],
  [
    'CPU per invitation (warm, this process)',
    `handler ${warm.warm.handlerCpuUsPerInvitation.toFixed(0)} µs, bare loop ${warm.warm.bareCpuUsPerInvitation.toFixed(0)} µs`,
    `our code's share: ${(warm.warm.handlerCpuUsPerInvitation - warm.warm.bareCpuUsPerInvitation).toFixed(0)} µs per invitation`,
  ],
  [
    'calls per invitation (1,000 events)',
    `Atlas ${warm.callsPerInvitation.atlas}, token ${warm.callsPerInvitation.token}, secret ${warm.callsPerInvitation.secrets}`,
    `floor 1, 0.001, 0.001: ${mark(results.met.callsPerInvitation)}`,
  ],
  [
    'batch latency, Atlas answering in 200 ms',
    `batch of 10 ${ms(warm.batchLatency.batchOf10Ms)}, one alone ${ms(warm.batchLatency.singleMs)}`,
    `ratio ${ratios.batchLatency.toFixed(2)} (target ≤ ${targets.batchLatency}: ${mark(results.met.batchLatency)})`,
  ],
  [
    `rate-limited throughput (limit ${warm.rateLimited.limitPerSecond}/s)`,
    `${warm.rateLimited.perSecond.toFixed(1)}/s: ${warm.rateLimited.invitations} in ${ms(warm.rateLimited.elapsedMs)} (floor ${ms(warm.rateLimited.floorMs)}), ${warm.rateLimited.rateLimitedAnswers} answers of 429`,
    `ratio ${ratios.rateLimited.toFixed(2)} (target ≥ ${targets.rateLimited}: ${mark(results.met.rateLimited)}); ` +
      `${warm.rateLimited.callsPerInvitation.toFixed(3)} Atlas calls per invitation (target ≤ ${targets.rateLimitedCallsPerInvitation}: ${mark(results.met.rateLimitedCallsPerInvitation)})`,
  ],
];
console.log(`\natlas-onboarder bench, ${results.node}, ${results.machine}, ${results.measuredAt}\n`);
printRows([...rows, ...ingressRows(ingress), ...scimRows(scim)]);
console.log(`\nAtlas calls per event (tokens left out)\n\n${lifecycleTable(lifecycleCalls)}\n`);
console.log('\nwritten: bench/results.json');
