/**
 * `npm run build`: bundles every function into `dist/` with exactly the options `cdk synth` ships
 * (`infra/bundling.ts`), for inspection and for start-up measurements.
 *
 * @example
 * npm run build            # dist/onboarder/index.mjs, the chunks beside it, their source maps, dist/meta.json
 * npm run build -- out/    # another directory
 */
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { bundleFunctions, FUNCTION_NAMES, functionFiles, PROJECT_ROOT } from './bundling';

const outdir = resolve(process.argv[2] ?? 'dist');
// A previous build's files go (chunk names change with their contents); nothing else in the directory is touched.
if (existsSync(outdir)) {
  for (const file of readdirSync(outdir)) if (/\.mjs(\.map)?$|^meta\.json$/.test(file)) rmSync(resolve(outdir, file));
  for (const name of FUNCTION_NAMES) rmSync(resolve(outdir, name), { recursive: true, force: true });
}
const metafile = bundleFunctions(outdir);
// The metafile says which dependency weighs what: the first thing to read when the bundle grows.
writeFileSync(resolve(outdir, 'meta.json'), JSON.stringify(metafile));
const bytes = new Map(Object.entries(metafile.outputs).map(([file, output]) => [relative(outdir, join(PROJECT_ROOT, file)), output.bytes]));
const kib = (files: readonly string[]) => (files.reduce((sum, file) => sum + (bytes.get(file) ?? 0), 0) / 1024).toFixed(0);
for (const name of FUNCTION_NAMES) {
  const all = functionFiles(metafile, name, 'all');
  const cold = functionFiles(metafile, name, 'cold');
  console.log(`${resolve(outdir, name, 'index.mjs')}: ${kib(all)} KiB in ${all.length} files, ${kib(cold)} KiB in ${cold.length} on the cold path`);
}
