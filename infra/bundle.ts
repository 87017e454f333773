/**
 * `npm run build`: bundles the function into `dist/` with exactly the options `cdk synth` ships
 * (`infra/bundling.ts`), for inspection and for start-up measurements.
 *
 * @example
 * npm run build            # dist/index.mjs, its chunks, their source maps, dist/meta.json
 * npm run build -- out/    # another directory
 */
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { bundleFunction, coldPathFiles } from './bundling';

const outdir = resolve(process.argv[2] ?? 'dist');
// A previous build's files go (chunk names change with their contents); nothing else in the directory is touched.
if (existsSync(outdir)) {
  for (const file of readdirSync(outdir)) if (/\.mjs(\.map)?$|^meta\.json$/.test(file)) rmSync(resolve(outdir, file));
}
const metafile = bundleFunction(outdir);
// The metafile says which dependency weighs what: the first thing to read when the bundle grows.
writeFileSync(resolve(outdir, 'meta.json'), JSON.stringify(metafile));
const coldPath = new Set(coldPathFiles(metafile));
for (const [file, output] of Object.entries(metafile.outputs)) {
  if (file.endsWith('.map')) continue;
  const name = file.slice(file.lastIndexOf('/') + 1);
  console.log(`${resolve(outdir, name)}: ${(output.bytes / 1024).toFixed(0)} KiB${coldPath.has(name) ? '' : ' (loaded when first used)'}`);
}
